package functionapp_test

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/meetingminutes/minutes/shared/functionapp"
)

// runPackage runs scripts/package.sh from the repository root with PACKAGE_OUT_DIR=outDir
// and the extra environment env, and returns the staged directory and the zip's path.
func runPackage(t *testing.T, outDir string, env ...string) (string, string) {
	t.Helper()
	cmd := exec.Command("bash", "scripts/package.sh")
	cmd.Dir = repoRoot
	cmd.Env = append(append(os.Environ(), "PACKAGE_OUT_DIR="+outDir), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/package.sh: %v\n%s", err, b)
	}
	return filepath.Join(outDir, "functionapp"), filepath.Join(outDir, "functionapp.zip")
}

// requireDeployable checks the staged tree and the zip, and that the zip holds exactly the
// files of the tree.
func requireDeployable(t *testing.T, stage, zipPath string) {
	t.Helper()
	if errs := functionapp.Check(stage); len(errs) > 0 {
		t.Fatalf("Check %s:\n%s", stage, list(errs))
	}
	if err := functionapp.CheckZip(zipPath); err != nil {
		t.Fatalf("CheckZip: %v", err)
	}

	var files []string
	err := filepath.WalkDir(stage, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(stage, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatalf("walk %s: %v", stage, err)
	}
	r, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatalf("open zip: %v", err)
	}
	defer r.Close()
	var entries []string
	for _, f := range r.File {
		if !strings.HasSuffix(f.Name, "/") {
			entries = append(entries, f.Name)
		}
	}
	slices.Sort(files)
	slices.Sort(entries)
	if !slices.Equal(files, entries) {
		t.Fatalf("zip files %v, staged files %v", entries, files)
	}
	if want := 2 + len(functionapp.Contract()); len(files) != want {
		t.Fatalf("staged %d files %v, want %d (host.json, handler, one function.json per function)", len(files), files, want)
	}
}

func TestPackageScript(t *testing.T) {
	if testing.Short() {
		t.Skip("runs scripts/package.sh")
	}
	t.Parallel()

	t.Run("stages and zips a prebuilt handler", func(t *testing.T) {
		t.Parallel()
		out := t.TempDir()
		stage := filepath.Join(out, "functionapp")
		mkdir(t, stage)
		copyFile(t, buildTiny(t, "linux", "amd64"), filepath.Join(stage, "handler"), 0o644) // the script must chmod it
		writeFile(t, filepath.Join(stage, "stale.txt"), "left over", 0o644)                 // and clear the rest

		stage, zipPath := runPackage(t, out, "PACKAGE_SKIP_BUILD=1")
		requireDeployable(t, stage, zipPath)
		first, err := os.ReadFile(zipPath)
		if err != nil {
			t.Fatalf("read zip: %v", err)
		}

		_, zipPath = runPackage(t, out, "PACKAGE_SKIP_BUILD=1")
		second, err := os.ReadFile(zipPath)
		if err != nil {
			t.Fatalf("read zip: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatal("packaging the same tree twice gave different zips")
		}
	})

	t.Run("builds the real handler", func(t *testing.T) {
		t.Parallel()
		cmd := exec.Command("go", "list", "-f", "{{.Name}}", "./handler")
		cmd.Dir = repoRoot
		if b, err := cmd.Output(); err != nil || strings.TrimSpace(string(b)) != "main" {
			t.Skipf("./handler is not a main package yet (go list: %v, %q)", err, bytes.TrimSpace(b))
		}
		// A handler that does not compile is go build's and go vet's failure to report,
		// not packaging's; this also warms the build cache for the script.
		cmd = exec.Command("go", "build", "-trimpath", "-o", os.DevNull, "./handler")
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("./handler does not build yet: %v\n%s", err, b)
		}
		stage, zipPath := runPackage(t, t.TempDir())
		requireDeployable(t, stage, zipPath)
	})
}

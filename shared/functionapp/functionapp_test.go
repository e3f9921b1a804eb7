package functionapp_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meetingminutes/minutes/shared/functionapp"
)

// repoRoot is the module root relative to this package's directory (go test's cwd).
const repoRoot = "../.."

// buildTiny builds testdata/tinymain for goos/goarch into a temporary directory and
// returns the binary's path.
func buildTiny(t *testing.T, goos, goarch string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "tiny-"+goos+"-"+goarch)
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./testdata/tinymain")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build tiny %s/%s: %v\n%s", goos, goarch, err, b)
	}
	return out
}

// stageRepo lays out the repository's host.json and functions/*/function.json as a staged
// app in a new temporary directory, with exe as the handler, and returns the directory.
func stageRepo(t *testing.T, exe string) string {
	t.Helper()
	dir := t.TempDir()
	copyFile(t, filepath.Join(repoRoot, "host.json"), filepath.Join(dir, "host.json"), 0o644)
	copyFile(t, exe, filepath.Join(dir, "handler"), 0o755)
	fns, err := filepath.Glob(filepath.Join(repoRoot, "functions", "*", "function.json"))
	if err != nil {
		t.Fatalf("glob function.json: %v", err)
	}
	if len(fns) == 0 {
		t.Fatal("no functions/*/function.json in the repository")
	}
	for _, fn := range fns {
		name := filepath.Base(filepath.Dir(fn))
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatalf("mkdir %s: %v", name, err)
		}
		copyFile(t, fn, filepath.Join(dir, name, "function.json"), 0o644)
	}
	return dir
}

// copyFile copies src to dst with mode perm.
func copyFile(t *testing.T, src, dst string, perm fs.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("read %s: %v", src, err)
	}
	writeFile(t, dst, string(b), perm)
}

// writeFile writes content to path with mode perm, whatever the umask.
func writeFile(t *testing.T, path, content string, perm fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatalf("chmod %s: %v", path, err)
	}
}

// editFile replaces old with new in path, failing if old is absent.
func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	writeFile(t, path, strings.Replace(string(b), old, new, 1), 0o644)
}

// problems converts errs to *functionapp.Problem, failing on anything else.
func problems(t *testing.T, errs []error) []*functionapp.Problem {
	t.Helper()
	var ps []*functionapp.Problem
	for _, err := range errs {
		var p *functionapp.Problem
		if !errors.As(err, &p) {
			t.Fatalf("error %v is not a *functionapp.Problem", err)
		}
		ps = append(ps, p)
	}
	return ps
}

// requireProblem fails unless errs holds a problem with rule at path whose text mentions
// every word of want.
func requireProblem(t *testing.T, errs []error, rule functionapp.Rule, path string, want ...string) {
	t.Helper()
	for _, p := range problems(t, errs) {
		if p.Rule != rule || p.Path != path {
			continue
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(p.Error(), w)
		}
		if ok {
			return
		}
	}
	t.Fatalf("want a %q problem at %q mentioning %q; got:\n%s", rule, path, want, list(errs))
}

// list formats errs one per line.
func list(errs []error) string {
	var b strings.Builder
	for _, err := range errs {
		fmt.Fprintf(&b, "  %v\n", err)
	}
	return b.String()
}

func TestContract(t *testing.T) {
	t.Parallel()
	fns := functionapp.Contract()
	if len(fns) != 14 {
		t.Fatalf("contract has %d functions, want 14", len(fns))
	}
	for _, f := range fns {
		if _, err := os.Stat(filepath.Join(repoRoot, "functions", f.Name, "function.json")); err != nil {
			t.Errorf("contract function %s has no function.json in the repository: %v", f.Name, err)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tiny := buildTiny(t, "linux", "amd64")

	cases := []struct {
		name   string
		mutate func(t *testing.T, dir string)
		rule   functionapp.Rule
		path   string
		want   []string // words the problem's text must contain
	}{
		{
			name:   "missing host.json",
			mutate: func(t *testing.T, dir string) { remove(t, filepath.Join(dir, "host.json")) },
			rule:   functionapp.RuleHostJSON, path: "host.json", want: []string{"read host.json"},
		},
		{
			name:   "host.json does not parse",
			mutate: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "host.json"), "{", 0o644) },
			rule:   functionapp.RuleHostJSON, path: "host.json", want: []string{"parse host.json"},
		},
		{
			name: "forwarding disabled",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "host.json"), `"enableForwardingHttpRequest": true`, `"enableForwardingHttpRequest": false`)
			},
			rule: functionapp.RuleHostJSON, path: "host.json", want: []string{"enableForwardingHttpRequest"},
		},
		{
			name: "empty route prefix",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "host.json"), `"routePrefix": "api"`, `"routePrefix": ""`)
			},
			rule: functionapp.RuleHostJSON, path: "host.json", want: []string{"routePrefix", `want "api"`},
		},
		{
			name: "old extension bundle",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "host.json"), `"[4.*, 5.0.0)"`, `"[3.*, 4.0.0)"`)
			},
			rule: functionapp.RuleHostJSON, path: "host.json", want: []string{"extensionBundle.version"},
		},
		{
			name: "wrong host version",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "host.json"), `"version": "2.0"`, `"version": "1.0"`)
			},
			rule: functionapp.RuleHostJSON, path: "host.json", want: []string{"version", `"1.0"`},
		},
		{
			name: "executable named by host.json is absent",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "host.json"), `"defaultExecutablePath": "handler"`, `"defaultExecutablePath": "app"`)
			},
			rule: functionapp.RuleExecutable, path: "app", want: []string{"stat executable"},
		},
		{
			name: "executable path outside the app root",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "host.json"), `"defaultExecutablePath": "handler"`, `"defaultExecutablePath": "bin/handler"`)
			},
			rule: functionapp.RuleHostJSON, path: "host.json", want: []string{"defaultExecutablePath", "app root"},
		},
		{
			name:   "non-executable binary",
			mutate: func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "handler"), 0o644) },
			rule:   functionapp.RuleExecutable, path: "handler", want: []string{"0644", "exec bits"},
		},
		{
			name:   "binary is a script, not ELF",
			mutate: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "handler"), "#!/bin/sh\n", 0o755) },
			rule:   functionapp.RuleExecutable, path: "handler", want: []string{"not an ELF binary"},
		},
		{
			name: "binary for the wrong architecture",
			mutate: func(t *testing.T, dir string) {
				copyFile(t, buildTiny(t, "linux", "arm64"), filepath.Join(dir, "handler"), 0o755)
			},
			rule: functionapp.RuleExecutable, path: "handler", want: []string{"EM_AARCH64", "GOARCH=amd64"},
		},
		{
			name: "dynamically linked binary",
			mutate: func(t *testing.T, dir string) {
				const dyn = "/bin/ls" // a dynamically linked ELF on Debian
				if _, err := os.Stat(dyn); err != nil {
					t.Skipf("no %s: %v", dyn, err)
				}
				copyFile(t, dyn, filepath.Join(dir, "handler"), 0o755)
			},
			rule: functionapp.RuleExecutable, path: "handler", want: []string{"PT_INTERP", "CGO_ENABLED=0"},
		},
		{
			name: "messages not auto-completed",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "host.json"), `"autoCompleteMessages": true`, `"autoCompleteMessages": false`)
			},
			rule: functionapp.RuleHostJSON, path: "host.json", want: []string{"autoCompleteMessages"},
		},
		{
			name: "legacy httpWorker section",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "host.json"), `"customHandler": {`, `"httpWorker": {}, "customHandler": {`)
			},
			rule: functionapp.RuleHostJSON, path: "host.json", want: []string{"httpWorker"},
		},
		{
			name: "HTTP function with an extra output binding",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "StripeWebhook", "function.json"),
					`"name": "res"`,
					`"name": "res" }, { "type": "serviceBus", "direction": "out", "name": "outMsg", "queueName": "x", "connection": "ServiceBusConnection"`)
			},
			rule: functionapp.RuleHTTP, path: "StripeWebhook/function.json", want: []string{"3 bindings", "forwarding"},
		},
		{
			name: "HTTP function without its http output",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "Health", "function.json"), `"type": "http",`, `"type": "blob",`)
			},
			rule: functionapp.RuleHTTP, path: "Health/function.json", want: []string{"0 http out"},
		},
		{
			name: "route with api/ prefix",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "Health", "function.json"), `"route": "health"`, `"route": "api/health"`)
			},
			rule: functionapp.RuleRoute, path: "Health/function.json", want: []string{`"api/health"`, "/api/api/health"},
		},
		{
			name: "root catch-all route",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "Portal", "function.json"), `"route": "app/{*path}"`, `"route": "{*path}"`)
			},
			rule: functionapp.RuleRoute, path: "Portal/function.json", want: []string{"catch-all", "#6251"},
		},
		{
			name: "Service Bus trigger without dataType binary",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "TranscriptIngest", "function.json"), `"dataType": "binary"`, `"dataType": "string"`)
			},
			rule: functionapp.RuleServiceBus, path: "TranscriptIngest/function.json", want: []string{"dataType", `"string"`, "binary"},
		},
		{
			name: "Service Bus trigger reading batches",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "MinutesGenerate", "function.json"), `"cardinality": "one"`, `"cardinality": "many"`)
			},
			rule: functionapp.RuleServiceBus, path: "MinutesGenerate/function.json", want: []string{"cardinality"},
		},
		{
			name: "Service Bus trigger without a connection",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "MigrationRunner", "function.json"), `"connection": "ServiceBusConnection"`, `"connection": ""`)
			},
			rule: functionapp.RuleServiceBus, path: "MigrationRunner/function.json", want: []string{"connection is empty"},
		},
		{
			name: "queue renamed",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "MinutesPublish", "function.json"), `"minutes-publish"`, `"publish"`)
			},
			rule: functionapp.RuleContract, path: "MinutesPublish/function.json", want: []string{`"publish"`, `"minutes-publish"`},
		},
		{
			name: "timer with a five-field schedule",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "TenantHealthSweep", "function.json"), `"0 */5 * * * *"`, `"*/5 * * * *"`)
			},
			rule: functionapp.RuleTimer, path: "TenantHealthSweep/function.json", want: []string{"5 fields", "want 6"},
		},
		{
			name: "webhook protected by a function key",
			mutate: func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, "GraphNotifications", "function.json"), `"anonymous"`, `"function"`)
			},
			rule: functionapp.RuleContract, path: "GraphNotifications/function.json", want: []string{"authLevel", "anonymous"},
		},
		{
			name:   "unknown extra file at the root",
			mutate: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "local.settings.json"), "{}", 0o644) },
			rule:   functionapp.RuleLayout, path: "local.settings.json", want: []string{"unexpected file"},
		},
		{
			name: "source file in a function folder",
			mutate: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "Health", "health.go"), "package health\n", 0o644)
			},
			rule: functionapp.RuleLayout, path: "Health/health.go", want: []string{"only function.json"},
		},
		{
			name: "folder that is not a contract function",
			mutate: func(t *testing.T, dir string) {
				mkdir(t, filepath.Join(dir, "Extra"))
				copyFile(t, filepath.Join(dir, "Health", "function.json"), filepath.Join(dir, "Extra", "function.json"), 0o644)
			},
			rule: functionapp.RuleContract, path: "Extra", want: []string{"not a contract function"},
		},
		{
			name:   "missing function",
			mutate: func(t *testing.T, dir string) { remove(t, filepath.Join(dir, "UsageReport")) },
			rule:   functionapp.RuleContract, path: "UsageReport", want: []string{"function folder is missing", "timerTrigger"},
		},
		{
			name:   "function folder without function.json",
			mutate: func(t *testing.T, dir string) { remove(t, filepath.Join(dir, "Api", "function.json")) },
			rule:   functionapp.RuleFunctionJSON, path: "Api/function.json", want: []string{"read function.json"},
		},
	}

	t.Run("repository tree passes", func(t *testing.T) {
		t.Parallel()
		if errs := functionapp.Check(stageRepo(t, tiny)); len(errs) > 0 {
			t.Fatalf("Check of the repository's host.json and functions/:\n%s", list(errs))
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := stageRepo(t, tiny)
			tc.mutate(t, dir)
			requireProblem(t, functionapp.Check(dir), tc.rule, tc.path, tc.want...)
		})
	}
	t.Run("missing app root", func(t *testing.T) {
		t.Parallel()
		requireProblem(t, functionapp.Check(filepath.Join(t.TempDir(), "nope")), functionapp.RuleLayout, "", "stat app root")
	})
}

func TestCheckZip(t *testing.T) {
	t.Parallel()
	tiny := buildTiny(t, "linux", "amd64")
	dir := stageRepo(t, tiny)

	cases := []struct {
		name string
		edit func(h *zip.FileHeader) // applied to every header before writing
		want []string                // nil: CheckZip must pass; else words of its error
		rule functionapp.Rule        // rule of the expected problem
	}{
		{name: "unix modes kept", edit: func(*zip.FileHeader) {}},
		{
			name: "executable without exec bit",
			edit: func(h *zip.FileHeader) {
				if h.Name == "handler" {
					h.SetMode(0o644)
				}
			},
			want: []string{"0644", "0755"}, rule: functionapp.RuleZip,
		},
		{
			name: "made on a FAT file system",
			edit: func(h *zip.FileHeader) { h.CreatorVersion = 0<<8 | 20; h.ExternalAttrs &= 0xffff },
			want: []string{"host system 0", "Unix"}, rule: functionapp.RuleZip,
		},
		{
			name: "tree nested in a folder",
			edit: func(h *zip.FileHeader) { h.Name = "functionapp/" + h.Name },
			want: []string{"read host.json"}, rule: functionapp.RuleHostJSON,
		},
		{
			name: "entry escaping the root",
			edit: func(h *zip.FileHeader) {
				if h.Name == "host.json" {
					h.Name = "../host.json"
				}
			},
			want: []string{"clean relative slash path"}, rule: functionapp.RuleZip,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			zipPath := filepath.Join(t.TempDir(), "app.zip")
			writeTestZip(t, dir, zipPath, tc.edit)
			err := functionapp.CheckZip(zipPath)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("CheckZip: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckZip passed, want a problem")
			}
			var p *functionapp.Problem
			if !errors.As(err, &p) {
				t.Fatalf("CheckZip error %v holds no *functionapp.Problem", err)
			}
			found := false
			for _, e := range unjoin(err) {
				if errors.As(e, &p) && p.Rule == tc.rule && containsAll(p.Error(), tc.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("want a %q problem mentioning %q; got: %v", tc.rule, tc.want, err)
			}
		})
	}
}

// writeTestZip zips dir into zipPath the way scripts/zipdir does (Unix modes), passing
// each header through edit first.
func writeTestZip(t *testing.T, dir, zipPath string, edit func(*zip.FileHeader)) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		hdr.Method = zip.Deflate
		edit(hdr)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		t.Fatalf("zip %s: %v", dir, err)
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("finish zip: %v", err)
	}
	writeFile(t, zipPath, buf.String(), 0o644)
}

// unjoin flattens err's tree of wrapped and joined errors into its leaves.
func unjoin(err error) []error {
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		var out []error
		for _, inner := range e.Unwrap() {
			out = append(out, unjoin(inner)...)
		}
		return out
	case interface{ Unwrap() error }:
		return unjoin(e.Unwrap())
	default:
		return []error{err}
	}
}

// containsAll reports whether s contains every word.
func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// remove deletes path and everything below it.
func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatalf("remove %s: %v", path, err)
	}
}

// mkdir creates the directory path.
func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatalf("mkdir %s: %v", path, err)
	}
}

// chmod sets path's mode to perm.
func chmod(t *testing.T, path string, perm fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, perm); err != nil {
		t.Fatalf("chmod %s: %v", path, err)
	}
}

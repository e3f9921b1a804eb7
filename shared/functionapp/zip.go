package functionapp

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// creatorUnix is the "version made by" host system for Unix (APPNOTE 4.4.2); only with it
// do the upper 16 bits of the external attributes carry a Unix mode.
const creatorUnix = 3

// wantExecutableMode is the permission the executable must carry inside the zip.
const wantExecutableMode fs.FileMode = 0o755

// CheckZip checks a function-app zip (for example .build/functionapp.zip): safe entry
// names, the tree at the archive root passing CheckFS, and the executable's entry made by
// a Unix creator with mode 0755 so the exec bit survives extraction. It returns nil or an
// error joining every *Problem found.
func CheckZip(path string) error {
	r, err := zip.OpenReader(path)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return fmt.Errorf("open function-app zip: %w", err)
	}
	defer r.Close() // With ErrInsecurePath the reader is still usable; the names are reported below.

	var errs []error
	seen := map[string]bool{}
	for _, f := range r.File {
		name := strings.TrimSuffix(f.Name, "/")
		switch {
		case strings.Contains(f.Name, `\`) || !fs.ValidPath(name) || name == ".":
			errs = append(errs, &Problem{Path: f.Name, Rule: RuleZip, Detail: "entry name is not a clean relative slash path"})
			continue
		case seen[name]:
			errs = append(errs, &Problem{Path: f.Name, Rule: RuleZip, Detail: "entry appears twice"})
		}
		seen[name] = true
		if m := f.Mode(); m&fs.ModeSymlink != 0 || m&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
			errs = append(errs, &Problem{Path: name, Rule: RuleZip, Detail: fmt.Sprintf("entry has mode %v; only files and folders belong here", m)})
		}
	}

	if exe := zipExecutableName(&r.Reader); exe != "" {
		errs = append(errs, checkZipExecutable(r.File, exe)...)
	}
	errs = append(errs, CheckFS(&r.Reader)...)
	if len(errs) > 0 {
		return fmt.Errorf("check %s: %w", path, errors.Join(errs...))
	}
	return nil
}

// zipExecutableName returns the executable host.json names in fsys, or "" when host.json
// cannot tell (CheckFS reports why).
func zipExecutableName(fsys fs.FS) string {
	raw, err := fs.ReadFile(fsys, hostJSONName)
	if err != nil {
		return ""
	}
	var h hostFile
	if json.Unmarshal(raw, &h) != nil || h.CustomHandler == nil || h.CustomHandler.Description == nil {
		return ""
	}
	return h.CustomHandler.Description.DefaultExecutablePath
}

// checkZipExecutable checks the entry for exe: a regular file from a Unix creator with
// mode 0755.
func checkZipExecutable(files []*zip.File, exe string) []error {
	for _, f := range files {
		if f.Name != exe {
			continue
		}
		var errs []error
		if creator := f.CreatorVersion >> 8; creator != creatorUnix {
			errs = append(errs, &Problem{Path: exe, Rule: RuleZip,
				Detail: fmt.Sprintf("entry made by host system %d, want %d (Unix); the exec bit is lost on extraction", creator, creatorUnix)})
		}
		mode := fs.FileMode(f.ExternalAttrs >> 16)
		if perm := mode.Perm(); perm != wantExecutableMode {
			errs = append(errs, &Problem{Path: exe, Rule: RuleZip,
				Detail: fmt.Sprintf("entry carries Unix mode %#o, want %#o", perm, wantExecutableMode)})
		}
		return errs
	}
	return nil // CheckFS reports the missing executable.
}

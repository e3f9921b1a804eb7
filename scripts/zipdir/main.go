// Command zipdir zips the contents of a directory into a zip file whose entries keep their
// Unix permissions, so an executable stays executable when the Functions host (or unzip)
// extracts it. The output is deterministic: entries in lexical order, one fixed
// modification time (SOURCE_DATE_EPOCH when set), modes normalised to 0755 for folders and
// executables and 0644 for other files.
//
// Usage:
//
//	go run ./scripts/zipdir [-check] SRC DST
//
// With -check, SRC is checked with functionapp.Check before zipping and DST with
// functionapp.CheckZip after, and any problem fails the command.
package main

import (
	"archive/zip"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/meetingminutes/minutes/shared/functionapp"
)

// usageError marks a bad command line, reported with exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	if err := run(os.Args[1:], os.Getenv("SOURCE_DATE_EPOCH"), os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "zipdir: %v\n", err)
		if errors.As(err, new(usageError)) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// run parses args, optionally checks the tree, and writes the zip.
func run(args []string, sourceDateEpoch string, stderr io.Writer) error {
	fl := flag.NewFlagSet("zipdir", flag.ContinueOnError)
	fl.SetOutput(stderr)
	check := fl.Bool("check", false, "check SRC and DST as a function app (functionapp.Check, functionapp.CheckZip)")
	if err := fl.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fl.NArg() != 2 {
		return usageError{"usage: zipdir [-check] SRC DST"}
	}
	src, dst := fl.Arg(0), fl.Arg(1)

	modTime := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	if sourceDateEpoch != "" {
		sec, err := strconv.ParseInt(sourceDateEpoch, 10, 64)
		if err != nil {
			return usageError{fmt.Sprintf("SOURCE_DATE_EPOCH %q is not a number of seconds", sourceDateEpoch)}
		}
		modTime = time.Unix(sec, 0).UTC()
	}

	if *check {
		if errs := functionapp.Check(src); len(errs) > 0 {
			return fmt.Errorf("check %s: %w", src, errors.Join(errs...))
		}
	}
	if err := writeZip(src, dst, modTime); err != nil {
		return err
	}
	if *check {
		if err := functionapp.CheckZip(dst); err != nil {
			return err
		}
	}
	return nil
}

// writeZip zips the contents of src into dst, replacing dst atomically.
func writeZip(src, dst string, modTime time.Time) error {
	absSrc, err := filepath.Abs(src)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", src, err)
	}
	absDst, err := filepath.Abs(dst)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", dst, err)
	}
	if rel, err := filepath.Rel(absSrc, absDst); err == nil && filepath.IsLocal(rel) {
		return usageError{fmt.Sprintf("destination %s is inside the source %s", dst, src)}
	}

	tmp, err := os.CreateTemp(filepath.Dir(absDst), ".zipdir-*")
	if err != nil {
		return fmt.Errorf("create temporary zip: %w", err)
	}
	defer os.Remove(tmp.Name()) // No-op after the rename.

	zw := zip.NewWriter(tmp)
	if err := addTree(zw, absSrc, modTime); err != nil {
		tmp.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		return fmt.Errorf("finish zip: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod zip: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close zip: %w", err)
	}
	if err := os.Rename(tmp.Name(), absDst); err != nil {
		return fmt.Errorf("move zip into place: %w", err)
	}
	return nil
}

// addTree adds every folder and regular file under root to zw, in lexical order.
func addTree(zw *zip.Writer, root string, modTime time.Time) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", p, err)
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return fmt.Errorf("relative path of %s: %w", p, err)
		}
		name := filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("stat %s: %w", p, err)
		}

		hdr := &zip.FileHeader{Name: name, Modified: modTime}
		switch {
		case info.IsDir():
			hdr.Name += "/"
			hdr.SetMode(fs.ModeDir | 0o755)
		case info.Mode().IsRegular():
			hdr.Method = zip.Deflate
			perm := fs.FileMode(0o644)
			if info.Mode().Perm()&0o111 != 0 {
				perm = 0o755
			}
			hdr.SetMode(perm)
		default:
			return fmt.Errorf("add %s: mode %v is neither a folder nor a regular file", p, info.Mode())
		}
		// SetMode puts the Unix mode in the upper 16 bits of the external attributes, which
		// extractors honour only when the creator (upper byte of CreatorVersion) is Unix, 3.
		// SetMode sets that too; say it explicitly, the exec bit depends on it. The writer
		// fills in the low byte (zip spec version).
		hdr.CreatorVersion = 3 << 8

		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return fmt.Errorf("add %s: %w", name, err)
		}
		if info.IsDir() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("open %s: %w", p, err)
		}
		defer f.Close()
		if _, err := io.Copy(w, f); err != nil {
			return fmt.Errorf("compress %s: %w", p, err)
		}
		return nil
	})
}

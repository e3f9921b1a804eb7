package mail

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Dir is a [Sender] that writes each message, in the exact bytes SMTP would send, to
// <dir>/<ID>.eml. It serves `make run`, tests, and air-gapped installs where an operator
// collects the files. Writes are atomic (a hidden temporary file, synced, then renamed), so a
// reader never sees half a message, and idempotent on Message.ID: a second Send of an ID whose
// file exists writes nothing. Concurrent Sends of one new ID leave one file, either's.
type Dir struct {
	dir  string
	from Address
	now  func() time.Time
}

// DirOptions configures a [Dir]; nil means defaults.
type DirOptions struct {
	// From is the default author for messages with a zero Message.From. Default none: each
	// message must carry its own From.
	From Address
	// Now is the clock for the Date header. Default time.Now.
	Now func() time.Time
}

// NewDir returns a Dir writing into dir, creating it (mode 0700) when missing.
func NewDir(dir string, opts *DirOptions) (*Dir, error) {
	d := &Dir{dir: dir, now: time.Now}
	if opts != nil {
		d.from = opts.From
		if opts.Now != nil {
			d.now = opts.Now
		}
	}
	if !d.from.IsZero() {
		if err := d.from.validate(); err != nil {
			return nil, fmt.Errorf("mail directory: From: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create mail directory %s: %w", dir, err)
	}
	return d, nil
}

// Path returns the file a message with id is (or would be) written to.
func (d *Dir) Path(id string) string { return filepath.Join(d.dir, id+".eml") }

// Send validates and renders msg and writes it to its file unless that file exists.
func (d *Dir) Send(ctx context.Context, msg Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	r, err := render(msg, d.from, d.now())
	if err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	// r.id is validated (or random): letters, digits and ._-+=, no leading dot, no separator,
	// so the name stays inside d.dir.
	final := d.Path(r.id)
	if _, err := os.Lstat(final); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write mail %s: %w", r.id, err)
	}
	if err := d.write(final, r.data); err != nil {
		return fmt.Errorf("write mail %s: %w", r.id, err)
	}
	return nil
}

// write puts data at final atomically: temporary file, sync, close, rename.
func (d *Dir) write(final string, data []byte) (err error) {
	f, err := os.CreateTemp(d.dir, "."+filepath.Base(final)+".*.tmp") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

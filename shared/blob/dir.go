package blob

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// Dir is a [Store] in a local directory: each object is a file at its key below the root,
// with its content type and SHA-256 in a hidden sidecar file (".<name>.meta") beside it.
//
// Writes go to a hidden temporary file in the target's directory, are synced, then renamed
// over the target, so they are atomic. Every path is resolved through an [os.Root] (no ".."
// or symbolic link can leave the root) and Dir additionally refuses any path that crosses a
// symbolic link at all, so a link inside the root cannot alias one key to another's file.
// Directories left empty by Delete and DeletePrefix are removed.
//
// Dir suits one node (self-hosted installs, development): concurrent writers of one key in
// one process are serialised at the rename; across processes only rename's atomicity holds,
// and a racing pair may leave the record of the loser, which List then ignores (no SHA-256).
type Dir struct {
	root *os.Root
	// locks pair each object's data and record updates within this process, striped by key.
	locks [64]sync.Mutex
}

var _ Store = (*Dir)(nil)

// dirPerm and filePerm keep objects private to the service's user.
const (
	dirPerm  = 0o700
	filePerm = 0o600
)

// errNotDir is what the OS reports when a path component is a file.
var errNotDir error = syscall.ENOTDIR

// errSymlink reports a path crossing a symbolic link; it wraps fs.ErrPermission.
var errSymlink = fmt.Errorf("path crosses a symbolic link: %w", fs.ErrPermission)

// NewDir opens (creating it when missing) the directory dir as a Store. Close releases it.
func NewDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("create blob directory %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open blob directory %s: %w", dir, err)
	}
	return &Dir{root: root}, nil
}

// Close releases the directory.
func (d *Dir) Close() error {
	if err := d.root.Close(); err != nil {
		return fmt.Errorf("close blob directory %s: %w", d.root.Name(), err)
	}
	return nil
}

// meta is the sidecar record of one object.
type meta struct {
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// metaName returns the sidecar path of key.
func metaName(key string) string {
	return path.Join(path.Dir(key), "."+path.Base(key)+".meta")
}

// Put implements [Store.Put].
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := d.put(ctx, key, r, contentType(opts)); err != nil {
		return fmt.Errorf("put blob %s: %w", key, err)
	}
	return nil
}

func (d *Dir) put(ctx context.Context, key string, r io.Reader, ctype string) error {
	dir := path.Dir(key)
	tmp, tmpName, err := d.createTemp(dir)
	if err != nil {
		return err
	}
	defer func() {
		if tmp != nil {
			_ = tmp.Close()
			_ = d.root.Remove(tmpName)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	tmp = nil
	m, err := json.Marshal(meta{ContentType: ctype, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	if err != nil {
		_ = d.root.Remove(tmpName)
		return fmt.Errorf("encode metadata: %w", err)
	}
	mu := d.lock(key)
	mu.Lock()
	defer mu.Unlock()
	if err := d.noLinks(key); err != nil {
		_ = d.root.Remove(tmpName)
		return err
	}
	// The data first, then its record: a crash in between leaves a record whose size (usually)
	// no longer matches, which List then ignores.
	if err := d.root.Rename(tmpName, key); err != nil {
		_ = d.root.Remove(tmpName)
		return fmt.Errorf("rename into place: %w", err)
	}
	if err := d.writeAtomic(dir, metaName(key), m); err != nil {
		return fmt.Errorf("write metadata: %w", err)
	}
	d.syncDir(dir)
	return nil
}

// createTemp makes dir (and its parents) and creates an empty hidden temporary file in it,
// refusing paths through symbolic links. A concurrent Delete may prune dir between the two
// steps, so it tries a few times.
func (d *Dir) createTemp(dir string) (*os.File, string, error) {
	var err error
	for range 3 {
		if dir != "." {
			if err = d.root.MkdirAll(dir, dirPerm); err != nil {
				return nil, "", fmt.Errorf("create directory: %w", err)
			}
		}
		if err = d.noLinks(dir); err != nil {
			return nil, "", err
		}
		name := path.Join(dir, tempName())
		var f *os.File
		f, err = d.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if err == nil {
			return f, name, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	return nil, "", fmt.Errorf("create temporary file: %w", err)
}

// writeAtomic writes data to name (in dir) through a temporary file and a rename.
func (d *Dir) writeAtomic(dir, name string, data []byte) error {
	tmpName := path.Join(dir, tempName())
	f, err := d.root.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.root.Rename(tmpName, name)
	}
	if err != nil {
		_ = d.root.Remove(tmpName)
	}
	return err
}

// syncDir flushes dir's entries (the renames) to disk, best effort.
func (d *Dir) syncDir(dir string) {
	if f, err := d.root.Open(dir); err == nil {
		_ = f.Sync()
		_ = f.Close()
	}
}

// Get implements [Store.Get].
func (d *Dir) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	if err := d.noLinks(key); err != nil {
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	f, err := d.root.Open(key)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir) {
		return nil, fmt.Errorf("get blob %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	if !st.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("get blob %s: %w", key, ErrNotFound)
	}
	return f, nil
}

// List implements [Store.List].
func (d *Dir) List(ctx context.Context, prefix string) ([]Object, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	objs, err := d.list(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list blobs under %q: %w", prefix, err)
	}
	return objs, nil
}

func (d *Dir) list(ctx context.Context, prefix string) ([]Object, error) {
	base := "."
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		base = prefix[:i]
	}
	if base != "." {
		if err := d.noLinks(base); err != nil {
			return nil, err
		}
		st, err := d.root.Lstat(base)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir) || (err == nil && !st.IsDir()) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	var objs []Object
	err := fs.WalkDir(d.root.FS(), base, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p != base && errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p != base && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil // temporary and sidecar files
		}
		if e.IsDir() {
			if p != "." && !strings.HasPrefix(p+"/", prefix) && !strings.HasPrefix(prefix, p+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || !strings.HasPrefix(p, prefix) {
			return nil // symbolic links and devices are never objects
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		o := Object{Key: p, Size: info.Size(), ContentType: DefaultContentType}
		if m, ok := d.readMeta(p); ok {
			o.ContentType = m.ContentType
			if m.Size == o.Size {
				o.SHA256 = m.SHA256
			}
		}
		objs = append(objs, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	return objs, nil
}

func (d *Dir) readMeta(key string) (meta, bool) {
	b, err := d.root.ReadFile(metaName(key))
	if err != nil {
		return meta{}, false
	}
	var m meta
	if json.Unmarshal(b, &m) != nil || m.ContentType == "" {
		return meta{}, false
	}
	return m, true
}

// Delete implements [Store.Delete].
func (d *Dir) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := d.delete(ctx, key); err != nil {
		return fmt.Errorf("delete blob %s: %w", key, err)
	}
	return nil
}

func (d *Dir) delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := d.noLinks(key); err != nil {
		return err
	}
	st, err := d.root.Lstat(key)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir) || (err == nil && !st.Mode().IsRegular()) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	mu := d.lock(key)
	mu.Lock()
	defer mu.Unlock()
	if err := d.root.Remove(key); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return err
	}
	if err := d.root.Remove(metaName(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove metadata: %w", err)
	}
	d.prune(path.Dir(key))
	return nil
}

// DeletePrefix implements [Store.DeletePrefix]. It removes the listed objects, then the whole
// directory named by prefix (temporary files and objects written meanwhile included) and
// any parents it leaves empty.
func (d *Dir) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	if err := validateDirPrefix(prefix); err != nil {
		return 0, err
	}
	objs, err := d.list(ctx, prefix)
	if err != nil {
		return 0, fmt.Errorf("delete blobs under %s: %w", prefix, err)
	}
	n := 0
	for _, o := range objs {
		err := d.delete(ctx, o.Key)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("delete blobs under %s: %s: %w", prefix, o.Key, err)
		}
		n++
	}
	dir := strings.TrimSuffix(prefix, "/")
	if err := d.noLinks(dir); err != nil {
		return n, fmt.Errorf("delete blobs under %s: %w", prefix, err)
	}
	if err := d.root.RemoveAll(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return n, fmt.Errorf("delete blobs under %s: remove directory: %w", prefix, err)
	}
	d.prune(path.Dir(dir))
	return n, nil
}

// prune removes dir and its parents while they are empty.
func (d *Dir) prune(dir string) {
	for ; dir != "." && dir != "/"; dir = path.Dir(dir) {
		if d.root.Remove(dir) != nil {
			return // not empty (or gone): stop
		}
	}
}

// noLinks returns errSymlink when any existing component of p (p included) is a symbolic
// link. Components that do not exist end the check: nothing can be beneath them.
func (d *Dir) noLinks(p string) error {
	if p == "." || p == "" {
		return nil
	}
	end := 0
	for end < len(p) {
		next := strings.IndexByte(p[end:], '/')
		if next < 0 {
			end = len(p)
		} else {
			end += next
		}
		st, err := d.root.Lstat(p[:end])
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir) {
			return nil
		}
		if err != nil {
			return err
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			return errSymlink
		}
		end++
	}
	return nil
}

// lock returns the mutex of key's stripe.
func (d *Dir) lock(key string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return &d.locks[h.Sum32()%uint32(len(d.locks))]
}

// tempName returns a fresh hidden temporary file name (never a valid key segment).
func tempName() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return ".tmp-" + hex.EncodeToString(b[:])
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

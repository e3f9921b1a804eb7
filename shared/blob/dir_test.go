package blob_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/blob"
)

func newDir(t *testing.T) (*blob.Dir, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "blobs")
	d, err := blob.NewDir(root)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return d, root
}

func TestDirConformance(t *testing.T) {
	t.Parallel()
	testConformance(t, func(t *testing.T) blob.Store {
		d, _ := newDir(t)
		return d
	})
}

// TestDirNeverLeavesItsRoot plants symbolic links under the root — to a directory outside it,
// to another tenant's directory, to another tenant's file — and checks that no method reads,
// writes, lists or deletes through them.
func TestDirNeverLeavesItsRoot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, root := newDir(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	require.NoError(t, os.WriteFile(secret, []byte("outside the root"), 0o600))

	require.NoError(t, d.Put(ctx, "tenants/b/meetings/m/t.vtt", bytes.NewReader([]byte("tenant b")), blob.PutOptions{}))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "tenants", "a"), 0o700))
	links := map[string]string{
		"tenants/a/abs":      outside,                              // absolute link out of the root
		"tenants/a/rel":      "../../../" + filepath.Base(outside), // relative link out of the root
		"tenants/a/b":        "../b",                               // into another tenant, inside the root
		"tenants/a/file.vtt": "../b/meetings/m/t.vtt",              // another tenant's file
	}
	// rel must reach outside: root is <tmp>/X/blobs, outside is <tmp>/Y; make it so.
	rel, err := filepath.Rel(filepath.Join(root, "tenants", "a"), outside)
	require.NoError(t, err)
	links["tenants/a/rel"] = rel
	for name, target := range links {
		require.NoError(t, os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))))
	}

	cases := []struct{ name, key string }{
		{"absolute link to a directory outside", "tenants/a/abs/secret"},
		{"relative link to a directory outside", "tenants/a/rel/secret"},
		{"link to another tenant's directory", "tenants/a/b/meetings/m/t.vtt"},
		{"link to another tenant's file", "tenants/a/file.vtt"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Get(ctx, tt.key)
			require.Error(t, err, "get")
			require.NotErrorIs(t, err, blob.ErrInvalidKey, "the key itself is fine: the file system is not")

			err = d.Put(ctx, tt.key, bytes.NewReader([]byte("overwritten")), blob.PutOptions{})
			require.Error(t, err, "put")

			require.Error(t, d.Delete(ctx, tt.key), "delete")
		})
	}

	t.Run("put through a link creates nothing outside", func(t *testing.T) {
		require.Equal(t, []byte("tenant b"), get(t, d, "tenants/b/meetings/m/t.vtt"))
		require.Error(t, d.Put(ctx, "tenants/a/abs/new/x", bytes.NewReader([]byte("x")), blob.PutOptions{}))
		require.Error(t, d.Put(ctx, "tenants/a/rel/new", bytes.NewReader([]byte("x")), blob.PutOptions{}))
		entries, err := os.ReadDir(outside)
		require.NoError(t, err)
		require.Len(t, entries, 1, "only the secret is outside")
		b, err := os.ReadFile(secret)
		require.NoError(t, err)
		require.Equal(t, "outside the root", string(b))
	})

	t.Run("list does not follow links", func(t *testing.T) {
		objs, err := d.List(ctx, "tenants/a/")
		require.NoError(t, err)
		require.Empty(t, objs)
		objs, err = d.List(ctx, "")
		require.NoError(t, err)
		require.Equal(t, []string{"tenants/b/meetings/m/t.vtt"}, keys(objs))
		_, err = d.List(ctx, "tenants/a/abs/")
		require.ErrorIs(t, err, fs.ErrPermission, "a prefix through a link is refused")
	})

	t.Run("delete prefix does not follow links", func(t *testing.T) {
		_, err := d.DeletePrefix(ctx, "tenants/a/abs/")
		require.Error(t, err)
		_, err = d.DeletePrefix(ctx, "tenants/a/b/")
		require.Error(t, err)
		n, err := d.DeletePrefix(ctx, "tenants/a/")
		require.NoError(t, err)
		require.Zero(t, n, "links are not objects")
		_, err = os.Stat(secret)
		require.NoError(t, err, "the target outside survives")
		require.Equal(t, []byte("tenant b"), get(t, d, "tenants/b/meetings/m/t.vtt"), "the other tenant survives")
	})
}

func TestDirLeavesNoTemporaryFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, root := newDir(t)
	require.NoError(t, d.Put(ctx, "tenants/a/x", bytes.NewReader([]byte("x")), blob.PutOptions{ContentType: "text/plain"}))
	require.Error(t, d.Put(ctx, "tenants/a/y", errReader{fs.ErrClosed}, blob.PutOptions{}))
	var files []string
	require.NoError(t, filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	}))
	require.Equal(t, []string{"tenants/a/.x.meta", "tenants/a/x"}, files)

	n, err := d.DeletePrefix(ctx, "tenants/a/")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	require.Empty(t, entries, "empty directories are pruned: no tenant id is left in a directory name")
}

func TestDirIgnoresAStaleRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, root := newDir(t)
	require.NoError(t, d.Put(ctx, "k", bytes.NewReader([]byte("abc")), blob.PutOptions{ContentType: "text/plain"}))
	// Someone rewrites the file behind the store's back.
	require.NoError(t, os.WriteFile(filepath.Join(root, "k"), []byte(strings.Repeat("z", 10)), 0o600))
	objs, err := d.List(ctx, "")
	require.NoError(t, err)
	require.Equal(t, []blob.Object{{Key: "k", Size: 10, ContentType: "text/plain"}}, objs, "no SHA-256 rather than a wrong one")
}

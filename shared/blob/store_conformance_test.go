package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/blob"
)

// conformanceBlockSize is the block size the Azure store is given in the conformance test,
// so that "large" objects really are staged in several blocks.
const conformanceBlockSize = 1 << 10

// testConformance runs the behaviour every Store must have against stores made by newStore
// (a fresh, empty store per call).
func testConformance(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := context.Background()

	t.Run("put then get returns the content and list its metadata", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		body := []byte("WEBVTT\n\n00:00.000 --> 00:01.000\n<v Alice>Hello\n")
		require.NoError(t, s.Put(ctx, "tenants/a/meetings/m/transcript.vtt", bytes.NewReader(body), blob.PutOptions{ContentType: "text/vtt"}))
		require.Equal(t, body, get(t, s, "tenants/a/meetings/m/transcript.vtt"))
		objs, err := s.List(ctx, "tenants/a/")
		require.NoError(t, err)
		require.Equal(t, []blob.Object{{
			Key: "tenants/a/meetings/m/transcript.vtt", Size: int64(len(body)), ContentType: "text/vtt", SHA256: sum(body),
		}}, objs)
	})

	t.Run("put replaces the object", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		require.NoError(t, s.Put(ctx, "k/x", bytes.NewReader([]byte("first version, long")), blob.PutOptions{}))
		require.NoError(t, s.Put(ctx, "k/x", bytes.NewReader([]byte("second")), blob.PutOptions{ContentType: "text/plain"}))
		require.Equal(t, []byte("second"), get(t, s, "k/x"))
		objs, err := s.List(ctx, "")
		require.NoError(t, err)
		require.Equal(t, []blob.Object{{Key: "k/x", Size: 6, ContentType: "text/plain", SHA256: sum([]byte("second"))}}, objs)
	})

	t.Run("default content type and empty object", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		require.NoError(t, s.Put(ctx, "empty", bytes.NewReader(nil), blob.PutOptions{}))
		require.Empty(t, get(t, s, "empty"))
		objs, err := s.List(ctx, "")
		require.NoError(t, err)
		require.Equal(t, []blob.Object{{Key: "empty", Size: 0, ContentType: blob.DefaultContentType, SHA256: sum(nil)}}, objs)
	})

	t.Run("large object goes up in blocks", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, size := range []int{conformanceBlockSize, 10*conformanceBlockSize + 3} {
			body := pattern(size, byte(size))
			key := fmt.Sprintf("big/%d", size)
			require.NoError(t, s.Put(ctx, key, bytes.NewReader(body), blob.PutOptions{}))
			require.Equal(t, body, get(t, s, key))
		}
		objs, err := s.List(ctx, "big/")
		require.NoError(t, err)
		require.Len(t, objs, 2)
		for _, o := range objs {
			require.Equal(t, sum(get(t, s, o.Key)), o.SHA256, o.Key)
		}
	})

	t.Run("missing key is ErrNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		require.NoError(t, s.Put(ctx, "a/b", bytes.NewReader([]byte("x")), blob.PutOptions{}))
		for _, k := range []string{"missing", "a/missing", "a/b/c", "a"} {
			_, err := s.Get(ctx, k)
			require.ErrorIs(t, err, blob.ErrNotFound, "get %s", k)
			require.ErrorIs(t, s.Delete(ctx, k), blob.ErrNotFound, "delete %s", k)
		}
	})

	t.Run("a failed read stores nothing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		boom := errors.New("reader broke")
		for _, size := range []int{10, 5 * conformanceBlockSize} {
			r := io.MultiReader(bytes.NewReader(pattern(size, 1)), errReader{boom})
			require.ErrorIs(t, s.Put(ctx, "broken", r, blob.PutOptions{}), boom)
			_, err := s.Get(ctx, "broken")
			require.ErrorIs(t, err, blob.ErrNotFound)
		}
		// An existing object survives a failed replacement whole.
		require.NoError(t, s.Put(ctx, "kept", bytes.NewReader([]byte("old")), blob.PutOptions{}))
		r := io.MultiReader(bytes.NewReader(pattern(3*conformanceBlockSize, 2)), errReader{boom})
		require.ErrorIs(t, s.Put(ctx, "kept", r, blob.PutOptions{}), boom)
		require.Equal(t, []byte("old"), get(t, s, "kept"))
		objs, err := s.List(ctx, "")
		require.NoError(t, err)
		require.Equal(t, []string{"kept"}, keys(objs))
	})

	t.Run("list filters by prefix, sorts and reads every page", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var want []string
		for i := range 25 {
			k := fmt.Sprintf("tenants/a/meetings/m%02d/transcript.vtt", i)
			want = append(want, k)
			require.NoError(t, s.Put(ctx, k, bytes.NewReader([]byte(k)), blob.PutOptions{}))
		}
		for _, k := range []string{"tenants/ab/x", "tenants/a-b", "tenants/b/x", "other"} {
			require.NoError(t, s.Put(ctx, k, bytes.NewReader([]byte(k)), blob.PutOptions{}))
		}
		objs, err := s.List(ctx, "tenants/a/")
		require.NoError(t, err)
		require.Equal(t, want, keys(objs))
		for _, o := range objs {
			require.Equal(t, int64(len(o.Key)), o.Size)
			require.Equal(t, sum([]byte(o.Key)), o.SHA256)
		}

		objs, err = s.List(ctx, "tenants/a")
		require.NoError(t, err)
		require.Equal(t, append([]string{"tenants/a-b"}, append(slices.Clone(want), "tenants/ab/x")...), keys(objs),
			"a prefix may end inside a segment; order is bytewise")

		objs, err = s.List(ctx, "tenants/a/meetings/m1")
		require.NoError(t, err)
		require.Len(t, objs, 10)

		objs, err = s.List(ctx, "")
		require.NoError(t, err)
		require.Len(t, objs, 29)
		require.True(t, slices.IsSortedFunc(objs, func(a, b blob.Object) int { return bytes.Compare([]byte(a.Key), []byte(b.Key)) }))

		objs, err = s.List(ctx, "nothing/here/")
		require.NoError(t, err)
		require.Empty(t, objs)
	})

	t.Run("delete removes only its key", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, k := range []string{"t/a/1", "t/a/2", "t/a"} {
			_ = s.Delete(ctx, k)
		}
		for _, k := range []string{"t/a/1", "t/a/2"} {
			require.NoError(t, s.Put(ctx, k, bytes.NewReader([]byte(k)), blob.PutOptions{}))
		}
		require.NoError(t, s.Delete(ctx, "t/a/1"))
		_, err := s.Get(ctx, "t/a/1")
		require.ErrorIs(t, err, blob.ErrNotFound)
		require.Equal(t, []byte("t/a/2"), get(t, s, "t/a/2"))
		require.NoError(t, s.Delete(ctx, "t/a/2"))
		objs, err := s.List(ctx, "")
		require.NoError(t, err)
		require.Empty(t, objs)
		// The key's directory is free again (Dir pruned it).
		require.NoError(t, s.Put(ctx, "t/a", bytes.NewReader([]byte("file now")), blob.PutOptions{}))
	})

	t.Run("delete prefix removes the prefix and nothing else", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for i := range 12 {
			require.NoError(t, s.Put(ctx, fmt.Sprintf("tenants/a/meetings/m%d/t.vtt", i), bytes.NewReader([]byte("x")), blob.PutOptions{}))
		}
		for _, k := range []string{"tenants/ab/x", "tenants/a-b", "tenants/b/x"} {
			require.NoError(t, s.Put(ctx, k, bytes.NewReader([]byte(k)), blob.PutOptions{}))
		}
		n, err := s.DeletePrefix(ctx, "tenants/a/")
		require.NoError(t, err)
		require.Equal(t, 12, n)
		objs, err := s.List(ctx, "")
		require.NoError(t, err)
		require.Equal(t, []string{"tenants/a-b", "tenants/ab/x", "tenants/b/x"}, keys(objs))

		n, err = s.DeletePrefix(ctx, "tenants/a/")
		require.NoError(t, err)
		require.Zero(t, n, "again: nothing left")
	})

	t.Run("bad keys and prefixes are refused before any I/O", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, tt := range badKeys {
			require.ErrorIs(t, s.Put(ctx, tt.key, bytes.NewReader([]byte("x")), blob.PutOptions{}), blob.ErrInvalidKey, "put %s", tt.name)
			_, err := s.Get(ctx, tt.key)
			require.ErrorIs(t, err, blob.ErrInvalidKey, "get %s", tt.name)
			require.ErrorIs(t, s.Delete(ctx, tt.key), blob.ErrInvalidKey, "delete %s", tt.name)
		}
		for _, p := range []string{"/", "/tenants/", "tenants//", "tenants/../", `a\`, "tenants/.x/", "a/\x00"} {
			_, err := s.List(ctx, p)
			require.ErrorIs(t, err, blob.ErrInvalidKey, "list %q", p)
			_, err = s.DeletePrefix(ctx, p)
			require.ErrorIs(t, err, blob.ErrInvalidKey, "delete prefix %q", p)
		}
		for _, p := range []string{"", "tenants", "tenants/a"} {
			_, err := s.DeletePrefix(ctx, p)
			require.ErrorIs(t, err, blob.ErrInvalidKey, "delete prefix %q must end with a slash", p)
		}
	})

	t.Run("concurrent puts of one key leave one whole version", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		bodies := make([][]byte, 8)
		var wg sync.WaitGroup
		errs := make([]error, len(bodies))
		for i := range bodies {
			bodies[i] = pattern(3*conformanceBlockSize+i, byte(i))
			wg.Go(func() { errs[i] = s.Put(ctx, "same", bytes.NewReader(bodies[i]), blob.PutOptions{}) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if !errors.Is(err, blob.ErrConflict) {
				require.NoError(t, err)
				ok++
			}
		}
		require.NotZero(t, ok, "one Put at least wins")
		got := get(t, s, "same")
		require.Contains(t, bodies, got)
		objs, err := s.List(ctx, "")
		require.NoError(t, err)
		require.Equal(t, []blob.Object{{Key: "same", Size: int64(len(got)), ContentType: blob.DefaultContentType, SHA256: sum(got)}}, objs)
	})
}

func get(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	r, err := s.Get(context.Background(), key)
	require.NoError(t, err, "get %s", key)
	defer r.Close()
	b, err := io.ReadAll(r)
	require.NoError(t, err, "read %s", key)
	return b
}

func keys(objs []blob.Object) []string {
	ks := make([]string, len(objs))
	for i, o := range objs {
		ks[i] = o.Key
	}
	return ks
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

package graph_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/graph/graphtest"
)

func content(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestUploadFileSimple(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	data := content(100 << 10)
	di, err := c.UploadFile(context.Background(), "b!drive1", "Minutes/2026-03-10 Planning.docx", bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	require.Equal(t, "2026-03-10 Planning.docx", di.Name)
	require.Equal(t, int64(len(data)), di.Size)
	f, ok := b.fake.File("b!drive1", "/Minutes/2026-03-10 Planning.docx")
	require.True(t, ok)
	require.Equal(t, data, f.Content, "content stored as sent (not gzipped)")
	require.Equal(t, "replace", f.ConflictBehavior)
	require.Empty(t, f.Chunks)
	r := lastRequest(t, b.fake)
	require.Equal(t, "PUT", r.Method)
	require.False(t, r.Gzipped)
	require.NotEmpty(t, r.Header.Get("Authorization"))
}

func TestUploadFileSession(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	data := content(5 << 20)
	di, err := c.UploadFile(context.Background(), "b!drive1", "Minutes/big.docx", bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	require.Equal(t, "big.docx", di.Name)
	f, ok := b.fake.File("b!drive1", "/Minutes/big.docx")
	require.True(t, ok)
	require.Equal(t, data, f.Content)
	require.Equal(t, "replace", f.ConflictBehavior)
	require.Equal(t, []int{graph.UploadChunkSize, 5<<20 - graph.UploadChunkSize}, f.Chunks)
	require.Zero(t, graph.UploadChunkSize%(320<<10))

	var creates, puts int
	for _, r := range b.fake.Requests() {
		switch {
		case r.Method == "POST":
			creates++
			require.Equal(t, "/v1.0/drives/b!drive1/root:/Minutes/big.docx:/createUploadSession", r.Path)
			require.JSONEq(t, `{"item":{"@microsoft.graph.conflictBehavior":"replace"}}`, string(r.Body))
			require.NotEmpty(t, r.Header.Get("Authorization"))
		case r.Method == "PUT":
			puts++
			require.Empty(t, r.Header.Get("Authorization"), "no token to the pre-authenticated uploadUrl")
		}
	}
	require.Equal(t, 1, creates)
	require.Equal(t, 2, puts)
}

func TestUploadFileErrors(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	_, err := c.UploadFile(context.Background(), "b!drive1", "../x.docx", bytes.NewReader(nil), 0)
	require.Error(t, err)
	_, err = c.UploadFile(context.Background(), "b!drive1", "a.docx", bytes.NewReader([]byte("short")), 10)
	require.Error(t, err)

	b.fake.Fail(graphtest.Fault{Status: 403, Code: "accessDenied", Message: "Access denied", PathContains: "/drives/"})
	_, err = c.UploadFile(context.Background(), "b!drive1", "a.docx", bytes.NewReader([]byte("hello")), 5)
	require.True(t, graph.IsAccessDenied(err), "%v", err)

	b.fake.Fail(graphtest.Fault{Status: 507, Code: "quotaLimitReached", Message: "Insufficient Storage", PathContains: "/upload/"})
	data := content(5 << 20)
	_, err = c.UploadFile(context.Background(), "b!drive1", "big.docx", bytes.NewReader(data), int64(len(data)))
	var re *graph.ResponseError
	require.ErrorAs(t, err, &re)
	require.Equal(t, 507, re.Status)
	require.Equal(t, "DELETE", lastRequest(t, b.fake).Method, "failed session is cancelled")
}

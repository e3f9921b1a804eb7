package funchost

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/logging"
)

// The fixtures under testdata/envelopes are the conformance payloads of
// shared/reference/functions.md §6 plus shapes of our own; see testdata/envelopes/README.md.
const envelopeDir = "testdata/envelopes"

// wantBody is the transcript message every Service Bus fixture carries, whatever its encoding.
const wantBody = `{"tenantId":"t-42","meetingId":"m-1","blobPath":"t-42/m-1.vtt"}`

// fixture returns the bytes of one envelope file.
func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(envelopeDir, name))
	require.NoError(tb, err)
	return b
}

// fixtureNames lists the envelope files whose name starts with prefix ("sb_", "timer_", "http_").
func fixtureNames(tb testing.TB, prefix string) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(envelopeDir, prefix+"*.json"))
	require.NoError(tb, err)
	require.NotEmpty(tb, paths)
	names := make([]string, 0, len(paths))
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	sort.Strings(names)
	return names
}

func decodeFixture(tb testing.TB, name string) *Envelope {
	tb.Helper()
	env, err := DecodeEnvelope(fixture(tb, name))
	require.NoError(tb, err, name)
	return env
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// requireTime asserts got is the instant want and is expressed in UTC.
func requireTime(tb testing.TB, want, got time.Time, msgAndArgs ...any) {
	tb.Helper()
	require.Truef(tb, want.Equal(got), "want %s, got %s %v", want.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano), msgAndArgs)
	require.Equal(tb, time.UTC, got.Location(), msgAndArgs...)
}

// syncBuffer is a log sink that server goroutines and the test may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the JSON log records written so far.
func (b *syncBuffer) records(tb testing.TB) []map[string]any {
	tb.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b.buf.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var rec map[string]any
		require.NoError(tb, json.Unmarshal(line, &rec), string(line))
		out = append(out, rec)
	}
	return out
}

// record returns the only record whose msg is msg.
func (b *syncBuffer) record(tb testing.TB, msg string) map[string]any {
	tb.Helper()
	var found []map[string]any
	for _, r := range b.records(tb) {
		if r["msg"] == msg {
			found = append(found, r)
		}
	}
	require.Len(tb, found, 1, "log records with msg %q", msg)
	return found[0]
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger(buf *syncBuffer) *slog.Logger { return logging.New(buf, slog.LevelDebug) }

// hostRequest builds a request carrying the headers the Functions host sends with every
// invocation (§1.2).
func hostRequest(tb testing.TB, method, url string, body io.Reader, invocation string) *http.Request {
	tb.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, body)
	require.NoError(tb, err)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Azure-Functions-HostVersion", "4.1037.0.0")
	req.Header.Set("User-Agent", "Azure-Functions-Host/4.1037.0.0")
	if invocation != "" {
		req.Header.Set(InvocationHeader, invocation)
	}
	return req
}

// hostReply is a decoded default-mode reply.
type hostReply struct {
	Outputs     map[string]json.RawMessage
	Logs        []string
	ReturnValue json.RawMessage
}

// requireHostReply asserts what the host needs to accept a reply (§1.7): 200, JSON content
// type, a non-empty JSON object whose Outputs is an object and Logs an array of strings.
func requireHostReply(tb testing.TB, resp *http.Response) hostReply {
	tb.Helper()
	body, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	require.Equal(tb, http.StatusOK, resp.StatusCode, string(body))
	require.True(tb, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"), resp.Header.Get("Content-Type"))
	var top map[string]json.RawMessage
	require.NoError(tb, json.Unmarshal(body, &top), string(body))
	require.NotNil(tb, top, "reply must be an object, not null: %s", body)
	require.Contains(tb, top, "Outputs")
	require.Contains(tb, top, "Logs")
	require.True(tb, bytes.HasPrefix(bytes.TrimSpace(top["Outputs"]), []byte("{")), "Outputs must be an object: %s", top["Outputs"])
	require.True(tb, bytes.HasPrefix(bytes.TrimSpace(top["Logs"]), []byte("[")), "Logs must be an array: %s", top["Logs"])
	var r hostReply
	require.NoError(tb, json.Unmarshal(body, &r))
	return r
}

// failureReply is a decoded non-2xx envelope reply.
type failureReply struct {
	Error        string `json:"error"`
	InvocationID string `json:"invocation_id"`
}

// requireFailure asserts a non-2xx JSON answer with status and returns its body.
func requireFailure(tb testing.TB, resp *http.Response, status int) failureReply {
	tb.Helper()
	body, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	require.Equal(tb, status, resp.StatusCode, string(body))
	require.True(tb, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"), resp.Header.Get("Content-Type"))
	var f failureReply
	require.NoError(tb, json.Unmarshal(body, &f), string(body))
	require.NotEmpty(tb, f.Error, string(body))
	return f
}

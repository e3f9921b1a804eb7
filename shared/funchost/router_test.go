package funchost

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hostRouter is a host-mode router with one envelope function and one public route, and
// counters telling which of them ran.
type hostRouter struct {
	*Router
	envelopeCalls, publicCalls atomic.Int32
}

func setupHostRouter(t *testing.T) *hostRouter {
	t.Helper()
	hr := &hostRouter{Router: NewRouter(true, nil)}
	require.NoError(t, hr.Envelope("TranscriptIngest", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hr.envelopeCalls.Add(1)
		writeReply(w)
	})))
	require.NoError(t, hr.Public("GET /api/meetings/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hr.publicCalls.Add(1)
		WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})))
	return hr
}

// rawRequest sends a request line exactly as written (no client-side path cleaning) and
// returns the response without following redirects.
func rawRequest(t *testing.T, addr, method, target string) *http.Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	body := `{"Data":{},"Metadata":{}}`
	_, err = io.WriteString(conn, method+" "+target+" HTTP/1.1\r\nHost: func-mm-x.azurewebsites.net\r\n"+
		"Content-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\nConnection: close\r\n\r\n"+body)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(context.Background(), method, "http://"+addr+target, nil)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func TestRouterReadinessProbe(t *testing.T) {
	t.Parallel()
	for _, envelopes := range []bool{true, false} {
		srv := serve(t, NewRouter(envelopes, nil))
		start := time.Now()
		resp, err := srv.Client().Get(srv.URL + "/")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Less(t, time.Since(start), time.Second)
		require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"))
	}

	root := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := serve(t, NewRouter(true, root))
	resp, err := srv.Client().Get(srv.URL + "/")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode, "a custom root handler answers the probe")
}

func TestRouterRefusesWiringMistakes(t *testing.T) {
	t.Parallel()
	h := http.NotFoundHandler()
	standalone := NewRouter(false, nil)
	require.Error(t, standalone.Envelope("TranscriptIngest", h), "no envelope paths on a public listener")
	require.NoError(t, standalone.Public("GET /api/health", h))

	r := NewRouter(true, nil)
	for _, pattern := range []string{
		"/", "/{path...}", "GET /", "POST /TranscriptIngest", "/apix/", "/api", "GET /health",
		"example.com/api/x", "GET /API/x",
	} {
		require.Error(t, r.Public(pattern, h), "public pattern %q must lie under /api/", pattern)
	}
	require.Error(t, r.Public("/api/../TranscriptIngest", h), "unclean pattern")
	require.NoError(t, r.Public("/api/v1/", h))
	require.Error(t, r.Public("/api/v1/", h), "conflicting pattern is an error, not a panic")

	for _, name := range []string{"", "api", "1Func", "Trans/cript", "a b", "../x", "x?y", strings.Repeat("a", 129)} {
		require.Error(t, r.Envelope(name, h), "envelope name %q", name)
	}
	require.NoError(t, r.Envelope("Api", h), "our catch-all HTTP function's folder is Api")
	require.NoError(t, r.Envelope("TranscriptIngest", h))
	require.Error(t, r.Envelope("TranscriptIngest", h), "mounted twice")
	require.Error(t, r.Envelope("transcriptingest", h), "function names differing only in case are refused: they would be ambiguous")
}

func TestRouterKeepsPublicRequestsOffEnvelopePaths(t *testing.T) {
	t.Parallel()
	hr := setupHostRouter(t)
	srv := serve(t, hr)
	addr := strings.TrimPrefix(srv.URL, "http://")

	resp := rawRequest(t, addr, "POST", "/TranscriptIngest")
	require.Equal(t, http.StatusOK, resp.StatusCode, "the host reaches the function")
	require.EqualValues(t, 1, hr.envelopeCalls.Load())

	for _, target := range []string{
		"/api/TranscriptIngest",
		"/api/../TranscriptIngest",
		"/api/meetings/../../TranscriptIngest",
		"//TranscriptIngest",
		"/./TranscriptIngest",
		"/transcriptingest",
		"/TRANSCRIPTINGEST",
		"/TranscriptIngest/",
		"/TranscriptIngest/x",
		"/api//TranscriptIngest",
		"/api%2F..%2FTranscriptIngest",
		"/api/%2E%2E/TranscriptIngest",
	} {
		for _, method := range []string{"POST", "GET"} {
			resp := rawRequest(t, addr, method, target)
			require.Containsf(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, resp.StatusCode, "%s %s", method, target)
			require.Emptyf(t, resp.Header.Get("Location"), "%s %s must not redirect", method, target)
			require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"))
			var eb ErrorBody
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&eb))
			require.Equal(t, resp.StatusCode, eb.Status)
		}
	}
	require.EqualValues(t, 1, hr.envelopeCalls.Load(), "no public request reached the envelope handler")

	resp = rawRequest(t, addr, "GET", "/api/meetings/m-1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var got map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	require.Equal(t, map[string]string{"id": "m-1"}, got, "path values reach the public handler")
	require.EqualValues(t, 1, hr.publicCalls.Load())
}

func TestRouterUnknownPathsAndMethods(t *testing.T) {
	t.Parallel()
	hr := setupHostRouter(t)
	srv := serve(t, hr)
	for _, tt := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/api/nope", http.StatusNotFound, ""},
		{"GET", "/favicon.ico", http.StatusNotFound, ""},
		{"POST", "/NoSuchFunction", http.StatusNotFound, ""},
		{"DELETE", "/api/meetings/m-1", http.StatusMethodNotAllowed, "GET"},
		{"POST", "/api/meetings/m-1", http.StatusMethodNotAllowed, "GET"},
		{"POST", "/", http.StatusMethodNotAllowed, "GET"},
	} {
		req, err := http.NewRequestWithContext(context.Background(), tt.method, srv.URL+tt.path, nil)
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, tt.status, resp.StatusCode, "%s %s", tt.method, tt.path)
		require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"))
		require.Equal(t, tt.allow, resp.Header.Get("Allow"))
		var eb ErrorBody
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&eb))
		require.Equal(t, ErrorBody{Error: http.StatusText(tt.status), Status: tt.status}, eb)
	}
	require.Zero(t, hr.envelopeCalls.Load())
	require.Zero(t, hr.publicCalls.Load())
}

func TestRouterStandaloneServesPublicRoutes(t *testing.T) {
	t.Parallel()
	r := NewRouter(false, nil)
	a, _ := setupAdapter(t, Options{})
	require.NoError(t, r.Public("GET /api/meetings/{id}", a.HTTP("GetMeeting", func(w http.ResponseWriter, req *http.Request) error {
		if req.PathValue("id") != "m-1" {
			return ErrNotFound
		}
		WriteJSON(w, http.StatusOK, map[string]string{"id": "m-1"})
		return nil
	})))
	srv := serve(t, r)
	resp, err := srv.Client().Get(srv.URL + "/api/meetings/m-1")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp2, err := srv.Client().Get(srv.URL + "/api/meetings/m-2")
	require.NoError(t, err)
	defer resp2.Body.Close()
	require.Equal(t, http.StatusNotFound, resp2.StatusCode)
	resp3, err := srv.Client().Post(srv.URL+"/ProcessTranscript", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	defer resp3.Body.Close()
	require.Equal(t, http.StatusNotFound, resp3.StatusCode)
}

func TestCleanPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                  "/",
		"/":                 "/",
		"/a":                "/a",
		"/a/":               "/a/",
		"//a":               "/a",
		"/a/../b":           "/b",
		"/./a":              "/a",
		"a":                 "/a",
		"/api/v1//x/":       "/api/v1/x/",
		"/api/tenants/t-42": "/api/tenants/t-42",
	} {
		require.Equal(t, want, cleanPath(in), in)
	}
}

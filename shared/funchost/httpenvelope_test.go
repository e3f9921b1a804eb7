package funchost

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

const authLevelClaim = "http://schemas.microsoft.com/2017/07/functions/claims/authlevel"

func TestDecodeHTTPRequestFixtures(t *testing.T) {
	t.Parallel()
	const url = "https://func-mm-x.azurewebsites.net/api/tenants/t-42/meetings?draft=true"
	keyIdentity := []Identity{{AuthenticationType: "WebJobsAuthLevel", IsAuthenticated: true,
		Claims: []Claim{{Type: authLevelClaim, Value: "Function"}}}}
	jsonHeaders := http.Header{
		"Content-Type":    {"application/json"},
		"Host":            {"func-mm-x.azurewebsites.net"},
		"X-Functions-Key": {"<redacted>"},
	}
	full := HTTPRequest{
		URL: url, Method: http.MethodPost, Query: map[string]string{"draft": "true"},
		Headers: jsonHeaders, Params: map[string]string{"tenantId": "t-42"},
		Identities: keyIdentity, Body: []byte(`{"title":"Weekly sync"}`),
	}
	with := func(f func(*HTTPRequest)) HTTPRequest {
		r := full
		f(&r)
		return r
	}
	cases := map[string]HTTPRequest{
		"http_A.json":          full,
		"http_A2_strings.json": with(func(r *HTTPRequest) { r.Identities = nil }),
		"http_A3_no_params_no_body.json": with(func(r *HTTPRequest) {
			r.Method, r.Params, r.Body = http.MethodGet, map[string]string{}, nil
			r.Headers = http.Header{"Host": {"func-mm-x.azurewebsites.net"}, "X-Functions-Key": {"<redacted>"}}
		}),
		"http_A4_octet_base64.json": with(func(r *HTTPRequest) {
			r.Headers = jsonHeaders.Clone()
			r.Headers.Set("Content-Type", "application/octet-stream")
			r.Body = []byte{0, 1, 2, 3, 4}
		}),
		"http_A5_rejected.json":     with(func(r *HTTPRequest) { r.Body = []byte(`{"title":""}`) }),
		"http_A6_unknown_keys.json": full,
	}
	for _, name := range fixtureNames(t, "http_") {
		want, ok := cases[name]
		require.True(t, ok, "fixture %s has no expectation", name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeHTTPRequest(decodeFixture(t, name), "req")
			require.NoError(t, err)
			require.Equal(t, want.URL, got.URL)
			require.Equal(t, want.Method, got.Method)
			require.Equal(t, want.Query, got.Query)
			require.Equal(t, want.Headers, got.Headers)
			require.Equal(t, want.Params, got.Params)
			require.Equal(t, want.Identities, got.Identities)
			require.Equal(t, want.Body, got.Body)
		})
	}
}

func TestHTTPRequestRebuildsTheForwardedRequest(t *testing.T) {
	t.Parallel()
	hr, err := DecodeHTTPRequest(decodeFixture(t, "http_A.json"), "req")
	require.NoError(t, err)
	ctx := context.WithValue(context.Background(), struct{}{}, "marker")
	req, err := hr.Request(ctx)
	require.NoError(t, err)
	require.Equal(t, http.MethodPost, req.Method)
	require.Equal(t, "/api/tenants/t-42/meetings", req.URL.Path, "the handler sees the /api path a forwarded request carries")
	require.Equal(t, "true", req.URL.Query().Get("draft"))
	require.Equal(t, "/api/tenants/t-42/meetings?draft=true", req.RequestURI)
	require.Equal(t, "func-mm-x.azurewebsites.net", req.Host)
	require.Equal(t, "application/json", req.Header.Get("Content-Type"))
	require.EqualValues(t, len(`{"title":"Weekly sync"}`), req.ContentLength)
	body, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	require.Equal(t, `{"title":"Weekly sync"}`, string(body))
	require.Equal(t, "marker", req.Context().Value(struct{}{}))

	// Headers are copied: the handler cannot change the decoded request.
	req.Header.Set("Content-Type", "text/plain")
	require.Equal(t, "application/json", hr.Headers.Get("Content-Type"))
}

func TestHTTPRequestURLShapes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		in       HTTPRequest
		wantPath string
		wantRaw  string
	}{
		{"query rebuilt from Query when Url has none",
			HTTPRequest{URL: "https://h/api/x", Method: "GET", Query: map[string]string{"draft": "true"}}, "/api/x", "draft=true"},
		{"Url query wins", HTTPRequest{URL: "https://h/api/x?a=1", Method: "GET", Query: map[string]string{"b": "2"}}, "/api/x", "a=1"},
		{"escaped path kept", HTTPRequest{URL: "https://h/api/files/a%2Fb", Method: "GET"}, "/api/files/a/b", ""},
		{"empty Url", HTTPRequest{Method: "GET"}, "/", ""},
		// //x is a path, not the authority "x".
		{"double slash path", HTTPRequest{URL: "https://h//ProcessTranscript", Method: "POST"}, "//ProcessTranscript", ""},
		{"relative Url", HTTPRequest{URL: "api/x", Method: "GET"}, "/api/x", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := tt.in.Request(context.Background())
			require.NoError(t, err)
			require.Equal(t, tt.wantPath, req.URL.Path)
			require.Equal(t, tt.wantRaw, req.URL.RawQuery)
			require.Empty(t, req.URL.Host, "the request is server-side: no host in the URL")
		})
	}
	_, err := HTTPRequest{URL: "https://h/x", Method: "BAD METHOD"}.Request(context.Background())
	require.ErrorIs(t, err, ErrMalformedEnvelope)
	_, err = HTTPRequest{URL: "://nope", Method: "GET"}.Request(context.Background())
	require.ErrorIs(t, err, ErrMalformedEnvelope)
}

func TestDecodeHTTPRequestTolerance(t *testing.T) {
	t.Parallel()
	env, err := DecodeEnvelope([]byte(`{"Data":{"req":{"url":"https://h/api/x","method":"post",
		"headers":{"Accept":"*/*","X-Multi":["a","b"]},"query":"{}","identities":null,"body":null}}}`))
	require.NoError(t, err)
	r, err := DecodeHTTPRequest(env, "req")
	require.NoError(t, err)
	require.Equal(t, http.MethodPost, r.Method)
	require.Equal(t, "*/*", r.Headers.Get("Accept"), "a header as a plain string")
	require.Equal(t, []string{"a", "b"}, r.Headers.Values("X-Multi"))
	require.Empty(t, r.Query)
	require.Nil(t, r.Body)

	env, err = DecodeEnvelope([]byte(`{"Data":{"req":{"Url":"https://h/"}}}`))
	require.NoError(t, err)
	r, err = DecodeHTTPRequest(env, "req")
	require.NoError(t, err)
	require.Equal(t, http.MethodGet, r.Method, "a missing method is a GET")

	for _, body := range []string{
		`{"Data":{}}`,
		`{"Data":{"req":null}}`,
		`{"Data":{"req":"not an object"}}`,
		`{"Data":{"req":{"Query":[1]}}}`,
		`{"Data":{"req":{"Headers":"nope"}}}`,
	} {
		env, err := DecodeEnvelope([]byte(body))
		require.NoError(t, err)
		_, err = DecodeHTTPRequest(env, "req")
		require.ErrorIs(t, err, ErrMalformedEnvelope, body)
	}
}

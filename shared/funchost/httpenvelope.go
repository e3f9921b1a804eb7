package funchost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// HTTPRequest is an HTTP trigger as the host sends it without forwarding (Data.req).
// Forwarding is on in our host.json, so this path serves only hosts or functions where it is
// not; it is decoded with the same tolerance as everything else (Query and Identities as
// strings on older hosts, Body absent or base64).
type HTTPRequest struct {
	URL        string
	Method     string
	Query      map[string]string
	Headers    http.Header
	Params     map[string]string
	Identities []Identity
	Body       []byte
}

// Identity is one ClaimsIdentity the host attaches (function-key or Easy Auth callers).
type Identity struct {
	AuthenticationType string
	IsAuthenticated    bool
	Claims             []Claim
}

// Claim is one claim of an Identity.
type Claim struct{ Type, Value string }

// DecodeHTTPRequest reads Data.<binding> of an HTTP trigger envelope.
func DecodeHTTPRequest(env *Envelope, binding string) (HTTPRequest, error) {
	raw, ok := env.input(binding)
	if !ok || isNull(raw) {
		return HTTPRequest{}, fmt.Errorf("%w: no Data entry for binding %q", ErrMalformedEnvelope, binding)
	}
	var wire map[string]json.RawMessage
	if err := decodeObject(raw, &wire); err != nil {
		return HTTPRequest{}, fmt.Errorf("%w: request: %v", ErrMalformedEnvelope, err)
	}
	get := func(k string) json.RawMessage { v, _ := lookupFold(wire, k); return v }
	r := HTTPRequest{
		URL:     decodeString(get("Url")),
		Method:  strings.ToUpper(decodeString(get("Method"))),
		Query:   map[string]string{},
		Headers: http.Header{},
		Params:  map[string]string{},
	}
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	if err := decodeStringMap(get("Query"), r.Query); err != nil {
		return r, fmt.Errorf("%w: Query: %v", ErrMalformedEnvelope, err)
	}
	if err := decodeStringMap(get("Params"), r.Params); err != nil {
		return r, fmt.Errorf("%w: Params: %v", ErrMalformedEnvelope, err)
	}
	var headers map[string]json.RawMessage
	if err := decodeObject(get("Headers"), &headers); err != nil {
		return r, fmt.Errorf("%w: Headers: %v", ErrMalformedEnvelope, err)
	}
	for k, v := range headers {
		var many []string
		if json.Unmarshal(v, &many) == nil {
			for _, s := range many {
				r.Headers.Add(k, s)
			}
			continue
		}
		r.Headers.Add(k, decodeString(v))
	}
	var ids []struct {
		AuthenticationType string
		IsAuthenticated    bool
		Claims             []Claim
	}
	if err := decodeObject(get("Identities"), &ids); err == nil {
		for _, id := range ids {
			r.Identities = append(r.Identities, Identity(id))
		}
	}
	if body := get("Body"); !isNull(body) {
		r.Body = decodeHTTPBody(body, r.Headers.Get("Content-Type"))
	}
	return r, nil
}

// decodeHTTPBody follows the host's rule: octet-stream and multipart bodies are base64, other
// bodies are the raw text (a JSON body may also arrive as the parsed object).
func decodeHTTPBody(raw json.RawMessage, contentType string) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if raw[0] != '"' {
		return append([]byte(nil), raw...)
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return append([]byte(nil), raw...)
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/octet-stream" || strings.HasPrefix(mt, "multipart/") {
		if b, ok := decodeBase64(strings.TrimSpace(s)); ok {
			return b
		}
	}
	return []byte(s)
}

func decodeStringMap(raw json.RawMessage, into map[string]string) error {
	var m map[string]json.RawMessage
	if err := decodeObject(raw, &m); err != nil {
		return err
	}
	for k, v := range m {
		into[k] = decodeString(v)
	}
	return nil
}

// Request rebuilds a net/http request from the envelope's, so the same handler serves forwarded
// and default-mode invocations. Only the path and query of Url are used: the handler sees the
// same /api/... path a forwarded request carries.
func (r HTTPRequest) Request(ctx context.Context) (*http.Request, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: Url: %v", ErrMalformedEnvelope, err)
	}
	if u.RawQuery == "" && len(r.Query) > 0 {
		q := url.Values{}
		for k, v := range r.Query {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	// The URL is set, not parsed from a string: a path such as //x would otherwise be read as
	// the authority "x" with an empty path.
	target := &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	if !strings.HasPrefix(target.Path, "/") {
		target.Path, target.RawPath = "/"+target.Path, ""
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, "/", bytes.NewReader(r.Body))
	if err != nil {
		return nil, fmt.Errorf("%w: request: %v", ErrMalformedEnvelope, err)
	}
	req.URL = target
	req.RequestURI = target.RequestURI()
	req.Header = r.Headers.Clone()
	req.Host = u.Host
	req.ContentLength = int64(len(r.Body))
	req.RemoteAddr = "127.0.0.1:0"
	return req, nil
}

// HTTPOutput is Outputs.res: what the host turns into the caller's response. Header values
// must be single strings (the host calls ToString on them) and the body a string.
type HTTPOutput struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// recordOutput runs h on req and captures the response as an HTTPOutput.
func recordOutput(h http.Handler, req *http.Request) HTTPOutput {
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	out := HTTPOutput{StatusCode: rec.status, Headers: map[string]string{}, Body: rec.body.String()}
	for k, v := range rec.header {
		// One value per header name is all the host can carry.
		out.Headers[k] = strings.Join(v, ", ")
	}
	if _, ok := out.Headers["Content-Type"]; !ok && out.Body != "" {
		out.Headers["Content-Type"] = http.DetectContentType(rec.body.Bytes())
	}
	return out
}

// recorder is a minimal ResponseWriter; httptest's would register a command-line flag.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

package funchost

import (
	"fmt"
	"net/http"
	"path"
	"strings"
)

// Router mounts the three kinds of path the handler answers:
//
//   - GET / — the host's readiness probe (any answer counts), answered at once;
//   - public routes, all under /api/ — forwarded HTTP functions, identical in standalone mode;
//   - envelope paths POST /{FunctionName} — only when the router faces the Functions host.
//
// Public patterns must start with /api/ and envelope names must be bare identifiers, so the two
// sets can never overlap, and there is no catch-all at the root: a public request cannot reach
// an envelope path (host issue #6251).
type Router struct {
	mux       *http.ServeMux
	envelopes bool
	names     map[string]bool
}

// NewRouter returns a router; envelopes says whether envelope paths may be mounted (true under
// the Functions host, false in standalone mode where the listener is public and queue and
// timer functions are called in-process).
func NewRouter(envelopes bool, root http.Handler) *Router {
	r := &Router{mux: http.NewServeMux(), envelopes: envelopes, names: map[string]bool{}}
	if root == nil {
		root = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		})
	}
	r.mux.Handle("GET /{$}", root)
	return r
}

// isFunctionName reports whether s is a bare identifier of at most 128 characters, the shape of
// a function folder name. (A loop, not a regexp: compiling one costs a millisecond at start-up.)
func isFunctionName(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '_')) {
			return false
		}
	}
	return true
}

// Public mounts a public route. pattern is a net/http pattern ("GET /api/health",
// "/api/v1/"), whose path must lie under /api/.
func (r *Router) Public(pattern string, h http.Handler) error {
	path := pattern
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		path = strings.TrimSpace(pattern[i+1:])
	}
	if !strings.HasPrefix(path, "/api/") {
		return fmt.Errorf("public route %q: path must start with /api/", pattern)
	}
	if cleanPath(path) != path {
		// ServeMux accepts it, but no request would ever match: requests are cleaned first.
		return fmt.Errorf("public route %q: path is not clean (want %q)", pattern, cleanPath(path))
	}
	return r.handle(pattern, h)
}

// Envelope mounts POST /{function}, the path the host invokes a function on in default mode
// (any trigger, HTTP included). It is an error in standalone mode.
func (r *Router) Envelope(function string, h http.Handler) error {
	if !r.envelopes {
		return fmt.Errorf("envelope path /%s: not mounted in standalone mode", function)
	}
	// "api" exactly would be /api, the public route prefix itself; "Api" (a function folder of
	// ours) is a different path to the case-sensitive mux.
	if !isFunctionName(function) || function == "api" {
		return fmt.Errorf("envelope path /%s: not a function name", function)
	}
	if r.names[strings.ToLower(function)] {
		return fmt.Errorf("envelope path /%s: mounted twice", function)
	}
	r.names[strings.ToLower(function)] = true
	return r.handle("/"+function, h)
}

func (r *Router) handle(pattern string, h http.Handler) (err error) {
	defer func() {
		// ServeMux panics on conflicting patterns; a wiring mistake, reported as an error.
		if p := recover(); p != nil {
			err = fmt.Errorf("route %q: %v", pattern, p)
		}
	}()
	r.mux.Handle(pattern, h)
	return nil
}

// ServeHTTP dispatches to the mounted routes; everything else is a JSON 404 (or 405).
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	// ServeMux answers a path it would clean (//x, /api/../x, /./x) with a redirect to the
	// cleaned path, and reports the pattern the cleaned path matches. Followed by a client, a
	// 307 would carry a public POST, body and all, to an envelope path. Refuse such paths here.
	if req.Method != http.MethodConnect && req.URL.Path != cleanPath(req.URL.Path) {
		writeNoRoute(w, http.StatusNotFound, nil)
		return
	}
	if _, pattern := r.mux.Handler(req); pattern == "" {
		// Unknown path or wrong method.
		allow := r.allowed(req)
		status := http.StatusNotFound
		if len(allow) > 0 {
			status = http.StatusMethodNotAllowed
		}
		writeNoRoute(w, status, allow)
		return
	}
	// Dispatch through the mux itself, not the handler Handler returned: only ServeHTTP sets
	// the request's pattern and path values ({id} in "GET /api/meetings/{id}").
	r.mux.ServeHTTP(w, req)
}

func writeNoRoute(w http.ResponseWriter, status int, allow []string) {
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
	}
	writeJSON(w, status, ErrorBody{Error: http.StatusText(status), Status: status})
}

// allowed lists the methods that would match req's path.
func (r *Router) allowed(req *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == req.Method {
			continue
		}
		c := req.Clone(req.Context())
		c.Method = m
		if _, p := r.mux.Handler(c); p != "" {
			allow = append(allow, m)
		}
	}
	return allow
}

// cleanPath is ServeMux's canonical form of p: rooted, no . or .. elements, no repeated
// slashes, trailing slash kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

var _ http.Handler = (*Router)(nil)

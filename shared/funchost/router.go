package funchost

import (
	"fmt"
	"net/http"
	"regexp"
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

var functionName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,127}$`)

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
	return r.handle(pattern, h)
}

// Envelope mounts POST /{function} for a non-HTTP function. It is an error in standalone mode.
func (r *Router) Envelope(function string, h http.Handler) error {
	if !r.envelopes {
		return fmt.Errorf("envelope path /%s: not mounted in standalone mode", function)
	}
	if !functionName.MatchString(function) || strings.EqualFold(function, "api") {
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

// ServeHTTP dispatches to the mounted routes; everything else is a JSON 404.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	h, pattern := r.mux.Handler(req)
	if pattern == "" {
		// Unknown path, wrong method, or a path ServeMux would "clean" with a redirect: never
		// redirect toward an envelope path.
		status := http.StatusNotFound
		if r.otherMethodMatches(req) {
			status = http.StatusMethodNotAllowed
		}
		writeJSON(w, status, ErrorBody{Error: http.StatusText(status), Status: status})
		return
	}
	h.ServeHTTP(w, req)
}

func (r *Router) otherMethodMatches(req *http.Request) bool {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == req.Method {
			continue
		}
		c := req.Clone(req.Context())
		c.Method = m
		if _, p := r.mux.Handler(c); p != "" {
			return true
		}
	}
	return false
}

var _ http.Handler = (*Router)(nil)

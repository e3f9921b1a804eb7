// Package marketplacetest is a fake of the Marketplace metering service speaking its
// documented wire format — POST /api/usageEvent and /api/batchUsageEvent?api-version=2018-08-31
// with a bearer token, one event per resource, dimension and hour (a repeat is a Duplicate, a
// 409 on the single endpoint) — for the metering client's tests and for code that bills a
// managed application. Two dimension names script errors: "bogus" is an invalid dimension
// (400 BadArgument), "busy" is throttled (429).
package marketplacetest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// RequestID is the x-ms-requestid every answer carries.
const RequestID = "req-1"

// Server is a running fake.
type Server struct {
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	accepted map[string]map[string]any
	tokens   []string
	fail     int
}

// Event is an accepted usage event.
type Event struct {
	ResourceURI, Dimension, PlanID string
	Quantity                       float64
	Hour                           time.Time
}

// New starts a fake, closed on t.Cleanup.
func New(t testing.TB) *Server {
	s := &Server{accepted: map[string]map[string]any{}}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// Client is an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Fail makes the next n requests answer 503.
func (s *Server) Fail(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = n
}

// Tokens returns the Authorization headers received, in order.
func (s *Server) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tokens)
}

// Accepted returns the accepted events.
func (s *Server) Accepted() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, 0, len(s.accepted))
	for _, a := range s.accepted {
		q, _ := a["quantity"].(float64)
		start, _ := time.Parse(time.RFC3339, a["effectiveStartTime"].(string))
		out = append(out, Event{ResourceURI: a["resourceUri"].(string), Dimension: a["dimension"].(string),
			PlanID: a["planId"].(string), Quantity: q, Hour: start})
	}
	return out
}

// ServeHTTP implements the two endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = append(s.tokens, r.Header.Get("Authorization"))
	if s.fail > 0 {
		s.fail--
		http.Error(w, `{"code":"ServiceUnavailable","message":"try later"}`, http.StatusServiceUnavailable)
		return
	}
	if r.Method != http.MethodPost || r.URL.Query().Get("api-version") != "2018-08-31" ||
		r.Header.Get("Content-Type") != "application/json" || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		http.Error(w, "bad request shape", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-ms-requestid", RequestID)
	switch r.URL.Path {
	case "/api/usageEvent":
		var ev map[string]any
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		status, body := s.one(ev)
		if status == http.StatusConflict {
			body = map[string]any{"code": "Conflict", "message": "This usage event already exist.", "additionalInfo": map[string]any{"acceptedMessage": body}}
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	case "/api/batchUsageEvent":
		var req struct {
			Request []map[string]any `json:"request"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Request) > 25 {
			http.Error(w, "bad batch", http.StatusBadRequest)
			return
		}
		var results []any
		for _, ev := range req.Request {
			_, body := s.one(ev)
			results = append(results, body)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"count": len(results), "result": results})
	default:
		http.NotFound(w, r)
	}
}

// one applies one event; the body is the result (or the error body for a 400/429).
func (s *Server) one(ev map[string]any) (int, map[string]any) {
	str := func(k string) string { v, _ := ev[k].(string); return v }
	q, _ := ev["quantity"].(float64)
	start, err := time.Parse(time.RFC3339, str("effectiveStartTime"))
	switch {
	case err != nil || str("resourceUri") == "" || str("dimension") == "" || str("planId") == "" || q <= 0:
		return http.StatusBadRequest, map[string]any{"status": "Error", "code": "BadArgument", "message": "The usage event is invalid."}
	case str("dimension") == "bogus":
		return http.StatusBadRequest, map[string]any{"code": "BadArgument", "message": "One or more errors have occurred.", "target": "usageEventRequest",
			"details": []any{map[string]any{"code": "BadArgument", "message": "The dimension is invalid.", "target": "dimension"}}}
	case str("dimension") == "busy":
		return http.StatusTooManyRequests, map[string]any{"code": "TooManyRequests", "message": "slow down"}
	}
	key := str("resourceUri") + "|" + str("dimension") + "|" + start.Truncate(time.Hour).Format(time.RFC3339)
	if prev, ok := s.accepted[key]; ok {
		dup := copyMap(prev)
		dup["status"] = "Duplicate"
		return http.StatusConflict, dup
	}
	res := map[string]any{"usageEventId": "evt-" + str("dimension"), "status": "Accepted", "messageTime": time.Now().UTC().Format(time.RFC3339),
		"resourceUri": str("resourceUri"), "quantity": q, "dimension": str("dimension"), "effectiveStartTime": str("effectiveStartTime"), "planId": str("planId")}
	s.accepted[key] = res
	return http.StatusOK, res
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Credential is a static token credential for the fake; it records the scopes asked for.
type Credential struct {
	mu     sync.Mutex
	scopes [][]string
}

// GetToken implements azcore.TokenCredential.
func (c *Credential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, o.Scopes)
	return azcore.AccessToken{Token: "tok", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// Scopes returns the scopes of every token request.
func (c *Credential) Scopes() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.scopes)
}

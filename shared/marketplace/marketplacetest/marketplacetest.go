// Package marketplacetest is a fake of the Marketplace metering service speaking its
// documented wire format (POST /api/usageEvent and /api/batchUsageEvent?api-version=2018-08-31
// with a bearer token), for tests of code that bills a managed application.
package marketplacetest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Server accepts one event per resource, dimension and hour; a repeat is a Duplicate.
type Server struct {
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	accepted map[string]Event
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
	s := &Server{accepted: map[string]Event{}}
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

// Accepted returns the accepted events.
func (s *Server) Accepted() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, 0, len(s.accepted))
	for _, e := range s.accepted {
		out = append(out, e)
	}
	return out
}

// ServeHTTP implements the two endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		http.Error(w, `{"code":"ServiceUnavailable"}`, http.StatusServiceUnavailable)
		return
	}
	if r.Method != http.MethodPost || r.URL.Query().Get("api-version") != "2018-08-31" || len(r.Header.Get("Authorization")) < 8 {
		http.Error(w, "bad request shape", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/api/usageEvent":
		var ev map[string]any
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		body := s.one(ev)
		if body["status"] == "Duplicate" {
			w.WriteHeader(http.StatusConflict)
			body = map[string]any{"code": "Conflict", "message": "This usage event already exist.", "additionalInfo": map[string]any{"acceptedMessage": body}}
		}
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
			results = append(results, s.one(ev))
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"count": len(results), "result": results})
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) one(ev map[string]any) map[string]any {
	str := func(k string) string { v, _ := ev[k].(string); return v }
	q, _ := ev["quantity"].(float64)
	start, err := time.Parse(time.RFC3339, str("effectiveStartTime"))
	if err != nil || str("resourceUri") == "" || str("dimension") == "" || q <= 0 {
		return map[string]any{"status": "Error", "error": map[string]any{"code": "BadArgument", "message": "invalid event"}}
	}
	key := str("resourceUri") + "|" + str("dimension") + "|" + start.Truncate(time.Hour).Format(time.RFC3339)
	res := map[string]any{"usageEventId": key, "status": "Accepted", "resourceUri": str("resourceUri"), "quantity": q,
		"dimension": str("dimension"), "effectiveStartTime": str("effectiveStartTime"), "planId": str("planId")}
	if _, ok := s.accepted[key]; ok {
		res["status"] = "Duplicate"
		return res
	}
	s.accepted[key] = Event{ResourceURI: str("resourceUri"), Dimension: str("dimension"), PlanID: str("planId"), Quantity: q, Hour: start}
	return res
}

// Credential is a static token credential for the fake.
type Credential struct{}

// GetToken implements azcore.TokenCredential.
func (Credential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "fake-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

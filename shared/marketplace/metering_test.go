package marketplace_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/marketplace"
)

const app = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-customer/providers/Microsoft.Solutions/applications/minutes"

var now = time.Date(2026, 11, 28, 10, 20, 0, 0, time.UTC)

// fakeMetering speaks the metering service's documented wire format: POST
// /api/usageEvent and /api/batchUsageEvent?api-version=2018-08-31 with a bearer token; one
// event per resource, dimension and hour (a second gets 409 Conflict with the accepted
// message); "bogus" is an invalid dimension (400 BadArgument); "busy" answers 429.
type fakeMetering struct {
	t        *testing.T
	mu       sync.Mutex
	accepted map[string]map[string]any
	tokens   []string
}

func newFake(t *testing.T) (*fakeMetering, *httptest.Server) {
	f := &fakeMetering{t: t, accepted: map[string]map[string]any{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeMetering) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = append(f.tokens, r.Header.Get("Authorization"))
	if r.Method != http.MethodPost || r.URL.Query().Get("api-version") != "2018-08-31" || r.Header.Get("Content-Type") != "application/json" ||
		!strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		http.Error(w, "bad request shape", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-ms-requestid", "req-1")
	switch r.URL.Path {
	case "/api/usageEvent":
		var ev map[string]any
		require.NoError(f.t, json.NewDecoder(r.Body).Decode(&ev))
		status, body := f.one(ev)
		if status == http.StatusConflict {
			body = map[string]any{"code": "Conflict", "message": "This usage event already exist.", "additionalInfo": map[string]any{"acceptedMessage": body}}
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	case "/api/batchUsageEvent":
		var req struct {
			Request []map[string]any `json:"request"`
		}
		require.NoError(f.t, json.NewDecoder(r.Body).Decode(&req))
		var results []any
		for _, ev := range req.Request {
			_, body := f.one(ev)
			results = append(results, body)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"count": len(results), "result": results})
	default:
		http.NotFound(w, r)
	}
}

// one applies one event; the body is the result (or the error body for a 400/429).
func (f *fakeMetering) one(ev map[string]any) (int, map[string]any) {
	for _, k := range []string{"resourceUri", "quantity", "dimension", "effectiveStartTime", "planId"} {
		require.Contains(f.t, ev, k)
	}
	switch ev["dimension"] {
	case "bogus":
		return http.StatusBadRequest, map[string]any{"code": "BadArgument", "message": "One or more errors have occurred.", "target": "usageEventRequest",
			"details": []any{map[string]any{"code": "BadArgument", "message": "The dimension is invalid.", "target": "dimension"}}}
	case "busy":
		return http.StatusTooManyRequests, map[string]any{"code": "TooManyRequests", "message": "slow down"}
	}
	start, err := time.Parse(time.RFC3339, ev["effectiveStartTime"].(string))
	require.NoError(f.t, err)
	key := ev["resourceUri"].(string) + "|" + ev["dimension"].(string) + "|" + start.Truncate(time.Hour).Format(time.RFC3339)
	if prev, ok := f.accepted[key]; ok {
		dup := map[string]any{}
		for k, v := range prev {
			dup[k] = v
		}
		dup["status"] = "Duplicate"
		return http.StatusConflict, dup
	}
	res := map[string]any{"usageEventId": "evt-" + ev["dimension"].(string), "status": "Accepted", "messageTime": now.Format(time.RFC3339),
		"resourceUri": ev["resourceUri"], "quantity": ev["quantity"], "dimension": ev["dimension"], "effectiveStartTime": ev["effectiveStartTime"], "planId": ev["planId"]}
	f.accepted[key] = res
	return http.StatusOK, res
}

type fakeCredential struct {
	mu     sync.Mutex
	scopes [][]string
}

func (c *fakeCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, o.Scopes)
	return azcore.AccessToken{Token: "tok", ExpiresOn: now.Add(time.Hour)}, nil
}

func setup(t *testing.T) (*marketplace.Client, *fakeMetering, *fakeCredential) {
	t.Helper()
	f, srv := newFake(t)
	cred := &fakeCredential{}
	c, err := marketplace.NewClient(cred, &marketplace.Options{BaseURL: srv.URL, HTTPClient: srv.Client(), Now: func() time.Time { return now }})
	require.NoError(t, err)
	return c, f, cred
}

func TestEvents(t *testing.T) {
	t.Parallel()
	evs := marketplace.Events(app, "standard", now, map[string]float64{"seats": 12, "meetings": 3, "idle": 0})
	require.Equal(t, []marketplace.UsageEvent{
		{ResourceURI: app, Quantity: 3, Dimension: "meetings", EffectiveStartTime: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), PlanID: "standard"},
		{ResourceURI: app, Quantity: 12, Dimension: "seats", EffectiveStartTime: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), PlanID: "standard"},
	}, evs)
}

func TestPost(t *testing.T) {
	t.Parallel()

	t.Run("accepted then duplicate for the same hour", func(t *testing.T) {
		t.Parallel()
		c, f, cred := setup(t)
		ev := marketplace.Events(app, "standard", now, map[string]float64{"meetings": 3})[0]
		r, err := c.Post(context.Background(), ev)
		require.NoError(t, err)
		require.Equal(t, marketplace.StatusAccepted, r.Status)
		require.Equal(t, "evt-meetings", r.UsageEventID)
		require.Equal(t, 3.0, r.Quantity)

		ev.Quantity = 4 // a resend in the same hour, even with another quantity
		ev.EffectiveStartTime = now.Add(-10 * time.Minute)
		r, err = c.Post(context.Background(), ev)
		require.NoError(t, err, "a duplicate is an answer, not a failure")
		require.Equal(t, marketplace.StatusDuplicate, r.Status)
		require.Equal(t, "evt-meetings", r.UsageEventID)
		require.Equal(t, 3.0, r.Quantity, "the accepted event is reported")

		require.Equal(t, []string{"Bearer tok", "Bearer tok"}, f.tokens)
		require.Equal(t, [][]string{{marketplace.Scope}, {marketplace.Scope}}, cred.scopes)
	})

	t.Run("next hour is a new event", func(t *testing.T) {
		t.Parallel()
		c, _, _ := setup(t)
		for _, h := range []time.Time{now.Add(-time.Hour), now} {
			r, err := c.Post(context.Background(), marketplace.Events(app, "standard", h, map[string]float64{"meetings": 1})[0])
			require.NoError(t, err)
			require.Equal(t, marketplace.StatusAccepted, r.Status)
		}
	})

	t.Run("refused request is a ResponseError", func(t *testing.T) {
		t.Parallel()
		c, _, _ := setup(t)
		_, err := c.Post(context.Background(), marketplace.Events(app, "standard", now, map[string]float64{"bogus": 1})[0])
		var re *marketplace.ResponseError
		require.ErrorAs(t, err, &re)
		require.Equal(t, http.StatusBadRequest, re.StatusCode)
		require.Equal(t, "BadArgument", re.Detail.Code)
		require.Equal(t, "dimension", re.Detail.Details[0].Target)
		require.Equal(t, "req-1", re.RequestID)
		require.False(t, marketplace.Retryable(err))

		_, err = c.Post(context.Background(), marketplace.Events(app, "standard", now, map[string]float64{"busy": 1})[0])
		require.True(t, marketplace.Retryable(err))
	})

	t.Run("invalid events are not sent", func(t *testing.T) {
		t.Parallel()
		c, f, _ := setup(t)
		good := marketplace.Events(app, "standard", now, map[string]float64{"meetings": 1})[0]
		for name, mutate := range map[string]func(*marketplace.UsageEvent){
			"older than 24 hours": func(e *marketplace.UsageEvent) { e.EffectiveStartTime = now.Add(-25 * time.Hour) },
			"no resource uri":     func(e *marketplace.UsageEvent) { e.ResourceURI = "" },
			"no plan":             func(e *marketplace.UsageEvent) { e.PlanID = "" },
			"zero quantity":       func(e *marketplace.UsageEvent) { e.Quantity = 0 },
		} {
			ev := good
			mutate(&ev)
			_, err := c.Post(context.Background(), ev)
			require.Error(t, err, name)
		}
		_, err := c.Post(context.Background(), func() marketplace.UsageEvent { e := good; e.EffectiveStartTime = now.Add(-25 * time.Hour); return e }())
		require.True(t, errors.Is(err, marketplace.ErrTooOld))
		require.False(t, marketplace.Retryable(err))
		require.Empty(t, f.tokens, "nothing reached the service")
	})
}

func TestPostBatch(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t)
	evs := marketplace.Events(app, "standard", now, map[string]float64{"meetings": 3, "seats": 12})
	_, err := c.Post(context.Background(), evs[1])
	require.NoError(t, err)

	results, err := c.PostBatch(context.Background(), evs)
	require.NoError(t, err)
	require.Len(t, results, 2)
	require.Equal(t, marketplace.StatusAccepted, results[0].Status)
	require.Equal(t, "meetings", results[0].Dimension)
	require.Equal(t, marketplace.StatusDuplicate, results[1].Status)

	_, err = c.PostBatch(context.Background(), make([]marketplace.UsageEvent, marketplace.MaxBatch+1))
	require.Error(t, err)
}

// TestManagedIdentity gets the token the way a Flex Consumption app does: from the App
// Service managed identity endpoint (IDENTITY_ENDPOINT + X-IDENTITY-HEADER), for the metering
// service's resource, as the user-assigned identity. Not parallel: it sets the environment.
func TestManagedIdentity(t *testing.T) {
	var seen http.Header
	var query string
	identity := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, query = r.Header.Clone(), r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": "mi-token", "expires_on": now.Add(time.Hour).Unix(), "resource": "20e940b3-4c77-4b0b-9a53-9e16a1b010a7",
			"token_type": "Bearer", "client_id": "11111111-2222-3333-4444-555555555555",
		})
	}))
	t.Cleanup(identity.Close)
	t.Setenv("IDENTITY_ENDPOINT", identity.URL)
	t.Setenv("IDENTITY_HEADER", "secret-header")
	t.Setenv("MSI_ENDPOINT", "")
	t.Setenv("MSI_SECRET", "")

	f, srv := newFake(t)
	c, err := marketplace.NewManagedIdentityClient("11111111-2222-3333-4444-555555555555",
		&marketplace.Options{BaseURL: srv.URL, HTTPClient: srv.Client(), Now: func() time.Time { return now }})
	require.NoError(t, err)
	r, err := c.Post(context.Background(), marketplace.Events(app, "standard", now, map[string]float64{"meetings": 1})[0])
	require.NoError(t, err)
	require.Equal(t, marketplace.StatusAccepted, r.Status)
	require.Equal(t, []string{"Bearer mi-token"}, f.tokens)
	require.Equal(t, "secret-header", seen.Get("X-Identity-Header"))
	require.Contains(t, query, "resource=20e940b3-4c77-4b0b-9a53-9e16a1b010a7")
	require.Contains(t, query, "client_id=11111111-2222-3333-4444-555555555555")
}

package marketplace_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/marketplace"
	"github.com/meetingminutes/minutes/shared/marketplace/marketplacetest"
)

const app = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-customer/providers/Microsoft.Solutions/applications/minutes"

var now = time.Date(2026, 11, 28, 10, 20, 0, 0, time.UTC)

func setup(t *testing.T) (*marketplace.Client, *marketplacetest.Server, *marketplacetest.Credential) {
	t.Helper()
	f := marketplacetest.New(t)
	cred := &marketplacetest.Credential{}
	c, err := marketplace.NewClient(cred, &marketplace.Options{BaseURL: f.URL, HTTPClient: f.Client(), Now: func() time.Time { return now }})
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

		require.Equal(t, []string{"Bearer tok", "Bearer tok"}, f.Tokens())
		require.Equal(t, [][]string{{marketplace.Scope}, {marketplace.Scope}}, cred.Scopes())
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
		require.Empty(t, f.Tokens(), "nothing reached the service")
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

	f := marketplacetest.New(t)
	c, err := marketplace.NewManagedIdentityClient("11111111-2222-3333-4444-555555555555",
		&marketplace.Options{BaseURL: f.URL, HTTPClient: f.Client(), Now: func() time.Time { return now }})
	require.NoError(t, err)
	r, err := c.Post(context.Background(), marketplace.Events(app, "standard", now, map[string]float64{"meetings": 1})[0])
	require.NoError(t, err)
	require.Equal(t, marketplace.StatusAccepted, r.Status)
	require.Equal(t, []string{"Bearer mi-token"}, f.Tokens())
	require.Equal(t, "secret-header", seen.Get("X-Identity-Header"))
	require.Contains(t, query, "resource=20e940b3-4c77-4b0b-9a53-9e16a1b010a7")
	require.Contains(t, query, "client_id=11111111-2222-3333-4444-555555555555")
}

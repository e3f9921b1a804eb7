package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/config"
	checks "github.com/meetingminutes/minutes/shared/health"
)

// The checks are built once and shared by concurrent requests: the report must never append
// its schema check into the caller's backing array.
func TestHealthDoesNotWriteIntoTheSharedCheckList(t *testing.T) {
	t.Parallel()
	up := func(context.Context) (string, error) { return "ok", nil }
	shared := make([]checks.Check, 1, 4) // spare capacity an append would write into
	shared[0] = checks.Check{Name: "database", Required: true, Run: up}
	h := New(Deps{Checks: func() []checks.Check { return shared },
		Schema: func(context.Context) (map[string]Schema, error) { return map[string]Schema{}, nil }})
	rep := h.Report(context.Background())
	require.Len(t, rep.Dependencies, 2, "database and schema")
	require.Empty(t, shared[:2][1].Name, "the spare slot of the shared slice is untouched")
}

func TestHealthAnswers(t *testing.T) {
	t.Parallel()
	up := func(context.Context) (string, error) { return "ok", nil }
	down := func(context.Context) (string, error) { return "", errors.New("connection refused") }
	schema := func(cur int64) func(context.Context) (map[string]Schema, error) {
		return func(context.Context) (map[string]Schema, error) {
			return map[string]Schema{"control": {Current: cur, Latest: 3}, "tenant": {Current: 2, Latest: 2}}, nil
		}
	}
	cases := []struct {
		name   string
		checks []checks.Check
		schema func(context.Context) (map[string]Schema, error)
		status int
		detail string
	}{
		{"ready", []checks.Check{{Name: "database", Required: true, Run: up}}, schema(3), http.StatusOK, ""},
		{"database down", []checks.Check{{Name: "database", Required: true, Run: down}}, schema(3), http.StatusServiceUnavailable, "connection refused"},
		{"schema behind", []checks.Check{{Name: "database", Required: true, Run: up}}, schema(2), http.StatusServiceUnavailable, "run 'handler migrate up'"},
		{"no database configured", []checks.Check{{Name: "database", Required: true, Disabled: "DATABASE_URL is not set"}}, nil, http.StatusServiceUnavailable, "DATABASE_URL is not set"},
		{"optional feature off is still ready", []checks.Check{{Name: "database", Required: true, Run: up}, {Name: "license", Disabled: "LICENSE_KEY is not set"}}, schema(3), http.StatusOK, "LICENSE_KEY is not set"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := New(Deps{Version: "1.2.3", Commit: "abc", Mode: "functions",
				Features: []config.Feature{{Name: "billing", Reason: "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are not both set"}},
				Checks:   func() []checks.Check { return tt.checks }, Schema: tt.schema,
				Now: func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }})
			rec := httptest.NewRecorder()
			require.NoError(t, h.Serve(rec, httptest.NewRequest(http.MethodGet, "/api/health", nil)))
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			var rep Report
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &rep))
			require.Equal(t, "1.2.3", rep.Version)
			require.Equal(t, "abc", rep.Commit)
			require.Equal(t, map[bool]string{true: "ready", false: "not_ready"}[tt.status == http.StatusOK], rep.Status)
			require.Contains(t, rec.Body.String(), tt.detail)
			if tt.schema != nil && tt.status == http.StatusOK {
				require.Equal(t, int64(3), rep.Schema["control"].Current)
			}
		})
	}
}

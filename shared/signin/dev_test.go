package signin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/onboarding"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/signin"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestDevSignInExistsOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	reg, stores := tenancy.NewRegistry(db.App), store.NewManagedResolver(db.App)
	dev, err := signin.EnsureDevTenant(ctx, onboarding.New(reg, stores, db.App, nil), stores, time.Now())
	require.NoError(t, err)
	again, err := signin.EnsureDevTenant(ctx, onboarding.New(reg, stores, db.App, nil), stores, time.Now())
	require.NoError(t, err)
	require.Equal(t, dev.Tenant, again.Tenant, "make run can restart")
	st, _ := stores.For(ctx, dev.Tenant)
	meetings, err := st.ListMeetings(ctx, store.ListMeetingsParams{})
	require.NoError(t, err)
	require.Len(t, meetings, 1, "one demo meeting, however often it starts")

	sm, err := session.New(session.Options{Keys: [][]byte{make([]byte, 32)}, Insecure: true})
	require.NoError(t, err)
	h := signin.New(signin.Deps{Sessions: sm, Tenants: reg, Stores: stores, DevAuth: true, Dev: dev})
	mux := http.NewServeMux()
	ad := funchost.New(funchost.Options{})
	for _, r := range h.Routes() {
		mux.Handle(r.Pattern, ad.HTTP("Portal", r.Handler))
	}
	do := func(method, remote, body string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/api/app/auth/dev", strings.NewReader(body))
		req.RemoteAddr = remote
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}
	for _, tt := range []struct {
		name   string
		remote string
		hdr    map[string]string
	}{
		{"remote address", "203.0.113.9:5000", nil},
		{"private address", "10.1.2.3:5000", nil},
		{"loopback behind a proxy", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "203.0.113.9"}},
	} {
		require.Equal(t, http.StatusNotFound, do(http.MethodGet, tt.remote, "", tt.hdr).Code, tt.name)
		require.Equal(t, http.StatusNotFound, do(http.MethodPost, tt.remote, "role=admin", tt.hdr).Code, tt.name)
	}
	rec := do(http.MethodGet, "127.0.0.1:5000", "", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), "Sign in as Morgan (member)")
	rec = do(http.MethodPost, "[::1]:5000", url.Values{"role": {"approver"}}.Encode(), nil)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	require.Equal(t, "/api/app/meetings", rec.Header().Get("Location"))

	noDev := signin.New(signin.Deps{Sessions: sm, Tenants: reg, Stores: stores})
	for _, r := range noDev.Routes() {
		require.NotContains(t, r.Pattern, "/auth/dev", "without DEV_AUTH the route does not exist at all")
	}
}

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	api "github.com/meetingminutes/minutes/functions/Api"
	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/review/reviewtest"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// clock is the API's fixed time.
var clock = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// testBundle is a database with two tenants and the API mounted as production mounts it.
type testBundle struct {
	env  *reviewtest.Env
	srv  http.Handler
	a, b *reviewtest.Tenant
}

// setup mounts every route on a real ServeMux through funchost.Adapter.HTTP, behind the
// production authenticator, which puts the principal of the request's session cookie on its
// context (access.WithPrincipal): the principal's tenant store can only be made there.
func setup(t *testing.T) *testBundle {
	t.Helper()
	env := reviewtest.New(t)
	h := api.New(api.Deps{
		Now: func() time.Time { return clock },
		AuditLog: api.AuditLogFunc(func(ctx context.Context, tenant tenancy.ID, p audit.ListParams) ([]audit.Record, error) {
			return audit.List(ctx, env.DB.App, tenant, p)
		}),
	})
	return &testBundle{env: env, srv: mount(env, h), a: env.NewTenant(t, "Alpha"), b: env.NewTenant(t, "Beta")}
}

// mount builds the production stack for h's routes.
func mount(env *reviewtest.Env, h *api.Handler) http.Handler {
	mux := http.NewServeMux()
	adapter := funchost.New(funchost.Options{})
	for _, rt := range h.Routes() {
		mux.Handle(rt.Pattern, adapter.HTTP("Api", rt.Handler))
	}
	return env.Auth.Middleware(mux)
}

// who is a caller: a session cookie, or none for an anonymous caller.
type who struct{ cookie *http.Cookie }

var anonymous = who{}

func (b *testBundle) as(t *testing.T, tn *reviewtest.Tenant, u store.User) who {
	t.Helper()
	return who{b.env.Cookie(t, tn, u)}
}

// do sends a request; body is nil, a string or []byte sent as is, or a value sent as JSON.
func (b *testBundle) do(t *testing.T, w who, method, path string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		r = bytes.NewReader([]byte(v))
	case []byte:
		r = bytes.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if w.cookie != nil {
		req.AddCookie(w.cookie)
	}
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, req)
	return rec
}

// decode reads a JSON answer into a value of type T.
func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	require.Contains(t, rec.Header().Get("Content-Type"), "application/json", rec.Body.String())
	var v T
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &v), rec.Body.String())
	return v
}

// obj is a decoded JSON object.
type obj = map[string]any

// errorOf returns the error message of an error answer, checking its shape.
func errorOf(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	e := decode[funchost.ErrorBody](t, rec)
	require.Equal(t, rec.Code, e.Status)
	require.NotEmpty(t, e.Error)
	return e.Error
}

// auditActions returns the actions in tenant tn's audit log, oldest first.
func (b *testBundle) auditActions(t *testing.T, tn *reviewtest.Tenant) []string {
	t.Helper()
	recs, err := audit.List(context.Background(), b.env.DB.App, tn.ID, audit.ListParams{Limit: 500})
	require.NoError(t, err)
	out := make([]string, len(recs))
	for i, r := range recs {
		out[len(recs)-1-i] = r.Action
	}
	return out
}

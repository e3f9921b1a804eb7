package access_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

type bundle struct {
	auth     *access.Authenticator
	sessions *session.Manager
	reg      *tenancy.Registry
	stores   store.Resolver
	tenant   tenancy.Tenant
	user     store.User
	st       store.Store
}

func setup(t *testing.T) *bundle {
	t.Helper()
	db := dbtest.New(t)
	sm, err := session.New(session.Options{Keys: [][]byte{make([]byte, 32)}, Insecure: true})
	require.NoError(t, err)
	b := &bundle{sessions: sm, reg: tenancy.NewRegistry(db.App), stores: store.NewManagedResolver(db.App)}
	b.auth = access.NewAuthenticator(sm, b.stores, b.reg, nil)
	ctx := context.Background()
	b.tenant, _, err = b.reg.Create(ctx, tenancy.NewTenant{Name: "Contoso"})
	require.NoError(t, err)
	b.st, err = b.stores.For(ctx, b.tenant.ID)
	require.NoError(t, err)
	b.user, err = b.st.CreateUser(ctx, store.UserInput{Email: "amy@contoso.example", Role: store.RoleApprover, EntraObjectID: uuid.New()})
	require.NoError(t, err)
	return b
}

// cookieFor returns the session cookie of a session signed in as u.
func (b *bundle) cookieFor(t *testing.T, tenant tenancy.ID, u store.UserID) *http.Cookie {
	t.Helper()
	s := b.sessions.Start()
	s.TenantID, s.UserID, s.Role = tenant.String(), u.String(), "admin" // the cookie's role is never trusted
	rec := httptest.NewRecorder()
	require.NoError(t, b.sessions.Save(rec, s))
	return rec.Result().Cookies()[0]
}

// call runs the middleware and returns the principal the handler saw and the response.
func (b *bundle) call(t *testing.T, c *http.Cookie) (access.Principal, *http.Response) {
	t.Helper()
	var got access.Principal
	h := b.auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = access.FromContext(r.Context())
	}))
	req := httptest.NewRequest(http.MethodGet, "/api/app/", nil)
	if c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return got, rec.Result()
}

func TestPrincipalIsRebuiltFromTheDatabaseOnEveryRequest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	p, _ := b.call(t, nil)
	require.False(t, p.SignedIn(), "no cookie: anonymous")

	c := b.cookieFor(t, b.tenant.ID, b.user.ID)
	p, _ = b.call(t, c)
	require.True(t, p.SignedIn())
	require.Equal(t, store.RoleApprover, p.Role, "the role comes from the user row, not the cookie")
	require.Equal(t, tenancy.StatusActive, p.TenantStatus)

	_, err := b.st.SetUserRole(ctx, b.user.ID, store.RoleMember)
	require.NoError(t, err)
	p, _ = b.call(t, c)
	require.Equal(t, store.RoleMember, p.Role, "a demotion takes effect on the next request")

	require.NoError(t, b.reg.SetStatus(ctx, b.tenant.ID, tenancy.StatusSuspended, time.Now()))
	p, _ = b.call(t, c)
	_, err = access.RequireWrite(access.WithPrincipal(ctx, p), store.RoleMember)
	require.ErrorIs(t, err, access.ErrReadOnly, "a suspended tenant reads but does not write")
	_, err = access.Require(access.WithPrincipal(ctx, p), store.RoleMember)
	require.NoError(t, err)
}

func TestStaleOrForgedSessionsAreAnonymous(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := setup(t) // another database and tenant: its user id means nothing here

	cases := []struct {
		name   string
		cookie *http.Cookie
	}{
		{"tampered cookie", func() *http.Cookie {
			c := b.cookieFor(t, b.tenant.ID, b.user.ID)
			c.Value = c.Value[:len(c.Value)-4] + "AAAA"
			return c
		}()},
		{"unknown tenant", b.cookieFor(t, tenancy.NewID(), b.user.ID)},
		{"user of another tenant", b.cookieFor(t, b.tenant.ID, other.user.ID)},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			p, res := b.call(t, tt.cookie)
			require.False(t, p.SignedIn())
			_, err := p.Store()
			require.ErrorIs(t, err, access.ErrUnauthorized, "no store without a tenant")
			cleared := false
			for _, c := range res.Cookies() {
				if c.Name == b.sessions.CookieName() && c.MaxAge < 0 {
					cleared = true
				}
			}
			require.True(t, cleared, "a bad session cookie is cleared")
		})
	}
}

func TestRequireMatrix(t *testing.T) {
	t.Parallel()
	tid := tenancy.NewID()
	uid, err := store.ParseUserID(uuid.NewString())
	require.NoError(t, err)
	as := func(r store.Role) access.Principal {
		return access.Principal{Tenant: tid, User: uid, Role: r, TenantStatus: tenancy.StatusActive}
	}
	cases := []struct {
		who    access.Principal
		need   store.Role
		status int
	}{
		{access.Principal{}, store.RoleMember, http.StatusUnauthorized},
		{as(store.RoleMember), store.RoleMember, http.StatusOK},
		{as(store.RoleMember), store.RoleApprover, http.StatusForbidden},
		{as(store.RoleApprover), store.RoleApprover, http.StatusOK},
		{as(store.RoleApprover), store.RoleAdmin, http.StatusForbidden},
		{as(store.RoleAdmin), store.RoleApprover, http.StatusOK},
		{as(store.Role("superuser")), store.RoleMember, http.StatusForbidden},
	}
	for _, tt := range cases {
		_, err := access.Require(access.WithPrincipal(context.Background(), tt.who), tt.need)
		require.Equal(t, tt.status, funchost.StatusOf(err), "%s needs %s", tt.who.Role, tt.need)
	}
	_, err = access.RequireOperator(access.WithPrincipal(context.Background(), as(store.RoleAdmin)))
	require.Error(t, err, "a tenant admin is not an operator")
	_, err = access.RequireOperator(access.WithPrincipal(context.Background(), access.Principal{Operator: true}))
	require.NoError(t, err)
}

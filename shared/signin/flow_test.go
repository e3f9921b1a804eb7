package signin_test

import (
	"context"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/identity"
	"github.com/meetingminutes/minutes/shared/identity/entratest"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/onboarding"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/signin"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type bundle struct {
	app     *httptest.Server
	entra   *entratest.Server
	reg     *tenancy.Registry
	stores  store.Resolver
	invites *signin.Invites
	outbox  string
	clock   *clock
	admin   entratest.User
}

func setup(t *testing.T) *bundle {
	t.Helper()
	db := dbtest.New(t)
	b := &bundle{reg: tenancy.NewRegistry(db.App), stores: store.NewManagedResolver(db.App), clock: &clock{t: time.Now()}}
	b.entra = entratest.New(t, entratest.Options{})
	tid := uuid.New()
	b.admin = b.entra.AddUser(entratest.User{TenantID: tid, Name: "Ada Admin", Email: "ada@contoso.example", Admin: true})

	mux := http.NewServeMux()
	b.app = httptest.NewServer(mux)
	t.Cleanup(b.app.Close)
	authority, _ := url.Parse(b.entra.URL)
	prov, err := identity.New(identity.Config{ClientID: b.entra.ClientID(), ClientSecret: b.entra.ClientSecret(), Authority: authority,
		RedirectURL: b.app.URL + "/api/app/auth/callback", ConsentRedirectURL: b.app.URL + "/api/consent/callback", HTTPClient: b.entra.Client()})
	require.NoError(t, err)
	key := make([]byte, 32)
	sm, err := session.New(session.Options{Keys: [][]byte{key}, Insecure: true, Now: b.clock.Now})
	require.NoError(t, err)
	b.outbox = t.TempDir()
	outbox, err := mail.NewDir(b.outbox, nil)
	require.NoError(t, err)
	base, _ := url.Parse(b.app.URL)
	b.invites = signin.NewInvites(session.LinkCodec{Key: key}, b.stores, b.reg, outbox, base, mail.Address{Email: "minutes@example.com"}, b.clock.Now, nil)
	h := signin.New(signin.Deps{Sessions: sm, States: identity.StateCodec{Key: key, Now: b.clock.Now}, Entra: prov, Tenants: b.reg,
		Stores: b.stores, Provisioner: onboarding.New(b.reg, b.stores, db.App, b.clock.Now), Invites: b.invites, Now: b.clock.Now,
		Mail: outbox, From: mail.Address{Email: "minutes@example.com"},
		Wait: identity.ConfirmOptions{MaxWait: time.Second, Sleep: func(time.Duration) {}}})

	auth := access.NewAuthenticator(sm, b.stores, b.reg, nil)
	ad := funchost.New(funchost.Options{})
	for _, r := range h.Routes() {
		mux.Handle(r.Pattern, auth.Middleware(sm.CSRFMiddleware(ad.HTTP("Portal", r.Handler))))
	}
	mux.Handle("GET /api/consent/callback", ad.HTTP("ConsentCallback", h.Consent))
	// whoami stands in for the portal's pages: it shows who the session belongs to.
	whoami := func(w http.ResponseWriter, r *http.Request) error {
		p := access.FromContext(r.Context())
		funchost.WriteJSON(w, http.StatusOK, map[string]any{"path": r.URL.Path, "tenant": p.Tenant.String(), "role": p.Role, "signed_in": p.SignedIn()})
		return nil
	}
	for _, p := range []string{"GET /api/app/setup", "GET /api/app/meetings"} {
		mux.Handle(p, auth.Middleware(ad.HTTP("Portal", whoami)))
	}
	mux.Handle("POST /api/app/invite", auth.Middleware(ad.HTTP("Portal", func(w http.ResponseWriter, r *http.Request) error {
		sent, err := b.invites.Invite(r.Context(), r.FormValue("email"), store.Role(r.FormValue("role")))
		if err != nil {
			return err
		}
		funchost.WriteJSON(w, http.StatusOK, map[string]any{"link": sent.Link, "mailed": sent.Mailed})
		return nil
	})))
	return b
}

// browser is a cookie-keeping client that records the redirect chain.
type browser struct {
	c     *http.Client
	chain []string
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	br := &browser{}
	br.c = &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		br.chain = append(br.chain, req.URL.String())
		return nil
	}}
	return br
}

func (br *browser) get(t *testing.T, u string) (int, string) {
	t.Helper()
	br.chain = nil
	res, err := br.c.Get(u)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// hop returns the last URL of the chain on the given path.
func (br *browser) hop(path string) string {
	for i := len(br.chain) - 1; i >= 0; i-- {
		if u, _ := url.Parse(br.chain[i]); u != nil && u.Path == path {
			return br.chain[i]
		}
	}
	return ""
}

func (b *bundle) tenantCount(t *testing.T) int {
	t.Helper()
	all, err := b.reg.List(context.Background(), tenancy.ID{}, 100)
	require.NoError(t, err)
	return len(all)
}

func signUp(t *testing.T, b *bundle, br *browser) map[string]any {
	t.Helper()
	b.entra.SetNextUser(b.admin.Email)
	status, body := br.get(t, b.app.URL+"/api/app/signup")
	require.Equal(t, http.StatusOK, status, body)
	var who map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &who), body)
	return who
}

func TestSignUpProvisionsAndSignsInTheAdmin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := newBrowser(t)
	who := signUp(t, b, br)
	require.Equal(t, "/api/app/setup", who["path"], "sign-up ends in the setup wizard")
	require.Equal(t, true, who["signed_in"])
	require.Equal(t, "admin", who["role"])
	require.Equal(t, 1, b.tenantCount(t))
	got, err := b.reg.ByAzureTenant(context.Background(), b.admin.TenantID)
	require.NoError(t, err)
	require.Equal(t, got.ID.String(), who["tenant"])

	consent := br.hop("/api/consent/callback")
	require.NotEmpty(t, consent)
	f, err := os.Open(filepath.Join(b.outbox, "welcome-"+got.ID.String()+".eml"))
	require.NoError(t, err, "the admin gets a welcome mail")
	defer f.Close()
	msg, err := netmail.ReadMessage(f)
	require.NoError(t, err)
	require.Contains(t, msg.Header.Get("To"), "ada@contoso.example")
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	require.NoError(t, err)
	require.Contains(t, string(body), "EnableGraphTranscriptAccess", "it says how to switch transcripts on")

	t.Run("replayed callback is refused and creates nothing", func(t *testing.T) {
		status, body := br.get(t, consent)
		require.Equal(t, http.StatusBadRequest, status, body)
		require.Equal(t, 1, b.tenantCount(t))
	})
	t.Run("callback in another browser is refused", func(t *testing.T) {
		status, _ := newBrowser(t).get(t, consent)
		require.Equal(t, http.StatusBadRequest, status)
		require.Equal(t, 1, b.tenantCount(t))
	})
	t.Run("signing up again lands on the same tenant", func(t *testing.T) {
		who := signUp(t, b, newBrowser(t))
		require.Equal(t, got.ID.String(), who["tenant"])
		require.Equal(t, 1, b.tenantCount(t))
	})
}

// interceptConsent starts a sign-up but stops at the consent callback, returning its URL.
func interceptConsent(t *testing.T, b *bundle, br *browser) string {
	t.Helper()
	br.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		br.chain = append(br.chain, req.URL.String())
		if req.URL.Path == "/api/consent/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	b.entra.SetNextUser(b.admin.Email)
	br.get(t, b.app.URL+"/api/app/signup")
	cb := br.hop("/api/consent/callback")
	require.NotEmpty(t, cb)
	br.c.CheckRedirect = nil
	return cb
}

func TestConsentCallbackRefusesBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(t *testing.T, b *bundle, q url.Values)
		before func(b *bundle)
		status int
		text   string
	}{
		{"forged state", func(t *testing.T, b *bundle, q url.Values) {
			q.Set("state", q.Get("state")[:20]+"x"+q.Get("state")[21:])
		}, nil, 400, "not valid"},
		{"missing state", func(t *testing.T, b *bundle, q url.Values) { q.Del("state") }, nil, 400, ""},
		{"expired state", nil, func(b *bundle) { b.clock.Advance(11 * time.Minute) }, 400, ""},
		{"another directory", func(t *testing.T, b *bundle, q url.Values) { q.Set("tenant", uuid.NewString()) }, nil, 400, "different directory"},
		{"consent error", func(t *testing.T, b *bundle, q url.Values) {
			q.Del("tenant")
			q.Set("error", "access_denied")
			q.Set("error_description", "AADSTS65004: User declined to consent to access the app.")
		}, nil, 400, "Consent was not granted"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			br := newBrowser(t)
			cb := interceptConsent(t, b, br)
			u, _ := url.Parse(cb)
			q := u.Query()
			if tt.mutate != nil {
				tt.mutate(t, b, q)
			}
			u.RawQuery = q.Encode()
			if tt.before != nil {
				tt.before(b)
			}
			status, body := br.get(t, u.String())
			require.Equal(t, tt.status, status, body)
			require.Contains(t, body, tt.text)
			require.True(t, strings.HasPrefix(body, "<!doctype html>"), "a person sees a page, not JSON: %s", body)
			require.Equal(t, 0, b.tenantCount(t), "no tenant created")
		})
	}
}

func TestInvitationIsSingleUseAndSignsInTheInvitee(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := newBrowser(t)
	signUp(t, b, admin)

	member := b.entra.AddUser(entratest.User{TenantID: b.admin.TenantID, Name: "Mo Member", Email: "mo@contoso.example"})
	outsider := b.entra.AddUser(entratest.User{Name: "Eve", Email: "eve@elsewhere.example"})

	t.Run("a stranger cannot sign in", func(t *testing.T) {
		b.entra.SetNextUser(member.Email)
		status, body := newBrowser(t).get(t, b.app.URL+"/api/app/auth/login")
		require.Equal(t, http.StatusForbidden, status, body)
		require.Contains(t, body, "ask an administrator to invite you")
	})

	ctx := context.Background()
	tenant, err := b.reg.ByAzureTenant(ctx, b.admin.TenantID)
	require.NoError(t, err)
	st, err := b.stores.For(ctx, tenant.ID)
	require.NoError(t, err)
	admins, err := st.ListUsers(ctx, store.ListUsersParams{Role: store.RoleAdmin})
	require.NoError(t, err)
	sent, err := inviteAs(t, b, tenant.ID, admins[0], member.Email)
	require.NoError(t, err)
	require.True(t, sent.Mailed)

	t.Run("someone from another directory cannot use the link", func(t *testing.T) {
		b.entra.SetNextUser(outsider.Email)
		br := newBrowser(t)
		status, body := br.get(t, b.app.URL+"/api/app/auth/invite?token="+url.QueryEscape(tokenOf(sent.Link)))
		require.Equal(t, http.StatusForbidden, status, body)
	})
	t.Run("the invitee accepts and is signed in", func(t *testing.T) {
		b.entra.SetNextUser(member.Email)
		br := newBrowser(t)
		status, body := br.get(t, b.app.URL+"/api/app/auth/invite?token="+url.QueryEscape(tokenOf(sent.Link)))
		require.Equal(t, http.StatusOK, status, body)
		require.Contains(t, body, `"role":"member"`)
		require.Contains(t, body, `"signed_in":true`)
	})
	t.Run("the link works once", func(t *testing.T) {
		b.entra.SetNextUser(member.Email)
		status, body := newBrowser(t).get(t, b.app.URL+"/api/app/auth/invite?token="+url.QueryEscape(tokenOf(sent.Link)))
		require.Equal(t, http.StatusConflict, status, body)
	})
	t.Run("an expired link is refused", func(t *testing.T) {
		other := b.entra.AddUser(entratest.User{TenantID: b.admin.TenantID, Email: "late@contoso.example"})
		late, err := inviteAs(t, b, tenant.ID, admins[0], other.Email)
		require.NoError(t, err)
		b.clock.Advance(signin.InvitationTTL + time.Minute)
		b.entra.SetNextUser(other.Email)
		status, body := newBrowser(t).get(t, b.app.URL+"/api/app/auth/invite?token="+url.QueryEscape(tokenOf(late.Link)))
		require.Equal(t, http.StatusGone, status, body)
	})
	t.Run("a forged link is refused", func(t *testing.T) {
		tok := tokenOf(sent.Link)
		forged := tok[:len(tok)-3] + "AAA"
		status, _ := newBrowser(t).get(t, b.app.URL+"/api/app/auth/invite?token="+url.QueryEscape(forged))
		require.Equal(t, http.StatusNotFound, status)
	})
}

func inviteAs(t *testing.T, b *bundle, tenant tenancy.ID, admin store.User, email string) (signin.Sent, error) {
	t.Helper()
	ctx := context.Background()
	tt, err := b.reg.Get(ctx, tenant)
	require.NoError(t, err)
	st, err := b.stores.For(ctx, tenant)
	require.NoError(t, err)
	return b.invites.Invite(access.WithPrincipal(ctx, access.AsUser(tt, admin, st)), email, store.RoleMember)
}

func tokenOf(link string) string {
	u, _ := url.Parse(link)
	return u.Query().Get("token")
}

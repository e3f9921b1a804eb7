package portal_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	portal "github.com/meetingminutes/minutes/functions/Portal"
	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/migrate"
	"github.com/meetingminutes/minutes/shared/review"
	"github.com/meetingminutes/minutes/shared/review/reviewtest"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// clock is the portal's fixed time in tests.
var clock = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func now() time.Time { return clock }

// bundle is the portal mounted like production over a fresh database with two tenants.
type bundle struct {
	env      *reviewtest.Env
	srv      http.Handler
	a, b     *reviewtest.Tenant
	invites  *fakeInvites
	billing  *fakeBilling
	operator *registryOperator
}

type setupOptions struct {
	noBilling bool
	// reconciler, when set, is the operator console's usage reconciliation.
	reconciler portal.Reconciler
	// features, when set, answers plan questions.
	features portal.Features
}

func setup(t *testing.T, opts ...setupOptions) *bundle {
	t.Helper()
	var o setupOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	env := reviewtest.New(t)
	b := &bundle{env: env, invites: &fakeInvites{}, billing: &fakeBilling{}, operator: &registryOperator{reg: env.Registry, db: env.DB.App}}
	b.a = env.NewTenant(t, "Contoso")
	b.b = env.NewTenant(t, "Fabrikam")
	deps := portal.Deps{
		Review: review.New(now), Now: now, Invites: b.invites, Operator: b.operator, Tenants: env.Registry,
		Sessions: env.Sessions, DevAuth: true,
		Rename: func(ctx context.Context, id tenancy.ID, name string) error {
			return tenancy.Rename(ctx, env.DB.App, id, name)
		},
		Health: func(context.Context) (any, int) {
			return map[string]any{"status": "ready", "version": "1.2.3", "dependencies": []map[string]any{
				{"name": "database", "state": "up", "required": true}, {"name": "queue", "state": "disabled", "detail": "not configured"}}}, 200
		},
	}
	if !o.noBilling {
		deps.Billing = b.billing
	}
	deps.Reconciler = o.reconciler
	deps.Features = o.features
	h, err := portal.New(deps)
	require.NoError(t, err)
	router := funchost.NewRouter(false, nil)
	ad := funchost.New(funchost.Options{})
	for _, rt := range h.Routes() {
		require.NoError(t, router.Public(rt.Pattern, ad.HTTP("Portal", rt.Handler)), rt.Pattern)
	}
	b.srv = env.Auth.Middleware(env.Sessions.CSRFMiddleware(router))
	return b
}

// caller is a browser: a session cookie (nil for anonymous) and its CSRF token.
type caller struct {
	cookie *http.Cookie
	csrf   string
}

var anonymous = caller{}

// as signs user u of tenant tn in.
func (b *bundle) as(t *testing.T, tn *reviewtest.Tenant, u store.User) caller {
	t.Helper()
	return b.caller(t, b.env.Cookie(t, tn, u))
}

// asOperator signs an operator in.
func (b *bundle) asOperator(t *testing.T) caller {
	t.Helper()
	s := b.env.Sessions.Start()
	s.Operator, s.Name = true, "Olga Operator"
	rec := httptest.NewRecorder()
	require.NoError(t, b.env.Sessions.Save(rec, s))
	return b.caller(t, rec.Result().Cookies()[0])
}

func (b *bundle) caller(t *testing.T, c *http.Cookie) caller {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(c)
	s, err := b.env.Sessions.Load(req)
	require.NoError(t, err)
	return caller{cookie: c, csrf: session.CSRFToken(s)}
}

// response is an answer with its body parsed.
type response struct {
	*http.Response
	body string
	doc  *html.Node
}

// get requests path as c.
func (b *bundle) get(t *testing.T, c caller, path string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	return b.do(t, c, req)
}

// post submits form to path as c, with c's CSRF token unless form has one.
func (b *bundle) post(t *testing.T, c caller, path string, form url.Values) response {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok && c.csrf != "" {
		form.Set("csrf_token", c.csrf)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(t, c, req)
}

func (b *bundle) do(t *testing.T, c caller, req *http.Request) response {
	t.Helper()
	req.RemoteAddr = "127.0.0.1:5555"
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, req)
	res := rec.Result()
	r := response{Response: res, body: rec.Body.String()}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		doc, err := html.Parse(strings.NewReader(r.body))
		require.NoError(t, err)
		r.doc = doc
	}
	return r
}

// text is the page's visible text with spaces collapsed.
func (r response) text() string {
	if r.doc == nil {
		return r.body
	}
	var sb strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style") {
			return
		}
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
			sb.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(r.doc)
	return strings.Join(strings.Fields(sb.String()), " ")
}

// form is a parsed <form>.
type form struct {
	method, action string
	fields         url.Values // hidden, text, selected and checked fields with their values
	hidden         url.Values
}

// forms lists the page's forms.
func (r response) forms() []form {
	var out []form
	if r.doc == nil {
		return nil
	}
	var cur *form
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				out = append(out, form{method: strings.ToLower(attr(n, "method")), action: attr(n, "action"), fields: url.Values{}, hidden: url.Values{}})
				cur = &out[len(out)-1]
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
				cur = nil
				return
			case "input":
				if cur != nil && attr(n, "name") != "" {
					typ := attr(n, "type")
					switch {
					case typ == "hidden":
						cur.hidden.Add(attr(n, "name"), attr(n, "value"))
						cur.fields.Add(attr(n, "name"), attr(n, "value"))
					case typ == "checkbox" || typ == "radio":
						if hasAttr(n, "checked") {
							cur.fields.Add(attr(n, "name"), attr(n, "value"))
						}
					default:
						cur.fields.Add(attr(n, "name"), attr(n, "value"))
					}
				}
			case "textarea":
				if cur != nil && attr(n, "name") != "" {
					v := ""
					if n.FirstChild != nil {
						v = n.FirstChild.Data
					}
					cur.fields.Add(attr(n, "name"), v)
				}
			case "select":
				if cur != nil && attr(n, "name") != "" {
					for o := range n.Descendants() {
						if o.Type == html.ElementNode && o.Data == "option" && hasAttr(o, "selected") {
							cur.fields.Add(attr(n, "name"), attr(o, "value"))
						}
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(r.doc)
	return out
}

// formTo returns the first form posting to action.
func (r response) formTo(t *testing.T, action string) form {
	t.Helper()
	for _, f := range r.forms() {
		if f.action == action {
			return f
		}
	}
	t.Fatalf("no form to %s on the page", action)
	return form{}
}

// hasFormTo reports whether the page has a form posting to action.
func (r response) hasFormTo(action string) bool {
	for _, f := range r.forms() {
		if f.action == action {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// fakeInvites records invitations through the real store of the caller's tenant.
type fakeInvites struct {
	mu       sync.Mutex
	invited  []string
	accepted []string
}

func (f *fakeInvites) Invite(ctx context.Context, email string, role store.Role) (store.Invitation, error) {
	st, err := principalStore(ctx)
	if err != nil {
		return store.Invitation{}, err
	}
	if email == "taken@example.com" {
		return store.Invitation{}, store.ErrConflict
	}
	f.mu.Lock()
	f.invited = append(f.invited, email)
	f.mu.Unlock()
	var tok [32]byte
	copy(tok[:], email)
	return st.CreateInvitation(ctx, store.InvitationInput{Email: email, Role: role, TokenSHA256: tok, ExpiresAt: clock.Add(7 * 24 * time.Hour)})
}

func (f *fakeInvites) Preview(_ context.Context, token string) (portal.InvitationPreview, error) {
	switch token {
	case "good":
		return portal.InvitationPreview{TenantName: "Contoso", InvitedBy: "Ada <Admin>", Email: "new@contoso.example", Role: store.RoleApprover,
			ExpiresAt: clock.Add(48 * time.Hour)}, nil
	case "old":
		return portal.InvitationPreview{}, store.ErrExpired
	}
	return portal.InvitationPreview{}, store.ErrNotFound
}

func (f *fakeInvites) Accept(_ context.Context, token string) (string, error) {
	f.mu.Lock()
	f.accepted = append(f.accepted, token)
	f.mu.Unlock()
	if token != "good" {
		return "", store.ErrNotFound
	}
	return "/api/app/auth/login?return_to=%2Fapi%2Fapp%2Fmeetings", nil
}

// fakeBilling answers fixed Stripe URLs.
type fakeBilling struct {
	mu    sync.Mutex
	plans []string
}

func (f *fakeBilling) CheckoutURL(_ context.Context, plan string) (string, error) {
	f.mu.Lock()
	f.plans = append(f.plans, plan)
	f.mu.Unlock()
	return "https://checkout.stripe.test/c/" + plan, nil
}

func (f *fakeBilling) PortalURL(context.Context) (string, error) {
	return "https://billing.stripe.test/p/session", nil
}

// registryOperator is the console's view of the real registry.
type registryOperator struct {
	reg *tenancy.Registry
	db  migrate.RowQuerier
}

func (o *registryOperator) Tenants(ctx context.Context) ([]tenancy.Tenant, error) {
	return o.reg.List(ctx, tenancy.ID{}, 1000)
}

func (o *registryOperator) SetStatus(ctx context.Context, id tenancy.ID, s tenancy.Status) error {
	return o.reg.SetStatus(ctx, id, s, clock)
}

func (o *registryOperator) MigrationRuns(ctx context.Context, limit int) ([]migrate.Run, error) {
	return migrate.ListRuns(ctx, o.db, limit)
}

func principalStore(ctx context.Context) (store.Store, error) {
	return access.FromContext(ctx).Store()
}

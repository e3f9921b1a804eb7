package signin

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/identity"
	mailer "github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/onboarding"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Pending handshake purposes kept in the session.
const (
	purposeSignIn  = "signin"
	purposeSignUp  = "signup"
	purposeInvite  = "invite"
	purposeConsent = "consent"
)

// requiredRoles are the application permissions a consent must have granted before a tenant
// is provisioned (reference graph.md §4.4).
func requiredRoles() []string {
	return []string{"OnlineMeetingTranscript.Read.All", "OnlineMeetings.Read.All"}
}

// Entra is the part of identity.Provider the flows use.
type Entra interface {
	AuthCodeURL(identity.AuthRequest) string
	Exchange(ctx context.Context, code, verifier string) (identity.Tokens, error)
	VerifyIDToken(ctx context.Context, raw, nonce string) (identity.Claims, error)
	AdminConsentURL(tenantHint, state string) string
	ConfirmConsent(ctx context.Context, tenant uuid.UUID, wantRoles []string, opts identity.ConfirmOptions) ([]string, error)
}

// Provisioner provisions a tenant (onboarding.Provisioner).
type Provisioner interface {
	Provision(ctx context.Context, req onboarding.Request) (onboarding.Result, error)
}

// Tenants is the part of tenancy.Registry the flows use.
type Tenants interface {
	ByAzureTenant(ctx context.Context, azure uuid.UUID) (tenancy.Tenant, error)
	Get(ctx context.Context, id tenancy.ID) (tenancy.Tenant, error)
}

// Deps are the flows' dependencies. Entra nil disables Entra sign-in (dev installs).
type Deps struct {
	Sessions    *session.Manager
	States      identity.StateCodec
	Entra       Entra
	Tenants     Tenants
	Stores      store.Resolver
	Provisioner Provisioner
	Invites     *Invites
	// Mail sends the welcome mail after sign-up; nil sends none. From is its author.
	Mail mailer.Sender
	From mailer.Address
	// OperatorTenant is our own Entra tenant: its users with the Operator app role are
	// operators. uuid.Nil: nobody is.
	OperatorTenant uuid.UUID
	// DevAuth enables the loopback-only dev sign-in (make run).
	DevAuth bool
	// Dev is the demo tenant the dev sign-in uses; required with DevAuth.
	Dev  *DevTenant
	Now  func() time.Time
	Log  *slog.Logger
	Wait identity.ConfirmOptions
}

// Handler serves the flows.
type Handler struct {
	d    Deps
	page *template.Template
	dev  *template.Template
}

// New returns the flows' handler.
func New(d Deps) *Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Handler{d: d, page: template.Must(template.New("page").Parse(pageSource)),
		dev: template.Must(template.New("dev").Parse(devFormSource))}
}

// Route is one route of the flows.
type Route struct {
	Pattern string
	Handler funchost.HandlerFunc
}

// Routes lists the flows' routes; ConsentCallback is served by its own function.
func (h *Handler) Routes() []Route {
	r := []Route{
		{"GET /api/app/auth/login", h.pages(h.login)},
		{"GET /api/app/auth/callback", h.pages(h.callback)},
		{"POST /api/app/auth/logout", h.logout},
		{"GET /api/app/signup", h.pages(h.signup)},
	}
	if h.d.Invites != nil {
		r = append(r, Route{"GET /api/app/auth/invite", h.pages(h.startInvite)})
	}
	if h.d.DevAuth {
		r = append(r, Route{"GET /api/app/auth/dev", h.pages(h.devForm)}, Route{"POST /api/app/auth/dev", h.pages(h.devSignIn)})
	}
	return r
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) error {
	return h.startOIDC(w, r, purposeSignIn, localPath(r.URL.Query().Get("return_to"), "/api/app/meetings"))
}

func (h *Handler) signup(w http.ResponseWriter, r *http.Request) error {
	return h.startOIDC(w, r, purposeSignUp, "/api/app/setup")
}

// startOIDC sends the browser to Entra with a fresh single-use handshake in its session.
func (h *Handler) startOIDC(w http.ResponseWriter, r *http.Request, purpose, returnTo string) error {
	if h.d.Entra == nil {
		if h.d.DevAuth && isLoopback(r) {
			http.Redirect(w, r, "/api/app/auth/dev?return_to="+url.QueryEscape(returnTo), http.StatusSeeOther)
			return nil
		}
		return funchost.Unavailable("sign-in with Microsoft is not configured (ENTRA_CLIENT_ID)")
	}
	s := h.session(r)
	s.Pending = h.d.Sessions.NewPending(purpose, returnTo, 0)
	state, err := h.d.States.Encode(identity.StatePayload{Purpose: identity.PurposeSignIn,
		Binding: session.Binding(s), Nonce: s.Pending.Nonce, ID: s.Pending.StateID})
	if err != nil {
		return fmt.Errorf("start %s: %w", purpose, err)
	}
	if err := h.d.Sessions.Save(w, s); err != nil {
		return fmt.Errorf("start %s: %w", purpose, err)
	}
	challenge := pkceChallenge(s.Pending.Verifier)
	prompt := ""
	if purpose == purposeSignUp {
		prompt = "select_account"
	}
	http.Redirect(w, r, h.d.Entra.AuthCodeURL(identity.AuthRequest{State: state, Nonce: s.Pending.Nonce,
		CodeChallenge: challenge, Prompt: prompt}), http.StatusFound)
	return nil
}

// session returns the request's session, or a fresh one.
func (h *Handler) session(r *http.Request) *session.Session {
	s, err := h.d.Sessions.Load(r)
	if err != nil {
		return h.d.Sessions.Start()
	}
	return s
}

// takeHandshake checks the state against the session's pending handshake of one of purposes
// and consumes it. Any mismatch is a 400 with nothing done.
func (h *Handler) takeHandshake(w http.ResponseWriter, r *http.Request, statePurpose identity.Purpose, purposes ...string) (*session.Session, session.Pending, error) {
	s, err := h.d.Sessions.Load(r)
	if err != nil || s.Pending == nil {
		return nil, session.Pending{}, errBadState("your sign-in took too long or came from another browser")
	}
	purpose := s.Pending.Purpose
	ok := false
	for _, p := range purposes {
		ok = ok || p == purpose
	}
	if !ok {
		return nil, session.Pending{}, errBadState("this sign-in response does not match what this browser started")
	}
	pending, err := h.d.Sessions.TakePending(w, s, purpose)
	if err != nil {
		return nil, session.Pending{}, errBadState("your sign-in took too long; start again")
	}
	payload, err := h.d.States.Decode(r.URL.Query().Get("state"), statePurpose, session.Binding(s))
	if err != nil || payload.ID != pending.StateID {
		return nil, session.Pending{}, errBadState("this sign-in response is not valid for this browser")
	}
	return s, pending, nil
}

func errBadState(msg string) error { return funchost.Status(http.StatusBadRequest, msg) }

func (h *Handler) callback(w http.ResponseWriter, r *http.Request) error {
	s, pending, err := h.takeHandshake(w, r, identity.PurposeSignIn, purposeSignIn, purposeSignUp, purposeInvite)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return funchost.Status(http.StatusBadRequest, "Microsoft sign-in did not complete ("+clip(e, 60)+"): "+clip(q.Get("error_description"), 300))
	}
	code := q.Get("code")
	if code == "" || len(code) > 4096 {
		return funchost.Status(http.StatusBadRequest, "the sign-in response has no code")
	}
	tokens, err := h.d.Entra.Exchange(r.Context(), code, pending.Verifier)
	if err != nil {
		var oe *identity.OAuthError
		if errors.As(err, &oe) {
			return funchost.Status(http.StatusBadRequest, "Microsoft refused the sign-in code: "+clip(oe.Code, 60))
		}
		return fmt.Errorf("redeem sign-in code: %w", err)
	}
	claims, err := h.d.Entra.VerifyIDToken(r.Context(), tokens.IDToken, pending.Nonce)
	if err != nil {
		h.d.Log.WarnContext(r.Context(), "id token rejected", "error", err)
		return funchost.Status(http.StatusUnauthorized, "the sign-in could not be verified")
	}
	s.EntraTenantID, s.EntraObjectID = claims.TenantID.String(), claims.ObjectID.String()
	s.Name, s.Email = claims.Name, claims.Email
	switch pending.Purpose {
	case purposeSignUp:
		return h.startConsent(w, r, s, claims)
	case purposeInvite:
		return h.d.Invites.complete(w, r, h, s, pending.ReturnTo, claims)
	}
	return h.finishSignIn(w, r, s, claims, pending.ReturnTo)
}

// finishSignIn signs the user into their tenant (or the operator console).
func (h *Handler) finishSignIn(w http.ResponseWriter, r *http.Request, s *session.Session, c identity.Claims, returnTo string) error {
	ctx := r.Context()
	if h.d.OperatorTenant != uuid.Nil && c.TenantID == h.d.OperatorTenant && contains(c.Roles, "Operator") {
		s.Operator, s.TenantID, s.UserID, s.Role = true, "", "", ""
		if err := h.d.Sessions.Renew(w, s); err != nil {
			return fmt.Errorf("sign in operator: %w", err)
		}
		http.Redirect(w, r, "/api/app/operator", http.StatusSeeOther)
		return nil
	}
	t, err := h.d.Tenants.ByAzureTenant(ctx, c.TenantID)
	if errors.Is(err, tenancy.ErrNotFound) {
		return funchost.Status(http.StatusForbidden, "your organisation has not signed up yet: an administrator can sign up at /api/app/signup")
	}
	if err != nil {
		return fmt.Errorf("look up tenant: %w", err)
	}
	st, err := h.d.Stores.For(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	u, err := st.UserByEntraID(ctx, c.ObjectID)
	if errors.Is(err, store.ErrNotFound) {
		return funchost.Status(http.StatusForbidden, "you are not a member of "+t.Name+" in Meeting Minutes yet: ask an administrator to invite you")
	}
	if err != nil {
		return fmt.Errorf("look up user: %w", err)
	}
	if u.Status != store.UserActive {
		return funchost.Status(http.StatusForbidden, "your access to "+t.Name+" has been removed")
	}
	return h.signInAs(w, r, s, t.ID, u, returnTo)
}

// signInAs renews the session as user u of tenant and redirects.
func (h *Handler) signInAs(w http.ResponseWriter, r *http.Request, s *session.Session, tenant tenancy.ID, u store.User, returnTo string) error {
	if st, err := h.d.Stores.For(r.Context(), tenant); err == nil {
		if err := st.TouchUser(r.Context(), u.ID, h.d.Now()); err != nil {
			h.d.Log.WarnContext(r.Context(), "record sign-in time", "error", err)
		}
	}
	s.TenantID, s.UserID, s.Role, s.Operator = tenant.String(), u.ID.String(), string(u.Role), false
	s.Name, s.Email = u.DisplayName, u.Email
	if err := h.d.Sessions.Renew(w, s); err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	http.Redirect(w, r, localPath(returnTo, "/api/app/meetings"), http.StatusSeeOther)
	return nil
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	h.d.Sessions.Clear(w)
	http.Redirect(w, r, "/api/app/", http.StatusSeeOther)
	return nil
}

// localPath returns p when it is a path on this site, else def (no open redirects).
func localPath(p, def string) string {
	if p == "" || len(p) > 512 || p[0] != '/' || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\r\n\t") {
		return def
	}
	return p
}

func isLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback() && r.Header.Get("X-Forwarded-For") == ""
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// pkceChallenge is the S256 code challenge of verifier (RFC 7636 §4.2).
func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// pageSource is a small stand-alone message page.
const pageSource = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Meeting Minutes</title><link rel="stylesheet" href="/api/app/static/app.css"></head>
<body><main class="narrow"><h1>{{.Title}}</h1><p>{{.Message}}</p>{{if .Link}}<p><a class="button" href="{{.Link}}">{{.LinkText}}</a></p>{{end}}{{.Body}}</main></body></html>`

type page struct {
	Title, Message, Link, LinkText string
	Body                           template.HTML
}

func (h *Handler) render(w http.ResponseWriter, status int, p page) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return h.page.Execute(w, p)
}

package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	api "github.com/meetingminutes/minutes/functions/Api"
	portal "github.com/meetingminutes/minutes/functions/Portal"
	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/identity"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/migrate"
	"github.com/meetingminutes/minutes/shared/onboarding"
	"github.com/meetingminutes/minutes/shared/review"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/signin"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
	"github.com/meetingminutes/minutes/shared/upload"
)

// web holds what the browser-facing functions (Portal, Api, ConsentCallback) share. It is nil
// when sign-in is not configured; their routes then answer 503 with the reason.
type web struct {
	sessions *session.Manager
	auth     *access.Authenticator
	signin   *signin.Handler
	invites  *signin.Invites
	registry *tenancy.Registry
	stores   store.Resolver
	portal   *portal.Handler
	// entra is false when sign-in with Microsoft is off (dev sign-in only).
	entra bool
}

// newWeb wires sign-in, sessions and invitations from the configuration, without I/O.
func (a *app) newWeb(cfg *config.Config) (*web, error) {
	if !cfg.Feature(config.FeatureSignIn).Enabled || a.pool == nil {
		return nil, nil
	}
	keys := cfg.Identity.SessionKeys
	if len(keys) == 0 { // DEV_AUTH without keys: sessions last as long as this process
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, fmt.Errorf("generate session key: %w", err)
		}
		keys = [][]byte{k}
	}
	insecure := cfg.PublicBaseURL == nil || cfg.PublicBaseURL.Scheme == "http"
	sm, err := session.New(session.Options{Keys: keys, Insecure: insecure, CSRFFailed: a.csrfFailed})
	if err != nil {
		return nil, &config.Error{Key: "SESSION_KEYS", Reason: err.Error()}
	}
	w := &web{sessions: sm, registry: tenancy.NewRegistry(a.pool), stores: store.NewManagedResolver(a.pool)}
	w.auth = access.NewAuthenticator(sm, w.stores, w.registry, a.log)
	sender, from, err := a.mailer()
	if err != nil {
		return nil, err
	}
	base := cfg.PublicBaseURL
	w.invites = signin.NewInvites(session.LinkCodec{Key: keys[0]}, w.stores, w.registry, sender, base, from, nil, a.log)
	prov := onboarding.New(w.registry, w.stores, a.pool, nil)
	if s := a.billingSessions(); s != nil {
		prov.WithCustomers(provisionCustomers{s})
		w.invites.WithSeats(seatGate{a.billingEntitlements()})
	} else if s := a.license.seats(w.registry, w.stores); s != nil {
		w.invites.WithSeats(s) // self-hosted or Marketplace: the license's seats, a warning beyond
	}
	deps := signin.Deps{Sessions: sm, States: identity.StateCodec{Key: keys[0]}, Tenants: w.registry, Stores: w.stores,
		Provisioner: prov, Invites: w.invites, DevAuth: cfg.DevAuth, Log: a.log,
		Mail: sender, From: from}
	if cfg.Identity.OperatorTenantID != "" {
		deps.OperatorTenant = uuid.MustParse(cfg.Identity.OperatorTenantID)
	}
	if cfg.Identity.ClientID != "" {
		if base == nil {
			return nil, &config.Error{Key: "PUBLIC_BASE_URL", Reason: "required with ENTRA_CLIENT_ID (the redirect URIs are built from it)"}
		}
		p, err := identity.New(identity.Config{ClientID: cfg.Identity.ClientID, ClientSecret: cfg.Identity.ClientSecret.Reveal(),
			Authority: cfg.Identity.Authority, RedirectURL: base.JoinPath("/api/app/auth/callback").String(),
			ConsentRedirectURL: base.JoinPath("/api/consent/callback").String()})
		if err != nil {
			return nil, &config.Error{Key: "ENTRA_CLIENT_ID", Reason: err.Error()}
		}
		deps.Entra, w.entra = p, true
	}
	a.signinDeps = deps
	w.portal, err = portal.New(portal.Deps{Review: a.review(), Log: a.log, DevAuth: cfg.DevAuth, Billing: a.portalBilling(),
		Uploads: a.uploads(), Reconciler: a.portalReconciler(), Features: a.portalFeatures(),
		Invites: portalInvites{w.invites}, Tenants: w.registry, Sessions: sm,
		Rename: func(ctx context.Context, id tenancy.ID, name string) error {
			return tenancy.Rename(ctx, a.pool, id, name)
		},
		Operator: operatorConsole{w.registry, a.pool}, Health: func(ctx context.Context) (any, int) {
			rep := a.health.Report(ctx)
			if rep.Status != "ready" {
				return rep, http.StatusServiceUnavailable
			}
			return rep, http.StatusOK
		}})
	if err != nil {
		return nil, fmt.Errorf("build the portal: %w", err)
	}
	return w, nil
}

// startWeb does the start-up work that touches the database: the demo tenant of make run.
// It runs after the port is bound.
func (a *app) startWeb(ctx context.Context) error {
	if a.web == nil {
		return nil
	}
	if a.cfg.DevAuth {
		dev, err := signin.EnsureDevTenant(ctx, a.signinDeps.Provisioner.(*onboarding.Provisioner), a.web.stores, time.Now())
		if err != nil {
			return fmt.Errorf("prepare the demo tenant: %w", err)
		}
		a.webSignin().UseDevTenant(dev)
	}
	return nil
}

func newMailer(cfg *config.Config) (mail.Sender, mail.Address, error) {
	from := mail.Address{Name: "Meeting Minutes", Email: "no-reply@meeting-minutes.invalid"}
	switch {
	case cfg.Mail.SMTPURL.IsSet():
		sc, err := mail.ParseSMTPURL(cfg.Mail.SMTPURL.Reveal())
		if err != nil {
			return nil, from, &config.Error{Key: "SMTP_URL", Reason: err.Error()}
		}
		s, err := mail.NewSMTP(sc)
		if err != nil {
			return nil, from, &config.Error{Key: "SMTP_URL", Reason: err.Error()}
		}
		if !sc.From.IsZero() {
			from = sc.From
		}
		return s, from, nil
	case cfg.Mail.Dir != "":
		d, err := mail.NewDir(cfg.Mail.Dir, nil)
		if err != nil {
			return nil, from, &config.Error{Key: "MAIL_DIR", Reason: err.Error()}
		}
		return d, from, nil
	case cfg.Mail.FromUser != "":
		// Managed installs: Graph sendMail from our own mailbox, no SMTP relay to run.
		clients := graph.NewClients(graph.ClientsOptions{ClientID: cfg.Identity.ClientID,
			ClientSecret: cfg.Identity.ClientSecret.Reveal(), Authority: cfg.Identity.Authority.String()})
		return graph.MailSender{Clients: clients, Tenant: uuid.MustParse(cfg.Identity.OperatorTenantID),
			From: graph.UserID(cfg.Mail.FromUser)}, mail.Address{Email: cfg.Mail.FromUser}, nil
	}
	return nil, from, nil // no mail: invitation links are shown to the admin instead
}

// webMiddleware puts the caller's principal on the request and checks CSRF on changes.
func (a *app) webMiddleware(h http.Handler) http.Handler {
	if a.web == nil {
		reason := a.cfg.Feature(config.FeatureSignIn).Reason
		if a.pool == nil {
			reason = a.cfg.Feature(config.FeatureDatabase).Reason
		}
		return a.adapter.HTTP("Portal", func(http.ResponseWriter, *http.Request) error {
			return funchost.Unavailable("sign-in is not configured: " + reason)
		})
	}
	inner := a.web.auth.Middleware(a.web.sessions.CSRFMiddleware(h))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The CSRF check may read a form body before the route's own limit applies: bound it
		// here too (an upload is the largest body a browser route takes).
		r.Body = http.MaxBytesReader(w, r.Body, upload.MaxRequestBytes)
		inner.ServeHTTP(w, r)
	})
}

// signinRoutes are the sign-in flows, served as part of the Portal function.
func (a *app) signinRoutes() []webRoute {
	if a.web == nil {
		return nil
	}
	var out []webRoute
	for _, r := range a.webSignin().Routes() {
		out = append(out, webRoute{r.Pattern, r.Handler})
	}
	return out
}

// webSignin returns the sign-in handler (built at start-up; before it, one without the demo
// tenant, so routes can be listed).
func (a *app) webSignin() *signin.Handler {
	if a.web.signin == nil {
		a.web.signin = signin.New(a.signinDeps)
	}
	return a.web.signin
}

func (a *app) consentCallback() funchost.HandlerFunc {
	if a.web == nil || !a.web.entra {
		return notYetHTTP("ConsentCallback (set ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET, SESSION_KEYS and PUBLIC_BASE_URL)")
	}
	return func(w http.ResponseWriter, r *http.Request) error { return a.webSignin().Consent(w, r) }
}

func (a *app) apiRoutes() []webRoute {
	if a.web == nil {
		return routes(notYetHTTP("Api"), "/api/v1/")
	}
	h := api.New(api.Deps{Review: a.review(), Log: a.log, Uploads: a.uploads(), Features: a.apiFeatures(), AuditLog: api.AuditLogFunc(
		func(ctx context.Context, t tenancy.ID, p audit.ListParams) ([]audit.Record, error) {
			return audit.List(ctx, a.pool, t, p)
		})})
	var out []webRoute
	for _, r := range h.Routes() {
		out = append(out, webRoute{r.Pattern, r.Handler})
	}
	return append(out, webRoute{"/api/v1/", func(http.ResponseWriter, *http.Request) error { return funchost.ErrNotFound }})
}

// review is the minutes review service the Portal and the Api share.
func (a *app) review() *review.Service {
	if a.reviewer == nil {
		a.reviewer = review.New(nil).OnApproved(a.queuePublish)
	}
	return a.reviewer
}

// csrfFailed answers a refused state-changing request: JSON for the API, a short page
// otherwise.
func (a *app) csrfFailed(w http.ResponseWriter, r *http.Request, err error) {
	a.log.InfoContext(r.Context(), "csrf check refused a request", "path", r.URL.Path, "reason", err)
	if strings.HasPrefix(r.URL.Path, "/api/v1/") {
		funchost.WriteJSON(w, http.StatusForbidden, funchost.ErrorBody{Error: "missing or invalid X-CSRF-Token header", Status: http.StatusForbidden})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(`<!doctype html><title>Form expired</title><p>This form has expired or came from another site. <a href="/api/app/">Go back</a> and try again.</p>`))
}

func (a *app) portalRoutes() []webRoute {
	if a.web == nil {
		return routes(notYetHTTP("Portal"), "GET /api/app/", "POST /api/app/")
	}
	out := a.signinRoutes()
	for _, r := range a.web.portal.Routes() {
		out = append(out, webRoute{r.Pattern, r.Handler})
	}
	return out
}

// portalInvites adapts the invitation service to the portal's interface.
type portalInvites struct{ i *signin.Invites }

func (p portalInvites) Invite(ctx context.Context, email string, role store.Role) (store.Invitation, error) {
	sent, err := p.i.Invite(ctx, email, role)
	return sent.Invitation, err
}

func (p portalInvites) Preview(ctx context.Context, token string) (portal.InvitationPreview, error) {
	inv, t, inviter, err := p.i.Preview(ctx, token)
	if err != nil {
		return portal.InvitationPreview{}, err
	}
	return portal.InvitationPreview{TenantName: t.Name, InvitedBy: inviter, Email: inv.Email, Role: inv.Role, ExpiresAt: inv.ExpiresAt}, nil
}

func (p portalInvites) Accept(ctx context.Context, token string) (string, error) {
	return p.i.Accept(ctx, token)
}

// operatorConsole adapts the tenant registry and the migration runs to the operator console.
type operatorConsole struct {
	reg  *tenancy.Registry
	pool migrate.RowQuerier
}

func (o operatorConsole) MigrationRuns(ctx context.Context, limit int) ([]migrate.Run, error) {
	return migrate.ListRuns(ctx, o.pool, limit)
}

func (o operatorConsole) Tenants(ctx context.Context) ([]tenancy.Tenant, error) {
	return o.reg.List(ctx, tenancy.ID{}, 1000)
}

func (o operatorConsole) SetStatus(ctx context.Context, id tenancy.ID, s tenancy.Status) error {
	return o.reg.SetStatus(ctx, id, s, time.Now())
}

package portal

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/migrate"
	"github.com/meetingminutes/minutes/shared/review"
	"github.com/meetingminutes/minutes/shared/session"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Invites creates and accepts invitations. It is an interface because the implementation
// (signed tokens, mail, entitlement checks) lives with the sign-in flows; every method reads
// the caller from ctx.
type Invites interface {
	// Invite invites email to the caller's tenant with role and mails the link. Errors with a
	// 4xx status (funchost.StatusOf) are shown to the admin with their public message.
	Invite(ctx context.Context, email string, role store.Role) (store.Invitation, error)
	// Preview describes the invitation behind token for the acceptance page; an unknown,
	// forged, revoked or accepted token is store.ErrNotFound, an expired one store.ErrExpired.
	Preview(ctx context.Context, token string) (InvitationPreview, error)
	// Accept starts or completes accepting the invitation behind token and returns the local
	// path to send the browser to next (a sign-in start, or the meetings page).
	Accept(ctx context.Context, token string) (redirect string, err error)
}

// InvitationPreview is what the acceptance page shows about an invitation.
type InvitationPreview struct {
	// TenantName is the inviting organisation.
	TenantName string
	// InvitedBy is the inviting admin's display name or email; "" when unknown.
	InvitedBy string
	// Email is the invitee's address.
	Email string
	// Role is the role the invitee gets.
	Role store.Role
	// ExpiresAt is the end of the invitation's validity.
	ExpiresAt time.Time
}

// Billing opens Stripe pages for the caller's tenant (read from ctx).
type Billing interface {
	// CheckoutURL returns the Checkout session URL that subscribes the tenant to plan (a
	// tenancy.Plan value: "starter", "pro").
	CheckoutURL(ctx context.Context, plan string) (string, error)
	// PortalURL returns the Customer Portal session URL of the tenant.
	PortalURL(ctx context.Context) (string, error)
}

// Operator is the part of the tenant registry the operator console uses.
type Operator interface {
	// Tenants lists every tenant, oldest first.
	Tenants(ctx context.Context) ([]tenancy.Tenant, error)
	// SetStatus suspends (StatusSuspended) or resumes (StatusActive) a tenant.
	SetStatus(ctx context.Context, id tenancy.ID, s tenancy.Status) error
	// MigrationRuns lists the newest schema migration runs first.
	MigrationRuns(ctx context.Context, limit int) ([]migrate.Run, error)
}

// Features answers plan questions (billing.Allows over the tenant's plan).
type Features interface {
	Allows(ctx context.Context, tenant tenancy.ID, feature string) (bool, error)
}

// Plan is one subscription plan as the landing and billing pages present it.
type Plan struct {
	// ID is the plan's tier; it is what CheckoutURL receives.
	ID tenancy.Plan
	// Name is the display name ("Starter").
	Name string
	// Price is the price as text ("$5 per user / month").
	Price string
	// Features are short selling points, one line each.
	Features []string
	// SelfServe says the plan can be bought through Checkout; otherwise the page offers to
	// contact sales.
	SelfServe bool
}

// DefaultPlans returns the plans of the price list: Starter, Pro and Enterprise.
func DefaultPlans() []Plan {
	return []Plan{
		{ID: tenancy.PlanStarter, Name: "Starter", Price: "$5 per user / month", SelfServe: true, Features: []string{
			"100 meetings per month", "Summary, decisions and action items with quotes", "Approval before anything is sent",
			"SharePoint and email publishing"}},
		{ID: tenancy.PlanPro, Name: "Pro", Price: "$12 per user / month", SelfServe: true, Features: []string{
			"Unlimited meetings", "Everything in Starter", "Named approvers and reminders", "Custom templates, tone and language"}},
		{ID: tenancy.PlanEnterprise, Name: "Enterprise", Price: "Custom pricing", Features: []string{
			"Bring your own infrastructure (BYOI): your database, storage and OpenAI", "Self-hosted and air-gapped installs",
			"Customer-managed keys and retention", "Priority support"}},
	}
}

// Deps are the Portal's dependencies. Review is required; every interface may be nil, which
// turns its pages into a "not configured" answer (503) instead of failing at start-up.
type Deps struct {
	// Review changes minutes and action items with the role checks of the review workflow.
	Review *review.Service
	// Plans are the plans shown on the landing and billing pages; nil means DefaultPlans().
	Plans []Plan
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Log receives warnings; default discards.
	Log *slog.Logger
	// DevAuth adds a link to the loopback-only dev sign-in on the landing page.
	DevAuth bool
	// Invites creates and accepts invitations; nil disables them.
	Invites Invites
	// Reconciler compares reported usage with Stripe's for the operator console; nil shows
	// "not configured".
	Reconciler Reconciler
	// Features says which features the tenant's plan includes; nil allows everything.
	Features Features
	// Billing opens Stripe Checkout and the Customer Portal; nil shows "Billing is not
	// configured".
	Billing Billing
	// Health returns the report of /api/health and its HTTP status; nil shows "not
	// configured".
	Health func(ctx context.Context) (report any, status int)
	// Operator backs the operator console; nil shows "not configured" to operators.
	Operator Operator
	// Tenants reads the caller's tenant row (name, plan, trial end) for the billing page and
	// the header; nil leaves them out.
	Tenants access.TenantLookup
	// Sessions, when set, lets the invitation page start a session for a first-time visitor
	// so its Accept form carries a CSRF token; without it the page links to sign-in instead.
	Sessions *session.Manager
	// Rename renames the caller's organisation (tenancy.Rename); nil hides the name field.
	Rename func(ctx context.Context, tenant tenancy.ID, name string) error
	// Uploads stores transcripts uploaded on the meetings page (an *upload.Service); nil
	// answers the upload with "not configured".
	Uploads Uploads
}

// Handler serves the portal's pages.
type Handler struct {
	d      Deps
	pages  map[string]*template.Template
	assets *assets
}

// Route is one public route of the portal.
type Route struct {
	// Pattern is a net/http pattern under /api/app/.
	Pattern string
	// Handler serves it; mount it with funchost.Adapter.HTTP.
	Handler funchost.HandlerFunc
}

// New parses the templates and hashes the assets; an error means a broken build.
func New(d Deps) (*Handler, error) {
	if d.Review == nil {
		return nil, errors.New("portal: Deps.Review is required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Plans == nil {
		d.Plans = DefaultPlans()
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	h := &Handler{d: d, assets: a}
	if h.pages, err = parsePages(a); err != nil {
		return nil, err
	}
	return h, nil
}

// Routes lists every route of the portal. Sign-in, sign-out and sign-up (/api/app/auth/*,
// /api/app/signup) belong to the sign-in flows, not to this list.
func (h *Handler) Routes() []Route {
	return []Route{
		{"GET /api/app", h.root},
		{"GET /api/app/{$}", h.wrap(h.landing)},
		{"GET /api/app/", h.wrap(h.unknown)},
		{"GET /api/app/static/{file}", h.static},

		{"GET /api/app/meetings", h.wrap(h.meetings)},
		{"GET /api/app/meetings/{id}", h.wrap(h.meeting)},
		{"POST /api/app/transcripts", h.wrap(h.uploadTranscript)},
		{"GET /api/app/minutes/{id}", h.wrap(h.minutesVersion)},
		{"GET /api/app/minutes/{id}/edit", h.wrap(h.editForm)},
		{"POST /api/app/minutes/{id}/edit", h.wrap(h.edit)},
		{"POST /api/app/minutes/{id}/approve", h.wrap(h.approve)},
		{"POST /api/app/minutes/{id}/reject", h.wrap(h.reject)},

		{"GET /api/app/action-items", h.wrap(h.actionItems)},
		{"POST /api/app/action-items/{id}/status", h.wrap(h.setActionItemStatus)},

		{"GET /api/app/settings", h.wrap(h.settings)},
		{"POST /api/app/settings", h.wrap(h.saveSettings)},
		{"POST /api/app/settings/organisation", h.wrap(h.renameOrganisation)},
		{"GET /api/app/setup", h.wrap(h.setup)},
		{"POST /api/app/setup", h.wrap(h.saveSetup)},

		{"GET /api/app/users", h.wrap(h.users)},
		{"POST /api/app/users/{id}/role", h.wrap(h.setRole)},
		{"POST /api/app/invitations", h.wrap(h.invite)},
		{"POST /api/app/invitations/{id}/revoke", h.wrap(h.revokeInvitation)},
		{"GET /api/app/invitations/accept", h.wrap(h.acceptForm)},
		{"POST /api/app/invitations/accept", h.wrap(h.accept)},

		{"GET /api/app/billing", h.wrap(h.billing)},
		{"POST /api/app/billing/checkout", h.wrap(h.checkout)},
		{"POST /api/app/billing/portal", h.wrap(h.billingPortal)},

		{"GET /api/app/health", h.wrap(h.health)},
		{"GET /api/app/connection", h.wrap(h.connection)},

		{"GET /api/app/operator", h.operatorOnly(h.operator)},
		{"POST /api/app/operator/tenants/{id}/status", h.operatorOnly(h.setTenantStatus)},
		{"GET /api/app/operator/migrations", h.operatorOnly(h.operatorMigrations)},
		{"GET /api/app/operator/health", h.operatorOnly(h.operatorHealth)},
		{"GET /api/app/operator/billing", h.operatorOnly(h.operatorBilling)},
	}
}

// root sends /api/app to /api/app/ (the Functions route app/{*path} admits both).
func (h *Handler) root(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/api/app/", http.StatusMovedPermanently)
	return nil
}

// unknown is the 404 page of every other path under /api/app/.
func (h *Handler) unknown(w http.ResponseWriter, r *http.Request) error { return errNotFound }

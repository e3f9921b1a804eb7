package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/review"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// AuditLog reads a tenant's audit log (audit.List over the database holding it). It is an
// interface because the log lives in the tenant's database, which only the wiring can reach.
type AuditLog interface {
	List(ctx context.Context, tenant tenancy.ID, p audit.ListParams) ([]audit.Record, error)
}

// AuditLogFunc adapts a function to AuditLog:
//
//	api.AuditLogFunc(func(ctx context.Context, t tenancy.ID, p audit.ListParams) ([]audit.Record, error) {
//		return audit.List(ctx, pool, t, p)
//	})
type AuditLogFunc func(ctx context.Context, tenant tenancy.ID, p audit.ListParams) ([]audit.Record, error)

// List calls f.
func (f AuditLogFunc) List(ctx context.Context, tenant tenancy.ID, p audit.ListParams) ([]audit.Record, error) {
	return f(ctx, tenant, p)
}

// Features answers plan questions; the handler implements it over billing.Entitlements.
type Features interface {
	Allows(ctx context.Context, tenant tenancy.ID, feature string) (bool, error)
}

// Feature names the Api gates (billing.Feature values).
const (
	featureNamedApprovers  = "named_approvers"
	featureCustomTemplates = "custom_templates"
)

// allows reports whether the caller's plan includes feature; a refusal is a 402 naming the
// plan to upgrade to.
func (h *Handler) allows(ctx context.Context, tenant tenancy.ID, feature, what string) error {
	if h.features == nil {
		return nil
	}
	ok, err := h.features.Allows(ctx, tenant, feature)
	if err != nil {
		return fmt.Errorf("check plan: %w", err)
	}
	if !ok {
		return funchost.Status(http.StatusPaymentRequired, what+" are part of the Pro plan: upgrade in Billing")
	}
	return nil
}

// Deps are what the API needs.
type Deps struct {
	// Review runs the minutes workflow; default review.New(Now).
	Review *review.Service
	// Now is the clock of the API's own audit entries; default time.Now.
	Now func() time.Time
	// Log receives what cannot be reported to the caller (a CSV export cut short); default
	// discards.
	Log *slog.Logger
	// AuditLog reads audit logs for GET /api/v1/audit; nil answers that route with 503.
	AuditLog AuditLog
	// Uploads stores uploaded transcripts for POST /api/v1/transcripts (an *upload.Service);
	// nil answers that route with 503.
	Uploads Uploads
	// Features says which features the tenant's plan includes (named approvers, custom
	// templates); nil allows everything (installs without billing).
	Features Features
}

// Handler serves the REST API. Build it with New.
type Handler struct {
	review   *review.Service
	now      func() time.Time
	log      *slog.Logger
	auditLog AuditLog
	uploads  Uploads
	features Features
}

// New returns the API's handler.
func New(d Deps) *Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Review == nil {
		d.Review = review.New(d.Now)
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Handler{review: d.Review, now: d.Now, log: d.Log, auditLog: d.AuditLog, uploads: d.Uploads, features: d.Features}
}

// Route is one endpoint: a Go 1.22 ServeMux pattern with its method ("GET /api/v1/me") and
// the handler to mount through funchost.Adapter.HTTP.
type Route struct {
	Pattern string
	Handler funchost.HandlerFunc
}

// Routes returns every endpoint of the API (see the package documentation).
func (h *Handler) Routes() []Route {
	return []Route{
		{"GET /api/v1/me", h.me},
		{"GET /api/v1/meetings", h.listMeetings},
		{"GET /api/v1/meetings/{id}", h.getMeeting},
		{"GET /api/v1/meetings/{id}/minutes", h.minutesHistory},
		{"GET /api/v1/minutes/{id}", h.getMinutes},
		{"PUT /api/v1/minutes/{id}", h.editMinutes},
		{"POST /api/v1/minutes/{id}/approve", h.approveMinutes},
		{"POST /api/v1/minutes/{id}/reject", h.rejectMinutes},
		{"GET /api/v1/action-items", h.listActionItems},
		{"GET /api/v1/action-items.csv", h.exportActionItems},
		{"PATCH /api/v1/action-items/{id}", h.setActionItemStatus},
		{"GET /api/v1/settings", h.getSettings},
		{"PUT /api/v1/settings", h.putSettings},
		{"GET /api/v1/users", h.listUsers},
		{"PATCH /api/v1/users/{id}", h.setUserRole},
		{"GET /api/v1/templates", h.listTemplates},
		{"POST /api/v1/templates", h.createTemplate},
		{"GET /api/v1/audit", h.listAudit},
		{"POST /api/v1/transcripts", h.uploadTranscript},
	}
}

// caller is access.Caller, named for the handlers' brevity.
func caller(ctx context.Context, role store.Role, write bool) (access.Principal, store.Store, error) {
	return access.Caller(ctx, role, write)
}

// entry is an audit entry for an action of p, now.
func (h *Handler) entry(p access.Principal, action, targetType, targetID string, details map[string]any) audit.Entry {
	return audit.ByUser(h.now(), p.User.String(), action, targetType, targetID, details)
}

// reply writes v as JSON with status; tenant data is never cached.
func reply(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Cache-Control", "no-store")
	funchost.WriteJSON(w, status, v)
	return nil
}

// Audit actions the API records itself (the minutes workflow's are shared/review's).
const (
	actionSettingsUpdated = "settings.updated"
	actionUserRole        = "user.role_changed"
	actionTemplate        = "template.created"
	actionExported        = "action_items.exported"
)

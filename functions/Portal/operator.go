package portal

import (
	"net/http"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/migrate"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// operatorOnly serves fn to operators and the 404 page to everyone else, anonymous callers
// included: the console does not reveal that it exists.
func (h *Handler) operatorOnly(fn funchost.HandlerFunc) funchost.HandlerFunc {
	return h.wrap(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := access.RequireOperator(r.Context()); err != nil {
			return errNotFound
		}
		return fn(w, r)
	})
}

// operatorData is the data of the operator console.
type operatorData struct {
	Tenants    []tenancy.Tenant
	Configured bool
}

// operator serves GET /api/app/operator: every tenant with suspend and resume.
func (h *Handler) operator(w http.ResponseWriter, r *http.Request) error {
	data := operatorData{Configured: h.d.Operator != nil}
	if data.Configured {
		var err error
		if data.Tenants, err = h.d.Operator.Tenants(r.Context()); err != nil {
			return err
		}
	}
	v := h.newView(r, "Operator console", "operator")
	v.Data = data
	return h.render(w, http.StatusOK, "operator", v)
}

// setTenantStatus serves POST /api/app/operator/tenants/{id}/status (status=suspended|active).
func (h *Handler) setTenantStatus(w http.ResponseWriter, r *http.Request) error {
	if h.d.Operator == nil {
		return funchost.Unavailable("The operator console is not configured on this installation.")
	}
	id, err := tenancy.ParseID(r.PathValue("id"))
	if err != nil {
		return errNotFound
	}
	status := tenancy.Status(r.PostFormValue("status"))
	if status != tenancy.StatusSuspended && status != tenancy.StatusActive {
		return funchost.Status(http.StatusBadRequest, "unknown tenant status")
	}
	if err := h.d.Operator.SetStatus(r.Context(), id, status); err != nil {
		return err
	}
	return redirect(w, r, "/api/app/operator?done=tenant_status")
}

// migrationsData is the data of the migration runs page.
type migrationsData struct {
	Configured bool
	Runs       []migrate.Run
}

// operatorMigrations serves GET /api/app/operator/migrations: the coordinator's runs, newest
// first, with their progress counts.
func (h *Handler) operatorMigrations(w http.ResponseWriter, r *http.Request) error {
	data := migrationsData{Configured: h.d.Operator != nil}
	if data.Configured {
		var err error
		if data.Runs, err = h.d.Operator.MigrationRuns(r.Context(), 100); err != nil {
			return err
		}
	}
	v := h.newView(r, "Migration runs", "operator")
	v.Data = data
	return h.render(w, http.StatusOK, "operator-migrations", v)
}

// tenantHealthData is the data of the tenant health page.
type tenantHealthData struct {
	Configured bool
	Tenants    []tenancy.Tenant
	// Platform is the platform's own health report; nil when not configured.
	Platform *healthData
}

// operatorHealth serves GET /api/app/operator/health: the platform's own report and each
// tenant's last known health (kept on the registry by the health sweep).
func (h *Handler) operatorHealth(w http.ResponseWriter, r *http.Request) error {
	data := tenantHealthData{Configured: h.d.Operator != nil}
	if data.Configured {
		var err error
		if data.Tenants, err = h.d.Operator.Tenants(r.Context()); err != nil {
			return err
		}
	}
	if h.d.Health != nil {
		report, code := h.d.Health(r.Context())
		hv, err := healthView(report, code)
		if err != nil {
			return err
		}
		data.Platform = &hv
	}
	v := h.newView(r, "Tenant health", "operator")
	v.Data = data
	return h.render(w, http.StatusOK, "operator-health", v)
}

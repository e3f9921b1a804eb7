package portal

import (
	"net/http"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/funchost"
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

// placeholderData is the data of the console's pages that are not built yet.
type placeholderData struct{ What string }

// operatorPlaceholder serves the migration runs and tenant health pages of the console until
// their data sources exist.
func (h *Handler) operatorPlaceholder(w http.ResponseWriter, r *http.Request) error {
	what := "Migration runs"
	if r.URL.Path == "/api/app/operator/health" {
		what = "Tenant health"
	}
	v := h.newView(r, what, "operator")
	v.Data = placeholderData{What: what}
	return h.render(w, http.StatusOK, "operator-placeholder", v)
}

package portal

import (
	"net/http"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// connectionData is what the data-location page shows.
type connectionData struct {
	Known      bool
	Deployment tenancy.Deployment
}

// connection is GET /api/app/connection (admin): where the tenant's data lives. For a BYOI
// tenant the connection profile (its PostgreSQL, Storage, Key Vault and OpenAI) is managed
// here; until that lands, the page states the deployment model and what BYOI means.
func (h *Handler) connection(w http.ResponseWriter, r *http.Request) error {
	p, err := access.Require(r.Context(), store.RoleAdmin)
	if err != nil {
		return err
	}
	var data connectionData
	if h.d.Tenants != nil {
		t, err := h.d.Tenants.Get(r.Context(), p.Tenant)
		if err != nil {
			return err
		}
		data.Known, data.Deployment = true, t.Deployment
	}
	v := h.newView(r, "Data location", "connection")
	v.Data = data
	return h.render(w, http.StatusOK, "connection", v)
}

package portal

import (
	"fmt"
	"net/http"
	"time"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// errNoBilling is the answer when Deps.Billing is nil.
var errNoBilling = funchost.Unavailable("Billing is not configured on this installation.")

// billingData is the data of the billing page.
type billingData struct {
	// Known says the tenant row was read (Deps.Tenants set).
	Known       bool
	TenantName  string
	Plan        tenancy.Plan
	PlanName    string
	Status      tenancy.Status
	TrialEndsAt *time.Time
	TrialOver   bool
	Seats       int
	Plans       []Plan
	// Configured says Deps.Billing is set: the Checkout and Portal buttons work.
	Configured bool
}

// billing serves GET /api/app/billing. It stays usable for a suspended tenant: paying is how
// it becomes active again.
func (h *Handler) billing(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, st, err := access.Caller(ctx, store.RoleAdmin, false)
	if err != nil {
		return err
	}
	data := billingData{Plans: h.d.Plans, Configured: h.d.Billing != nil, Status: p.TenantStatus}
	if h.d.Tenants != nil {
		t, err := h.d.Tenants.Get(ctx, p.Tenant)
		if err != nil {
			return err
		}
		data.Known, data.TenantName, data.Plan, data.TrialEndsAt = true, t.Name, t.Plan, t.TrialEndsAt
		data.PlanName = string(t.Plan)
		for _, pl := range h.d.Plans {
			if pl.ID == t.Plan {
				data.PlanName = pl.Name
			}
		}
		data.TrialOver = t.TrialEndsAt != nil && !h.d.Now().Before(*t.TrialEndsAt)
	}
	if data.Seats, err = countActiveUsers(r, st); err != nil {
		return err
	}
	status := http.StatusOK
	if !data.Configured {
		status = http.StatusServiceUnavailable
	}
	v := h.newView(r, "Billing", "billing")
	v.Data = data
	return h.render(w, status, "billing", v)
}

// countActiveUsers counts the tenant's active users (the seats in use).
func countActiveUsers(r *http.Request, st store.Store) (int, error) {
	n, after := 0, ""
	for {
		page, err := st.ListUsers(r.Context(), store.ListUsersParams{Limit: store.MaxLimit, AfterEmail: after})
		if err != nil {
			return 0, err
		}
		for _, u := range page {
			if u.Status == store.UserActive {
				n++
			}
		}
		if len(page) < store.MaxLimit {
			return n, nil
		}
		after = page[len(page)-1].Email
	}
}

// checkout serves POST /api/app/billing/checkout (plan=…): off to Stripe Checkout.
func (h *Handler) checkout(w http.ResponseWriter, r *http.Request) error {
	if _, err := access.Require(r.Context(), store.RoleAdmin); err != nil {
		return err
	}
	if h.d.Billing == nil {
		return errNoBilling
	}
	plan := r.PostFormValue("plan")
	ok := false
	for _, p := range h.d.Plans {
		ok = ok || (p.SelfServe && string(p.ID) == plan)
	}
	if !ok {
		return funchost.Status(http.StatusBadRequest, "choose one of the plans on the page")
	}
	target, err := h.d.Billing.CheckoutURL(r.Context(), plan)
	if err != nil {
		return err
	}
	return externalRedirect(w, r, target)
}

// billingPortal serves POST /api/app/billing/portal: off to the Stripe Customer Portal.
func (h *Handler) billingPortal(w http.ResponseWriter, r *http.Request) error {
	if _, err := access.Require(r.Context(), store.RoleAdmin); err != nil {
		return err
	}
	if h.d.Billing == nil {
		return errNoBilling
	}
	target, err := h.d.Billing.PortalURL(r.Context())
	if err != nil {
		return err
	}
	return externalRedirect(w, r, target)
}

// externalRedirect sends the browser to a billing page, which must be an https URL (or a
// local path, for tests and stripe-mock set-ups behind the same host).
func externalRedirect(w http.ResponseWriter, r *http.Request, target string) error {
	if !safeRedirect(target) {
		return fmt.Errorf("billing redirect: %q is neither https nor a local path", clipText(target, 80))
	}
	return redirect(w, r, target)
}

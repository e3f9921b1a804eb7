package portal

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// errNoBilling is the answer when Deps.Billing is nil.
var errNoBilling = funchost.Unavailable("Billing is not configured on this installation.")

// BillingOverview is the optional part of a Billing that describes the caller's
// subscription: when Deps.Billing implements it, the billing page also shows the paid seats,
// the meetings of this period against the plan's quota, meetings held, and the grace period
// of a failed payment. billing.PortalPages implements it.
type BillingOverview interface {
	Overview(ctx context.Context) (billing.Overview, error)
}

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
	// Usage is set when Deps.Billing implements BillingOverview.
	Usage *billingUsage
}

// billingUsage is the subscription part of the billing page.
type billingUsage struct {
	// Subscribed says there is a Stripe subscription (SeatsPaid is meaningful).
	Subscribed         bool
	SubscriptionStatus string
	SeatsPaid          int
	SeatsOver          bool
	MeetingsUsed       int
	// Quota is the plan's meetings per period; 0 means unlimited.
	Quota       int
	QuotaUsedUp bool
	Held        int
	PeriodEnd   time.Time
	// GraceUntil is set while a failed payment is outstanding.
	GraceUntil      *time.Time
	CancelAtPeriod  bool
	Suspended       bool
	SubscriptionEnd *time.Time
}

// usageOf turns the billing overview into the page's usage block.
func usageOf(o billing.Overview, seatsInUse int) *billingUsage {
	a := o.Account
	u := &billingUsage{Subscribed: a.Subscription != "" && a.SubscriptionStatus != billing.SubNone,
		SubscriptionStatus: string(a.SubscriptionStatus), SeatsPaid: a.Seats, MeetingsUsed: o.MeetingsUsed,
		Held: o.Held, PeriodEnd: o.PeriodEnd, CancelAtPeriod: a.CancelAtPeriod, Suspended: o.Effective == tenancy.StatusSuspended}
	u.SeatsOver = u.Subscribed && seatsInUse > a.Seats
	if o.Quota != billing.Unlimited {
		u.Quota, u.QuotaUsedUp = o.Quota, o.MeetingsUsed >= o.Quota
	}
	if o.InGrace {
		u.GraceUntil = a.GraceUntil
	}
	if a.CancelAtPeriod {
		u.SubscriptionEnd = a.PeriodEnd
	}
	return u
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
	if data.Seats, err = store.CountActiveUsers(r.Context(), st); err != nil {
		return err
	}
	if ov, ok := h.d.Billing.(BillingOverview); ok {
		o, err := ov.Overview(ctx)
		if err != nil {
			return err
		}
		data.Usage = usageOf(o, data.Seats)
		data.Status = o.Effective
		if o.Account.Plan != "" {
			data.Plan = o.Account.Plan
		}
	}
	status := http.StatusOK
	if !data.Configured {
		status = http.StatusServiceUnavailable
	}
	v := h.newView(r, "Billing", "billing")
	v.Data = data
	return h.render(w, status, "billing", v)
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

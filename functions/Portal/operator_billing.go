package portal

import (
	"context"
	"net/http"
	"time"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// UsageReconciliation is one tenant's metered usage, ours against the billing provider's.
type UsageReconciliation struct {
	Tenant tenancy.Tenant
	Meters []MeterReconciliation
	// Error is why this tenant could not be compared ("" when it was).
	Error string
}

// MeterReconciliation compares one meter over the period.
type MeterReconciliation struct {
	Meter string
	// Reported is what we sent, Pending what we counted and not sent yet, Provider what the
	// provider aggregated.
	Reported, Pending int64
	Provider          float64
	Match             bool
}

// Reconciler compares reported usage with the billing provider's for the operator console;
// the handler implements it over billing.Client.Reconcile.
type Reconciler interface {
	Reconcile(ctx context.Context, from, to time.Time) ([]UsageReconciliation, error)
}

// billingReconciliationData is the data of the operator's usage reconciliation page.
type billingReconciliationData struct {
	Configured bool
	From, To   time.Time
	Rows       []UsageReconciliation
	Mismatches int
}

// operatorBilling serves GET /api/app/operator/billing: this month's usage per tenant and
// meter, what we reported against what Stripe aggregated.
func (h *Handler) operatorBilling(w http.ResponseWriter, r *http.Request) error {
	now := time.Now().UTC()
	data := billingReconciliationData{Configured: h.d.Reconciler != nil,
		From: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC), To: now.Truncate(time.Hour)}
	if data.Configured {
		var err error
		if data.Rows, err = h.d.Reconciler.Reconcile(r.Context(), data.From, data.To); err != nil {
			return err
		}
		for _, row := range data.Rows {
			for _, m := range row.Meters {
				if !m.Match {
					data.Mismatches++
				}
			}
		}
	}
	v := h.newView(r, "Usage reconciliation", "operator")
	v.Data = data
	return h.render(w, http.StatusOK, "operator-billing", v)
}

package portal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	portal "github.com/meetingminutes/minutes/functions/Portal"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

type reconciler struct{ rows []portal.UsageReconciliation }

func (r reconciler) Reconcile(context.Context, time.Time, time.Time) ([]portal.UsageReconciliation, error) {
	return r.rows, nil
}

func TestOperatorUsageReconciliation(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{reconciler: reconciler{rows: []portal.UsageReconciliation{
		{Tenant: tenancy.Tenant{Name: "Contoso"}, Meters: []portal.MeterReconciliation{
			{Meter: "meetings_processed", Reported: 42, Pending: 3, Provider: 42, Match: true},
			{Meter: "active_users", Reported: 7, Provider: 6, Match: false}}},
		{Tenant: tenancy.Tenant{Name: "Fabrikam"}, Error: "Stripe is unavailable"},
	}}})
	page := b.get(t, b.asOperator(t), "/api/app/operator/billing").text()
	require.Contains(t, page, "Usage reconciliation")
	require.Contains(t, page, "1 meter(s) differ")
	require.Contains(t, page, "meetings_processed")
	require.True(t, strings.Contains(page, "could not compare: Stripe is unavailable"))

	require.Equal(t, 404, b.get(t, b.as(t, b.a, b.a.Admin), "/api/app/operator/billing").StatusCode, "tenant admins do not even learn the console exists")
	bare := setup(t)
	require.Contains(t, bare.get(t, bare.asOperator(t), "/api/app/operator/billing").text(), "Billing is not configured")
}

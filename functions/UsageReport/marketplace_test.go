package usagereport

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/marketplace"
	"github.com/meetingminutes/minutes/shared/marketplace/marketplacetest"
)

const appURI = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-customer/providers/Microsoft.Solutions/applications/minutes"

// TestUsageReportBillsTheMarketplace: a managed-application install sends its hourly usage
// to the metering service, once per dimension and hour, retries after a failure, and never
// bills twice.
func TestUsageReportBillsTheMarketplace(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fake := marketplacetest.New(t)
	client, err := marketplace.NewClient(&marketplacetest.Credential{}, &marketplace.Options{BaseURL: fake.URL, HTTPClient: fake.Client(),
		Now: b.clock.Now})
	require.NoError(t, err)
	b.h.d.Meters = nil
	b.h.d.Marketplace = &Marketplace{Sender: client, ResourceURI: appURI, PlanID: "pro"}
	b.newTenant(t, 3)
	next := start.Truncate(time.Hour).Add(time.Hour + 5*time.Minute)

	fake.Fail(1)
	require.Error(t, b.tick(t, next), "the service is down: the run fails, the counters stay")
	require.Empty(t, fake.Accepted())

	require.NoError(t, b.tick(t, next.Add(10*time.Minute)))
	got := map[string]float64{}
	for _, e := range fake.Accepted() {
		require.Equal(t, appURI, e.ResourceURI)
		require.Equal(t, "pro", e.PlanID)
		require.True(t, e.Hour.Equal(start.Truncate(time.Hour)))
		got[e.Dimension] = e.Quantity
	}
	require.Equal(t, map[string]float64{"meetings_processed": 3, "active_users": 1}, got)
	require.Empty(t, b.stripe.Requests("/v1/billing/meter_events"), "no Stripe meter events for a managed app")

	require.NoError(t, b.tick(t, next.Add(20*time.Minute)))
	require.Len(t, fake.Accepted(), 2, "nothing sent twice")
}

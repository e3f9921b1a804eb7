package billing_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/billing/billingtest"
)

func TestReconcile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{})
	for range 2 {
		_, err := b.ent.Admit(b.ctx, f.ID, newMeeting())
		require.NoError(t, err)
	}
	_, err := billing.ReportUsage(b.ctx, b.db.App, b.client, f.ID, start.Add(2*time.Hour))
	require.NoError(t, err)
	base, _ := url.Parse(b.stripe.URL)
	c, err := billing.NewClient(billing.Config{SecretKey: billingtest.SecretKey, APIBase: base,
		Meters: map[billing.Meter]string{billing.MeterMeetings: "mtr_meetings"}})
	require.NoError(t, err)
	from, to := start.Truncate(24*time.Hour), start.Truncate(24*time.Hour).Add(24*time.Hour)
	rec, err := c.Reconcile(b.ctx, b.db.App, f.ID, from, to)
	require.NoError(t, err)
	require.Len(t, rec, 1, "only meters with an id are compared")
	require.Equal(t, billing.MeterMeetings, rec[0].Meter)
	require.Equal(t, int64(2), rec[0].Ours)
	reqs := b.stripe.Requests("/v1/billing/meters/mtr_meetings/event_summaries")
	require.Len(t, reqs, 1)
	require.Equal(t, f.Customer, reqs[0].Form.Get("customer"))
	require.Equal(t, itoa(from.Unix()), reqs[0].Form.Get("start_time"))
	// stripe-mock's fixture aggregate is not ours: the report says so rather than hiding it.
	require.Equal(t, rec[0].Stripe == 2, rec[0].Match)
}

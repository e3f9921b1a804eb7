package billing_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestUsageReportIsIdempotentOnRetry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{})
	hour := start.Truncate(time.Hour)
	for range 3 {
		_, err := b.ent.Admit(b.ctx, f.ID, newMeeting())
		require.NoError(t, err)
	}
	require.NoError(t, billing.RecordActiveUsers(b.ctx, b.db.App, f.ID, hour, 4))

	// Within the hour nothing is reported: the hour is not over.
	res, err := billing.ReportUsage(b.ctx, b.db.App, b.client, f.ID, start)
	require.NoError(t, err)
	require.Zero(t, res.Sent)

	// Stripe fails: nothing is marked, the next run sends.
	at := hour.Add(time.Hour + 5*time.Minute)
	b.stripe.Fail("/v1/billing/meter_events", 10)
	_, err = billing.ReportUsage(b.ctx, b.db.App, b.client, f.ID, at)
	require.ErrorIs(t, err, billing.ErrStripeUnavailable)
	b.stripe.Fail("/v1/billing/meter_events", 0)
	failed := len(b.stripe.Requests("/v1/billing/meter_events"))

	res, err = billing.ReportUsage(b.ctx, b.db.App, b.client, f.ID, at)
	require.NoError(t, err)
	require.Equal(t, 2, res.Sent)
	sent := b.stripe.Requests("/v1/billing/meter_events")[failed:]
	require.Len(t, sent, 2)
	byMeter := map[string]string{}
	for _, r := range sent {
		require.Equal(t, f.Customer, r.Form.Get("payload[stripe_customer_id]"))
		require.Equal(t, r.Form.Get("identifier"), r.IdempotencyKey)
		byMeter[r.Form.Get("event_name")] = r.Form.Get("payload[value]")
		require.Equal(t, billing.ReportID(f.ID, billing.Meter(r.Form.Get("event_name")), hour), r.Form.Get("identifier"))
		require.Equal(t, itoa(hour.Unix()), r.Form.Get("timestamp"))
	}
	require.Equal(t, map[string]string{"meetings_processed": "3", "active_users": "4"}, byMeter)

	// The timer fires again (retry, or a second instance): nothing more is sent.
	res, err = billing.ReportUsage(b.ctx, b.db.App, b.client, f.ID, at.Add(time.Minute))
	require.NoError(t, err)
	require.Zero(t, res.Sent)
	require.Len(t, b.stripe.Requests("/v1/billing/meter_events"), failed+2)

	// A crash after Stripe accepted but before our commit: the resend carries the same
	// identifiers, which Stripe deduplicates.
	require.NoError(t, tenancy.WithTx(b.ctx, b.db.App, f.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(b.ctx, `UPDATE usage_counters SET reported_at = NULL, report_id = NULL`)
		return err
	}))
	_, err = billing.ReportUsage(b.ctx, b.db.App, b.client, f.ID, at.Add(2*time.Minute))
	require.NoError(t, err)
	resent := b.stripe.Requests("/v1/billing/meter_events")[failed+2:]
	require.Len(t, resent, 2)
	require.ElementsMatch(t, []string{sent[0].Form.Get("identifier"), sent[1].Form.Get("identifier")},
		[]string{resent[0].Form.Get("identifier"), resent[1].Form.Get("identifier")})

	// A meeting admitted late into a reported hour lands in the next hour, never lost.
	_, err = b.ent.Admit(b.ctx, f.ID, newMeeting()) // the clock is still inside the reported hour
	require.NoError(t, err)
	var next time.Time
	var value int
	require.NoError(t, tenancy.WithReadTx(b.ctx, b.db.App, f.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(b.ctx, `SELECT period_start, value FROM usage_counters WHERE reported_at IS NULL`).Scan(&next, &value)
	}))
	require.Equal(t, hour.Add(time.Hour), next.UTC())
	require.Equal(t, 1, value)
}

func TestUsageWaitsForACustomer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{NoCustomer: true})
	_, err := b.ent.Admit(b.ctx, f.ID, newMeeting())
	require.NoError(t, err)
	res, err := billing.ReportUsage(b.ctx, b.db.App, b.client, f.ID, start.Add(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, billing.UsageResult{Skipped: 1}, res)
	require.Empty(t, b.stripe.Requests("/v1/billing/meter_events"))
}

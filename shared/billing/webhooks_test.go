package billing_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/billing/billingtest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func (b *bundle) processed(t testing.TB, eventID string) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.App.QueryRow(b.ctx, `SELECT count(*) FROM processed_webhook_events WHERE source = 'stripe' AND event_id = $1`, eventID).Scan(&n))
	return n
}

func TestWebhookAppliesTheSameEventOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{})
	b.stripe.SetSubscription(f.subscription("past_due", priceStarter, 3))
	b.stripe.SetInvoice(billingtest.Invoice{ID: "in_" + f.Sub, Customer: f.Customer, Subscription: f.Sub, Status: "open", AttemptCount: 1})
	ev := billingtest.Event{ID: newEventID(), Type: "invoice.payment_failed",
		Object: billingtest.InvoiceObject(billingtest.Invoice{ID: "in_" + f.Sub, Customer: f.Customer, Subscription: f.Sub, Status: "open", AttemptCount: 1})}

	// Three deliveries, two of them concurrent: one applies, the others find its row.
	outcomes := make(chan billing.Outcome, 3)
	outcomes <- b.deliver(t, ev).Outcome
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes <- b.deliver(t, ev).Outcome
		}()
	}
	wg.Wait()
	close(outcomes)
	count := map[billing.Outcome]int{}
	for o := range outcomes {
		count[o]++
	}
	require.Equal(t, map[billing.Outcome]int{billing.OutcomeApplied: 1, billing.OutcomeDuplicate: 2}, count)
	require.Equal(t, 1, b.processed(t, ev.ID))
	require.Len(t, b.mails(t), 1, "one payment-failed email, not three")
	a := b.account(t, f.ID)
	require.NotNil(t, a.GraceUntil)
	require.Equal(t, start.Add(billing.GracePeriod), *a.GraceUntil, "the grace period started once, at the first delivery")
}

func TestWebhookTrustsStripeNotTheSnapshot(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{})
	// Stripe's current state: Pro, 5 seats, active.
	current := f.subscription("active", pricePro, 5)
	b.stripe.SetSubscription(current)
	created := f.subscription("trialing", priceStarter, 1)

	// updated arrives before created; created's old snapshot must not win.
	require.Equal(t, billing.OutcomeApplied, b.deliver(t, subEvent("customer.subscription.updated", current)).Outcome)
	b.clock.Add(time.Second)
	require.Equal(t, billing.OutcomeApplied, b.deliver(t, subEvent("customer.subscription.created", created)).Outcome)

	a := b.account(t, f.ID)
	require.Equal(t, tenancy.PlanPro, a.Plan)
	require.Equal(t, 5, a.Seats)
	require.Equal(t, billing.SubActive, a.SubscriptionStatus)
	require.Equal(t, tenancy.StatusActive, a.Status)
	require.Equal(t, f.Sub, a.Subscription)
	require.NotNil(t, a.PeriodEnd)
	require.Equal(t, current.PeriodEnd, *a.PeriodEnd, "the period is read from the items (current API) too")
	require.Len(t, b.stripe.Requests("/v1/subscriptions/"+f.Sub), 2, "each event re-read the subscription")
}

func TestWebhookUnknownCustomerIsAcknowledgedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{})
	stranger := billingtest.Subscription{ID: "sub_stranger", Customer: "cus_stranger", Status: "active",
		Items: []billingtest.Item{{Price: pricePro, Quantity: 9}}}
	b.stripe.SetSubscription(stranger)
	b.stripe.SetCustomer("cus_stranger", "")
	ev := subEvent("customer.subscription.updated", stranger)
	ev.ID = newEventID()
	require.Equal(t, billing.OutcomeUnknownCustomer, b.deliver(t, ev).Outcome)
	require.Equal(t, billing.OutcomeDuplicate, b.deliver(t, ev).Outcome, "recorded: the redelivery stops early")

	t.Run("metadata naming our tenant with another customer is not trusted", func(t *testing.T) {
		forged := f.subscription("active", pricePro, 50)
		forged.ID, forged.Customer = "sub_forged", "cus_someone_else"
		b.stripe.SetSubscription(forged)
		require.Equal(t, billing.OutcomeUnknownCustomer, b.deliver(t, subEvent("customer.subscription.updated", forged)).Outcome)
		require.Equal(t, tenancy.PlanStarter, b.account(t, f.ID).Plan)
	})
	t.Run("tenant that does not exist", func(t *testing.T) {
		ghost := billingtest.Subscription{ID: "sub_ghost", Customer: "cus_ghost", Status: "active", Tenant: tenancy.NewID().String()}
		b.stripe.SetSubscription(ghost)
		require.Equal(t, billing.OutcomeUnknownCustomer, b.deliver(t, subEvent("customer.subscription.updated", ghost)).Outcome)
	})
	t.Run("object gone from stripe", func(t *testing.T) {
		b.stripe.Gone("/v1/invoices/in_gone")
		res := b.deliver(t, billingtest.Event{Type: "invoice.paid", Object: map[string]any{"id": "in_gone", "customer": f.Customer}})
		require.Equal(t, billing.OutcomeUnknownCustomer, res.Outcome)
	})
	t.Run("types we do not act on are acknowledged", func(t *testing.T) {
		res := b.deliver(t, billingtest.Event{Type: "charge.refunded", Object: map[string]any{"id": "ch_1"}})
		require.Equal(t, billing.OutcomeIgnored, res.Outcome)
	})
}

func TestWebhookStripeDownIsRetryable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{})
	b.stripe.SetSubscription(f.subscription("active", pricePro, 2))
	ev := subEvent("customer.subscription.updated", f.subscription("active", pricePro, 2))
	ev.ID = newEventID()
	b.stripe.Fail("/v1/subscriptions/", 10)
	payload := ev.Payload()
	_, err := b.hooks.Handle(b.ctx, payload, billingtest.Sign(payload, webhookSecret, b.clock.Now()))
	require.ErrorIs(t, err, billing.ErrStripeUnavailable)
	require.Zero(t, b.processed(t, ev.ID), "not recorded: Stripe's retry applies it")
	b.stripe.Fail("/v1/subscriptions/", 0)
	require.Equal(t, billing.OutcomeApplied, b.deliver(t, ev).Outcome)
}

func TestCheckoutCompletedLinksTheCustomer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{NoCustomer: true})
	f.Customer = "cus_new_" + short(f.ID)
	b.stripe.SetCheckoutSession(billingtest.CheckoutSession{ID: "cs_1", Tenant: f.ID.String(), Customer: f.Customer, Subscription: f.Sub})
	b.stripe.SetSubscription(f.subscription("trialing", priceStarter, 4))
	res := b.deliver(t, billingtest.Event{Type: "checkout.session.completed",
		Object: billingtest.CheckoutSessionObject(billingtest.CheckoutSession{ID: "cs_1", Tenant: f.ID.String(), Customer: f.Customer, Subscription: f.Sub})})
	require.Equal(t, billing.OutcomeApplied, res.Outcome)
	a := b.account(t, f.ID)
	require.Equal(t, f.Customer, a.Customer)
	require.Equal(t, 4, a.Seats)
	require.Equal(t, billing.SubTrialing, a.SubscriptionStatus)
}

func TestTrialWillEndEmailsTheAdminsWhileTrialing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{})
	sub := f.subscription("trialing", priceStarter, 2)
	sub.TrialEnd = start.Add(3 * 24 * time.Hour)
	b.stripe.SetSubscription(sub)
	b.deliver(t, subEvent("customer.subscription.trial_will_end", sub))
	mails := b.mails(t)
	require.Len(t, mails, 1)
	require.Contains(t, mails[0], "trial ends")
	require.Contains(t, mails[0], "admin-"+short(f.ID))

	// Ended early and paid in the same transaction: Stripe still sends it; no reminder.
	sub.Status = "active"
	b.stripe.SetSubscription(sub)
	b.deliver(t, subEvent("customer.subscription.trial_will_end", sub))
	require.Len(t, b.mails(t), 1)
}

func TestSubscriptionDeletedCancelsTheTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{})
	sub := f.subscription("canceled", pricePro, 2)
	b.stripe.SetSubscription(sub)
	b.deliver(t, subEvent("customer.subscription.deleted", sub))
	a := b.account(t, f.ID)
	require.Equal(t, tenancy.StatusCancelled, a.Status)
	require.NotNil(t, a.CancelledAt, "the retention clock runs")
	d, err := b.ent.Admit(b.ctx, f.ID, newMeeting())
	require.NoError(t, err)
	require.False(t, d.Admitted)
	require.Equal(t, billing.HoldSuspended, d.Reason)
}

// TestTenantIsolation: one tenant's billing rows are invisible and untouchable from another's
// context, and no path of the package returns them.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.newTenant(t, tenantOpts{})
	o := b.newTenant(t, tenantOpts{})
	held := newMeeting()
	for range 3 {
		_, err := b.ent.Admit(b.ctx, a.ID, newMeeting())
		require.NoError(t, err)
	}
	require.NoError(t, tenancy.WithTx(b.ctx, b.db.App, a.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(b.ctx, `INSERT INTO billing_meetings (tenant_id, meeting_id, state, reason, held_at) VALUES ($1, $2, 'held', 'over_quota', now())`, a.ID, held)
		return err
	}))

	ov, err := b.ent.Overview(b.ctx, o.ID)
	require.NoError(t, err)
	require.Zero(t, ov.MeetingsUsed)
	require.Zero(t, ov.Held)
	h, err := b.ent.Held(b.ctx, o.ID)
	require.NoError(t, err)
	require.Empty(t, h)

	ctx := context.Background()
	err = tenancy.WithTx(ctx, b.db.App, o.ID, func(tx pgx.Tx) error {
		var n int
		require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM billing_meetings`).Scan(&n))
		require.Zero(t, n, "another tenant's ledger is invisible")
		require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM usage_counters`).Scan(&n))
		require.Zero(t, n)
		tag, err := tx.Exec(ctx, `UPDATE tenants SET plan = 'enterprise', seats = 999 WHERE id = $1`, a.ID)
		require.NoError(t, err)
		require.Zero(t, tag.RowsAffected(), "another tenant's billing state cannot be changed")
		tag, err = tx.Exec(ctx, `UPDATE billing_meetings SET state = 'admitted', admitted_at = now() WHERE tenant_id = $1`, a.ID)
		require.NoError(t, err)
		require.Zero(t, tag.RowsAffected())
		_, err = tx.Exec(ctx, `INSERT INTO billing_meetings (tenant_id, meeting_id, state, admitted_at) VALUES ($1, gen_random_uuid(), 'admitted', now())`, a.ID)
		return err
	})
	require.ErrorContains(t, err, "row-level security", "WITH CHECK refuses a row for another tenant")
	var n int
	require.NoError(t, b.db.App.QueryRow(ctx, `SELECT count(*) FROM billing_meetings`).Scan(&n))
	require.Zero(t, n, "outside any tenant nothing is visible")

	ha, err := b.ent.Held(b.ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, ha, 1)
	require.Equal(t, held, ha[0].Meeting)
}

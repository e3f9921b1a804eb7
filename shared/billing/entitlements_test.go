package billing_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/billing/billingtest"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// TestStarterQuotaHoldsThe101stMeetingUntilAnUpgrade is the quota scenario end to end:
// 100 meetings admitted, the 101st held (kept, not dropped), and processed after the upgrade
// event.
func TestStarterQuotaHoldsThe101stMeetingUntilAnUpgrade(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{})
	starter := f.subscription("active", priceStarter, 3)
	b.stripe.SetSubscription(starter)
	b.deliver(t, subEvent("customer.subscription.created", starter))

	// 100 meetings from 4 concurrent workers: the row lock keeps the count exact.
	meetings := make(chan store.MeetingID, billing.StarterQuota)
	for range billing.StarterQuota {
		meetings <- newMeeting()
	}
	close(meetings)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range meetings {
				d, err := b.ent.Admit(b.ctx, f.ID, m)
				require.NoError(t, err)
				require.True(t, d.Admitted)
			}
		}()
	}
	wg.Wait()

	m101 := newMeeting()
	d, err := b.ent.Admit(b.ctx, f.ID, m101)
	require.NoError(t, err)
	require.False(t, d.Admitted)
	require.Equal(t, billing.HoldOverQuota, d.Reason)
	require.Equal(t, 100, d.Used)
	require.Equal(t, 100, d.Quota)
	require.Contains(t, d.Detail(), "100 of 100")
	again, err := b.ent.Admit(b.ctx, f.ID, m101)
	require.NoError(t, err)
	require.False(t, again.Admitted, "asking again changes nothing")
	held, err := b.ent.Held(b.ctx, f.ID)
	require.NoError(t, err)
	require.Len(t, held, 1)
	require.Equal(t, m101, held[0].Meeting)

	// The admin upgrades in the Customer Portal: Stripe sends subscription.updated.
	pro := f.subscription("active", pricePro, 3)
	b.stripe.SetSubscription(pro)
	b.clock.Add(time.Minute)
	res := b.deliver(t, subEvent("customer.subscription.updated", pro))
	require.Equal(t, 1, res.Released)
	require.Equal(t, []store.MeetingID{m101}, b.resumed.of(f.ID), "handed to the pipeline in the applying transaction")
	held, err = b.ent.Held(b.ctx, f.ID)
	require.NoError(t, err)
	require.Empty(t, held)
	d, err = b.ent.Admit(b.ctx, f.ID, m101)
	require.NoError(t, err)
	require.True(t, d.Admitted, "the pipeline's next ask is admitted")
	require.Equal(t, billing.Unlimited, d.Quota)

	ov, err := b.ent.Overview(b.ctx, f.ID)
	require.NoError(t, err)
	require.Equal(t, 101, ov.MeetingsUsed)
	require.Equal(t, tenancy.PlanPro, ov.Account.Plan)
}

func TestHeldMeetingsAreAdmittedWhenThePeriodRollsOver(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{}) // trial, no subscription: calendar-month periods
	for range billing.StarterQuota {
		_, err := b.ent.Admit(b.ctx, f.ID, newMeeting())
		require.NoError(t, err)
	}
	m := newMeeting()
	d, err := b.ent.Admit(b.ctx, f.ID, m)
	require.NoError(t, err)
	require.False(t, d.Admitted)
	require.Equal(t, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), d.PeriodEnd)

	res, err := b.ent.Sweep(b.ctx, f.ID)
	require.NoError(t, err)
	require.Zero(t, res.Released, "same period: still held")
	b.clock.Add(22 * 24 * time.Hour) // 1 April
	res, err = b.ent.Sweep(b.ctx, f.ID)
	require.NoError(t, err)
	require.Equal(t, 1, res.Released)
	require.Equal(t, []store.MeetingID{m}, b.resumed.of(f.ID))
}

// TestSuspensionAndReinstatementThroughEvents: payment failed → grace of 7 days (email) →
// suspended by the hourly sweep (email, nothing processed) → invoice.paid reinstates (email)
// and the meetings held meanwhile are processed.
func TestSuspensionAndReinstatementThroughEvents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{})
	active := f.subscription("active", pricePro, 2)
	b.stripe.SetSubscription(active)
	b.deliver(t, subEvent("customer.subscription.created", active))

	inv := billingtest.Invoice{ID: "in_" + f.Sub, Customer: f.Customer, Subscription: f.Sub, Status: "open", AttemptCount: 1}
	b.stripe.SetInvoice(inv)
	b.stripe.SetSubscription(f.subscription("past_due", pricePro, 2))
	b.deliver(t, billingtest.Event{Type: "invoice.payment_failed", Object: billingtest.InvoiceObject(inv)})
	a := b.account(t, f.ID)
	require.Equal(t, tenancy.StatusActive, a.Status, "grace: still working")
	require.True(t, a.InGrace(b.clock.Now()))
	mails := b.mails(t)
	require.Len(t, mails, 1)
	require.Contains(t, mails[0], "Payment failed")
	require.Contains(t, mails[0], "https://invoice.stripe.com/i/"+inv.ID)
	d, err := b.ent.Admit(b.ctx, f.ID, newMeeting())
	require.NoError(t, err)
	require.True(t, d.Admitted, "processing continues during the grace period")

	// Stripe retries the charge and fails again: a second email, same grace end.
	inv.AttemptCount = 2
	b.stripe.SetInvoice(inv)
	b.clock.Add(3 * 24 * time.Hour)
	b.deliver(t, billingtest.Event{Type: "invoice.payment_failed", Object: billingtest.InvoiceObject(inv)})
	require.Len(t, b.mails(t), 2)
	require.Equal(t, *a.GraceUntil, *b.account(t, f.ID).GraceUntil)

	// Day 7 passes: the sweep suspends.
	b.clock.Add(4*24*time.Hour + time.Minute)
	res, err := b.ent.Sweep(b.ctx, f.ID)
	require.NoError(t, err)
	require.Equal(t, tenancy.StatusSuspended, res.Status)
	require.Len(t, res.Notices, 1)
	require.Equal(t, billing.NoticeSuspended, res.Notices[0].Kind)
	a = b.account(t, f.ID)
	require.Equal(t, tenancy.StatusSuspended, a.Status)
	require.NotNil(t, a.SuspendedAt)
	held := newMeeting()
	d, err = b.ent.Admit(b.ctx, f.ID, held)
	require.NoError(t, err)
	require.False(t, d.Admitted)
	require.Equal(t, billing.HoldSuspended, d.Reason)
	res, err = b.ent.Sweep(b.ctx, f.ID)
	require.NoError(t, err)
	require.Empty(t, res.Notices, "suspended once")

	// The admin pays: invoice.paid reinstates and releases.
	inv.Status = "paid"
	b.stripe.SetInvoice(inv)
	b.stripe.SetSubscription(active)
	r := b.deliver(t, billingtest.Event{Type: "invoice.paid", Object: billingtest.InvoiceObject(inv)})
	require.Equal(t, billing.OutcomeApplied, r.Outcome)
	require.Equal(t, 1, r.Released)
	require.Equal(t, []store.MeetingID{held}, b.resumed.of(f.ID))
	a = b.account(t, f.ID)
	require.Equal(t, tenancy.StatusActive, a.Status)
	require.Nil(t, a.GraceUntil)
	require.Nil(t, a.SuspendedAt)
	require.Len(t, r.Notices, 1)
	require.Equal(t, billing.NoticeReinstated, r.Notices[0].Kind)
	require.Len(t, b.mails(t), 3, "payment failed twice, reinstated once (the sweep's notice is sent by UsageReport)")
}

func TestSeats(t *testing.T) {
	t.Parallel()
	sub := func(plan tenancy.Plan, seats int) billing.Account {
		return billing.Account{Plan: plan, Seats: seats, Subscription: "sub_1", SubscriptionStatus: billing.SubActive}
	}
	cases := []struct {
		name    string
		account billing.Account
		inUse   int
		err     error
		warning bool
	}{
		{"a seat left", sub(tenancy.PlanStarter, 5), 4, nil, false},
		{"every seat taken", sub(tenancy.PlanStarter, 5), 5, billing.ErrNoSeats, false},
		{"pro too", sub(tenancy.PlanPro, 2), 3, billing.ErrNoSeats, false},
		{"enterprise: soft limit", sub(tenancy.PlanEnterprise, 10), 10, nil, true},
		{"trial without subscription: no limit", billing.Account{Plan: tenancy.PlanStarter}, 50, nil, false},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			d, err := billing.SeatsFor(tt.account, tt.inUse)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.Contains(t, err.Error(), "seats")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.warning, d.Warning != "")
		})
	}
	t.Run("through the database", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		f := b.newTenant(t, tenantOpts{})
		s := f.subscription("active", priceStarter, 2)
		b.stripe.SetSubscription(s)
		b.deliver(t, subEvent("customer.subscription.created", s))
		_, err := b.ent.CheckSeats(b.ctx, f.ID, 1)
		require.NoError(t, err)
		_, err = b.ent.CheckSeats(b.ctx, f.ID, 2)
		require.ErrorIs(t, err, billing.ErrNoSeats)
		st, err := b.stores.For(b.ctx, f.ID)
		require.NoError(t, err)
		n, err := billing.SeatsInUse(b.ctx, st, b.clock.Now())
		require.NoError(t, err)
		require.Equal(t, 1, n, "the admin")
	})
}

func TestFeaturesByPlan(t *testing.T) {
	t.Parallel()
	require.True(t, billing.Allows(tenancy.PlanStarter, billing.FeatureMinutes))
	require.False(t, billing.Allows(tenancy.PlanStarter, billing.FeatureCustomTemplates))
	require.True(t, billing.Allows(tenancy.PlanPro, billing.FeatureNamedApprovers))
	require.False(t, billing.Allows(tenancy.PlanPro, billing.FeatureBYOI))
	require.True(t, billing.Allows(tenancy.PlanEnterprise, billing.FeatureBYOI))
	require.Equal(t, 100, billing.Quota(tenancy.PlanStarter))
	require.Equal(t, billing.Unlimited, billing.Quota(tenancy.PlanPro))
}

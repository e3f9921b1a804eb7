package billing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestTransition(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	grace := now.Add(billing.GracePeriod)
	expired := now.Add(-time.Minute)
	active := billing.Account{Plan: tenancy.PlanStarter, Status: tenancy.StatusActive}
	sub := func(s billing.SubscriptionStatus) *billing.Subscription {
		return &billing.Subscription{ID: "sub_1", Status: s, Plan: tenancy.PlanPro, PlanKnown: true, Seats: 4}
	}
	inv := &billing.Invoice{ID: "in_1", AttemptCount: 1, Open: true}
	with := func(a billing.Account, f func(*billing.Account)) billing.Account { f(&a); return a }
	cases := []struct {
		name    string
		from    billing.Account
		change  billing.Change
		status  tenancy.Status
		grace   *time.Time
		notices []billing.NoticeKind
	}{
		{"trial → active", active, billing.Change{Subscription: sub(billing.SubActive)}, tenancy.StatusActive, nil, nil},
		{"past_due starts grace", active, billing.Change{Subscription: sub(billing.SubPastDue)}, tenancy.StatusActive, &grace, nil},
		{"payment failed starts grace and emails", active, billing.Change{PaymentFailed: inv}, tenancy.StatusActive, &grace,
			[]billing.NoticeKind{billing.NoticePaymentFailed}},
		{"grace over → suspended", with(active, func(a *billing.Account) { a.GraceUntil = &expired }), billing.Change{},
			tenancy.StatusSuspended, &expired, []billing.NoticeKind{billing.NoticeSuspended}},
		{"unpaid after grace stays suspended", with(active, func(a *billing.Account) { a.Status, a.GraceUntil = tenancy.StatusSuspended, &expired }),
			billing.Change{Subscription: sub(billing.SubUnpaid)}, tenancy.StatusSuspended, &expired, nil},
		{"invoice paid reinstates", with(active, func(a *billing.Account) { a.Status, a.GraceUntil = tenancy.StatusSuspended, &expired }),
			billing.Change{InvoicePaid: &billing.Invoice{ID: "in_1", Paid: true}, Subscription: sub(billing.SubActive)},
			tenancy.StatusActive, nil, []billing.NoticeKind{billing.NoticeReinstated}},
		{"paid invoice of a still past_due subscription does not reinstate",
			with(active, func(a *billing.Account) { a.Status, a.GraceUntil = tenancy.StatusSuspended, &expired }),
			billing.Change{InvoicePaid: &billing.Invoice{ID: "in_0", Paid: true}, Subscription: sub(billing.SubPastDue)},
			tenancy.StatusSuspended, &expired, nil},
		{"canceled → cancelled", active, billing.Change{Subscription: sub(billing.SubCanceled)}, tenancy.StatusCancelled, nil,
			[]billing.NoticeKind{billing.NoticeCancelled}},
		{"paused → suspended", active, billing.Change{Subscription: sub(billing.SubPaused)}, tenancy.StatusSuspended, nil,
			[]billing.NoticeKind{billing.NoticeSuspended}},
		{"incomplete changes nothing", active, billing.Change{Subscription: sub(billing.SubIncomplete)}, tenancy.StatusActive, nil, nil},
		{"resubscribing within retention reinstates", with(active, func(a *billing.Account) { a.Status = tenancy.StatusCancelled }),
			billing.Change{Subscription: sub(billing.SubActive)}, tenancy.StatusActive, nil, []billing.NoticeKind{billing.NoticeReinstated}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			tt.change.Now = now
			got, notices := billing.Transition(tt.from, tt.change)
			require.Equal(t, tt.status, got.Status)
			require.Equal(t, tt.grace, got.GraceUntil)
			var kinds []billing.NoticeKind
			for _, n := range notices {
				kinds = append(kinds, n.Kind)
			}
			require.Equal(t, tt.notices, kinds)
			if tt.change.Subscription != nil && tt.change.Subscription.Status != billing.SubIncomplete {
				require.Equal(t, tenancy.PlanPro, got.Plan)
				require.Equal(t, 4, got.Seats)
			}
		})
	}
}

package billing

import (
	"strconv"
	"time"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// GracePeriod is how long a tenant keeps working after a failed payment before it is
// suspended (no processing, data kept, read-only portal).
const GracePeriod = 7 * 24 * time.Hour

// NoticeKind is a billing email to a tenant's admins.
type NoticeKind string

// Notices.
const (
	NoticeTrialEnding   NoticeKind = "trial_ending"
	NoticePaymentFailed NoticeKind = "payment_failed"
	NoticeSuspended     NoticeKind = "suspended"
	NoticeReinstated    NoticeKind = "reinstated"
	NoticeCancelled     NoticeKind = "cancelled"
)

// Notice is one email to send to a tenant's admins after a change commits.
type Notice struct {
	Kind   NoticeKind
	Tenant tenancy.ID
	// Key makes the email idempotent (it becomes the Message-ID): the same notice about the
	// same object is one email however often it is produced.
	Key string
	// At is the date the notice is about: the trial's end, or the end of the grace period.
	At *time.Time
	// URL is where the admin can act (the hosted invoice of a failed payment), may be "".
	URL string
}

// Change is what one input tells about an account; Transition applies it.
type Change struct {
	Now time.Time
	// Subscription is the subscription's current state, re-read from Stripe; nil when the
	// input carries none (a sweep, an invoice without subscription).
	Subscription *Subscription
	// PaymentFailed is an invoice confirmed (re-read) open and unpaid after an attempt.
	PaymentFailed *Invoice
	// InvoicePaid is an invoice confirmed (re-read) paid.
	InvoicePaid *Invoice
	// TrialWillEnd is set for customer.subscription.trial_will_end.
	TrialWillEnd bool
}

// Transition is the account lifecycle. It returns the account after c and the notices the
// change calls for:
//
//	trialing, active      → active; a suspended or cancelled tenant is reinstated; grace ends
//	past_due, unpaid      → grace of GracePeriod from the first failure, then suspended
//	payment failed        → the same grace, and an email per failed attempt
//	invoice paid          → grace ends; a suspended tenant is reinstated
//	paused                → suspended
//	canceled, expired     → cancelled (read-only; the retention policy runs from cancelled_at)
//	incomplete            → unchanged (the first payment is still pending)
//	trial_will_end        → an email, only while the subscription is still trialing
//
// Plan and seats follow the subscription's per-user item when its price is known.
func Transition(a Account, c Change) (Account, []Notice) {
	next := a
	now := c.Now.UTC()
	var notices []Notice
	if s := c.Subscription; s != nil {
		next.Subscription, next.SubscriptionStatus = string(s.ID), s.Status
		if s.PlanKnown {
			next.Plan, next.Seats = s.Plan, s.Seats
		}
		next.PremiumSupport, next.CancelAtPeriod = s.PremiumSupport, s.CancelAtPeriodEnd
		if !s.PeriodStart.IsZero() {
			ps, pe := s.PeriodStart, s.PeriodEnd
			next.PeriodStart, next.PeriodEnd = &ps, &pe
		}
		if !s.TrialEnd.IsZero() {
			te := s.TrialEnd
			next.TrialEndsAt = &te
		}
		switch s.Status {
		case SubTrialing, SubActive:
			next.Status = tenancy.StatusActive
			if c.PaymentFailed == nil {
				next.GraceUntil = nil
			}
		case SubPastDue, SubUnpaid:
			if next.GraceUntil == nil {
				g := now.Add(GracePeriod)
				next.GraceUntil = &g
			}
		case SubCanceled, SubIncompleteExpired:
			next.Status, next.GraceUntil = tenancy.StatusCancelled, nil
		case SubPaused:
			next.Status = tenancy.StatusSuspended
		case SubIncomplete, SubNone:
		}
	}
	if inv := c.PaymentFailed; inv != nil {
		if next.GraceUntil == nil {
			g := now.Add(GracePeriod)
			next.GraceUntil = &g
		}
		if next.Status == tenancy.StatusActive {
			notices = append(notices, Notice{Kind: NoticePaymentFailed, Tenant: a.Tenant,
				Key: inv.ID + "-" + strconv.Itoa(inv.AttemptCount), At: next.GraceUntil, URL: inv.HostedURL})
		}
	}
	if c.InvoicePaid != nil && (c.Subscription == nil || c.Subscription.Status == SubActive || c.Subscription.Status == SubTrialing) {
		next.GraceUntil = nil
		if next.Status == tenancy.StatusSuspended {
			next.Status = tenancy.StatusActive
		}
	}
	if next.Status == tenancy.StatusActive && next.GraceUntil != nil && !now.Before(*next.GraceUntil) {
		next.Status = tenancy.StatusSuspended
	}
	if next.Status != a.Status {
		n := Notice{Tenant: a.Tenant, Key: now.Format("20060102T150405")}
		switch next.Status {
		case tenancy.StatusSuspended:
			n.Kind = NoticeSuspended
		case tenancy.StatusActive:
			n.Kind = NoticeReinstated
		case tenancy.StatusCancelled:
			n.Kind = NoticeCancelled
		}
		notices = append(notices, n)
	}
	if c.TrialWillEnd && next.SubscriptionStatus == SubTrialing && next.TrialEndsAt != nil && now.Before(*next.TrialEndsAt) {
		notices = append(notices, Notice{Kind: NoticeTrialEnding, Tenant: a.Tenant,
			Key: next.Subscription + "-" + next.TrialEndsAt.Format("20060102"), At: next.TrialEndsAt})
	}
	return next, notices
}

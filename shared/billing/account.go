package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Account is a tenant's billing state: its tenants row as billing sees it.
type Account struct {
	Tenant     tenancy.ID
	Name       string
	Plan       tenancy.Plan
	Status     tenancy.Status
	Deployment tenancy.Deployment
	// Customer is the Stripe customer ("" before one is created).
	Customer           string
	Subscription       string
	SubscriptionStatus SubscriptionStatus
	// Seats is the number of paid seats (0 without a subscription).
	Seats          int
	PeriodStart    *time.Time
	PeriodEnd      *time.Time
	TrialEndsAt    *time.Time
	CancelAtPeriod bool
	PremiumSupport bool
	// GraceUntil is set while a failed payment is outstanding: the tenant is suspended then.
	GraceUntil  *time.Time
	SuspendedAt *time.Time
	CancelledAt *time.Time
	// SyncedAt is when the stored subscription state was read from Stripe.
	SyncedAt *time.Time
}

// Effective is the account's status at now: an expired grace period counts as suspended
// even before the hourly sweep has recorded it.
func (a Account) Effective(now time.Time) tenancy.Status {
	if a.Status == tenancy.StatusActive && a.GraceUntil != nil && !now.Before(*a.GraceUntil) {
		return tenancy.StatusSuspended
	}
	return a.Status
}

// InGrace reports whether a failed payment is outstanding and the grace period still runs:
// the portal shows a banner.
func (a Account) InGrace(now time.Time) bool {
	return a.Status == tenancy.StatusActive && a.GraceUntil != nil && now.Before(*a.GraceUntil)
}

// Trialing reports whether the tenant is in its trial at now (the provisioning trial, or a
// trialing subscription).
func (a Account) Trialing(now time.Time) bool {
	if a.SubscriptionStatus == SubTrialing {
		return true
	}
	return (a.SubscriptionStatus == SubNone || a.SubscriptionStatus == "") && a.TrialEndsAt != nil && now.Before(*a.TrialEndsAt)
}

// Period returns the billing period containing now: the subscription's when known and
// current, else the calendar month (UTC).
func (a Account) Period(now time.Time) (start, end time.Time) {
	if a.PeriodStart != nil && a.PeriodEnd != nil && !now.Before(*a.PeriodStart) && now.Before(*a.PeriodEnd) {
		return *a.PeriodStart, *a.PeriodEnd
	}
	u := now.UTC()
	start = time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, 0)
}

const accountColumns = `id, name, plan, status, deployment, coalesce(billing_customer_id, ''), coalesce(subscription_id, ''),
	subscription_status, seats, period_start, period_end, trial_ends_at, cancel_at_period_end, premium_support,
	grace_until, suspended_at, cancelled_at, billing_synced_at`

// errNoTenant reports that the tenant row does not exist (or is not this tenant's).
var errNoTenant = errors.New("tenant not found")

// loadAccount reads the tenant's row in its own transaction (tenant_self policy); lock takes
// the row lock that serializes billing changes of one tenant.
func loadAccount(ctx context.Context, tx pgx.Tx, id tenancy.ID, lock bool) (Account, error) {
	q := `SELECT ` + accountColumns + ` FROM tenants WHERE id = $1`
	if lock {
		q += ` FOR UPDATE`
	}
	var a Account
	err := tx.QueryRow(ctx, q, id).Scan(&a.Tenant, &a.Name, &a.Plan, &a.Status, &a.Deployment, &a.Customer, &a.Subscription,
		&a.SubscriptionStatus, &a.Seats, &a.PeriodStart, &a.PeriodEnd, &a.TrialEndsAt, &a.CancelAtPeriod, &a.PremiumSupport,
		&a.GraceUntil, &a.SuspendedAt, &a.CancelledAt, &a.SyncedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, fmt.Errorf("load billing account of %s: %w", id, errNoTenant)
	}
	if err != nil {
		return Account{}, fmt.Errorf("load billing account of %s: %w", id, err)
	}
	for _, p := range []**time.Time{&a.PeriodStart, &a.PeriodEnd, &a.TrialEndsAt, &a.GraceUntil, &a.SuspendedAt, &a.CancelledAt, &a.SyncedAt} {
		if *p != nil {
			u := (*p).UTC()
			*p = &u
		}
	}
	return a, nil
}

// saveAccount writes the billing state of a back to its tenants row. Leaving suspension
// clears suspended_at; cancelling stamps cancelled_at once (the retention clock).
func saveAccount(ctx context.Context, tx pgx.Tx, a Account, now time.Time) error {
	_, err := tx.Exec(ctx, `
UPDATE tenants SET plan = $2, status = $3, billing_customer_id = NULLIF($4, ''), subscription_id = NULLIF($5, ''),
       subscription_status = $6, seats = $7, period_start = $8, period_end = $9, trial_ends_at = $10,
       cancel_at_period_end = $11, premium_support = $12, grace_until = $13, billing_synced_at = $14,
       suspended_at = CASE WHEN $3 = 'suspended' THEN coalesce(suspended_at, $15::timestamptz) ELSE NULL END,
       cancelled_at = CASE WHEN $3 = 'cancelled' THEN coalesce(cancelled_at, $15::timestamptz) ELSE NULL END,
       updated_at = $15::timestamptz
 WHERE id = $1`, a.Tenant, a.Plan, a.Status, a.Customer, a.Subscription, a.SubscriptionStatus, a.Seats,
		a.PeriodStart, a.PeriodEnd, a.TrialEndsAt, a.CancelAtPeriod, a.PremiumSupport, a.GraceUntil, a.SyncedAt, now.UTC())
	if err != nil {
		return fmt.Errorf("save billing account of %s: %w", a.Tenant, err)
	}
	return nil
}

package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// HoldReason says why a meeting waits.
type HoldReason string

// Hold reasons (billing_meetings.reason).
const (
	// HoldNone: the meeting is admitted.
	HoldNone HoldReason = ""
	// HoldOverQuota: the plan's meetings for this period are used up (Starter: 100).
	HoldOverQuota HoldReason = "over_quota"
	// HoldSuspended: the account is suspended or cancelled.
	HoldSuspended HoldReason = "suspended"
)

// Decision is the entitlement verdict on one meeting.
type Decision struct {
	// Admitted says the meeting may be processed now. Otherwise it is held (kept, with the
	// meeting's status set to over_quota by the pipeline) until Release admits it.
	Admitted bool
	Reason   HoldReason
	Plan     tenancy.Plan
	// Used is the meetings admitted in the current period, this one included if admitted.
	Used int
	// Quota is the plan's meetings per period (Unlimited for Pro and Enterprise).
	Quota int
	// PeriodEnd is when the period rolls over (and held meetings are admitted again).
	PeriodEnd time.Time
}

// Detail is a one-line explanation for the meeting's timeline.
func (d Decision) Detail() string {
	switch d.Reason {
	case HoldOverQuota:
		return fmt.Sprintf("%d of %d meetings used this period; held until an upgrade or %s", d.Used, d.Quota, d.PeriodEnd.Format("2 Jan 2006"))
	case HoldSuspended:
		return "the account is suspended; held until billing is resolved"
	}
	return ""
}

// Resumer restarts meetings that Release has admitted (the pipeline re-enqueues generation and
// moves each meeting out of over_quota). It runs inside the transaction that admits them, so a
// failure rolls the release back and the meetings stay held for the next attempt.
type Resumer interface {
	Resume(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, meetings []store.MeetingID) error
}

// ResumerFunc adapts a function to Resumer.
type ResumerFunc func(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, meetings []store.MeetingID) error

// Resume calls f.
func (f ResumerFunc) Resume(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, meetings []store.MeetingID) error {
	return f(ctx, tx, tenant, meetings)
}

// Entitlements decides what a tenant may do from its plan, seats, status and period. The
// minutes pipeline asks it before generating (Admit), invitations before inviting
// (CheckSeats), and features are gated with Allows.
type Entitlements struct {
	db      tenancy.Beginner
	resumer Resumer
	now     func() time.Time
}

// NewEntitlements returns the entitlements over the control-plane pool (runtime role).
// resumer may be nil (released meetings are then only marked admitted); now nil is time.Now.
func NewEntitlements(db tenancy.Beginner, resumer Resumer, now func() time.Time) *Entitlements {
	if now == nil {
		now = time.Now
	}
	return &Entitlements{db: db, resumer: resumer, now: now}
}

// Account returns the tenant's billing state.
func (e *Entitlements) Account(ctx context.Context, tenant tenancy.ID) (a Account, err error) {
	err = tenancy.WithReadTx(ctx, e.db, tenant, func(tx pgx.Tx) error {
		a, err = loadAccount(ctx, tx, tenant, false)
		return err
	})
	return a, err
}

// Admit decides whether meeting may be processed now, and records the decision: an admitted
// meeting counts against the period's quota (and the meetings_processed meter) once, however
// often it is asked about; a held one is kept for Release. Concurrent calls for one tenant
// are serialized on its row, so the 101st meeting of a Starter period is held exactly once.
func (e *Entitlements) Admit(ctx context.Context, tenant tenancy.ID, meeting store.MeetingID) (d Decision, err error) {
	if meeting.IsZero() {
		return Decision{}, errors.New("admit meeting: no meeting id")
	}
	now := e.now().UTC()
	err = tenancy.WithTx(ctx, e.db, tenant, func(tx pgx.Tx) error {
		a, err := loadAccount(ctx, tx, tenant, true)
		if err != nil {
			return err
		}
		d, err = admit(ctx, tx, a, meeting, now)
		return err
	})
	if err != nil {
		return Decision{}, fmt.Errorf("admit meeting %s of tenant %s: %w", meeting, tenant, err)
	}
	return d, nil
}

// admit is Admit inside the tenant's transaction, with the account row locked.
func admit(ctx context.Context, tx pgx.Tx, a Account, meeting store.MeetingID, now time.Time) (Decision, error) {
	start, end := a.Period(now)
	d := Decision{Plan: a.Plan, Quota: Quota(a.Plan), PeriodEnd: end}
	var state string
	err := tx.QueryRow(ctx, `SELECT state FROM billing_meetings WHERE tenant_id = $1 AND meeting_id = $2`, a.Tenant, meeting).Scan(&state)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("read meeting ledger: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM billing_meetings
		WHERE tenant_id = $1 AND state = 'admitted' AND admitted_at >= $2 AND admitted_at < $3`, a.Tenant, start, end).Scan(&d.Used); err != nil {
		return d, fmt.Errorf("count admitted meetings: %w", err)
	}
	if state == "admitted" {
		d.Admitted = true
		return d, nil
	}
	switch {
	case a.Effective(now) != tenancy.StatusActive:
		d.Reason = HoldSuspended
	case d.Used >= d.Quota:
		d.Reason = HoldOverQuota
	}
	if d.Reason != HoldNone {
		_, err := tx.Exec(ctx, `
INSERT INTO billing_meetings (tenant_id, meeting_id, state, reason, held_at) VALUES ($1, $2, 'held', $3, $4)
ON CONFLICT (tenant_id, meeting_id) DO UPDATE SET reason = EXCLUDED.reason`, a.Tenant, meeting, d.Reason, now)
		if err != nil {
			return d, fmt.Errorf("hold meeting: %w", err)
		}
		return d, nil
	}
	_, err = tx.Exec(ctx, `
INSERT INTO billing_meetings (tenant_id, meeting_id, state, admitted_at) VALUES ($1, $2, 'admitted', $3)
ON CONFLICT (tenant_id, meeting_id) DO UPDATE SET state = 'admitted', reason = '', admitted_at = $3, released_at = $3`,
		a.Tenant, meeting, now)
	if err != nil {
		return d, fmt.Errorf("admit meeting: %w", err)
	}
	if err := addUsage(ctx, tx, a.Tenant, MeterMeetings, now, 1); err != nil {
		return d, err
	}
	d.Admitted, d.Used = true, d.Used+1
	return d, nil
}

// HeldMeeting is one meeting waiting for its tenant's entitlement.
type HeldMeeting struct {
	Meeting store.MeetingID
	Reason  HoldReason
	HeldAt  time.Time
}

// Held lists the tenant's held meetings, oldest first (the order Release admits them in).
func (e *Entitlements) Held(ctx context.Context, tenant tenancy.ID) (out []HeldMeeting, err error) {
	err = tenancy.WithReadTx(ctx, e.db, tenant, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT meeting_id, reason, held_at FROM billing_meetings
			WHERE tenant_id = $1 AND state = 'held' ORDER BY held_at, meeting_id`, tenant)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (HeldMeeting, error) {
			var h HeldMeeting
			return h, r.Scan(&h.Meeting, &h.Reason, &h.HeldAt)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list held meetings of tenant %s: %w", tenant, err)
	}
	return out, nil
}

// Release admits the tenant's held meetings, oldest first, as far as its entitlement allows
// now (after an upgrade, a reinstatement or a period rollover), hands them to the Resumer in
// the same transaction, and returns them.
func (e *Entitlements) Release(ctx context.Context, tenant tenancy.ID) (released []store.MeetingID, err error) {
	now := e.now().UTC()
	err = tenancy.WithTx(ctx, e.db, tenant, func(tx pgx.Tx) error {
		a, err := loadAccount(ctx, tx, tenant, true)
		if err != nil {
			return err
		}
		released, err = e.release(ctx, tx, a, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("release held meetings of tenant %s: %w", tenant, err)
	}
	return released, nil
}

// release is Release inside the tenant's transaction, with the account row locked.
func (e *Entitlements) release(ctx context.Context, tx pgx.Tx, a Account, now time.Time) ([]store.MeetingID, error) {
	if a.Effective(now) != tenancy.StatusActive {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT meeting_id FROM billing_meetings
		WHERE tenant_id = $1 AND state = 'held' ORDER BY held_at, meeting_id LIMIT 1000`, a.Tenant)
	if err != nil {
		return nil, fmt.Errorf("list held meetings: %w", err)
	}
	held, err := pgx.CollectRows(rows, pgx.RowTo[store.MeetingID])
	if err != nil {
		return nil, fmt.Errorf("list held meetings: %w", err)
	}
	var out []store.MeetingID
	for _, m := range held {
		d, err := admit(ctx, tx, a, m, now)
		if err != nil {
			return nil, err
		}
		if !d.Admitted {
			break // the quota is used up again: the rest wait for the next period
		}
		out = append(out, m)
	}
	if len(out) > 0 && e.resumer != nil {
		if err := e.resumer.Resume(ctx, tx, a.Tenant, out); err != nil {
			return nil, fmt.Errorf("resume released meetings: %w", err)
		}
	}
	return out, nil
}

// SeatDecision is the verdict on adding one more user.
type SeatDecision struct {
	// Paid is the subscription's seats (0 without a subscription); InUse is what the caller
	// counted (active users plus open invitations).
	Paid, InUse int
	// Limited is false when no seat limit applies (trial without a subscription).
	Limited bool
	// Warning is set when Enterprise goes beyond its seats: allowed, but the admin is told
	// (a soft limit, settled at the next true-up).
	Warning string
}

// CheckSeats decides whether the tenant may add one more user with inUse seats taken (active
// users plus open invitations). Beyond the paid seats it is ErrNoSeats, except Enterprise
// (a warning) and a trial without a subscription yet (no limit).
func (e *Entitlements) CheckSeats(ctx context.Context, tenant tenancy.ID, inUse int) (SeatDecision, error) {
	a, err := e.Account(ctx, tenant)
	if err != nil {
		return SeatDecision{}, fmt.Errorf("check seats of tenant %s: %w", tenant, err)
	}
	return SeatsFor(a, inUse)
}

// SeatsFor is CheckSeats for an account already read.
func SeatsFor(a Account, inUse int) (SeatDecision, error) {
	d := SeatDecision{Paid: a.Seats, InUse: inUse}
	if a.Subscription == "" || a.SubscriptionStatus == SubNone || a.SubscriptionStatus == "" {
		return d, nil
	}
	d.Limited = true
	if inUse+1 <= a.Seats {
		return d, nil
	}
	if a.Plan == tenancy.PlanEnterprise {
		d.Warning = fmt.Sprintf("This adds seat %d of %d paid: it will be billed at the next true-up.", inUse+1, a.Seats)
		return d, nil
	}
	return d, fmt.Errorf("%d of %d seats in use: %w", inUse, a.Seats, ErrNoSeats)
}

// Allows reports whether the tenant's plan includes feature f.
func (e *Entitlements) Allows(ctx context.Context, tenant tenancy.ID, f Feature) (bool, error) {
	a, err := e.Account(ctx, tenant)
	if err != nil {
		return false, err
	}
	return Allows(a.Plan, f), nil
}

// Overview is what the billing page shows.
type Overview struct {
	Account Account
	// Effective is the status now (an expired grace period reads as suspended).
	Effective tenancy.Status
	InGrace   bool
	Trialing  bool
	// MeetingsUsed are the meetings admitted this period; Quota is the plan's (Unlimited).
	MeetingsUsed int
	Quota        int
	Held         int
	PeriodStart  time.Time
	PeriodEnd    time.Time
}

// Overview returns the tenant's billing overview at now.
func (e *Entitlements) Overview(ctx context.Context, tenant tenancy.ID) (o Overview, err error) {
	now := e.now().UTC()
	err = tenancy.WithReadTx(ctx, e.db, tenant, func(tx pgx.Tx) error {
		a, err := loadAccount(ctx, tx, tenant, false)
		if err != nil {
			return err
		}
		o = Overview{Account: a, Effective: a.Effective(now), InGrace: a.InGrace(now), Trialing: a.Trialing(now), Quota: Quota(a.Plan)}
		o.PeriodStart, o.PeriodEnd = a.Period(now)
		return tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'admitted' AND admitted_at >= $2 AND admitted_at < $3),
			count(*) FILTER (WHERE state = 'held') FROM billing_meetings WHERE tenant_id = $1`, tenant, o.PeriodStart, o.PeriodEnd).
			Scan(&o.MeetingsUsed, &o.Held)
	})
	if err != nil {
		return Overview{}, fmt.Errorf("billing overview of tenant %s: %w", tenant, err)
	}
	return o, nil
}

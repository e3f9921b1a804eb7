package billing

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	stripe "github.com/stripe/stripe-go/v76"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// MeterTotal returns Stripe's aggregated value of meter meterID for customer over
// [from, to) (Stripe wants minute-aligned bounds: they are truncated to the minute).
func (c *Client) MeterTotal(ctx context.Context, meterID, customer string, from, to time.Time) (float64, error) {
	p := &stripe.BillingMeterEventSummaryListParams{ID: stripe.String(meterID), Customer: stripe.String(customer),
		StartTime: stripe.Int64(from.Truncate(time.Minute).Unix()), EndTime: stripe.Int64(to.Truncate(time.Minute).Unix())}
	p.Context = ctx
	total := 0.0
	it := c.summaries.List(p)
	for it.Next() {
		total += it.BillingMeterEventSummary().AggregatedValue
	}
	if err := it.Err(); err != nil {
		return 0, stripeErr("read meter "+meterID+" summaries", err)
	}
	return total, nil
}

// Reconciliation is one meter's usage of a tenant over a range, ours against Stripe's.
type Reconciliation struct {
	Meter Meter
	// Ours is the sum of what we reported (usage_counters with a report id).
	Ours int64
	// Pending is what we counted and have not reported yet.
	Pending int64
	// Stripe is Stripe's aggregate for the customer (meters aggregate asynchronously, so a
	// fresh difference may close by itself).
	Stripe float64
	// Match says Ours equals Stripe's aggregate.
	Match bool
}

// Reconcile compares a tenant's reported usage with Stripe's meter summaries over
// [from, to), for each meter with an id in STRIPE_METERS: the operator console's
// reconciliation report. A tenant without a customer has nothing to compare.
func (c *Client) Reconcile(ctx context.Context, db tenancy.Beginner, tenant tenancy.ID, from, to time.Time) ([]Reconciliation, error) {
	var customer string
	ours := map[Meter][2]int64{}
	err := tenancy.WithReadTx(ctx, db, tenant, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT coalesce(billing_customer_id, '') FROM tenants WHERE id = $1`, tenant).Scan(&customer); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT meter,
			coalesce(sum(value) FILTER (WHERE reported_at IS NOT NULL AND report_id NOT IN ('expired', 'zero')), 0),
			coalesce(sum(value) FILTER (WHERE reported_at IS NULL), 0)
			FROM usage_counters WHERE tenant_id = $1 AND period_start >= $2 AND period_start < $3 GROUP BY meter`, tenant, from, to)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Meter
			var v [2]int64
			if err := rows.Scan(&m, &v[0], &v[1]); err != nil {
				return err
			}
			ours[m] = v
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("reconcile usage of tenant %s: %w", tenant, err)
	}
	if customer == "" {
		return nil, nil
	}
	var out []Reconciliation
	for _, m := range []Meter{MeterMeetings, MeterActiveUsers} {
		id := c.meters[m]
		if id == "" {
			continue
		}
		total, err := c.MeterTotal(ctx, id, customer, from, to)
		if err != nil {
			return nil, fmt.Errorf("reconcile usage of tenant %s: %w", tenant, err)
		}
		r := Reconciliation{Meter: m, Ours: ours[m][0], Pending: ours[m][1], Stripe: total}
		r.Match = math.Abs(float64(r.Ours)-total) < 0.5
		out = append(out, r)
	}
	return out, nil
}

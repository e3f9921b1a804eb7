package billing

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	stripe "github.com/stripe/stripe-go/v76"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Meter is a usage meter: the meter event name sent to Stripe and usage_counters.meter.
type Meter string

// Meters. The Billing Meters in Stripe must have these event names, with the customer in
// payload key stripe_customer_id and the value in payload key value.
const (
	// MeterMeetings counts meetings admitted for processing (sum aggregation).
	MeterMeetings Meter = "meetings_processed"
	// MeterActiveUsers is the tenant's active users, sampled once per hour.
	MeterActiveUsers Meter = "active_users"
)

// maxEventAge is how old a meter event's timestamp may be (Stripe: 35 days); older counters
// are closed without being sent.
const maxEventAge = 35 * 24 * time.Hour

// addUsage adds n to the tenant's counter of meter for the hour of at. A counter already
// reported is never changed (Stripe has it): a late addition lands in the next hour.
func addUsage(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, m Meter, at time.Time, n int64) error {
	hour := at.UTC().Truncate(time.Hour)
	for range 3 {
		tag, err := tx.Exec(ctx, `
INSERT INTO usage_counters (tenant_id, meter, period_start, value) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, meter, period_start) DO UPDATE SET value = usage_counters.value + EXCLUDED.value
 WHERE usage_counters.reported_at IS NULL`, tenant, m, hour, n)
		if err != nil {
			return fmt.Errorf("count %s usage: %w", m, err)
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		hour = hour.Add(time.Hour)
	}
	return fmt.Errorf("count %s usage: the next hours are already reported", m)
}

// setUsage sets the tenant's counter of meter for hour to n unless it was reported (a gauge
// such as active users, sampled once per hour).
func setUsage(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, m Meter, hour time.Time, n int64) error {
	_, err := tx.Exec(ctx, `
INSERT INTO usage_counters (tenant_id, meter, period_start, value) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, meter, period_start) DO UPDATE SET value = EXCLUDED.value
 WHERE usage_counters.reported_at IS NULL`, tenant, m, hour.UTC().Truncate(time.Hour), n)
	if err != nil {
		return fmt.Errorf("record %s usage: %w", m, err)
	}
	return nil
}

// ReportID is the meter event identifier of a tenant's counter of meter for hour: the same
// on every retry, so Stripe deduplicates it and a retried report never double counts.
func ReportID(tenant tenancy.ID, m Meter, hour time.Time) string {
	return "mm-" + tenant.String() + "-" + string(m) + "-" + hour.UTC().Format("2006010215")
}

// MeterEvent is one meter event to send.
type MeterEvent struct {
	Meter      Meter
	Customer   string
	Identifier string
	Value      int64
	At         time.Time
}

// SendMeterEvent sends one Billing Meter event. The identifier is also the idempotency key.
func (c *Client) SendMeterEvent(ctx context.Context, e MeterEvent) error {
	_, err := c.meterEvent.New(&stripe.BillingMeterEventParams{Params: params(ctx, e.Identifier),
		EventName: stripe.String(string(e.Meter)), Identifier: stripe.String(e.Identifier),
		Payload:   map[string]string{"stripe_customer_id": e.Customer, "value": strconv.FormatInt(e.Value, 10)},
		Timestamp: stripe.Int64(e.At.Unix())})
	return stripeErr("send "+string(e.Meter)+" meter event "+e.Identifier, err)
}

// MeterSender sends meter events; *Client is one.
type MeterSender interface {
	SendMeterEvent(ctx context.Context, e MeterEvent) error
}

var _ MeterSender = (*Client)(nil)

// UsageResult is what one tenant's report did.
type UsageResult struct {
	Sent, Skipped, Expired int
}

// ReportUsage sends the tenant's unreported counters of hours that ended before now, oldest
// first, and marks each reported in the same transaction that locks it (a concurrent report
// skips locked rows). A tenant without a Stripe customer is skipped (self-hosted, or not yet
// subscribed): its counters wait. A failed send stops the tenant's report with the error; what
// was sent before it is committed.
func ReportUsage(ctx context.Context, db tenancy.Beginner, send MeterSender, tenant tenancy.ID, now time.Time) (UsageResult, error) {
	var res UsageResult
	cutoff := now.UTC().Truncate(time.Hour)
	var sendErr error
	err := tenancy.WithTx(ctx, db, tenant, func(tx pgx.Tx) error {
		var customer string
		if err := tx.QueryRow(ctx, `SELECT coalesce(billing_customer_id, '') FROM tenants WHERE id = $1`, tenant).Scan(&customer); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return fmt.Errorf("read customer: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT meter, period_start, value FROM usage_counters
			WHERE tenant_id = $1 AND reported_at IS NULL AND period_start < $2
			ORDER BY period_start, meter LIMIT 500 FOR UPDATE SKIP LOCKED`, tenant, cutoff)
		if err != nil {
			return fmt.Errorf("list unreported usage: %w", err)
		}
		type counter struct {
			meter Meter
			hour  time.Time
			value int64
		}
		counters, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (counter, error) {
			var c counter
			return c, r.Scan(&c.meter, &c.hour, &c.value)
		})
		if err != nil {
			return fmt.Errorf("list unreported usage: %w", err)
		}
		if customer == "" {
			res.Skipped = len(counters)
			return nil
		}
		for _, c := range counters {
			id := ReportID(tenant, c.meter, c.hour)
			switch {
			case now.Sub(c.hour) > maxEventAge:
				res.Expired++
				id = "expired"
			case c.value == 0:
				id = "zero" // nothing to bill: closed without a call
			default:
				if sendErr = send.SendMeterEvent(ctx, MeterEvent{Meter: c.meter, Customer: customer, Identifier: id, Value: c.value, At: c.hour}); sendErr != nil {
					return nil // commit what was sent
				}
				res.Sent++
			}
			if _, err := tx.Exec(ctx, `UPDATE usage_counters SET reported_at = $4, report_id = $5
				WHERE tenant_id = $1 AND meter = $2 AND period_start = $3`, tenant, c.meter, c.hour, now.UTC(), id); err != nil {
				return fmt.Errorf("mark usage reported: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		err = sendErr
	}
	if err != nil {
		return res, fmt.Errorf("report usage of tenant %s: %w", tenant, err)
	}
	return res, nil
}

// RecordActiveUsers sets the tenant's active_users counter of hour to n.
func RecordActiveUsers(ctx context.Context, db tenancy.Beginner, tenant tenancy.ID, hour time.Time, n int) error {
	return tenancy.WithTx(ctx, db, tenant, func(tx pgx.Tx) error {
		return setUsage(ctx, tx, tenant, MeterActiveUsers, hour, int64(n))
	})
}

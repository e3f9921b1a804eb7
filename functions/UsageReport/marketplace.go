package usagereport

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/marketplace"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// MarketplaceSender posts usage events to the Marketplace metering service;
// *marketplace.Client implements it.
type MarketplaceSender interface {
	PostBatch(ctx context.Context, events []marketplace.UsageEvent) ([]marketplace.Result, error)
}

// Marketplace makes the report bill a Marketplace managed application: each tenant's hourly
// counters (meetings processed, active users) go out as usage events of the application's
// resource, one per dimension and hour, instead of Stripe meter events. The dimension ids of
// the plan are the meter names.
type Marketplace struct {
	Sender MarketplaceSender
	// ResourceURI is the managed application's resource id; PlanID the purchased plan.
	ResourceURI, PlanID string
}

// marketplaceCounters reads a tenant's counters not yet reported, of hours that ended before
// now and started less than 24 hours ago (the service refuses older ones).
const marketplaceCounters = `SELECT meter, period_start, value FROM usage_counters
WHERE tenant_id = $1 AND reported_at IS NULL AND value > 0
  AND period_start < date_trunc('hour', $2::timestamptz) AND period_start >= $2::timestamptz - interval '24 hours'
ORDER BY period_start, meter`

// reportMarketplace sends one tenant's unreported hours. An event the service calls a
// duplicate was sent before (a retry after a lost commit): it counts as reported, so nothing
// is ever billed twice; a retryable failure leaves the counters for the next hour.
func (h *Handler) reportMarketplace(ctx context.Context, t tenancy.ID, at time.Time) (int, error) {
	m := h.d.Marketplace
	type counter struct {
		meter string
		hour  time.Time
		value int64
	}
	var cs []counter
	err := tenancy.WithReadTx(ctx, h.d.DB, t, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, marketplaceCounters, t, at)
		if err != nil {
			return err
		}
		cs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (counter, error) {
			var c counter
			return c, r.Scan(&c.meter, &c.hour, &c.value)
		})
		return err
	})
	if err != nil || len(cs) == 0 {
		return 0, err
	}
	var events []marketplace.UsageEvent
	for _, c := range cs {
		events = append(events, marketplace.Events(m.ResourceURI, m.PlanID, c.hour, map[string]float64{c.meter: float64(c.value)})...)
	}
	sent := 0
	for start := 0; start < len(events); start += marketplace.MaxBatch {
		batch := events[start:min(start+marketplace.MaxBatch, len(events))]
		results, err := m.Sender.PostBatch(ctx, batch)
		if err != nil {
			return sent, fmt.Errorf("post marketplace usage: %w", err)
		}
		var done []marketplace.UsageEvent
		for i, r := range results {
			switch r.Status {
			case marketplace.StatusAccepted, marketplace.StatusDuplicate, marketplace.StatusExpired:
				done = append(done, batch[i])
			default:
				h.d.Log.ErrorContext(ctx, "marketplace refused a usage event", "dimension", batch[i].Dimension,
					"hour", batch[i].EffectiveStartTime.Format(time.RFC3339), "status", string(r.Status))
			}
		}
		if err := h.markReported(ctx, t, done); err != nil {
			return sent, err
		}
		sent += len(done)
	}
	return sent, nil
}

func (h *Handler) markReported(ctx context.Context, t tenancy.ID, events []marketplace.UsageEvent) error {
	if len(events) == 0 {
		return nil
	}
	return tenancy.WithTx(ctx, h.d.DB, t, func(tx pgx.Tx) error {
		for _, e := range events {
			id := "marketplace:" + e.Dimension + ":" + e.EffectiveStartTime.Format(time.RFC3339)
			if _, err := tx.Exec(ctx, `UPDATE usage_counters SET reported_at = now(), report_id = $4
WHERE tenant_id = $1 AND meter = $2 AND period_start = $3 AND reported_at IS NULL`, t, e.Dimension, e.EffectiveStartTime, id); err != nil {
				return errors.Join(fmt.Errorf("mark marketplace usage reported"), err)
			}
		}
		return nil
	})
}

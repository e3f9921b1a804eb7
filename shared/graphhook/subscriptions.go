package graphhook

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Querier runs a query; pgx.Tx satisfies it (call LoadSubscriptions inside the tenant's
// transaction: graph_subscriptions is under row-level security).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

const selectSubscriptions = `
SELECT id, client_state_sha256 FROM graph_subscriptions
WHERE lower(id) = ANY($1::text[]) AND (NOT $2 OR status IN ('requested', 'active', 'reauthorize'))`

// LoadSubscriptions returns the stored subscriptions among ids in the tenant of q, keyed for
// Classify with the Graph tenant azure. liveOnly keeps requested, active and reauthorize ones
// (notifications); otherwise every status counts (lifecycle events). Graph's ids are GUIDs,
// compared in lower case; a row whose id is not one can match nothing and is skipped.
func LoadSubscriptions(ctx context.Context, q Querier, azure uuid.UUID, ids []uuid.UUID, liveOnly bool) (map[uuid.UUID]Subscription, error) {
	rows, err := q.Query(ctx, selectSubscriptions, subscriptionKeys(ids), liveOnly)
	if err != nil {
		return nil, fmt.Errorf("load graph subscriptions: %w", err)
	}
	out := map[uuid.UUID]Subscription{}
	if err := scanSubscriptions(rows, azure, out); err != nil {
		return nil, err
	}
	return out, nil
}

// QueueSubscriptions is LoadSubscriptions pipelined: it queues the query on b (after the
// tenant's tenancy.QueueUse) and fills into when the batch runs, so several tenants'
// subscriptions are read in one round trip.
func QueueSubscriptions(b *pgx.Batch, azure uuid.UUID, ids []uuid.UUID, liveOnly bool, into map[uuid.UUID]Subscription) {
	b.Queue(selectSubscriptions, subscriptionKeys(ids), liveOnly).Query(func(rows pgx.Rows) error {
		return scanSubscriptions(rows, azure, into)
	})
}

func subscriptionKeys(ids []uuid.UUID) []string {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = id.String()
	}
	return keys
}

func scanSubscriptions(rows pgx.Rows, azure uuid.UUID, into map[uuid.UUID]Subscription) error {
	var raw string
	var hash []byte
	_, err := pgx.ForEachRow(rows, []any{&raw, &hash}, func() error {
		if id, err := uuid.Parse(raw); err == nil && len(hash) == 32 {
			into[id] = Subscription{ID: id, TenantID: azure, ClientStateSHA256: [32]byte(hash)}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load graph subscriptions: %w", err)
	}
	return nil
}

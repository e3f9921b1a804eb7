package graphnotifications

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Tenants maps Graph's tenantId to our tenant; *tenancy.Registry implements it. An unknown
// Entra tenant is tenancy.ErrNotFound.
type Tenants interface {
	ByAzureTenant(ctx context.Context, azure uuid.UUID) (tenancy.Tenant, error)
}

// resolveTenant returns our tenant for a Graph tenantId; ok is false when there is none (or it
// is cancelled), err only when the registry could not answer.
func resolveTenant(ctx context.Context, tenants Tenants, azure uuid.UUID) (tenancy.ID, bool, error) {
	t, err := tenants.ByAzureTenant(ctx, azure)
	switch {
	case errors.Is(err, tenancy.ErrNotFound):
		return tenancy.ID{}, false, nil
	case err != nil:
		return tenancy.ID{}, false, fmt.Errorf("resolve entra tenant %s: %w", azure, err)
	case t.Status == tenancy.StatusCancelled:
		return tenancy.ID{}, false, nil
	}
	return t.ID, true, nil
}

// selectSubscriptions reads the live subscriptions among ids; Graph's ids are GUIDs, compared
// in lower case. A removed or failed subscription delivers nothing we accept.
const selectSubscriptions = `
SELECT id, client_state_sha256 FROM graph_subscriptions
WHERE lower(id) = ANY($1::text[]) AND status IN ('requested', 'active', 'reauthorize')`

// loadSubscriptions returns the stored subscriptions among ids, in the tenant of tx, keyed for
// graphhook.Classify with the Graph tenant azure.
func loadSubscriptions(ctx context.Context, tx pgx.Tx, azure uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]graphhook.Subscription, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = id.String()
	}
	rows, err := tx.Query(ctx, selectSubscriptions, keys)
	if err != nil {
		return nil, fmt.Errorf("load graph subscriptions: %w", err)
	}
	type row struct {
		ID   string
		Hash []byte
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.ID, &x.Hash)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("load graph subscriptions: %w", err)
	}
	out := make(map[uuid.UUID]graphhook.Subscription, len(got))
	for _, r := range got {
		id, err := uuid.Parse(r.ID)
		if err != nil || len(r.Hash) != 32 {
			continue // not a Graph subscription id: nothing can match it
		}
		out[id] = graphhook.Subscription{ID: id, TenantID: azure, ClientStateSHA256: [32]byte(r.Hash)}
	}
	return out, nil
}

// upsertReceipt records one delivery. pending is true when the message is still to be sent:
// the receipt is new, or an earlier one was recorded without its message.
const upsertReceipt = `
INSERT INTO notification_receipts (tenant_id, dedupe_key, subscription_id, change_type, resource)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, dedupe_key) DO UPDATE
SET times_received = notification_receipts.times_received + 1
RETURNING (xmax = 0) AS inserted, enqueued_at IS NULL AS pending`

const markEnqueued = `
UPDATE notification_receipts SET enqueued_at = now() WHERE tenant_id = $1 AND dedupe_key = $2`

package graphnotifications

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

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

// upsertReceipt records one delivery. pending is true when the message is still to be sent:
// the receipt is new, or an earlier one was recorded without its message.
//
// $6 marks a new receipt enqueued at once: with a transactional Enqueuer the message commits
// with it, so the mark is true exactly when the row exists.
const upsertReceipt = `
INSERT INTO notification_receipts (tenant_id, dedupe_key, subscription_id, change_type, resource, enqueued_at)
VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END)
ON CONFLICT (tenant_id, dedupe_key) DO UPDATE
SET times_received = notification_receipts.times_received + 1
RETURNING (xmax = 0) AS inserted, enqueued_at IS NULL AS pending`

// upsertReceipts is upsertReceipt for many distinct keys in one statement (the group-commit
// path with a transactional queue): rows are written in key order, and a key delivered n
// times in the batch counts n.
const upsertReceipts = `
INSERT INTO notification_receipts AS r (tenant_id, dedupe_key, subscription_id, change_type, resource, times_received, enqueued_at)
SELECT $1, u.k, u.s, u.c, u.res, u.n, now()
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) AS u(k, s, c, res, n)
 ORDER BY u.k
ON CONFLICT (tenant_id, dedupe_key) DO UPDATE
SET times_received = r.times_received + EXCLUDED.times_received
RETURNING dedupe_key, (xmax = 0) AS inserted, enqueued_at IS NULL AS pending`

const markEnqueued = `
UPDATE notification_receipts SET enqueued_at = now() WHERE tenant_id = $1 AND dedupe_key = $2`

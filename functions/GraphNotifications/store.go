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

// upsertReceipts records the deliveries of distinct keys in one statement: rows are written
// in key order (concurrent transactions cannot deadlock), a key delivered n times counts n,
// and a new receipt is marked enqueued as it is written (its message is sent in the same
// transaction, see Enqueuer). pending is true for a receipt an older build recorded without
// its message.
const upsertReceipts = `
INSERT INTO notification_receipts AS r (tenant_id, dedupe_key, subscription_id, change_type, resource, times_received, enqueued_at)
SELECT $1, u.k, u.s, u.c, u.res, u.n, now()
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[]) AS u(k, s, c, res, n)
 ORDER BY u.k
ON CONFLICT (tenant_id, dedupe_key) DO UPDATE
SET times_received = r.times_received + EXCLUDED.times_received
RETURNING dedupe_key, (xmax = 0) AS inserted, enqueued_at IS NULL AS pending`

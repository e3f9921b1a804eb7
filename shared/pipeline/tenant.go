package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// TenantGetter reads the registry; *tenancy.Registry implements it.
type TenantGetter interface {
	Get(ctx context.Context, id tenancy.ID) (tenancy.Tenant, error)
}

// MessageTenant is the common start of every pipeline message: the body's tenant must match
// the tenant_id property our senders set from the same value (a mismatch is a forged or
// corrupted message: poison, never a tenant to act for), and must exist and not be cancelled
// (else the message is acknowledged with a log line: ok false, err nil). The returned context
// carries the tenant on its log records. what names the message in logs ("generate message").
func MessageTenant(ctx context.Context, tenants TenantGetter, m funchost.Message, id tenancy.ID, what string, log *slog.Logger) (context.Context, tenancy.Tenant, bool, error) {
	if p, ok := m.Properties[queue.PropertyTenantID].(string); ok && p != "" && p != id.String() {
		if len(p) > 64 {
			p = p[:64]
		}
		return ctx, tenancy.Tenant{}, false, funchost.Poison(fmt.Errorf("%s: tenant_id property %q differs from the body", what, p))
	}
	ctx = logging.With(ctx, slog.String(logging.KeyTenantID, id.String()))
	t, err := tenants.Get(ctx, id)
	switch {
	case errors.Is(err, tenancy.ErrNotFound):
		log.WarnContext(ctx, what+" for an unknown tenant dropped")
		return ctx, t, false, nil
	case err != nil:
		return ctx, t, false, fmt.Errorf("read tenant: %w", err)
	case t.Status == tenancy.StatusCancelled:
		log.InfoContext(ctx, what+" for a cancelled tenant dropped")
		return ctx, t, false, nil
	}
	return ctx, t, true, nil
}

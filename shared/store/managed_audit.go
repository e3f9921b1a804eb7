package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/audit"
)

// Audit appends e to the tenant's audit log in the store's transaction (see Store.Audit).
func (s *Managed) Audit(ctx context.Context, e audit.Entry) (audit.Record, error) {
	var rec audit.Record
	err := s.write(ctx, func(q querier) error {
		tx, ok := q.(pgx.Tx)
		if !ok {
			return fmt.Errorf("audit %s: the store is not in a transaction", e.Action)
		}
		var err error
		rec, err = audit.Append(ctx, tx, s.tenant, e)
		return err
	})
	if err != nil {
		return audit.Record{}, fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return rec, nil
}

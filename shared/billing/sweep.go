package billing

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// SweepResult is what one tenant's hourly sweep did.
type SweepResult struct {
	// Status is the tenant's status after the sweep.
	Status tenancy.Status
	// Released is how many held meetings were admitted (a period rolled over).
	Released int
	// Notices are the emails the sweep calls for (a grace period ended).
	Notices []Notice
}

// Sweep applies the passage of time to a tenant: a grace period that has ended suspends it,
// and held meetings are admitted when its period has rolled over. The hourly UsageReport
// timer runs it for every tenant; it is idempotent.
func (e *Entitlements) Sweep(ctx context.Context, tenant tenancy.ID) (res SweepResult, err error) {
	now := e.now().UTC()
	err = tenancy.WithTx(ctx, e.db, tenant, func(tx pgx.Tx) error {
		a, err := loadAccount(ctx, tx, tenant, true)
		if err != nil {
			return err
		}
		next, notices := Transition(a, Change{Now: now})
		if next.Status != a.Status {
			if err := saveAccount(ctx, tx, next, now); err != nil {
				return err
			}
		}
		released, err := e.release(ctx, tx, next, now)
		if err != nil {
			return err
		}
		res = SweepResult{Status: next.Status, Released: len(released), Notices: notices}
		return nil
	})
	if err != nil {
		return SweepResult{}, fmt.Errorf("billing sweep of tenant %s: %w", tenant, err)
	}
	return res, nil
}

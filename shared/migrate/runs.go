package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Run is one recorded migration run of the coordinator (migration_runs, control plane).
type Run struct {
	ID            int64
	Set           string
	TargetVersion int64
	DryRun        bool
	Status        string
	Total         int
	Succeeded     int
	Failed        int
	RequestedBy   string
	StartedAt     time.Time
	FinishedAt    *time.Time
}

// RowQuerier runs a query returning rows; *pgxpool.Pool and pgx.Tx satisfy it.
type RowQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ListRuns returns the newest migration runs first, at most limit (default 50). The table
// holds no tenant content (per-tenant outcomes are in migration_targets, under RLS).
func ListRuns(ctx context.Context, q RowQuerier, limit int) ([]Run, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := q.Query(ctx, `
SELECT id, migration_set, target_version, dry_run, status, total, succeeded, failed, requested_by, started_at, finished_at
  FROM migration_runs ORDER BY started_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list migration runs: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Run, error) {
		var m Run
		err := r.Scan(&m.ID, &m.Set, &m.TargetVersion, &m.DryRun, &m.Status, &m.Total, &m.Succeeded, &m.Failed,
			&m.RequestedBy, &m.StartedAt, &m.FinishedAt)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("list migration runs: %w", err)
	}
	return runs, nil
}

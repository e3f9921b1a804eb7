package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// ManagedResolver resolves every tenant to the managed database: one shared PostgreSQL where
// row-level security keeps tenants apart.
type ManagedResolver struct {
	db tenancy.Beginner
}

// NewManagedResolver returns a resolver over pool, which must connect as the runtime role
// (minutes_app), never as a role that bypasses row-level security.
func NewManagedResolver(pool *pgxpool.Pool) *ManagedResolver {
	return &ManagedResolver{db: pool}
}

// For returns the Managed store of tenant id. It does no I/O; the zero id is
// tenancy.ErrNoTenant.
func (r *ManagedResolver) For(_ context.Context, id tenancy.ID) (Store, error) {
	if id.IsZero() {
		return nil, fmt.Errorf("resolve store: %w", tenancy.ErrNoTenant)
	}
	return &Managed{db: r.db, tenant: id}, nil
}

// Managed is the Store of one tenant in a PostgreSQL database with the tenant schema
// (migrations/tenant). Each method runs in its own tenancy.WithTx or WithReadTx transaction,
// or, for the Store Tx hands out, in a savepoint of the shared transaction. Get one from
// ManagedResolver.For; the zero value is not usable.
type Managed struct {
	db     tenancy.Beginner // the pool; unused when tx is set
	tenant tenancy.ID
	tx     pgx.Tx // the shared transaction of Tx, nil otherwise
}

// querier is what the methods run statements on: a fresh tenant transaction, or a savepoint
// of (or the) shared transaction of Tx. Either way app.current_tenant is set.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// write runs fn in a read-write transaction of the tenant. Inside Tx it runs in a savepoint,
// so a failed statement rolls back only this operation and the shared transaction goes on.
func (s *Managed) write(ctx context.Context, fn func(q querier) error) error {
	if s.tx == nil {
		return tenancy.WithTx(ctx, s.db, s.tenant, func(tx pgx.Tx) error { return fn(tx) })
	}
	return savepoint(ctx, s.tx, func(sp pgx.Tx) error { return fn(sp) })
}

// read runs fn in a read-only transaction of the tenant. Inside Tx it runs in a savepoint too:
// a read can fail on bad input (a NUL in an email) and must not abort the shared transaction.
func (s *Managed) read(ctx context.Context, fn func(q querier) error) error {
	if s.tx == nil {
		return tenancy.WithReadTx(ctx, s.db, s.tenant, func(tx pgx.Tx) error { return fn(tx) })
	}
	return savepoint(ctx, s.tx, func(sp pgx.Tx) error { return fn(sp) })
}

// savepoint runs fn in a savepoint of tx (pgx's nested transaction), released when fn returns
// nil and rolled back otherwise, a panic or runtime.Goexit included.
func savepoint(ctx context.Context, tx pgx.Tx, fn func(sp pgx.Tx) error) error {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin savepoint: %w", err)
	}
	released := false
	defer func() {
		if !released {
			_ = sp.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(sp); err != nil {
		return err
	}
	if err := sp.Commit(ctx); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	released = true
	return nil
}

// Tx runs fn with a Store bound to one transaction of the tenant (see Store.Tx). Nested, it
// runs fn in a savepoint of the outer transaction.
func (s *Managed) Tx(ctx context.Context, fn func(Store) error) error {
	if s.tx != nil {
		return savepoint(ctx, s.tx, func(sp pgx.Tx) error {
			return fn(&Managed{tenant: s.tenant, tx: sp})
		})
	}
	return tenancy.WithTx(ctx, s.db, s.tenant, func(tx pgx.Tx) error {
		return fn(&Managed{tenant: s.tenant, tx: tx})
	})
}

// retries is how often an operation that lost a race on a unique constraint (two minutes
// versions numbered alike, two default templates) is attempted in all.
const retries = 5

// retryUnique runs op again, in a fresh transaction or savepoint, while it fails with a unique
// violation of constraint: the loser of a race sees the winner's row the next time.
func retryUnique(constraint string, op func() error) error {
	var err error
	for range retries {
		if err = op(); !isUniqueViolation(err, constraint) {
			return err
		}
	}
	return err
}

// Compile-time checks.
var (
	_ Store    = (*Managed)(nil)
	_ Resolver = (*ManagedResolver)(nil)
	_ querier  = pgx.Tx(nil)
)

// one runs a query that must return exactly one row and reads it with fn; no row is
// pgx.ErrNoRows (translated to ErrNotFound by the caller).
func one[T any](ctx context.Context, q querier, fn pgx.RowToFunc[T], sql string, args ...any) (T, error) {
	rows, _ := q.Query(ctx, sql, args...) // a query error surfaces from the collect
	return pgx.CollectExactlyOneRow(rows, fn)
}

// all runs a query and reads every row with fn; no row is an empty, non-nil slice.
func all[T any](ctx context.Context, q querier, fn pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	rows, _ := q.Query(ctx, sql, args...) // a query error surfaces from the collect
	out, err := pgx.CollectRows(rows, fn)
	if out == nil && err == nil {
		out = []T{}
	}
	return out, err
}

// exists runs a query of the form SELECT EXISTS (...) and returns its answer.
func exists(ctx context.Context, q querier, sql string, args ...any) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, sql, args...).Scan(&ok)
	return ok, err
}

// lockMeetingSQL locks a meeting row against concurrent minutes changes. FOR NO KEY UPDATE
// serializes AddMinutesVersion and DecideMinutes per meeting without blocking the foreign-key
// checks (FOR KEY SHARE) of inserts that reference the meeting.
const lockMeetingSQL = `SELECT 1 FROM meetings WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`

// lockMeeting takes that lock; a missing meeting is pgx.ErrNoRows.
func lockMeeting(ctx context.Context, q querier, tenant tenancy.ID, id MeetingID) error {
	var n int
	return q.QueryRow(ctx, lockMeetingSQL, tenant, id).Scan(&n)
}

package tenancy

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ErrNoTenant reports an attempt to reach tenant data without a tenant.
var ErrNoTenant = errors.New("no tenant in context")

// Beginner starts transactions; *pgxpool.Pool and *pgx.Conn satisfy it.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Setting is the PostgreSQL setting the row-level-security policies read (contract).
const Setting = "app.current_tenant"

// setTenant makes $1 the transaction's tenant. is_local = true: the setting ends with the
// transaction (never a session-level SET), so nothing leaks to the connection's next user.
const setTenant = "SELECT set_config('" + Setting + "', $1, true)"

// QueueUse queues on b the statement that makes id the tenant of the transaction b is sent
// in, for callers that pipeline several tenants' statements in one round trip: the statements
// queued after it, up to the next QueueUse, run under id's row-level security. b must be sent
// inside WithTenantsTx (or WithTx); outside a transaction the setting would end with its own
// statement.
func QueueUse(b *pgx.Batch, id ID) error {
	if id.IsZero() {
		return ErrNoTenant
	}
	b.Queue(setTenant, id.String())
	return nil
}

// WithTx runs fn in a read-write transaction whose RLS policies see tenant id. fn's error
// rolls the transaction back and is returned as is; otherwise the transaction commits.
func WithTx(ctx context.Context, db Beginner, id ID, fn func(pgx.Tx) error) error {
	return withTx(ctx, db, id, pgx.TxOptions{}, fn)
}

// WithReadTx is WithTx for a read-only transaction.
func WithReadTx(ctx context.Context, db Beginner, id ID, fn func(pgx.Tx) error) error {
	return withTx(ctx, db, id, pgx.TxOptions{AccessMode: pgx.ReadOnly}, fn)
}

func withTx(ctx context.Context, db Beginner, id ID, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	if id.IsZero() {
		return ErrNoTenant
	}
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction for tenant %s: %w", id, err)
	}
	committed := false
	defer func() {
		// Also on a panic in fn: an open transaction would pin its pooled connection forever.
		if !committed {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := Use(ctx, tx, id); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	committed = true // Commit ends the transaction either way; no rollback after it
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit transaction for tenant %s: %w", id, err)
	}
	return nil
}

// WithTenantsTx runs fn in one transaction that serves several tenants in turn: fn switches
// tenant with Use (or QueueUse, pipelined) before touching a tenant's rows, and each switch
// replaces the transaction's tenant, so every statement still runs under exactly one tenant's
// row-level security (and none before the first switch). It exists for group commit — the
// webhook path writes many tenants' small receipts under one commit instead of one commit
// each. A failure anywhere rolls back every tenant's work.
func WithTenantsTx(ctx context.Context, db Beginner, fn func(tx pgx.Tx) error) error {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("begin multi-tenant transaction: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit multi-tenant transaction: %w", err)
	}
	return nil
}

// Use makes id the tenant of tx (a WithTenantsTx transaction) for the statements that follow.
func Use(ctx context.Context, tx pgx.Tx, id ID) error {
	if id.IsZero() {
		return ErrNoTenant
	}
	if _, err := tx.Exec(ctx, setTenant, id.String()); err != nil {
		return fmt.Errorf("set tenant %s: %w", id, err)
	}
	return nil
}

package migrate

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// RiverSchema is the schema holding River's tables (the PostgreSQL queue). It is named
// explicitly, rather than left to search_path, in the migrator and in every River client
// (shared/queue), so they always agree.
const RiverSchema = "public"

// riverLockID is the session advisory lock River holds, in the same "mm" + number family as
// the goose sets' locks (control 1, tenant 2).
const riverLockID = int64(0x6d6d_0003)

// RiverVersions is the state of River's schema in a database.
type RiverVersions struct {
	// Current is the highest River migration applied (0 when none is).
	Current int
	// Latest is the highest River migration this binary carries.
	Latest int
	// Pending lists the versions this binary carries that are not applied, in order.
	Pending []int
}

// River applies River's pending migrations (its tables river_job, river_leader,
// river_queue, river_migration, …) with River's own migrator, rivermigrate, each in its own
// transaction, and returns the versions it applied. `handler migrate up` calls it after the
// goose sets, on the control-plane database (the one DATABASE_URL points at), with the
// owner's DSN (MIGRATIONS_DATABASE_URL):
//
//	applied, err := migrate.River(ctx, ownerDSN)
//
// It must run as the owner role: the tables it creates in schema public are then owned by
// minutes_owner and, through the default privileges of control migration 00001, minutes_app
// gets SELECT, INSERT, UPDATE, DELETE on them and USAGE, SELECT on their sequences — all
// River's runtime needs. It holds a session advisory lock while it runs, so concurrent
// callers apply each version once; the DSN must not go through a transaction-mode pooler.
//
// Why rivermigrate rather than River's SQL copied into a goose file: River documents
// rivermigrate (and its CLI) as the way to migrate its schema, and its SQL dump
// (`river migrate-get`) only for projects that must keep one migration framework. Through
// rivermigrate the schema always matches the River version pinned in go.mod — upgrading River
// brings its new migrations with it, recorded in River's own river_migration table — and
// nobody has to remember to dump and renumber River's SQL into migrations/control.
func River(ctx context.Context, ownerDSN string) ([]int, error) {
	lock, err := pgx.Connect(ctx, ownerDSN)
	if err != nil {
		return nil, fmt.Errorf("migrate river: connect: %w", err)
	}
	defer lock.Close(context.WithoutCancel(ctx))
	if _, err := lock.Exec(ctx, "SELECT pg_advisory_lock($1)", riverLockID); err != nil {
		return nil, fmt.Errorf("migrate river: take lock: %w", err)
	}
	// Closing the session releases the lock as well; unlocking first frees it at once.
	defer func() { _, _ = lock.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", riverLockID) }()

	migrator, closeFn, err := newMigrator(ctx, ownerDSN)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate river: %w", err)
	}
	applied := make([]int, 0, len(res.Versions))
	for _, v := range res.Versions {
		applied = append(applied, v.Version)
	}
	return applied, nil
}

// RiverStatus reports River's schema version in the database at dsn without changing
// anything (for `handler migrate status`). Either role may read it.
func RiverStatus(ctx context.Context, dsn string) (RiverVersions, error) {
	migrator, closeFn, err := newMigrator(ctx, dsn)
	if err != nil {
		return RiverVersions{}, err
	}
	defer closeFn()
	existing, err := migrator.ExistingVersions(ctx)
	if err != nil {
		return RiverVersions{}, fmt.Errorf("river schema status: %w", err)
	}
	applied := make(map[int]bool, len(existing))
	var st RiverVersions
	for _, m := range existing {
		applied[m.Version] = true
		st.Current = max(st.Current, m.Version)
	}
	for _, m := range migrator.AllVersions() {
		st.Latest = max(st.Latest, m.Version)
		if !applied[m.Version] {
			st.Pending = append(st.Pending, m.Version)
		}
	}
	return st, nil
}

// newMigrator opens a small pool on dsn and returns River's migrator over it, with the
// function that closes the pool.
func newMigrator(ctx context.Context, dsn string) (*rivermigrate.Migrator[pgx.Tx], func(), error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("river schema: %w", err) // pgconn redacts the password
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("river schema: connect: %w", err)
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{
		Logger: slog.New(slog.DiscardHandler),
		Schema: RiverSchema,
	})
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("river schema: %w", err)
	}
	return migrator, pool.Close, nil
}

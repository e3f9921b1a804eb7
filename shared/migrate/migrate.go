package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
)

// appRole is the runtime role that is granted SELECT on the version tables.
const appRole = "minutes_app"

// Result is what Up did to one set.
type Result struct {
	// Set is the migration set.
	Set Set
	// Applied lists the versions applied by this call, in order; empty when none was pending.
	Applied []int64
	// Current is the set's version after the call (0 when none is applied).
	Current int64
}

// SetStatus is the state of one set in a database.
type SetStatus struct {
	// Set is the migration set.
	Set Set
	// Current is the highest applied version (0 when none is applied).
	Current int64
	// Latest is the highest version this binary knows.
	Latest int64
	// Pending lists the versions this binary knows that are not applied, in order.
	Pending []int64
}

// Up applies every pending migration of each set, each migration in its own transaction.
// With no sets it applies every set (control, then tenant). dsn is a PostgreSQL URL or
// keyword/value string for the owner role. On failure it returns the results of the sets
// already done and an error naming the set and migration; the failed migration is rolled back.
func Up(ctx context.Context, dsn string, sets ...Set) ([]Result, error) {
	sets, err := checkSets(sets)
	if err != nil {
		return nil, err
	}
	db, err := open(dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()

	results := make([]Result, 0, len(sets))
	for _, s := range sets {
		r, err := up(ctx, db, s, s.FS())
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}

// Status reports current and pending versions of each set without changing anything: it
// neither creates version tables nor waits for a running Up. With no sets it reports every set.
func Status(ctx context.Context, dsn string, sets ...Set) ([]SetStatus, error) {
	sets, err := checkSets(sets)
	if err != nil {
		return nil, err
	}
	db, err := open(dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()

	statuses := make([]SetStatus, 0, len(sets))
	for _, s := range sets {
		st, err := status(ctx, db, s, s.FS())
		if err != nil {
			return nil, err
		}
		statuses = append(statuses, st)
	}
	return statuses, nil
}

// Querier runs one query returning one row; *pgxpool.Pool, *pgx.Conn and pgx.Tx satisfy it.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Versions reads the current version of every set over q, which may use the app role
// (minutes_app). A set whose version table does not exist has version 0.
func Versions(ctx context.Context, q Querier) (map[Set]int64, error) {
	versions := make(map[Set]int64, len(allSets))
	for _, s := range allSets {
		var exists bool
		if err := q.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", s.table()).Scan(&exists); err != nil {
			return nil, fmt.Errorf("find version table %s: %w", s.table(), err)
		}
		if !exists {
			versions[s] = 0
			continue
		}
		var v int64
		sql := "SELECT COALESCE(max(version_id), 0) FROM " + pgx.Identifier{s.table()}.Sanitize()
		if err := q.QueryRow(ctx, sql).Scan(&v); err != nil {
			return nil, fmt.Errorf("read version of %s migrations: %w", s, err)
		}
		versions[s] = v
	}
	return versions, nil
}

// checkSets returns sets, or every set when empty, rejecting unknown and repeated ones.
func checkSets(sets []Set) ([]Set, error) {
	if len(sets) == 0 {
		return slices.Clone(allSets), nil
	}
	for i, s := range sets {
		if !s.valid() {
			return nil, fmt.Errorf("unknown migration set %q", s)
		}
		if slices.Contains(sets[:i], s) {
			return nil, fmt.Errorf("migration set %q given twice", s)
		}
	}
	return sets, nil
}

// open returns a database/sql handle over pgx for dsn; it does not connect yet.
func open(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	return stdlib.OpenDB(*cfg), nil
}

// provider returns a goose provider for set s reading migrations from fsys.
func provider(db *sql.DB, s Set, fsys fs.FS) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(s.lockID()),
		lock.WithLockTimeout(1, 600),  // retry every second for 10 minutes
		lock.WithUnlockTimeout(1, 60), // the unlock only fails if the session is gone
	)
	if err != nil {
		return nil, fmt.Errorf("create lock for %s migrations: %w", s, err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithTableName(s.table()),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	)
	if err != nil {
		return nil, fmt.Errorf("load %s migrations: %w", s, err)
	}
	return p, nil
}

// up applies the pending migrations of set s found in fsys, then lets the app role read the
// version table.
func up(ctx context.Context, db *sql.DB, s Set, fsys fs.FS) (Result, error) {
	res := Result{Set: s}
	p, err := provider(db, s, fsys)
	if err != nil {
		return res, err
	}
	applied, err := p.Up(ctx)
	if err != nil {
		var partial *goose.PartialError
		if errors.As(err, &partial) && partial.Failed != nil && partial.Failed.Source != nil {
			return res, fmt.Errorf("apply %s migration %s: %w", s, partial.Failed.Source.Path, partial.Err)
		}
		return res, fmt.Errorf("apply %s migrations: %w", s, err)
	}
	for _, r := range applied {
		res.Applied = append(res.Applied, r.Source.Version)
	}
	if res.Current, err = p.GetDBVersion(ctx); err != nil {
		return res, fmt.Errorf("read version of %s migrations: %w", s, err)
	}
	if err := grantRead(ctx, db, s); err != nil {
		return res, err
	}
	return res, nil
}

// grantRead lets the app role read the set's version table, when the role exists. GRANT is
// idempotent.
func grantRead(ctx context.Context, db *sql.DB, s Set) error {
	var exists bool
	if err := db.QueryRowContext(ctx,
		"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)", appRole,
	).Scan(&exists); err != nil {
		return fmt.Errorf("find role %s: %w", appRole, err)
	}
	if !exists {
		return nil
	}
	stmt := fmt.Sprintf("GRANT SELECT ON TABLE %s TO %s",
		pgx.Identifier{s.table()}.Sanitize(), pgx.Identifier{appRole}.Sanitize())
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("grant %s read on %s: %w", appRole, s.table(), err)
	}
	return nil
}

// status reports set s in fsys against the database without writing or locking.
func status(ctx context.Context, db *sql.DB, s Set, fsys fs.FS) (SetStatus, error) {
	st := SetStatus{Set: s}
	p, err := provider(db, s, fsys)
	if err != nil {
		return st, err
	}
	known := p.ListSources()
	if len(known) > 0 {
		st.Latest = known[len(known)-1].Version
	}

	applied := map[int64]bool{}
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", s.table()).Scan(&exists); err != nil {
		return st, fmt.Errorf("find version table %s: %w", s.table(), err)
	}
	if exists {
		store, err := database.NewStore(goose.DialectPostgres, s.table())
		if err != nil {
			return st, fmt.Errorf("open version table %s: %w", s.table(), err)
		}
		rows, err := store.ListMigrations(ctx, db)
		if err != nil {
			return st, fmt.Errorf("list applied %s migrations: %w", s, err)
		}
		for _, r := range rows {
			applied[r.Version] = true
			st.Current = max(st.Current, r.Version)
		}
	}
	for _, src := range known {
		if !applied[src.Version] {
			st.Pending = append(st.Pending, src.Version)
		}
	}
	return st, nil
}

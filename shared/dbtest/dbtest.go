package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meetingminutes/minutes/shared/migrate"
)

const (
	// OwnerRole owns every object and runs migrations.
	OwnerRole = migrate.OwnerRole
	// AppRole is the runtime role the App pool connects as.
	AppRole = "minutes_app"

	prefix   = "mmtest_"
	staleAge = time.Hour
	// lockKey serializes role and template creation across test processes (in the database
	// of TEST_DATABASE_URL).
	lockKey = int64(0x6d6d_7465_7374) // "mmtest"
	// setupTimeout bounds creating or migrating one database.
	setupTimeout = 2 * time.Minute
)

// DB is one private test database.
type DB struct {
	// OwnerURL connects to the database as minutes_owner (runs migrations, owns objects).
	OwnerURL string
	// AppURL connects to the database as minutes_app (the runtime role).
	AppURL string
	// App is a pool connected as minutes_app with search_path public; closed on cleanup.
	App *pgxpool.Pool
	// Name is the database name (mmtest_...).
	Name string
}

// process holds what is built once per test process. It is test code: package state is fine.
var process struct {
	mu       sync.Mutex    // guards super, admin, ready
	tplMu    sync.Mutex    // guards template; held while building it
	super    *url.URL      // TEST_DATABASE_URL, parsed
	admin    *pgxpool.Pool // superuser pool on TEST_DATABASE_URL's database
	ready    bool          // roles ensured and stale databases dropped
	template string        // migrated template's name, "" until built
}

// New returns a fresh database (created from a per-process template that has both migration
// sets and River's schema applied), owned by minutes_owner, with a pool connected as minutes_app; dropped on
// t.Cleanup (WITH (FORCE)).
func New(t testing.TB) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	admin := setup(ctx, t)
	tpl, err := template(ctx, admin)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return create(ctx, t, admin, tpl)
}

// Empty returns a fresh database with no migration applied (for migration tests), owned by
// minutes_owner, with a pool connected as minutes_app; dropped on t.Cleanup (WITH (FORCE)).
func Empty(t testing.TB) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	admin := setup(ctx, t)
	return create(ctx, t, admin, "")
}

// Main runs the tests of a package that uses this helper, then drops the process's template
// database and exits with the tests' code. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	process.mu.Lock()
	process.tplMu.Lock()
	admin, tpl := process.admin, process.template
	process.admin, process.template, process.ready = nil, "", false
	process.tplMu.Unlock()
	process.mu.Unlock()
	if admin != nil {
		if tpl != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := dropDatabase(ctx, admin, tpl); err != nil {
				fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
			}
			cancel()
		}
		admin.Close()
	}
	os.Exit(code)
}

// setup returns the superuser pool, after making sure (once per process) that the roles
// exist and stale test databases are gone. It skips or fails t when TEST_DATABASE_URL is unset.
func setup(ctx context.Context, t testing.TB) *pgxpool.Pool {
	t.Helper()
	raw := os.Getenv("TEST_DATABASE_URL")
	if raw == "" {
		msg := "dbtest: TEST_DATABASE_URL is not set (a PostgreSQL superuser URL); run `make test` or set it from scripts/postgres.sh"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	process.mu.Lock()
	defer process.mu.Unlock()
	if process.ready {
		return process.admin
	}
	if process.admin == nil {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			t.Fatalf("dbtest: TEST_DATABASE_URL must be a postgres:// URL")
		}
		cfg, err := pgxpool.ParseConfig(raw)
		if err != nil {
			t.Fatalf("dbtest: parse TEST_DATABASE_URL: %v", err)
		}
		cfg.MaxConns = 4
		admin, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			t.Fatalf("dbtest: connect to TEST_DATABASE_URL: %v", err)
		}
		process.super, process.admin = u, admin
	}
	if err := withLock(ctx, process.admin, ensureRoles); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	dropStale(ctx, process.admin, time.Now())
	process.ready = true
	return process.admin
}

// ensureRoles creates minutes_owner (migrate.EnsureOwnerRole) and minutes_app as the migrations would, so that Empty's App pool can connect
// before any migration ran on a new cluster. The caller holds the advisory lock; the exception
// handlers cover a process that does not (a migration creating minutes_app).
func ensureRoles(ctx context.Context, conn *pgx.Conn) error {
	if err := migrate.EnsureOwnerRole(ctx, conn); err != nil {
		return err
	}
	const q = `DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'minutes_app') THEN
        BEGIN
            CREATE ROLE minutes_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$`
	if _, err := conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("create role %s: %w", AppRole, err)
	}
	return nil
}

// template returns the name of the process's migrated template, building it on first use.
// Building runs under the cross-process advisory lock, as minutes_owner, like production.
func template(ctx context.Context, admin *pgxpool.Pool) (string, error) {
	process.tplMu.Lock()
	defer process.tplMu.Unlock()
	if process.template != "" {
		return process.template, nil
	}
	name := newName() + "_tpl"
	err := withLock(ctx, admin, func(ctx context.Context, conn *pgx.Conn) error {
		if err := createDatabase(ctx, conn, name, ""); err != nil {
			return err
		}
		if _, err := migrate.Up(ctx, roleURL(OwnerRole, name)); err != nil {
			return fmt.Errorf("migrate template %s: %w", name, err)
		}
		// River's schema too, as 'handler migrate up' applies it: the PostgreSQL queue's
		// tables are part of the production schema.
		if _, err := migrate.River(ctx, roleURL(OwnerRole, name)); err != nil {
			return fmt.Errorf("migrate template %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		if dropErr := dropDatabase(context.WithoutCancel(ctx), admin, name); dropErr != nil {
			err = errors.Join(err, dropErr)
		}
		return "", err
	}
	process.template = name
	return name, nil
}

// create makes a database from tpl ("" for an empty one), opens its app pool and registers
// their cleanup on t.
func create(ctx context.Context, t testing.TB, admin *pgxpool.Pool, tpl string) *DB {
	t.Helper()
	name := newName()
	conn, err := admin.Acquire(ctx)
	if err != nil {
		t.Fatalf("dbtest: connect as superuser: %v", err)
	}
	err = createDatabase(ctx, conn.Conn(), name, tpl)
	conn.Release()
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	db := &DB{OwnerURL: roleURL(OwnerRole, name), AppURL: roleURL(AppRole, name), Name: name}
	t.Cleanup(func() {
		if db.App != nil {
			db.App.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := dropDatabase(ctx, admin, name); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})

	cfg, err := pgxpool.ParseConfig(db.AppURL)
	if err != nil {
		t.Fatalf("dbtest: parse app URL: %v", err)
	}
	cfg.MaxConns = 4
	cfg.ConnConfig.RuntimeParams["search_path"] = "public"
	if db.App, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		t.Fatalf("dbtest: open app pool on %s: %v", name, err)
	}
	return db
}

// createDatabase creates database name owned by minutes_owner, copied from tpl unless empty.
func createDatabase(ctx context.Context, conn *pgx.Conn, name, tpl string) error {
	stmt := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " OWNER " + pgx.Identifier{OwnerRole}.Sanitize()
	if tpl != "" {
		stmt += " TEMPLATE " + pgx.Identifier{tpl}.Sanitize()
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// dropDatabase drops database name, disconnecting its sessions.
func dropDatabase(ctx context.Context, admin *pgxpool.Pool, name string) error {
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// dropStale drops, best effort, test databases created more than staleAge before now: what
// crashed runs left behind. Live processes' databases are younger.
func dropStale(ctx context.Context, admin *pgxpool.Pool, now time.Time) {
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_catalog.pg_database WHERE datname LIKE 'mmtest\_%'`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range names {
		if created, ok := createdAt(name); ok && now.Sub(created) > staleAge {
			_ = dropDatabase(ctx, admin, name) // best effort: another process may drop it too
		}
	}
}

// withLock runs fn on one superuser session holding the cross-process advisory lock.
func withLock(ctx context.Context, admin *pgxpool.Pool, fn func(context.Context, *pgx.Conn) error) error {
	conn, err := admin.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect as superuser: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return fmt.Errorf("take setup lock: %w", err)
	}
	fnErr := fn(ctx, conn.Conn())
	if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey); err != nil {
		// The session may be broken: do not hand it back to the pool with the lock held.
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
		return errors.Join(fnErr, fmt.Errorf("release setup lock: %w", err))
	}
	return fnErr
}

// newName returns a fresh database name: mmtest_<unix seconds>_<pid>_<8 hex digits>.
func newName() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return fmt.Sprintf("%s%d_%d_%s", prefix, time.Now().Unix(), os.Getpid(), hex.EncodeToString(b[:]))
}

// createdAt reads the creation time from a name made by newName.
func createdAt(name string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return time.Time{}, false
	}
	secs, _, _ := strings.Cut(rest, "_")
	n, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// roleURL is TEST_DATABASE_URL with role (no password) and database name instead of its own.
func roleURL(role, name string) string {
	u := *process.super
	u.User = url.User(role)
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// TestTenantIsolation is the two-tenant leak matrix: for every table with a tenant_id column
// (read from the catalog), with one row of tenant A and one of tenant B present, minutes_app
// in B's context (or in none) can neither see nor change A's row, nor write a row for A.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	m := setupMatrix(t)
	before := m.snapshot(t, m.a)

	t.Run("Tables", func(t *testing.T) {
		for _, tbl := range m.tables {
			t.Run(tbl.rel.Key(), func(t *testing.T) {
				t.Parallel()
				m.checkTable(t, tbl)
			})
		}
	})

	require.Equal(t, before, m.snapshot(t, m.a), "tenant A's rows changed during the matrix")
}

// matrix is the shared state of TestTenantIsolation.
type matrix struct {
	db     *dbtest.DB
	a, b   tenancy.ID
	tables []matrixTable
	// blind serializes the blind writes: they lock every row of B in a table and cascade into
	// others, so two at once could deadlock each other.
	blind sync.Mutex
}

// matrixTable is one tenant table with its statements and the rows of A and B.
type matrixTable struct {
	rel        relation
	pk         []string
	canUpdate  bool // minutes_app has UPDATE (else UPDATE and DO UPDATE are refused outright)
	canDelete  bool
	rowA, rowB row
	sql        statements
}

// statements are the generic statements the matrix runs on one table. Where $1 is a row (its
// to_jsonb text), jsonb_populate_record turns it back into the table's row type, so matching
// on the primary key and re-inserting a copy work for any table; elsewhere $1 is a tenant.
type statements struct {
	countByKey, countForeign, countTenant, countAll string
	update, delete, insert                          string
	upsertUpdate, upsertNothing, move               string
	blindUpdate, blindDelete                        string
	snapshot                                        string
}

func newStatements(r relation, pk []string) statements {
	tbl := r.Ident()
	rec := "jsonb_populate_record(NULL::" + tbl + ", $1::jsonb)"
	var tcols, rcols, cols []string
	for _, c := range pk {
		id := pgx.Identifier{c}.Sanitize()
		tcols, rcols, cols = append(tcols, "t."+id), append(rcols, "r."+id), append(cols, id)
	}
	match := "(" + strings.Join(tcols, ", ") + ") = (" + strings.Join(rcols, ", ") + ")"
	return statements{
		countByKey:    "SELECT count(*) FROM " + tbl + " t, " + rec + " r WHERE " + match,
		countForeign:  "SELECT count(*) FROM " + tbl + " t WHERE t.tenant_id IS DISTINCT FROM $1",
		countTenant:   "SELECT count(*) FROM " + tbl + " t WHERE t.tenant_id = $1",
		countAll:      "SELECT count(*) FROM " + tbl,
		update:        "UPDATE " + tbl + " t SET tenant_id = t.tenant_id FROM " + rec + " r WHERE " + match + " RETURNING t.tenant_id",
		delete:        "DELETE FROM " + tbl + " t USING " + rec + " r WHERE " + match + " RETURNING t.tenant_id",
		insert:        "INSERT INTO " + tbl + " SELECT * FROM " + rec,
		upsertUpdate:  "INSERT INTO " + tbl + " AS t SELECT * FROM " + rec + " ON CONFLICT (" + strings.Join(cols, ", ") + ") DO UPDATE SET tenant_id = EXCLUDED.tenant_id RETURNING t.tenant_id",
		upsertNothing: "INSERT INTO " + tbl + " SELECT * FROM " + rec + " ON CONFLICT DO NOTHING",
		move:          "UPDATE " + tbl + " t SET tenant_id = $2 FROM " + rec + " r WHERE " + match,
		// No WHERE and no column read: only the UPDATE/DELETE policies apply, not SELECT's.
		blindUpdate: "UPDATE " + tbl + " SET tenant_id = $1",
		blindDelete: "DELETE FROM " + tbl,
		snapshot:    "SELECT coalesce(jsonb_agg(to_jsonb(t.*) ORDER BY to_jsonb(t.*)::text), '[]')::text FROM " + tbl + " t",
	}
}

// setupMatrix makes a database, registers tenants A and B, checks that every tenant table has
// a factory and inserts one row of each table for each tenant, as minutes_app.
func setupMatrix(t *testing.T) *matrix {
	t.Helper()
	ctx := context.Background()
	m := &matrix{db: dbtest.New(t), a: tenancy.NewID(), b: tenancy.NewID()}
	registerTenants(t, m.db.OwnerURL, m.a, m.b)
	var runID int64
	require.NoError(t, connect(t, m.db.OwnerURL).QueryRow(ctx,
		"INSERT INTO migration_runs (migration_set, target_version) VALUES ('tenant', 2) RETURNING id").Scan(&runID))

	rels, err := tenantTables(ctx, m.db.App)
	require.NoError(t, err)
	require.NotEmpty(t, rels)
	reg := factories()
	var missing, known []string
	for _, r := range rels {
		known = append(known, r.Key())
		if reg[r.Key()] == nil {
			missing = append(missing, r.Key())
		}
	}
	require.Empty(t, missing, "tenant tables without a factory in factories_test.go: add one so the leak matrix covers them")
	for name := range reg {
		require.Contains(t, known, name, "factory for %s, which is not a tenant table (renamed or dropped?)", name)
	}

	rows := map[tenancy.ID]map[string]row{}
	for _, id := range []tenancy.ID{m.a, m.b} {
		rows[id] = map[string]row{}
		require.NoError(t, tenancy.WithTx(ctx, m.db.App, id, func(tx pgx.Tx) error {
			s := &seeder{ctx: ctx, tx: tx, fx: fixture{Tenant: id, RunID: runID}}
			for _, r := range rels {
				rows[id][r.Key()] = reg[r.Key()](s)
				if s.err != nil {
					return fmt.Errorf("factory %s: %w", r.Key(), s.err)
				}
			}
			return nil
		}))
	}

	for _, r := range rels {
		tbl := matrixTable{rel: r, rowA: rows[m.a][r.Key()], rowB: rows[m.b][r.Key()]}
		pk, err := pgx.CollectRows(mustQuery(t, m.db.App, `
			SELECT a.attname FROM pg_catalog.pg_index i
			JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
			WHERE i.indrelid = $1 AND i.indisprimary
			ORDER BY array_position(i.indkey::int2[], a.attnum)`, r.OID), pgx.RowTo[string])
		require.NoError(t, err)
		require.NotEmpty(t, pk, "%s has no primary key: the matrix cannot address its rows", r.Key())
		tbl.pk = pk
		require.NoError(t, m.db.App.QueryRow(ctx,
			"SELECT has_table_privilege($1::oid, 'UPDATE'), has_table_privilege($1::oid, 'DELETE')", r.OID).
			Scan(&tbl.canUpdate, &tbl.canDelete))
		tbl.sql = newStatements(r, pk)
		m.tables = append(m.tables, tbl)
	}
	return m
}

// checkTable runs every operation of the matrix on one table.
func (m *matrix) checkTable(t *testing.T, tbl matrixTable) {
	ctx := context.Background()
	a, b, q := m.a, m.b, tbl.sql

	// Positive controls: the key match finds each row in its own tenant, so a zero below
	// means "filtered", not "the statement matches nothing".
	t.Run("OwnTenantSeesItsRow", func(t *testing.T) {
		require.Equal(t, 1, m.count(t, a, q.countByKey, tbl.rowA))
		require.Equal(t, 1, m.count(t, b, q.countByKey, tbl.rowB))
	})

	t.Run("ReadInOtherTenant", func(t *testing.T) {
		require.Zero(t, m.count(t, b, q.countByKey, tbl.rowA), "by A's primary key")
		require.Zero(t, m.count(t, b, q.countTenant, a), "by A's tenant_id")
		require.Zero(t, m.count(t, b, q.countForeign, b), "any row not B's")
		require.Positive(t, m.count(t, b, q.countAll), "B sees its own rows")
	})

	t.Run("UpdateInOtherTenant", func(t *testing.T) {
		n, err := m.exec(ctx, b, q.update, tbl.rowA)
		if !tbl.canUpdate {
			requireDenied(t, err, "UPDATE")
			return
		}
		require.NoError(t, err)
		require.Zero(t, n, "UPDATE of A's row in B's context")
	})

	t.Run("DeleteInOtherTenant", func(t *testing.T) {
		n, err := m.exec(ctx, b, q.delete, tbl.rowA)
		if !tbl.canDelete {
			requireDenied(t, err, "DELETE")
			return
		}
		require.NoError(t, err)
		require.Zero(t, n, "DELETE of A's row in B's context")
	})

	t.Run("InsertForOtherTenant", func(t *testing.T) {
		_, err := m.exec(ctx, b, q.insert, tbl.rowA)
		requireRLSViolation(t, err, "INSERT with A's tenant_id in B's context")
	})

	t.Run("UpsertIntoOtherTenant", func(t *testing.T) {
		_, err := m.exec(ctx, b, q.upsertNothing, tbl.rowA)
		requireRLSViolation(t, err, "INSERT ... ON CONFLICT DO NOTHING with A's row in B's context")

		_, err = m.exec(ctx, b, q.upsertUpdate, tbl.rowA)
		if !tbl.canUpdate {
			requireDenied(t, err, "INSERT ... ON CONFLICT DO UPDATE")
		} else {
			requireRLSViolation(t, err, "INSERT ... ON CONFLICT DO UPDATE with A's row in B's context")
		}

		// A's key with B's tenant_id: the conflict target includes tenant_id, so it can only
		// ever meet B's own rows. Rolled back: it may insert a new row of B, or fail on a
		// foreign key to A's parents, but whatever it returns belongs to B.
		retargeted := withTenant(t, tbl.rowA, b)
		var got []tenancy.ID
		err = m.rolledBack(ctx, b, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, q.upsertUpdate, string(retargeted))
			if err != nil {
				return err
			}
			got, err = pgx.CollectRows(rows, pgx.RowTo[tenancy.ID])
			return err
		})
		if err == nil {
			for _, id := range got {
				require.Equal(t, b, id, "upsert aimed at A's key touched another tenant's row")
			}
		}
	})

	// A statement that reads no column is filtered by the UPDATE or DELETE policies alone (a
	// permissive FOR UPDATE/DELETE USING (true) would pass every test above): it must touch
	// exactly the rows the tenant can see. Rolled back.
	t.Run("BlindWritesInOwnTenant", func(t *testing.T) {
		m.blind.Lock()
		defer m.blind.Unlock()
		for _, tc := range []struct {
			sql     string
			args    []any
			allowed bool
		}{{q.blindUpdate, []any{b}, tbl.canUpdate}, {q.blindDelete, nil, tbl.canDelete}} {
			var visible, touched int64
			err := m.rolledBack(ctx, b, func(tx pgx.Tx) error {
				if err := tx.QueryRow(ctx, q.countAll).Scan(&visible); err != nil {
					return err
				}
				var err error
				touched, err = execIn(ctx, tx, tc.sql, tc.args...)
				return err
			})
			if !tc.allowed {
				requireDenied(t, err, tc.sql)
				continue
			}
			require.NoError(t, err, tc.sql)
			require.Positive(t, visible)
			require.Equal(t, visible, touched, "%s in B's context touched rows B cannot see", tc.sql)
		}
	})

	t.Run("MoveOwnRowToOtherTenant", func(t *testing.T) {
		_, err := m.exec(ctx, b, q.move, tbl.rowB, a)
		if !tbl.canUpdate {
			requireDenied(t, err, "UPDATE SET tenant_id")
			return
		}
		requireRLSViolation(t, err, "UPDATE SET tenant_id = A on B's row in B's context")
	})

	// No tenant: never set in this session (current_setting gives NULL), left over as '' by
	// an earlier transaction on a pooled session, or set to '' explicitly.
	for _, tc := range []struct {
		name string
		// session returns a function beginning transactions with no tenant.
		session func(t *testing.T) func(t *testing.T) pgx.Tx
	}{
		{"NoTenantFreshSession", func(t *testing.T) func(t *testing.T) pgx.Tx {
			conn := connect(t, m.db.AppURL)
			requireNoSetting := func(t *testing.T) {
				var setting *string
				require.NoError(t, conn.QueryRow(ctx, "SELECT current_setting('app.current_tenant', true)").Scan(&setting))
				require.Nil(t, setting, "a fresh session has no tenant setting at all")
			}
			requireNoSetting(t)
			t.Cleanup(func() { requireNoSetting(t) })
			return func(t *testing.T) pgx.Tx { return begin(t, conn) }
		}},
		{"NoTenantPooledSession", func(*testing.T) func(t *testing.T) pgx.Tx {
			return func(t *testing.T) pgx.Tx { return begin(t, m.db.App) }
		}},
		{"EmptyTenant", func(*testing.T) func(t *testing.T) pgx.Tx {
			return func(t *testing.T) pgx.Tx {
				tx := begin(t, m.db.App)
				_, err := tx.Exec(ctx, "SELECT set_config('app.current_tenant', '', true)")
				require.NoError(t, err)
				return tx
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			newTx := tc.session(t)
			run := func(sql string, args ...any) (int64, error) {
				tx := newTx(t)
				defer func() { _ = tx.Rollback(ctx) }()
				return execIn(ctx, tx, sql, args...)
			}
			count := func(sql string, args ...any) int {
				tx := newTx(t)
				defer func() { _ = tx.Rollback(ctx) }()
				var n int
				require.NoError(t, tx.QueryRow(ctx, sql, args...).Scan(&n))
				return n
			}
			require.Zero(t, count(q.countAll), "SELECT without a tenant")
			require.Zero(t, count(q.countByKey, string(tbl.rowA)), "SELECT A's row without a tenant")
			_, err := run(q.insert, string(tbl.rowA))
			requireRLSViolation(t, err, "INSERT of A's row without a tenant")
			_, err = run(q.insert, string(tbl.rowB))
			requireRLSViolation(t, err, "INSERT of B's row without a tenant")
			n, err := run(q.update, string(tbl.rowA))
			if tbl.canUpdate {
				require.NoError(t, err)
				require.Zero(t, n, "UPDATE without a tenant")
			} else {
				requireDenied(t, err, "UPDATE")
			}
			n, err = run(q.delete, string(tbl.rowA))
			if tbl.canDelete {
				require.NoError(t, err)
				require.Zero(t, n, "DELETE without a tenant")
			} else {
				requireDenied(t, err, "DELETE")
			}
			n, err = run(q.blindDelete)
			if tbl.canDelete {
				require.NoError(t, err)
				require.Zero(t, n, "DELETE of every row without a tenant")
			} else {
				requireDenied(t, err, "DELETE")
			}
		})
	}

	t.Run("MalformedTenantErrors", func(t *testing.T) {
		for _, tc := range []struct {
			sql  string
			args []any
		}{
			{q.countAll, nil},
			{q.countByKey, []any{string(tbl.rowA)}},
			{q.countForeign, []any{b}},
			{q.insert, []any{string(tbl.rowA)}},
			{q.update, []any{string(tbl.rowA)}},
			{q.delete, []any{string(tbl.rowA)}},
		} {
			tx := begin(t, m.db.App)
			_, err := tx.Exec(ctx, "SELECT set_config('app.current_tenant', 'not-a-uuid', true)")
			require.NoError(t, err)
			rows, err := tx.Query(ctx, tc.sql, tc.args...)
			var seen int
			if err == nil {
				for rows.Next() {
					seen++
				}
				rows.Close()
				err = rows.Err()
			}
			_ = tx.Rollback(ctx)
			require.Error(t, err, "%s with a malformed tenant must fail (saw %d rows)", tc.sql, seen)
			var pgErr *pgconn.PgError
			require.ErrorAs(t, err, &pgErr)
			require.Contains(t, []string{"22P02", "42501"}, pgErr.Code, "%s: %v", tc.sql, err)
			if strings.HasPrefix(tc.sql, "SELECT") || strings.HasPrefix(tc.sql, "INSERT") {
				require.Equal(t, "22P02", pgErr.Code, "invalid_text_representation: %v", err)
			}
		}
	})
}

// count runs a one-number query in tenant id's context.
func (m *matrix) count(t *testing.T, id tenancy.ID, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, tenancy.WithReadTx(context.Background(), m.db.App, id, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), sql, stringify(args)...).Scan(&n)
	}))
	return n
}

// exec runs a statement in tenant id's context and commits it when it succeeds (so the final
// snapshot would see any change); it returns the rows affected or returned.
func (m *matrix) exec(ctx context.Context, id tenancy.ID, sql string, args ...any) (int64, error) {
	var n int64
	err := tenancy.WithTx(ctx, m.db.App, id, func(tx pgx.Tx) error {
		var err error
		n, err = execIn(ctx, tx, sql, stringify(args)...)
		return err
	})
	return n, err
}

// rolledBack runs fn in tenant id's context and always rolls back.
func (m *matrix) rolledBack(ctx context.Context, id tenancy.ID, fn func(pgx.Tx) error) error {
	errRollback := errors.New("roll back")
	err := tenancy.WithTx(ctx, m.db.App, id, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errRollback
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

// snapshot returns every row of tenant id, per table, as to_jsonb text.
func (m *matrix) snapshot(t *testing.T, id tenancy.ID) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tbl := range m.tables {
		require.NoError(t, tenancy.WithReadTx(context.Background(), m.db.App, id, func(tx pgx.Tx) error {
			var s string
			err := tx.QueryRow(context.Background(), tbl.sql.snapshot).Scan(&s)
			out[tbl.rel.Key()] = s
			return err
		}))
	}
	return out
}

// execIn runs sql and returns the rows it affected, or the rows it returned when it has a
// RETURNING clause (an UPDATE ... RETURNING reports both the same way).
func execIn(ctx context.Context, tx pgx.Tx, sql string, args ...any) (int64, error) {
	tag, err := tx.Exec(ctx, sql, stringify(args)...)
	return tag.RowsAffected(), err
}

// stringify passes rows as their JSON text.
func stringify(args []any) []any {
	out := slices.Clone(args)
	for i, a := range out {
		if r, ok := a.(row); ok {
			out[i] = string(r)
		}
	}
	return out
}

// withTenant returns r with tenant_id replaced by id.
func withTenant(t *testing.T, r row, id tenancy.ID) row {
	t.Helper()
	old := r.field("tenant_id")
	require.NotEmpty(t, old)
	return row(strings.Replace(string(r), `"tenant_id": "`+old+`"`, `"tenant_id": "`+id.String()+`"`, 1))
}

func begin(t *testing.T, db tenancy.Beginner) pgx.Tx {
	t.Helper()
	tx, err := db.BeginTx(context.Background(), pgx.TxOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return tx
}

func mustQuery(t *testing.T, db *pgxpool.Pool, sql string, args ...any) pgx.Rows {
	t.Helper()
	rows, err := db.Query(context.Background(), sql, args...)
	require.NoError(t, err)
	return rows
}

// requireRLSViolation asserts that PostgreSQL refused the row under the WITH CHECK policy.
func requireRLSViolation(t *testing.T, err error, what string) {
	t.Helper()
	require.Error(t, err, "%s succeeded", what)
	require.True(t, isRLSViolation(err), "%s: want 42501 new row violates row-level security policy, got %v", what, err)
}

// TestTenantSettingEndsWithTransaction checks, on a pool of one connection, that the tenant
// set by a transaction is gone in the next transaction on the same backend, whether the first
// committed or rolled back.
func TestTenantSettingEndsWithTransaction(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(db.AppURL)
	require.NoError(t, err)
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	a := tenancy.NewID()
	var pid int
	var setting string
	require.NoError(t, tenancy.WithTx(ctx, pool, a, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO meetings (tenant_id, source, external_id) VALUES ($1, 'upload', 'm-1')", a); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT pg_backend_pid(), current_setting('app.current_tenant')").Scan(&pid, &setting)
	}))
	require.Equal(t, a.String(), setting)

	after := func(t *testing.T, what string) {
		t.Helper()
		var pid2, n int
		var got *string
		require.NoError(t, pool.QueryRow(ctx,
			"SELECT pg_backend_pid(), current_setting('app.current_tenant', true), (SELECT count(*) FROM meetings)").
			Scan(&pid2, &got, &n))
		require.Equal(t, pid, pid2, "same pooled backend")
		require.NotNil(t, got)
		require.Empty(t, *got, "tenant setting survived %s", what)
		require.Zero(t, n, "rows visible after %s", what)
	}
	after(t, "COMMIT")

	errBoom := errors.New("boom")
	require.ErrorIs(t, tenancy.WithTx(ctx, pool, a, func(pgx.Tx) error { return errBoom }), errBoom)
	after(t, "ROLLBACK")

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "SELECT set_config('app.current_tenant', $1, true)", a.String())
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "SELECT 1/0")
	require.Error(t, err)
	require.NoError(t, tx.Rollback(ctx))
	after(t, "a failed transaction")
}

// TestConcurrentTenantsStayApart alternates tenants across goroutines sharing a small pool:
// each transaction sees its own tenant's setting and rows only (the pooled-session leak of
// saas.md §2.3 shows up only under concurrency).
func TestConcurrentTenantsStayApart(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(db.AppURL)
	require.NoError(t, err)
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	const tenants, perTenant, workers, iterations = 6, 3, 8, 40
	ids := make([]tenancy.ID, tenants)
	for i := range ids {
		ids[i] = tenancy.NewID()
		require.NoError(t, tenancy.WithTx(ctx, pool, ids[i], func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO meetings (tenant_id, source, external_id)
				SELECT $1, 'upload', 'm-' || g FROM generate_series(1, $2::int) g`, ids[i], perTenant)
			return err
		}))
	}

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), 42))
			for range iterations {
				id := ids[rnd.IntN(len(ids))]
				var setting string
				var own, foreign int
				err := tenancy.WithReadTx(ctx, pool, id, func(tx pgx.Tx) error {
					return tx.QueryRow(ctx, `SELECT current_setting('app.current_tenant'),
						count(*) FILTER (WHERE tenant_id = $1), count(*) FILTER (WHERE tenant_id <> $1)
						FROM meetings`, id).Scan(&setting, &own, &foreign)
				})
				if err == nil && (setting != id.String() || own != perTenant || foreign != 0) {
					err = fmt.Errorf("tenant %s saw setting %q, %d own and %d foreign rows", id, setting, own, foreign)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type testBundle struct {
	db    *dbtest.DB
	owner *pgxpool.Pool // minutes_owner: owns audit_log, RLS forced
	super *pgxpool.Pool // superuser on the test database: bypasses RLS, can disable triggers
}

func setup(t *testing.T) testBundle {
	t.Helper()
	db := dbtest.New(t)
	return testBundle{db: db, owner: pool(t, db.OwnerURL), super: pool(t, superURL(t, db.Name))}
}

func pool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.MaxConns = 4
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

// superURL is TEST_DATABASE_URL (a superuser) pointed at database name.
func superURL(t *testing.T, name string) string {
	t.Helper()
	u, err := url.Parse(os.Getenv("TEST_DATABASE_URL"))
	require.NoError(t, err)
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

func entry(i int) audit.Entry {
	return audit.Entry{
		At:      t0.Add(time.Duration(i) * time.Second),
		Actor:   audit.Actor{Type: audit.ActorUser, ID: "8d2f3c4e-0000-4000-8000-00000000000" + fmt.Sprint(i%10)},
		Action:  "minutes.approved",
		Target:  audit.Target{Type: "minutes", ID: fmt.Sprintf("m-%d", i)},
		Details: map[string]any{"version": i, "status": "approved"},
	}
}

func appendOne(t *testing.T, db tenancy.Beginner, tenant tenancy.ID, e audit.Entry) audit.Record {
	t.Helper()
	var r audit.Record
	require.NoError(t, tenancy.WithTx(context.Background(), db, tenant, func(tx pgx.Tx) error {
		var err error
		r, err = audit.Append(context.Background(), tx, tenant, e)
		return err
	}))
	return r
}

func verify(t *testing.T, db tenancy.Beginner, tenant tenancy.ID) audit.VerifyResult {
	t.Helper()
	res, err := audit.Verify(context.Background(), db, tenant)
	require.NoError(t, err)
	return res
}

func TestAppendChainsEntries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	a := tenancy.NewID()

	details := map[string]any{
		"z":      "last key",
		"a":      []any{1, "two", nil, true},
		"nested": map[string]any{"b": 1.5, "a": json.Number("1e2"), "ü": "quote \" backslash \\ tab \t nul-ish \u0001 <tag> &"},
		"big":    json.Number("12345678901234567890123"),
	}
	var recs []audit.Record
	for i, e := range []audit.Entry{entry(1), {At: t0, Actor: audit.Actor{Type: audit.ActorSystem}, Action: "settings.changed", Details: details}, entry(3)} {
		r := appendOne(t, b.db.App, a, e)
		require.EqualValues(t, i+1, r.Seq)
		recs = append(recs, r)
	}
	require.Equal(t, make([]byte, 32), recs[0].PrevHash, "the first entry chains to 32 zero bytes")
	require.Equal(t, recs[0].Hash, recs[1].PrevHash)
	require.Equal(t, recs[1].Hash, recs[2].PrevHash)
	for _, r := range recs {
		h, err := r.ComputeHash()
		require.NoError(t, err)
		require.Equal(t, r.Hash, h, "seq %d", r.Seq)
	}
	require.Equal(t, time.Date(2026, 3, 14, 14, 9, 26, 535897000, time.UTC), recs[1].At, "UTC, microseconds")
	require.Equal(t, json.Number("100"), recs[1].Details["nested"].(map[string]any)["a"], "details as PostgreSQL stores them")

	listed, err := audit.List(ctx, b.db.App, a, audit.ListParams{})
	require.NoError(t, err)
	require.Len(t, listed, 3)
	require.Equal(t, recs[2], listed[0], "newest first, read back exactly as appended")
	require.Equal(t, recs[1], listed[1])
	require.Equal(t, recs[0], listed[2])

	res := verify(t, b.db.App, a)
	require.Equal(t, audit.VerifyResult{Entries: 3, OK: true, LastSeq: 3, Head: recs[2].Hash}, res)

	require.Equal(t, audit.VerifyResult{OK: true}, verify(t, b.db.App, tenancy.NewID()), "an empty log is a valid chain")
}

func TestAppendRefusesBadEntries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := tenancy.NewID()
	cases := []struct {
		name string
		edit func(*audit.Entry)
	}{
		{"unknown actor type", func(e *audit.Entry) { e.Actor.Type = "admin" }},
		{"no actor type", func(e *audit.Entry) { e.Actor.Type = "" }},
		{"empty action", func(e *audit.Entry) { e.Action = "" }},
		{"action too long", func(e *audit.Entry) { e.Action = strings.Repeat("x", 101) }},
		{"no time", func(e *audit.Entry) { e.At = time.Time{} }},
		{"details not encodable", func(e *audit.Entry) { e.Details = map[string]any{"ch": make(chan int)} }},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			e := entry(1)
			tt.edit(&e)
			err := tenancy.WithTx(context.Background(), b.db.App, a, func(tx pgx.Tx) error {
				_, err := audit.Append(context.Background(), tx, a, e)
				return err
			})
			require.ErrorIs(t, err, audit.ErrInvalidEntry)
		})
	}
	e := entry(1)
	e.Action = strings.Repeat("é", 100)
	require.EqualValues(t, 1, appendOne(t, b.db.App, a, e).Seq, "100 characters is fine, whatever their bytes")
	require.True(t, verify(t, b.db.App, a).OK)
}

func TestAppendRefusesTheWrongTransaction(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	a, other := tenancy.NewID(), tenancy.NewID()

	err := tenancy.WithTx(ctx, b.db.App, other, func(tx pgx.Tx) error {
		_, err := audit.Append(ctx, tx, a, entry(1))
		return err
	})
	require.ErrorIs(t, err, audit.ErrWrongTransaction, "a transaction of another tenant")

	err = tenancy.WithTx(ctx, repeatableRead{b.db.App}, a, func(tx pgx.Tx) error {
		_, err := audit.Append(ctx, tx, a, entry(1))
		return err
	})
	require.ErrorIs(t, err, audit.ErrWrongTransaction, "a snapshot older than the lock")

	err = tenancy.WithTx(ctx, b.db.App, a, func(tx pgx.Tx) error {
		_, err := audit.Append(ctx, tx, tenancy.ID{}, entry(1))
		return err
	})
	require.ErrorIs(t, err, tenancy.ErrNoTenant)

	boom := errors.New("the change failed")
	err = tenancy.WithTx(ctx, b.db.App, a, func(tx pgx.Tx) error {
		if _, err := audit.Append(ctx, tx, a, entry(1)); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, audit.VerifyResult{OK: true}, verify(t, b.db.App, a), "the entry rolled back with the change")
}

type repeatableRead struct{ db tenancy.Beginner }

func (r repeatableRead) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	opts.IsoLevel = pgx.RepeatableRead
	return r.db.BeginTx(ctx, opts)
}

func TestConcurrentAppendsNumberWithoutGaps(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	a, other := tenancy.NewID(), tenancy.NewID()

	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			errs <- tenancy.WithTx(ctx, b.db.App, a, func(tx pgx.Tx) error {
				_, err := audit.Append(ctx, tx, a, entry(i))
				return err
			})
		})
		if i%2 == 0 {
			wg.Go(func() {
				errs <- tenancy.WithTx(ctx, b.db.App, other, func(tx pgx.Tx) error {
					_, err := audit.Append(ctx, tx, other, entry(i))
					return err
				})
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	recs, err := audit.List(ctx, b.db.App, a, audit.ListParams{Limit: 100})
	require.NoError(t, err)
	require.Len(t, recs, n)
	for i, r := range recs {
		require.EqualValues(t, n-i, r.Seq)
	}
	require.Equal(t, audit.VerifyResult{Entries: n, OK: true, LastSeq: n, Head: recs[0].Hash}, verify(t, b.db.App, a))
	res := verify(t, b.db.App, other)
	require.True(t, res.OK)
	require.Equal(t, n/2, res.Entries)
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	a := tenancy.NewID()
	for i := range 3 {
		appendOne(t, b.db.App, a, entry(i))
	}

	// run runs stmt in a transaction of tenant a on db, with app.purge_tenant set to purge
	// when not empty, and rolls back.
	run := func(db *pgxpool.Pool, purge, stmt string) error {
		tx, err := db.Begin(ctx)
		require.NoError(t, err)
		defer func() { _ = tx.Rollback(ctx) }()
		_, err = tx.Exec(ctx, "SELECT set_config($1, $2, true), set_config('app.purge_tenant', $3, true)", tenancy.Setting, a.String(), purge)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, stmt)
		return err
	}
	denied := func(t *testing.T, err error) {
		t.Helper()
		var pgErr *pgconn.PgError
		require.ErrorAs(t, err, &pgErr)
		require.Equal(t, "42501", pgErr.Code, "insufficient_privilege: %s", pgErr.Message)
	}
	statements := []string{
		"UPDATE audit_log SET action = 'forged'",
		"DELETE FROM audit_log",
		"TRUNCATE audit_log",
	}
	for _, stmt := range statements {
		t.Run("app: "+stmt, func(t *testing.T) {
			denied(t, run(b.db.App, "", stmt))
			denied(t, run(b.db.App, a.String(), stmt))
		})
		t.Run("owner: "+stmt, func(t *testing.T) {
			denied(t, run(b.owner, "", stmt))
			denied(t, run(b.owner, tenancy.NewID().String(), stmt))
		})
	}
	t.Run("owner may delete only the tenant it purges", func(t *testing.T) {
		require.NoError(t, run(b.owner, a.String(), "DELETE FROM audit_log"))
		denied(t, run(b.owner, a.String(), "UPDATE audit_log SET action = 'forged'"))
	})
	require.Equal(t, 3, verify(t, b.db.App, a).Entries, "every attempt rolled back")
}

func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bystander := tenancy.NewID()
	for i := range 5 {
		appendOne(t, b.db.App, bystander, entry(i))
	}

	const fields = "at, actor_type, actor_id, action, target_type, target_id, details"
	cases := []struct {
		name     string
		tamper   []string // run as superuser with the append-only trigger disabled; $1 is the tenant
		brokenAt int64
	}{
		{"edited details", []string{`UPDATE audit_log SET details = '{"status": "rejected", "version": 3}' WHERE tenant_id = $1 AND seq = 3`}, 3},
		{"edited actor", []string{`UPDATE audit_log SET actor_id = 'mallory' WHERE tenant_id = $1 AND seq = 2`}, 2},
		{"edited time by a microsecond", []string{`UPDATE audit_log SET at = at + interval '1 microsecond' WHERE tenant_id = $1 AND seq = 4`}, 4},
		{"edited last entry", []string{`UPDATE audit_log SET action = 'minutes.rejected' WHERE tenant_id = $1 AND seq = 5`}, 5},
		{"deleted middle row", []string{`DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 3`}, 3},
		{"deleted first row", []string{`DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 1`}, 1},
		{"deleted middle row and renumbered", []string{
			`DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 3`,
			`UPDATE audit_log SET seq = seq - 1 WHERE tenant_id = $1 AND seq > 3`,
		}, 3},
		{"swapped content of two rows", []string{
			`UPDATE audit_log AS x SET (` + fields + `) = (SELECT ` + fields + ` FROM audit_log y WHERE y.tenant_id = x.tenant_id AND y.seq = 5 - x.seq)
			 WHERE x.tenant_id = $1 AND x.seq IN (2, 3)`,
		}, 2},
		{"swapped two whole rows", []string{
			`UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 103 ELSE 102 END WHERE tenant_id = $1 AND seq IN (2, 3)`,
			`UPDATE audit_log SET seq = seq - 100 WHERE tenant_id = $1 AND seq > 100`,
		}, 2},
		{"inserted row", []string{
			`UPDATE audit_log SET seq = seq + 100 WHERE tenant_id = $1 AND seq >= 3`,
			`UPDATE audit_log SET seq = seq - 99 WHERE tenant_id = $1 AND seq > 100`,
			`INSERT INTO audit_log (tenant_id, seq, at, actor_type, action, prev_hash, hash)
			 SELECT tenant_id, 3, at, 'operator', 'minutes.deleted', hash, sha256(hash) FROM audit_log WHERE tenant_id = $1 AND seq = 2`,
		}, 3},
		{"forged row at the end", []string{
			`INSERT INTO audit_log (tenant_id, seq, at, actor_type, action, prev_hash, hash)
			 SELECT tenant_id, 6, at, 'operator', 'minutes.deleted', hash, sha256(hash) FROM audit_log WHERE tenant_id = $1 AND seq = 5`,
		}, 6},
		{"first entry not chained to zero", []string{`UPDATE audit_log SET prev_hash = sha256(prev_hash) WHERE tenant_id = $1 AND seq = 1`}, 1},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			a := tenancy.NewID()
			for i := range 5 {
				appendOne(t, b.db.App, a, entry(i))
			}
			require.True(t, verify(t, b.db.App, a).OK)
			tamper(t, b.super, a, tt.tamper...)
			res := verify(t, b.db.App, a)
			require.False(t, res.OK, res.Reason)
			require.Equal(t, tt.brokenAt, res.BrokenAt, res.Reason)
			require.NotEmpty(t, res.Reason)
		})
	}
	res := verify(t, b.db.App, bystander)
	require.True(t, res.OK, "another tenant's tampering does not touch this chain")
	require.Equal(t, 5, res.Entries)
}

// tamper runs stmts as the superuser in one transaction with the append-only trigger disabled.
func tamper(t *testing.T, super *pgxpool.Pool, tenant tenancy.ID, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, pgx.BeginFunc(ctx, super, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"); err != nil {
			return err
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s, tenant); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		_, err := tx.Exec(ctx, "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
		return err
	}))
}

func TestTenantsSeeOnlyTheirOwnLog(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	a, other := tenancy.NewID(), tenancy.NewID()
	for i := range 3 {
		appendOne(t, b.db.App, a, entry(i))
	}
	r := appendOne(t, b.db.App, other, entry(9))
	require.EqualValues(t, 1, r.Seq, "another tenant's entries do not advance this chain")

	recs, err := audit.List(ctx, b.db.App, other, audit.ListParams{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.Equal(t, 1, verify(t, b.db.App, other).Entries)

	err = tenancy.WithTx(ctx, b.db.App, other, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (tenant_id, seq, at, actor_type, action, prev_hash, hash)
			VALUES ($1, 4, now(), 'user', 'forged', $2, $2)`, a, bytes.Repeat([]byte{1}, 32))
		return err
	})
	require.Error(t, err, "row-level security refuses a row for another tenant")
	require.True(t, verify(t, b.db.App, a).OK)
}

func TestListFiltersAndPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	a := tenancy.NewID()
	for i := range 12 {
		e := entry(i)
		e.Target = audit.Target{Type: []string{"minutes", "user"}[i%2], ID: fmt.Sprintf("t-%d", i%3)}
		appendOne(t, b.db.App, a, e)
	}
	seqs := func(recs []audit.Record) []int64 {
		var s []int64
		for _, r := range recs {
			s = append(s, r.Seq)
		}
		return s
	}
	cases := []struct {
		name string
		p    audit.ListParams
		want []int64
	}{
		{"all", audit.ListParams{}, []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"limit", audit.ListParams{Limit: 3}, []int64{12, 11, 10}},
		{"next page", audit.ListParams{Limit: 3, BeforeSeq: 10}, []int64{9, 8, 7}},
		{"target type", audit.ListParams{TargetType: "user"}, []int64{12, 10, 8, 6, 4, 2}},
		{"target", audit.ListParams{TargetType: "minutes", TargetID: "t-0"}, []int64{7, 1}},
		{"target id alone", audit.ListParams{TargetID: "t-2"}, []int64{12, 9, 6, 3}},
		{"nothing", audit.ListParams{TargetType: "meeting"}, nil},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := audit.List(ctx, b.db.App, a, tt.p)
			require.NoError(t, err)
			require.Equal(t, tt.want, seqs(recs))
		})
	}
}

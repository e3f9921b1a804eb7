// Command rls measures what row-level security costs the portal's hottest tenant query, "list
// this tenant's recent meetings", on a database of many tenants.
//
//	go run ./bench/rls [-db URL] [-tenants 1000] [-meetings 1000] [-queries 2000] [-batch 50] [-keep]
//
// It creates its own database (rlsbench_<unix>_<pid>, owned by minutes_owner) through the
// superuser URL -db, applies both migration sets with shared/migrate as minutes_owner, and
// loads -tenants × -meetings meetings as minutes_owner. The owner is bound by FORCE ROW LEVEL
// SECURITY, which also refuses COPY FROM, so the load is one INSERT ... SELECT generate_series
// per tenant inside a transaction that sets that tenant (pipelined, two connections). Then
// VACUUM ANALYZE.
//
// Three variants run the same query for the same random tenants in the same order, in
// interleaved batches whose order rotates, each inside a transaction, timing the query alone
// (transaction round trips are reported apart):
//
//   - rls: minutes_app in a tenancy-style transaction (set_config('app.current_tenant', id,
//     true)); the policy supplies the tenant filter, the query has no WHERE.
//   - baseline: the superuser, which bypasses RLS, with an explicit WHERE tenant_id = $1: the
//     query without any policy, so the difference is the pure cost of RLS. (The owner cannot be
//     the baseline: FORCE RLS binds it.)
//   - owner: minutes_owner with the tenant set and the explicit WHERE as well (policy and
//     filter both), for completeness.
//
// It prints EXPLAIN (ANALYZE, BUFFERS) of one rls query and fails if the plan does not use the
// meetings_recent index or scans meetings sequentially. The database is dropped at the end
// unless -keep.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/meetingminutes/minutes/bench/internal/pgkit"
	"math/rand/v2"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meetingminutes/minutes/bench/internal/benchkit"
	"github.com/meetingminutes/minutes/shared/migrate"
)

// goalRatio is the most RLS may cost the query: rls median over baseline median.
const goalRatio = 1.10

const (
	ownerRole = migrate.OwnerRole
	appRole   = "minutes_app"

	// recentQuery is the portal's list of a tenant's recent meetings; under RLS the policy
	// supplies the tenant.
	recentQuery = `SELECT id, subject, starts_at, status FROM meetings ORDER BY starts_at DESC NULLS LAST, id LIMIT 20`
	// filteredQuery is the same query with the tenant filter written out.
	filteredQuery = `SELECT id, subject, starts_at, status FROM meetings WHERE tenant_id = $1 ORDER BY starts_at DESC NULLS LAST, id LIMIT 20`

	setTenant = `SELECT set_config('app.current_tenant', $1, true)`
)

type config struct {
	db                         string
	tenants, meetings, queries int
	batch, warmup              int
	keep                       bool
	seed                       uint64
}

func main() {
	var cfg config
	flag.StringVar(&cfg.db, "db", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "superuser URL; the benchmark creates and drops its own database on that server")
	flag.IntVar(&cfg.tenants, "tenants", 1000, "tenants to load (1..100000)")
	flag.IntVar(&cfg.meetings, "meetings", 1000, "meetings per tenant (1..100000)")
	flag.IntVar(&cfg.queries, "queries", 2000, "recorded queries per variant")
	flag.IntVar(&cfg.batch, "batch", 50, "queries per variant per interleaved batch")
	flag.IntVar(&cfg.warmup, "warmup", 200, "unrecorded queries per variant first (their results are cross-checked)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the database (prints its name)")
	flag.Uint64Var(&cfg.seed, "seed", 1, "seed of the random tenant sequence")
	flag.Parse()
	if cfg.tenants < 1 || cfg.tenants > 100000 || cfg.meetings < 1 || cfg.meetings > 100000 ||
		cfg.queries < 1 || cfg.batch < 1 || cfg.warmup < 0 {
		fmt.Fprintln(os.Stderr, "rls: -tenants and -meetings must be 1..100000, -queries and -batch positive, -warmup >= 0")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rls:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) (err error) {
	super, err := url.Parse(cfg.db)
	if err != nil || (super.Scheme != "postgres" && super.Scheme != "postgresql") {
		return fmt.Errorf("-db must be a postgres:// URL")
	}
	admin, err := pgx.Connect(ctx, cfg.db)
	if err != nil {
		return fmt.Errorf("connect to -db: %w", err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	var version string
	var isSuper bool
	if err := admin.QueryRow(ctx, "SELECT current_setting('server_version'), rolsuper FROM pg_roles WHERE rolname = current_user").
		Scan(&version, &isSuper); err != nil {
		return fmt.Errorf("read server: %w", err)
	}
	if !isSuper {
		return errors.New("-db must connect as a superuser: the baseline needs a role that bypasses RLS")
	}
	if err := migrate.EnsureOwnerRole(ctx, admin); err != nil {
		return err
	}

	name := fmt.Sprintf("rlsbench_%d_%d", time.Now().Unix(), os.Getpid())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" OWNER "+ownerRole); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	defer func() {
		if cfg.keep {
			fmt.Printf("\nkept database %s\n", name)
			return
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, dropErr := admin.Exec(dctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); dropErr != nil {
			err = errors.Join(err, fmt.Errorf("drop database %s: %w", name, dropErr))
		}
	}()
	ownerURL, appURL, superURL := pgkit.RoleURL(super, ownerRole, name), pgkit.RoleURL(super, appRole, name), pgkit.RoleURL(super, "", name)

	start := time.Now()
	if _, err := migrate.Up(ctx, ownerURL, migrate.SetControl, migrate.SetTenant); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	migrated := time.Since(start)

	fmt.Printf("rls: the portal's recent-meetings query under row-level security vs a role that bypasses it\n")
	fmt.Printf("server: PostgreSQL %s; %s; database %s\n", version, benchkit.Load(), name)
	fmt.Printf("migrations: %s s\n", secs(migrated))

	tenants := make([]uuid.UUID, cfg.tenants)
	for i := range tenants {
		tenants[i] = uuid.New()
	}
	loadTime, err := load(ctx, ownerURL, tenants, cfg.meetings)
	if err != nil {
		return err
	}
	start = time.Now()
	if err := pgkit.ExecOnce(ctx, ownerURL, "VACUUM (ANALYZE) meetings"); err != nil {
		return fmt.Errorf("vacuum analyze: %w", err)
	}
	vacuumTime := time.Since(start)
	var size string
	if err := pgkit.QueryOnce(ctx, superURL, "SELECT pg_size_pretty(pg_total_relation_size('meetings'))", &size); err != nil {
		return err
	}
	fmt.Printf("load: %d tenants × %d meetings = %d rows (%s with indexes) as %s in %s s "+
		"(INSERT ... SELECT generate_series per tenant inside its tenant transaction: COPY FROM is refused under forced RLS); VACUUM ANALYZE %s s\n",
		cfg.tenants, cfg.meetings, cfg.tenants*cfg.meetings, size, ownerRole, secs(loadTime), secs(vacuumTime))

	variants := []*variant{
		{name: "rls", who: appRole, filter: "policy only (no WHERE)", url: appURL, sql: recentQuery, setTenant: true},
		{name: "baseline", who: "postgres (superuser: bypasses RLS)", filter: "WHERE tenant_id = $1", url: superURL, sql: filteredQuery, withArg: true},
		{name: "owner", who: ownerRole + " (FORCE RLS)", filter: "policy + WHERE tenant_id = $1", url: ownerURL, sql: filteredQuery, setTenant: true, withArg: true},
	}
	for _, v := range variants {
		cfgPool, err := pgxpool.ParseConfig(v.url)
		if err != nil {
			return fmt.Errorf("%s pool: %w", v.name, err)
		}
		cfgPool.MaxConns = 1 // one session: latencies, not throughput
		if v.pool, err = pgxpool.NewWithConfig(ctx, cfgPool); err != nil {
			return fmt.Errorf("%s pool: %w", v.name, err)
		}
		defer v.pool.Close()
	}

	if err := explain(ctx, variants[0], variants[1], tenants[0]); err != nil {
		return err
	}

	rnd := rand.New(rand.NewPCG(cfg.seed, 0x726c73))
	pick := func(n int) []uuid.UUID {
		seq := make([]uuid.UUID, n)
		for i := range seq {
			seq[i] = tenants[rnd.IntN(len(tenants))]
		}
		return seq
	}

	// Warm-up, and a correctness check: the three variants return the same rows.
	want := min(20, cfg.meetings)
	for _, id := range pick(cfg.warmup) {
		var first []uuid.UUID
		for i, v := range variants {
			ids, _, _, err := v.once(ctx, id)
			if err != nil {
				return fmt.Errorf("warm-up %s: %w", v.name, err)
			}
			if len(ids) != want {
				return fmt.Errorf("%s returned %d rows for tenant %s, want %d", v.name, len(ids), id, want)
			}
			if i == 0 {
				first = ids
			} else if !slices.Equal(first, ids) {
				return fmt.Errorf("%s and %s disagree for tenant %s", variants[0].name, v.name, id)
			}
		}
	}

	seq := pick(cfg.queries)
	start = time.Now()
	for b, lo := 0, 0; lo < len(seq); b, lo = b+1, lo+cfg.batch {
		part := seq[lo:min(lo+cfg.batch, len(seq))]
		for k := range variants {
			v := variants[(b+k)%len(variants)] // rotate which variant goes first
			for _, id := range part {
				ids, q, tx, err := v.once(ctx, id)
				if err != nil {
					return fmt.Errorf("%s: %w", v.name, err)
				}
				if len(ids) != want {
					return fmt.Errorf("%s returned %d rows for tenant %s, want %d", v.name, len(ids), id, want)
				}
				v.query = append(v.query, q)
				v.tx = append(v.tx, tx)
			}
		}
	}
	measured := time.Since(start)

	fmt.Printf("\nquery: %s\n", recentQuery)
	fmt.Printf("%d recorded queries per variant (after %d warm-up), random tenants, same sequence for each; batches of %d interleaved, order rotating; one session each; %s s\n",
		cfg.queries, cfg.warmup, cfg.batch, secs(measured))
	fmt.Printf("query = the SELECT alone; tx = BEGIN, set_config (rls, owner), SELECT, COMMIT\n\n")
	const rowf = "%-9s %-34s %-30s %8s %8s %8s %8s %9s\n"
	fmt.Printf(rowf, "variant", "role", "tenant filter", "p50 µs", "p95 µs", "p99 µs", "mean µs", "tx mean")
	for _, v := range variants {
		s := benchkit.Sorted(v.query)
		fmt.Printf(rowf, v.name, v.who, v.filter, us(benchkit.Percentile(s, 50)), us(benchkit.Percentile(s, 95)),
			us(benchkit.Percentile(s, 99)), us(mean(v.query)), us(mean(v.tx)))
	}

	rls, base, owner := variants[0], variants[1], variants[2]
	ratio := func(a, b *variant, p float64) float64 {
		return float64(benchkit.Percentile(benchkit.Sorted(a.query), p)) / float64(benchkit.Percentile(benchkit.Sorted(b.query), p))
	}
	r50 := ratio(rls, base, 50)
	fmt.Printf("\nratio rls/baseline: p50 %.3f×, p95 %.3f×, p99 %.3f×, mean %.3f× (goal p50 <= %.2f×): %s\n",
		r50, ratio(rls, base, 95), ratio(rls, base, 99), float64(mean(rls.query))/float64(mean(base.query)), goalRatio, verdict(r50 <= goalRatio))
	fmt.Printf("ratio owner/baseline: p50 %.3f×, mean %.3f×\n", ratio(owner, base, 50), float64(mean(owner.query))/float64(mean(base.query)))
	if r50 > goalRatio {
		return fmt.Errorf("RLS costs %.3f× the baseline median (goal %.2f×)", r50, goalRatio)
	}
	return nil
}

// variant is one way of running the query, with its samples.
type variant struct {
	name, who, filter string
	url, sql          string
	setTenant         bool // set app.current_tenant in the transaction
	withArg           bool // pass the tenant as $1
	pool              *pgxpool.Pool
	query, tx         []time.Duration
}

// once runs the query for tenant id in its own transaction and returns the meeting ids, the
// time of the SELECT alone and of the whole transaction.
func (v *variant) once(ctx context.Context, id uuid.UUID) (ids []uuid.UUID, query, total time.Duration, err error) {
	t0 := time.Now()
	tx, err := v.pool.Begin(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if v.setTenant {
		if _, err := tx.Exec(ctx, setTenant, id.String()); err != nil {
			return nil, 0, 0, err
		}
	}
	var args []any
	if v.withArg {
		args = []any{id}
	}
	q0 := time.Now()
	rows, err := tx.Query(ctx, v.sql, args...)
	if err != nil {
		return nil, 0, 0, err
	}
	ids, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (uuid.UUID, error) {
		var (
			mid     uuid.UUID
			subject string
			starts  *time.Time
			status  string
		)
		err := r.Scan(&mid, &subject, &starts, &status)
		return mid, err
	})
	query = time.Since(q0)
	if err != nil {
		return nil, 0, 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, 0, 0, err
	}
	return ids, query, time.Since(t0), nil
}

// explain prints EXPLAIN (ANALYZE, BUFFERS) of the rls query and of the baseline for tenant id,
// and fails unless the rls plan reads meetings through meetings_recent.
func explain(ctx context.Context, rls, base *variant, id uuid.UUID) error {
	plan := func(v *variant) (string, error) {
		tx, err := v.pool.Begin(ctx)
		if err != nil {
			return "", err
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		if v.setTenant {
			if _, err := tx.Exec(ctx, setTenant, id.String()); err != nil {
				return "", err
			}
		}
		sql := "EXPLAIN (ANALYZE, BUFFERS) " + v.sql
		if v.withArg {
			sql = strings.Replace(sql, "$1", "'"+id.String()+"'::uuid", 1)
		}
		rows, err := tx.Query(ctx, sql)
		if err != nil {
			return "", err
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		return strings.Join(lines, "\n"), err
	}
	for _, v := range []*variant{rls, base} {
		p, err := plan(v)
		if err != nil {
			return fmt.Errorf("explain %s: %w", v.name, err)
		}
		fmt.Printf("\nEXPLAIN (ANALYZE, BUFFERS), %s (%s), tenant %s:\n%s\n", v.name, v.who, id, indent(p))
		if v != rls {
			continue
		}
		if strings.Contains(p, "Seq Scan on meetings") || !strings.Contains(p, "meetings_recent") {
			return fmt.Errorf("the rls plan does not read meetings through the meetings_recent index:\n%s", p)
		}
		if strings.Contains(p, "Sort") {
			fmt.Println("warning: the rls plan sorts: the index does not deliver the order")
		}
		fmt.Println("plan check: index meetings_recent, no sequential scan of meetings: ok")
	}
	return nil
}

// load registers the tenants and inserts meetings per tenant as the owner, on two connections.
func load(ctx context.Context, ownerURL string, tenants []uuid.UUID, perTenant int) (time.Duration, error) {
	start := time.Now()
	// tenants is under forced RLS: rows are registered on the registry path, as
	// tenancy.Registry does (app.registry, local to the transaction).
	if err := pgkit.ExecOnce(ctx, ownerURL, `
WITH registry AS MATERIALIZED (SELECT set_config('app.registry', 'on', true))
INSERT INTO tenants (id, name, plan)
SELECT t, 'tenant ' || left(t::text, 8), 'pro' FROM registry, unnest($1::uuid[]) t`, tenants); err != nil {
		return 0, fmt.Errorf("register tenants: %w", err)
	}
	// One tenant's meetings: starts over the last two years, 2% not scheduled (NULL, sorted
	// last), statuses and subjects varied.
	const insert = `INSERT INTO meetings (tenant_id, source, external_id, call_id, subject, starts_at, ends_at, status)
		SELECT p.t, 'graph', 'om-' || g, 'call-' || g, 'Meeting ' || g || ' of ' || left(p.t::text, 8), s, s + interval '45 minutes',
		       (ARRAY['ended', 'draft', 'pending_approval', 'approved', 'published'])[1 + g % 5]
		FROM (SELECT $1::uuid AS t) p, generate_series(1, $2::int) g,
		     LATERAL (SELECT CASE WHEN g % 50 = 0 THEN NULL
		                          ELSE now() - random() * interval '730 days' END AS s) x`
	const workers, chunk = 2, 25 // tenants per transaction
	work := make(chan []uuid.UUID)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			conn, err := pgx.Connect(ctx, ownerURL)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close(context.WithoutCancel(ctx))
			if _, err := conn.Exec(ctx, "SET synchronous_commit = off"); err != nil {
				errs <- err
				return
			}
			for ids := range work {
				err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
					b := &pgx.Batch{}
					for _, id := range ids {
						b.Queue(setTenant, id.String())
						b.Queue(insert, id, perTenant)
					}
					return tx.SendBatch(ctx, b).Close()
				})
				if err != nil {
					errs <- err
					for range work { // drain so the feeder finishes
					}
					return
				}
			}
		})
	}
	for lo := 0; lo < len(tenants); lo += chunk {
		work <- tenants[lo:min(lo+chunk, len(tenants))]
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, fmt.Errorf("load meetings: %w", err)
	}
	return time.Since(start), nil
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func us(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Microsecond)) }

func secs(d time.Duration) string { return fmt.Sprintf("%.1f", d.Seconds()) }

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// Command notifyburst measures how fast GraphNotifications acknowledges a burst of transcript
// notifications in standalone mode on a local PostgreSQL, checks that nothing was lost, and
// runs pgbench single-row inserts on the same server beside it, to show how close the path runs
// to the database's own limit (issue #5, "Measure").
//
//	go run ./bench/notifyburst [-n 2000] [-c 200] [-tenants 20] [-batch 1] [-workers paused|run]
//	                           [-pgbench 10s] [-db URL] [-keep]
//
// Steps, exactly as production runs them where it matters:
//
//  1. A scratch database (minutes_bench_notify, dropped at the end unless -keep; a leftover of
//     that name is dropped first) owned by minutes_owner, on the server of the superuser URL
//     -db (default $BENCH_DATABASE_URL, else $TEST_DATABASE_URL, else the local server on
//     127.0.0.1:5432 as postgres).
//  2. The handler is built (CGO_ENABLED=0, -trimpath, -ldflags "-s -w") into a temporary
//     directory and 'handler migrate up' runs with MIGRATIONS_DATABASE_URL as minutes_owner:
//     both migration sets and River's schema.
//  3. -tenants tenants, each with an Entra tenant id and one active transcripts subscription
//     whose clientState only this program and the stored SHA-256 know, are created as
//     minutes_app through tenancy.Registry and tenancy.WithTx (as the tests do).
//  4. 'handler standalone' starts on a free 127.0.0.1 port with DATABASE_URL as minutes_app
//     and nothing else configured (so DATABASE_MAX_CONNS is the handler's default unless -pool
//     is given), River workers included. With -workers paused (the default) the River queue
//     transcript-ingest is paused beforehand, with River's own switch (river_queue.paused_at,
//     which River's producer reads when it starts): the workers run, but leave the ingest jobs
//     alone, so the figures are the ack path's. With -workers run they take the jobs as they
//     come; with no Microsoft Graph credentials configured here TranscriptIngest answers
//     unavailable, so every job fails and is retried with River's backoff, which adds that
//     work (the job fetch, the failure and its reschedule) to the burst.
//  5. Warm-up: -c requests at -c concurrency (opening the keep-alive connections and the
//     handler's pool), not timed. Then the burst: -n distinct plain notifications (no resource
//     data, resource communications/onlineMeetings('{meetingId}')/transcripts('{transcriptId}')
//     with Teams-shaped ids, tenants round-robin), -batch per POST (default 1: one notification
//     per POST, the costliest shape per item), POSTed to /api/graph/notifications over -c
//     concurrent keep-alive connections by -c workers. Each request is timed from sending to
//     the end of the response body.
//  6. Zero loss, read as the superuser (which bypasses row-level security) across tenants:
//     every acknowledged notification (202) has exactly one notification_receipts row, received
//     once and marked enqueued, and exactly one River job of kind queue.transcript-ingest whose
//     args.id is the dedupe key (counted by key, not by state: with -workers run the jobs are
//     being retried).
//  7. The handler is stopped (SIGTERM), then pgbench runs a custom script of one single-row
//     INSERT into a scratch table shaped like notification_receipts (uuid + text primary key),
//     autocommit, -M prepared, for -pgbench, at -c clients (capped by the free connections of
//     max_connections) and again at the number of connections the handler's pool had opened.
//     Without pgbench (Debian: apt-get install postgresql-client) that step is skipped.
//
// The load generator, the handler and PostgreSQL share one machine (its CPU count is printed),
// so the figures are a floor for a dedicated database; the ratio to pgbench is the point. The
// program exits 1 if anything was lost or duplicated, or if p99 misses the 100 ms goal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"time"

	"github.com/meetingminutes/minutes/bench/internal/benchkit"
)

// Goals of issue #5.
const goalP99 = 100 * time.Millisecond

// defaultDB is the superuser URL used when neither BENCH_DATABASE_URL nor TEST_DATABASE_URL is
// set: the local server, as scripts/postgres.sh finds it.
const defaultDB = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

type config struct {
	db         string
	name       string
	n, c       int
	tenants    int
	batch      int
	warmup     int
	pool       int
	workers    string
	pgbench    time.Duration
	keep       bool
	logLevel   string
	reqTimeout time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.db, "db", defaultAdminURL(), "superuser URL; the benchmark creates and drops its own database on that server")
	flag.StringVar(&cfg.name, "name", "minutes_bench_notify", "name of the scratch database (dropped first if it exists)")
	flag.IntVar(&cfg.n, "n", 2000, "notifications in the burst")
	flag.IntVar(&cfg.c, "c", 200, "concurrent keep-alive connections (one worker each)")
	flag.IntVar(&cfg.tenants, "tenants", 20, "tenants, one transcripts subscription each; notifications go round-robin")
	flag.IntVar(&cfg.batch, "batch", 1, "notifications per POST (Graph batches under load; 1 is the costliest per item)")
	flag.IntVar(&cfg.warmup, "warmup", -1, "untimed warm-up requests before the burst (default -c)")
	flag.IntVar(&cfg.pool, "pool", 0, "DATABASE_MAX_CONNS for the handler (0: not set, the handler's default)")
	flag.StringVar(&cfg.workers, "workers", "paused", "paused: River's transcript-ingest queue is paused during the run; run: the workers take the jobs")
	flag.DurationVar(&cfg.pgbench, "pgbench", 10*time.Second, "duration of each pgbench run (0 skips pgbench)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the scratch database (prints its name)")
	flag.StringVar(&cfg.logLevel, "log-level", "", "LOG_LEVEL for the handler (empty: its default)")
	flag.DurationVar(&cfg.reqTimeout, "timeout", 30*time.Second, "per-request timeout")
	flag.Parse()
	if cfg.warmup < 0 {
		cfg.warmup = cfg.c
	}
	if cfg.n < 1 || cfg.c < 1 || cfg.tenants < 1 || cfg.batch < 1 || cfg.pool < 0 ||
		(cfg.workers != "paused" && cfg.workers != "run") {
		fmt.Fprintln(os.Stderr, "notifyburst: -n, -c, -tenants and -batch must be positive, -pool >= 0, -workers paused or run")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "notifyburst:", err)
		os.Exit(1)
	}
}

// defaultAdminURL is BENCH_DATABASE_URL, else TEST_DATABASE_URL, else defaultDB.
func defaultAdminURL() string {
	for _, k := range []string{"BENCH_DATABASE_URL", "TEST_DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return defaultDB
}

func run(ctx context.Context, cfg config) (err error) {
	fmt.Printf("notifyburst: GraphNotifications ack latency under a burst, standalone + local PostgreSQL\n")
	fmt.Printf("machine: %d CPUs shared by the load generator, the handler and PostgreSQL (%s); %s\n",
		runtime.NumCPU(), runtime.Version(), benchkit.Load())

	db, err := openScratch(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.close(ctx, cfg.keep)) }()
	fmt.Printf("server: PostgreSQL %s, max_connections %d, synchronous_commit %s, fsync %s; database %s\n",
		db.version, db.maxConns, db.syncCommit, db.fsync, db.name)

	h, err := buildHandler()
	if err != nil {
		return err
	}
	defer h.cleanup()
	if err := h.migrate(ctx, db.ownerURL); err != nil {
		return err
	}
	tenants, err := seed(ctx, db.appURL, cfg.tenants)
	if err != nil {
		return err
	}
	if cfg.workers == "paused" {
		if err := db.pauseIngest(ctx); err != nil {
			return err
		}
	}

	srv, err := h.startStandalone(ctx, db.appURL, cfg)
	if err != nil {
		return err
	}
	stopped := false
	stopSrv := func() error {
		if stopped {
			return nil
		}
		stopped = true
		if err := srv.Stop(30 * time.Second); err != nil {
			return fmt.Errorf("stop handler: %w", err)
		}
		return nil
	}
	defer func() { err = errors.Join(err, stopSrv()) }()
	fmt.Printf("handler: standalone on %s, DATABASE_URL as minutes_app, DATABASE_MAX_CONNS %s, River workers %s\n",
		srv.Addr, poolNote(cfg.pool), workersNote(cfg.workers))

	res, err := burst(ctx, srv, tenants, cfg)
	if err != nil {
		return err
	}
	appConns, err := db.appConnections(ctx)
	if err != nil {
		return err
	}
	res.print(cfg, appConns)
	lines, bytes := srv.Stdout.Counts()
	elines, _ := srv.Stderr.Counts()
	fmt.Printf("handler output: %d stdout lines (%s), %d stderr lines\n", lines, mib(bytes), elines)

	loss, err := verify(ctx, db.superURL, res)
	if err != nil {
		return err
	}
	loss.print()

	if err := stopSrv(); err != nil {
		return err
	}
	pg := runPgbench(ctx, db, cfg, appConns, res.throughput())

	var fails []error
	if !loss.ok() {
		fails = append(fails, errors.New("notifications were lost or duplicated"))
	}
	if res.p99() >= goalP99 {
		fails = append(fails, fmt.Errorf("p99 %s ms misses the goal (< %s ms)", ms(res.p99()), ms(goalP99)))
	}
	fails = append(fails, pg)
	return errors.Join(fails...)
}

func poolNote(pool int) string {
	if pool == 0 {
		return "unset (the handler's default)"
	}
	return fmt.Sprint(pool)
}

func workersNote(mode string) string {
	if mode == "paused" {
		return "running, transcript-ingest queue paused (River's river_queue.paused_at)"
	}
	return "running and taking the ingest jobs (TranscriptIngest has no Graph credentials here: each fails and is retried)"
}

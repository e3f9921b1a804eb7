package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/meetingminutes/minutes/bench/internal/pgkit"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"time"
)

// pgbenchTable is shaped like notification_receipts (uuid + text primary key, a resource, a
// timestamp default): the single row pgbench inserts per transaction.
const pgbenchTable = `CREATE TABLE pgbench_receipts (
    tenant_id   uuid        NOT NULL,
    dedupe_key  text        NOT NULL,
    resource    text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, dedupe_key)
)`

// pgbenchScript is one single-row INSERT, autocommit: one transaction per row. No ':' in its
// literals: pgbench would read one as a variable.
const pgbenchScript = `\set k random(1, 1000000000)
INSERT INTO pgbench_receipts (tenant_id, dedupe_key, resource) VALUES (gen_random_uuid(), 'bench/transcript/' || CAST(:k AS text) || '/' || gen_random_uuid()::text, 'communications/onlineMeetings(''m'')/transcripts(''t'')');
`

var (
	tpsRe     = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	latencyRe = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
)

// runPgbench runs pgbench beside the burst, at -c clients (capped by the free connections)
// and at the handler's pool size, and prints TPS and our throughput as a share of it. A
// missing pgbench is reported and skipped; a failing one is an error.
func runPgbench(ctx context.Context, db *scratch, cfg config, appConns int, ours float64) error {
	if cfg.pgbench <= 0 {
		fmt.Println("\npgbench: skipped (-pgbench 0)")
		return nil
	}
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		fmt.Println("\npgbench: not found, skipped (Debian/Ubuntu: apt-get install postgresql-client; it ships pgbench)")
		return nil
	}
	if err := pgkit.ExecOnce(ctx, db.superURL, pgbenchTable); err != nil {
		return fmt.Errorf("create pgbench table: %w", err)
	}
	dir, err := os.MkdirTemp("", "notifyburst-pgbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "insert.sql")
	if err := os.WriteFile(script, []byte(pgbenchScript), 0o600); err != nil {
		return err
	}
	free, err := db.freeConnections(ctx)
	if err != nil {
		return err
	}
	capped := min(cfg.c, max(free-2, 1))
	clients := []int{capped}
	if appConns > 0 && appConns != capped {
		clients = append(clients, appConns)
	}
	fmt.Printf("\npgbench: single-row INSERT per transaction (autocommit, -M prepared) into a table shaped like notification_receipts, "+
		"as the superuser, %s per run, on the same server; -c %d capped at %d by max_connections (%d free)\n",
		cfg.pgbench, cfg.c, capped, free)
	for i, c := range clients {
		why := "the burst's concurrency"
		if i == 1 {
			why = "the handler's sessions after the burst"
		}
		tps, lat, err := pgbench(ctx, bin, db.superURL, script, c, cfg.pgbench)
		if err != nil {
			return err
		}
		fmt.Printf("  -c %3d (%s): %.0f TPS, latency average %.2f ms; notifyburst throughput %.0f/s = %.2f of it (%.1f%%)\n",
			c, why, tps, lat, ours, ours/tps, 100*ours/tps)
	}
	return nil
}

// pgbench runs one pgbench and returns its TPS (without connection time) and mean latency.
func pgbench(ctx context.Context, bin, dsn, script string, clients int, d time.Duration) (tps, latencyMs float64, err error) {
	threads := min(clients, runtime.NumCPU())
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	cmd := exec.CommandContext(ctx, bin, "-n", "-M", "prepared", "-f", script, "-c", strconv.Itoa(clients),
		"-j", strconv.Itoa(threads), "-T", strconv.Itoa(secs), dsn)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("pgbench -c %d: %w\n%s", clients, err, out)
	}
	m := tpsRe.FindSubmatch(out)
	l := latencyRe.FindSubmatch(out)
	if m == nil || l == nil {
		return 0, 0, errors.New("pgbench: no tps or latency in its output:\n" + string(out))
	}
	tps, _ = strconv.ParseFloat(string(m[1]), 64)
	latencyMs, _ = strconv.ParseFloat(string(l[1]), 64)
	return tps, latencyMs, nil
}

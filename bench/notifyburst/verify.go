package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/queue"
)

// lossReport is the zero-loss check: every acknowledged notification has exactly one receipt,
// received once and marked enqueued, and exactly one transcript-ingest job.
type lossReport struct {
	acked            int
	receipts, jobs   int // rows found, in total
	missingReceipt   int
	duplicateReceipt int // key in more than one row
	redelivered      int // receipt with times_received > 1
	notEnqueued      int
	missingJob       int
	duplicateJob     int
	strayReceipts    int // receipts of notifications not acknowledged (a failed request that committed)
	strayJobs        int
	jobStates        []string
	parked           int
	duplicateAckKeys int
}

// verify reads every tenant's receipts and every ingest job as the superuser (which bypasses
// row-level security) and checks them against the acknowledged notifications.
func verify(ctx context.Context, superURL string, r *result) (*lossReport, error) {
	conn, err := pgx.Connect(ctx, superURL)
	if err != nil {
		return nil, fmt.Errorf("connect for the zero-loss check: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	type receipt struct {
		rows     int // rows with this key: 1, or one per tenant that holds it
		times    int
		enqueued bool
	}
	receipts := map[string]receipt{}
	rows, err := conn.Query(ctx, `SELECT dedupe_key, times_received, enqueued_at IS NOT NULL FROM notification_receipts`)
	if err != nil {
		return nil, fmt.Errorf("read receipts: %w", err)
	}
	var key string
	var rc receipt
	if _, err := pgx.ForEachRow(rows, []any{&key, &rc.times, &rc.enqueued}, func() error {
		// The primary key is (tenant_id, dedupe_key) and the key starts with the Entra
		// tenant: a key in two rows would be two tenants' receipts of one notification.
		rc.rows = receipts[key].rows + 1
		receipts[key] = rc
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read receipts: %w", err)
	}

	jobs := map[string]int{}
	rows, err = conn.Query(ctx, `SELECT args->>'id', count(*) FROM river_job WHERE kind = $1 GROUP BY 1`,
		"queue."+string(queue.TranscriptIngest))
	if err != nil {
		return nil, fmt.Errorf("read river jobs: %w", err)
	}
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&key, &n}, func() error { jobs[key] = n; return nil }); err != nil {
		return nil, fmt.Errorf("read river jobs: %w", err)
	}

	rep := &lossReport{acked: len(r.acked), receipts: len(receipts)}
	for _, c := range jobs {
		rep.jobs += c
	}
	seen := make(map[string]bool, len(r.acked))
	for _, it := range r.acked {
		if seen[it.key] {
			rep.duplicateAckKeys++
			continue
		}
		seen[it.key] = true
		rc, ok := receipts[it.key]
		switch {
		case !ok:
			rep.missingReceipt++
		case rc.rows != 1:
			rep.duplicateReceipt++
		case rc.times != 1:
			rep.redelivered++
		}
		if ok && !rc.enqueued {
			rep.notEnqueued++
		}
		switch jobs[it.key] {
		case 0:
			rep.missingJob++
		case 1:
		default:
			rep.duplicateJob++
		}
	}
	for k := range receipts {
		if !seen[k] {
			rep.strayReceipts++
		}
	}
	for k := range jobs {
		if !seen[k] {
			rep.strayJobs++
		}
	}

	rows, err = conn.Query(ctx, `SELECT state::text, count(*), max(attempt) FROM river_job WHERE kind = $1 GROUP BY 1 ORDER BY 1`,
		"queue."+string(queue.TranscriptIngest))
	if err != nil {
		return nil, fmt.Errorf("read river job states: %w", err)
	}
	var state string
	var attempts int
	if _, err := pgx.ForEachRow(rows, []any{&state, &n, &attempts}, func() error {
		rep.jobStates = append(rep.jobStates, fmt.Sprintf("%s %d (attempt <= %d)", state, n, attempts))
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read river job states: %w", err)
	}
	slices.Sort(rep.jobStates)
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM failed_messages`).Scan(&rep.parked); err != nil {
		return nil, fmt.Errorf("count parked messages: %w", err)
	}
	return rep, nil
}

func (l *lossReport) ok() bool {
	return l.missingReceipt == 0 && l.duplicateReceipt == 0 && l.redelivered == 0 && l.notEnqueued == 0 && l.missingJob == 0 &&
		l.duplicateJob == 0 && l.duplicateAckKeys == 0 && l.acked > 0
}

func (l *lossReport) print() {
	fmt.Printf("\nzero loss (read as the superuser across tenants): %d acknowledged notifications (warm-up included); "+
		"%d receipts, %d transcript-ingest jobs in the database\n", l.acked, l.receipts, l.jobs)
	fmt.Printf("  without receipt %d, with more than one receipt %d, received more than once %d, receipt not marked enqueued %d, "+
		"without job %d, with more than one job %d\n", l.missingReceipt, l.duplicateReceipt, l.redelivered, l.notEnqueued, l.missingJob, l.duplicateJob)
	fmt.Printf("  receipts of unacknowledged notifications %d, jobs of unacknowledged notifications %d, parked messages %d\n",
		l.strayReceipts, l.strayJobs, l.parked)
	fmt.Printf("  ingest jobs by state: %s\n", strings.Join(l.jobStates, ", "))
	fmt.Printf("zero loss: %s\n", verdict(l.ok()))
}

package graphnotifications

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// groupCommitter writes the work of concurrent requests in shared transactions: in a burst,
// the per-transaction costs (begin, commit and its WAL flush, the pool round trips) dominate
// the few small rows each notification adds, so requests that arrive while a commit is in
// flight wait for the next one and share it. A quiet request waits for nobody: a committer
// takes what is queued the moment it is free, never a timer.
//
// A request is answered only after the transaction holding its rows has committed; if that
// transaction fails, every request in it gets the error (5xx, Graph redelivers, the receipts
// make the redelivery a no-op for whatever did commit before).
type groupCommitter struct {
	h    *Handler
	jobs chan *groupJob
	max  int
	once sync.Once
}

type groupJob struct {
	work []tenantWork
	done chan error
}

// groupMax is the most requests one shared transaction takes: with two committers and 200
// concurrent senders, larger batches measured better (bench/notifyburst).
const groupMax = 256

// groupTimeout bounds one shared transaction; the requests waiting on it answer 5xx after it.
const groupTimeout = 10 * time.Second

// retryable reports a transaction the database rolled back to be tried again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// newGroupCommitter runs workers committers, each taking up to max requests per transaction.
func newGroupCommitter(h *Handler, workers, max int) *groupCommitter {
	g := &groupCommitter{h: h, jobs: make(chan *groupJob, workers*max), max: max}
	for range workers {
		go g.loop()
	}
	return g
}

// submit queues work and waits for its transaction. A request that gives up (its context is
// done) answers 5xx; its rows may still commit, which the receipts make harmless.
func (g *groupCommitter) submit(ctx context.Context, work []tenantWork) error {
	j := &groupJob{work: work, done: make(chan error, 1)}
	select {
	case g.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *groupCommitter) loop() {
	for first := range g.jobs {
		batch := []*groupJob{first}
	fill:
		for len(batch) < g.max {
			select {
			case j := <-g.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		err := g.commit(batch)
		for _, j := range batch {
			j.done <- err
		}
	}
}

// commit writes a batch in one transaction (Handler.write). The transaction runs under the
// committer's own deadline, not a request's: one caller leaving must not abort the others'.
func (g *groupCommitter) commit(batch []*groupJob) error {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	var work []tenantWork
	for _, j := range batch {
		work = append(work, j.work...)
	}
	if err := g.h.write(ctx, work); err != nil {
		return fmt.Errorf("group commit of %d requests: %w", len(batch), err)
	}
	return nil
}

package graphnotifications

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/meetingminutes/minutes/shared/tenancy"
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
// concurrent senders, larger batches measured better (bench/notifyburst: 2,300-2,600/s).
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

// commit writes a batch in one transaction, switching the tenant for each request's part.
func (g *groupCommitter) commit(batch []*groupJob) error {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	// The parts of one tenant, in arrival order, share one tenant switch.
	var order []tenancy.ID
	parts := map[tenancy.ID][]tenantWork{}
	for _, j := range batch {
		for _, tw := range j.work {
			if _, ok := parts[tw.tenant]; !ok {
				order = append(order, tw.tenant)
			}
			// The request's values (its log context) without its deadline: one caller
			// leaving must not abort the others' transaction.
			tw.ctx = context.WithoutCancel(tw.ctx)
			parts[tw.tenant] = append(parts[tw.tenant], tw)
		}
	}
	// Tenants in id order and keys in order within each (recordAll): every transaction locks
	// in one global order, so concurrent groups cannot deadlock.
	slices.SortFunc(order, func(a, b tenancy.ID) int { return strings.Compare(a.String(), b.String()) })
	var err error
	for attempt := 1; ; attempt++ {
		err = tenancy.WithTenantsTx(ctx, g.h.db, func(tx pgx.Tx, use func(tenancy.ID) error) error {
			for _, t := range order {
				if err := use(t); err != nil {
					return err
				}
				if err := g.h.recordAll(tx, parts[t]); err != nil {
					return err
				}
			}
			return nil
		})
		// A deadlock or serialization failure is the database asking for a retry of the
		// whole transaction; anything else is the requests' answer.
		if attempt == 3 || !retryable(err) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("group commit of %d requests: %w", len(batch), err)
	}
	return nil
}

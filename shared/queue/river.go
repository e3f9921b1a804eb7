package queue

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/migrate"
)

// DefaultMaxAttempts is how many times a message is delivered before it is given up (and
// parked): Service Bus' default maxDeliveryCount, so both backends behave alike.
const DefaultMaxAttempts = 10

// RiverOptions configure a River sender; every field has a usable zero value.
type RiverOptions struct {
	// MaxAttempts is how many times each message sent is delivered before River discards it
	// (and Workers park it). It is stored in each job when it is sent. Default
	// DefaultMaxAttempts (10).
	MaxAttempts int
	// Logger receives River's own records; default discards.
	Logger *slog.Logger
}

// River sends messages to the PostgreSQL queue (River jobs). It is the Sender of standalone
// installs and the only one that can enqueue inside a caller's transaction (SendTx).
//
// Dedupe: a message is inserted as a River unique job keyed on its kind (one per queue) and
// ID. River enforces uniqueness across the job states available, scheduled, pending, running,
// retryable and completed (rivertype.UniqueOptsByStateDefault): a second send of an ID is
// dropped while the first is waiting, delayed, running or waiting to be retried, and also
// after it completed, until River's job cleaner deletes the completed row (24 hours after
// completion, River's default CompletedJobRetentionPeriod). Once a job is discarded
// (attempts exhausted, and then parked) or cancelled, its ID may be sent again. Service Bus'
// duplicate detection is the analogue, with its own window.
type River struct {
	client      *river.Client[pgx.Tx]
	maxAttempts int
}

// NewRiver returns a sender over pool (the runtime role's pool is enough: minutes_app may
// insert River jobs). River's schema must have been migrated (migrate.River).
func NewRiver(pool *pgxpool.Pool, opts RiverOptions) (*River, error) {
	if pool == nil {
		return nil, fmt.Errorf("new river sender: pool is nil")
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:      loggerOrDiscard(opts.Logger),
		MaxAttempts: opts.MaxAttempts,
		Schema:      migrate.RiverSchema,
	})
	if err != nil {
		return nil, fmt.Errorf("new river sender: %w", err)
	}
	return &River{client: client, maxAttempts: opts.MaxAttempts}, nil
}

// Send enqueues m on q in its own transaction. A duplicate ID is dropped (see River). A
// delayed message is never delivered before its Delay; River's scheduler (on the leader,
// every 5 seconds) makes it available, so it may run up to about 5 seconds later.
func (r *River) Send(ctx context.Context, q Name, m Outgoing) error {
	e, err := encode(q, m)
	if err != nil {
		return fmt.Errorf("send to %s: %w", q, err)
	}
	return r.insert(ctx, nil, q, e)
}

// SendTx enqueues m on q inside tx: the message exists if and only if tx commits, and no
// worker sees it before then (STYLE rule 24: enqueue in the same transaction as the change
// it follows). tx must be on the database River's tables live in. After an error the caller
// must roll tx back.
func (r *River) SendTx(ctx context.Context, tx pgx.Tx, q Name, m Outgoing) error {
	if tx == nil {
		return fmt.Errorf("send to %s in transaction: tx is nil", q)
	}
	e, err := encode(q, m)
	if err != nil {
		return fmt.Errorf("send to %s: %w", q, err)
	}
	return r.insert(ctx, tx, q, e)
}

// Requeue sends m again to function's queue, to be delivered after the delay, under
// m.MessageID+"#retry-"+n (see retryID): the original job is still running while Requeue is
// called, so under its own ID the copy would be dropped as a duplicate.
func (r *River) Requeue(ctx context.Context, function string, m funchost.Message, after time.Duration) error {
	q, e, err := requeued(function, m, after)
	if err != nil {
		return err
	}
	return r.insert(ctx, nil, q, e)
}

func (r *River) insert(ctx context.Context, tx pgx.Tx, q Name, e encoded) error {
	args, err := jobArgs(q, e)
	if err != nil {
		return fmt.Errorf("send to %s: %w", q, err)
	}
	opts := &river.InsertOpts{
		Queue:       q.riverQueue(),
		MaxAttempts: r.maxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true},
	}
	if e.delay > 0 {
		opts.ScheduledAt = time.Now().Add(e.delay)
	}
	if tx != nil {
		_, err = r.client.InsertTx(ctx, tx, args, opts)
	} else {
		_, err = r.client.Insert(ctx, args, opts)
	}
	if err != nil {
		return fmt.Errorf("send message %q to %s: %w", e.id, q, err)
	}
	return nil
}

// loggerOrDiscard returns l, or a logger that discards everything when l is nil (River would
// otherwise log to stdout).
func loggerOrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

var (
	_ Sender            = (*River)(nil)
	_ funchost.Requeuer = (*River)(nil)
)

// SendManyTx enqueues ms on q inside tx in one round trip (River's InsertManyTx), with the
// same dedupe rule per message as SendTx: the group-commit path of the webhooks sends a whole
// batch's messages this way.
func (r *River) SendManyTx(ctx context.Context, tx pgx.Tx, q Name, ms []Outgoing) error {
	if tx == nil {
		return fmt.Errorf("send to %s in transaction: tx is nil", q)
	}
	if len(ms) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, 0, len(ms))
	for _, m := range ms {
		e, err := encode(q, m)
		if err != nil {
			return fmt.Errorf("send to %s: %w", q, err)
		}
		args, err := jobArgs(q, e)
		if err != nil {
			return fmt.Errorf("send to %s: %w", q, err)
		}
		opts := &river.InsertOpts{Queue: q.riverQueue(), MaxAttempts: r.maxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
		if e.delay > 0 {
			opts.ScheduledAt = time.Now().Add(e.delay)
		}
		params = append(params, river.InsertManyParams{Args: args, InsertOpts: opts})
	}
	if _, err := r.client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("send %d messages to %s: %w", len(ms), q, err)
	}
	return nil
}

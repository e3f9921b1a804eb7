package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/migrate"
)

// WorkerOptions configure Workers. Parker is required when queue functions are given; every
// other field has a usable zero value.
type WorkerOptions struct {
	// Parker stores messages that are poison or that failed MaxAttempts times
	// (NewParkingLot). Required with queue functions: nothing is given up without a row.
	Parker funchost.Parker
	// Concurrency is how many messages of each queue one Workers runs at once. Default 4.
	Concurrency int
	// Logger receives the workers' records (failures, parked and snoozed messages) and
	// River's own; default discards.
	Logger *slog.Logger
	// Timers are the periodic timers to run, keyed by function name (TenantHealthSweep…).
	Timers map[string]PeriodicTimer
	// Timeout bounds one invocation; its context is cancelled after it. Default 9 minutes,
	// like the funchost adapter (below host.json's functionTimeout).
	Timeout time.Duration
	// RetryBackoff returns how long to wait before delivering a message again after its
	// attempt-th delivery failed. Default River's policy: attempt⁴ seconds with jitter
	// (1 s, 16 s, 81 s, … about 6 hours over 10 attempts).
	RetryBackoff func(attempt int) time.Duration
	// PollOnly makes the workers poll for new jobs (every second) instead of also listening
	// for PostgreSQL notifications: needed when the pool goes through a transaction-mode
	// pooler (PgBouncer), where LISTEN does not work. Default false.
	PollOnly bool

	// parkRetryDelay overrides parkRetryDelay (tests).
	parkRetryDelay time.Duration
}

// Workers run queue functions and periodic timers in-process on the PostgreSQL queue (River):
// standalone mode's counterpart of the Functions host delivering Service Bus messages and timer
// ticks. Each message is handed to its function as a funchost.Message with the same meaning
// of the function's result as under the host (see dispatcher.settle):
//
//   - nil: the job completes.
//   - funchost.Poison(err), or a body that is not a JSON object: the message is parked
//     (Parker), then the job completes. If parking fails the job is retried.
//   - funchost.Later(d, err): the job is snoozed for d; a snooze does not use an attempt.
//   - any other error (or a panic, or the Timeout): River retries it with backoff. On the
//     last attempt (the job's max attempts, RiverOptions.MaxAttempts when sent) the message
//     is parked and the job discarded; if parking fails then, the job is snoozed a minute
//     instead, so a message is never discarded without its failed_messages row.
//
// Timers are River periodic jobs. Only the elected leader among all Workers on the database
// enqueues them, and each occurrence is a unique job per timer and interval-long period, so N
// replicas run each timer once per interval between them; any replica may run it.
type Workers struct {
	client *river.Client[pgx.Tx]
	log    *slog.Logger
}

// Default option values.
const (
	defaultConcurrency = 4
	defaultTimeout     = 9 * time.Minute
	// hardStopWait bounds how long Stop waits for cancelled jobs to hand back once its own
	// deadline has passed.
	hardStopWait = 10 * time.Second
)

// NewWorkers returns workers that run funcs (one function per queue) and opts.Timers over
// pool, which may be the runtime role's pool. River's schema must have been migrated
// (migrate.River). Nothing runs before Start. Messages of queues missing from funcs are left
// waiting for a Workers that has their function.
func NewWorkers(pool *pgxpool.Pool, funcs map[Name]funchost.MessageFunc, opts WorkerOptions) (*Workers, error) {
	if pool == nil {
		return nil, errors.New("new workers: pool is nil")
	}
	if len(funcs) == 0 && len(opts.Timers) == 0 {
		return nil, errors.New("new workers: no queue function and no timer to run")
	}
	if len(funcs) > 0 && opts.Parker == nil {
		return nil, errors.New("new workers: WorkerOptions.Parker is required to run queue functions")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = defaultConcurrency
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	log := loggerOrDiscard(opts.Logger)

	workers := river.NewWorkers()
	queues := map[string]river.QueueConfig{}
	d := &dispatcher{funcs: funcs, parker: opts.Parker, log: log, parkRetry: cmp.Or(opts.parkRetryDelay, parkRetryDelay)}
	for q, fn := range funcs {
		if err := q.check(); err != nil {
			return nil, fmt.Errorf("new workers: %w", err)
		}
		if fn == nil {
			return nil, fmt.Errorf("new workers: function for queue %s is nil", q)
		}
		if err := addMessageWorker(workers, q, d); err != nil {
			return nil, fmt.Errorf("new workers: %w", err)
		}
		queues[q.riverQueue()] = river.QueueConfig{MaxWorkers: opts.Concurrency}
	}
	periodic, err := addTimers(workers, opts.Timers, log)
	if err != nil {
		return nil, fmt.Errorf("new workers: %w", err)
	}
	if len(periodic) > 0 {
		queues[timerQueue] = river.QueueConfig{MaxWorkers: len(periodic)}
	}

	cfg := &river.Config{
		JobTimeout:   opts.Timeout,
		Logger:       log,
		MaxAttempts:  DefaultMaxAttempts,
		PeriodicJobs: periodic,
		PollOnly:     opts.PollOnly,
		Queues:       queues,
		// The reindexer runs REINDEX, which only the owner of River's tables may do; the
		// runtime role would fail at it every night. Reindexing is left to the operator.
		ReindexerSchedule: river.NeverSchedule(),
		Schema:            migrate.RiverSchema,
		Workers:           workers,
	}
	if opts.RetryBackoff != nil {
		cfg.RetryPolicy = backoffPolicy{opts.RetryBackoff}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("new workers: %w", err)
	}
	return &Workers{client: client, log: log}, nil
}

// Start starts fetching and running jobs, and takes part in leader election for the timers.
// It returns once started. ctx governs the workers' life: cancelling it stops them as Stop
// does, without a deadline, so pass a context that lives as long as the process.
func (w *Workers) Start(ctx context.Context) error {
	if err := w.client.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	return nil
}

// Stop stops fetching new jobs and waits for in-flight jobs to finish until ctx is done.
// If ctx ends first, the in-flight jobs' contexts are cancelled (River makes such jobs
// available again without counting the attempt), Stop waits up to 10 more seconds for them
// to return, and the error wraps ctx's.
func (w *Workers) Stop(ctx context.Context) error {
	err := w.client.Stop(ctx)
	if err == nil {
		return nil
	}
	w.log.WarnContext(ctx, "workers did not stop in time; cancelling in-flight jobs", "error", err)
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hardStopWait)
	defer cancel()
	if herr := w.client.StopAndCancel(hctx); herr != nil {
		return fmt.Errorf("stop workers: %w", errors.Join(err, herr))
	}
	return fmt.Errorf("stop workers: in-flight jobs cancelled: %w", err)
}

// backoffPolicy is WorkerOptions.RetryBackoff as a River retry policy.
type backoffPolicy struct {
	backoff func(attempt int) time.Duration
}

func (p backoffPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(max(p.backoff(job.Attempt), 0))
}

var _ river.ClientRetryPolicy = backoffPolicy{}

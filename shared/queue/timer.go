package queue

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/logging"
)

// PeriodicTimer is a timer function run every Interval in standalone mode (the Functions
// host runs the same function from its timer trigger's schedule).
type PeriodicTimer struct {
	// Interval is the time between occurrences: TenantHealthSweep 5m, SubscriptionRenewal
	// and UsageReport 1h. At least one second (River's minimum for periodic jobs).
	Interval time.Duration
	// Fn handles one occurrence.
	Fn funchost.TickFunc
}

// pastDueAfter is how late an occurrence may start before its Tick says IsPastDue.
const pastDueAfter = time.Minute

// addTimers registers the timer worker and returns the periodic jobs of timers.
//
// Each occurrence is a unique job per timer and period (ByPeriod = Interval, periods aligned
// on multiples of Interval in UTC): the leader enqueues one when a timer is due, and a new
// leader (after a restart or failover) enqueues one at once (RunOnStart), which is dropped
// when the current period already has its occurrence. So each timer runs at most once per
// aligned period, and a restart does not skip it. A failed occurrence is not retried (one
// attempt, as under the Functions host without a retry policy): the next one comes anyway.
func addTimers(workers *river.Workers, timers map[string]PeriodicTimer, log *slog.Logger) ([]*river.PeriodicJob, error) {
	if len(timers) == 0 {
		return nil, nil
	}
	jobs := make([]*river.PeriodicJob, 0, len(timers))
	for name, t := range timers {
		if name == "" || t.Fn == nil {
			return nil, fmt.Errorf("timer %q: name and Fn are required", name)
		}
		if t.Interval < time.Second {
			return nil, fmt.Errorf("timer %s: interval %s is below one second", name, t.Interval)
		}
		args, opts := timerArgs{Timer: name}, &river.InsertOpts{
			Queue:       timerQueue,
			MaxAttempts: 1,
			UniqueOpts:  river.UniqueOpts{ByArgs: true, ByPeriod: t.Interval},
		}
		jobs = append(jobs, river.NewPeriodicJob(river.PeriodicInterval(t.Interval),
			func() (river.JobArgs, *river.InsertOpts) { return args, opts },
			&river.PeriodicJobOpts{ID: name, RunOnStart: true}))
	}
	if err := river.AddWorkerSafely[timerArgs](workers, &timerWorker{timers: timers, log: log}); err != nil {
		return nil, fmt.Errorf("register timer worker: %w", err)
	}
	return jobs, nil
}

// timerWorker runs timer occurrences.
type timerWorker struct {
	river.WorkerDefaults[timerArgs]
	timers map[string]PeriodicTimer
	log    *slog.Logger
}

func (w *timerWorker) Work(ctx context.Context, job *river.Job[timerArgs]) error {
	name := job.Args.Timer
	ctx = logging.With(ctx,
		slog.String(logging.KeyJobKind, job.Kind),
		slog.String(logging.KeyJobID, strconv.FormatInt(job.ID, 10)),
		slog.String(logging.KeyFunction, name),
		slog.String(logging.KeyInvocationID, funchost.NewInvocationID()))
	t, ok := w.timers[name]
	if !ok {
		// Enqueued by a leader configured with a timer this replica does not know (a rolling
		// upgrade): nothing can run it here, and the next leader's occurrence will come.
		w.log.ErrorContext(ctx, "unknown timer; occurrence cancelled")
		return river.JobCancel(fmt.Errorf("unknown timer %q", name))
	}
	tick := funchost.Tick{
		At:        job.ScheduledAt.UTC(),
		IsPastDue: time.Since(job.ScheduledAt) > pastDueAfter,
		Next:      job.ScheduledAt.Add(t.Interval).UTC(),
	}
	if err := call(ctx, w.log, func(ctx context.Context) error { return t.Fn(ctx, tick) }); err != nil {
		w.log.ErrorContext(ctx, "timer invocation failed", "error", err, "past_due", tick.IsPastDue)
		return fmt.Errorf("timer %s: %w", name, err)
	}
	return nil
}

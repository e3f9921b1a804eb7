package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// riverBundle is what setupRiver builds around the subject: a private database with River's
// schema migrated by its owner, and a pool connected as minutes_app.
type riverBundle struct {
	db     *dbtest.DB
	pool   *pgxpool.Pool // minutes_app
	sender *River
	lot    *ParkingLot
	logs   *syncBuffer
	log    *slog.Logger
}

func setupRiver(t *testing.T, opts RiverOptions) riverBundle {
	t.Helper()
	db := dbtest.New(t)
	pool := appPool(t, db)
	logs := &syncBuffer{}
	log := slog.New(logging.NewHandler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if opts.Logger == nil {
		opts.Logger = log
	}
	sender, err := NewRiver(pool, opts)
	require.NoError(t, err)
	return riverBundle{db: db, pool: pool, sender: sender, lot: NewParkingLot(pool), logs: logs, log: log}
}

// appPool opens a pool as minutes_app, larger than dbtest's: River keeps one connection for
// LISTEN and its producers, elector and completer share the rest.
func appPool(t *testing.T, db *dbtest.DB) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(db.AppURL)
	require.NoError(t, err)
	cfg.MaxConns = 10
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// start builds and starts workers, stopping them when the test ends.
func (b riverBundle) start(t *testing.T, funcs map[Name]funchost.MessageFunc, opts WorkerOptions) *Workers {
	t.Helper()
	if opts.Parker == nil {
		opts.Parker = b.lot
	}
	if opts.Logger == nil {
		opts.Logger = b.log
	}
	if opts.RetryBackoff == nil {
		opts.RetryBackoff = func(int) time.Duration { return 50 * time.Millisecond }
	}
	w, err := NewWorkers(b.pool, funcs, opts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, w.Start(ctx))
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = w.Stop(sctx)
		cancel()
	})
	return w
}

// job is one River row, as the tests look at it.
type job struct {
	State       string
	Attempt     int
	MaxAttempts int
	ScheduledAt time.Time
	Snoozes     int
}

// jobs returns the rows of message id, oldest first.
func (b riverBundle) jobs(t *testing.T, id string) []job {
	t.Helper()
	rows, err := b.pool.Query(t.Context(), `
SELECT state::text, attempt, max_attempts, scheduled_at, coalesce((metadata->>'snoozes')::int, 0)
  FROM river_job WHERE args->>'id' = $1 ORDER BY id`, id)
	require.NoError(t, err)
	defer rows.Close()
	var out []job
	for rows.Next() {
		var j job
		require.NoError(t, rows.Scan(&j.State, &j.Attempt, &j.MaxAttempts, &j.ScheduledAt, &j.Snoozes))
		out = append(out, j)
	}
	require.NoError(t, rows.Err())
	return out
}

// waitState waits until the only job of id is in state.
func (b riverBundle) waitState(t *testing.T, id, state string) job {
	t.Helper()
	var last []job
	require.Eventually(t, func() bool {
		last = b.jobs(t, id)
		return len(last) == 1 && last[0].State == state
	}, 15*time.Second, 50*time.Millisecond, "job %s never reached %s", id, state)
	return last[0]
}

// parked returns the unresolved parked messages.
func (b riverBundle) parked(t *testing.T) []ParkedMessage {
	t.Helper()
	got, err := b.lot.List(t.Context(), 100)
	require.NoError(t, err)
	return got
}

// recorder is a queue function that records each call and answers with results in turn
// (nil once they run out).
type recorder struct {
	mu      sync.Mutex
	calls   []invocation
	results []error
	block   chan struct{} // when set, each call waits for it (or for ctx)
}

type invocation struct {
	m      funchost.Message
	at     time.Time
	attrs  map[string]string
	ctxErr error
}

func (r *recorder) fn(ctx context.Context, m funchost.Message) error {
	attrs := map[string]string{}
	for _, a := range logging.Attrs(ctx) {
		attrs[a.Key] = a.Value.String()
	}
	c := invocation{m: m, at: time.Now(), attrs: attrs}
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			c.ctxErr = ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
	if c.ctxErr != nil {
		return c.ctxErr
	}
	if len(r.results) == 0 {
		return nil
	}
	err := r.results[0]
	r.results = r.results[1:]
	return err
}

func (r *recorder) snapshot() []invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// waitCalls waits until fn has been called n times.
func (r *recorder) waitCalls(t *testing.T, n int) []invocation {
	t.Helper()
	require.Eventually(t, func() bool { return len(r.snapshot()) >= n }, 15*time.Second, 20*time.Millisecond,
		"function called %d times, want %d", len(r.snapshot()), n)
	return r.snapshot()
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// records returns the JSON log records whose msg is msg.
func (s *syncBuffer) records(msg string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(s.b.Bytes(), []byte("\n")) {
		var rec map[string]any
		if json.Unmarshal(line, &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func TestWorkers(t *testing.T) {
	t.Parallel()

	t.Run("DeliversAMessageOnceWithItsFields", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{})
		rec := &recorder{}
		b.start(t, map[Name]funchost.MessageFunc{TranscriptIngest: rec.fn}, WorkerOptions{})
		tenant := tenancy.NewID()
		sent := time.Now()
		require.NoError(t, b.sender.Send(t.Context(), TranscriptIngest, Outgoing{
			ID: "t1:transcript-1", Body: map[string]string{"transcript_id": "transcript-1"},
			Properties: map[string]string{"source": "graph", PropertyTenantID: "forged"}, TenantID: tenant,
		}))

		calls := rec.waitCalls(t, 1)
		b.waitState(t, "t1:transcript-1", "completed")
		require.Len(t, rec.snapshot(), 1, "completed: never delivered again")
		m := calls[0].m
		require.JSONEq(t, `{"transcript_id":"transcript-1"}`, string(m.Body))
		require.Equal(t, "t1:transcript-1", m.MessageID)
		require.Equal(t, 1, m.DeliveryCount)
		require.Equal(t, "application/json", m.ContentType)
		require.NotZero(t, m.SequenceNumber)
		require.WithinDuration(t, sent, m.EnqueuedAt, 5*time.Second)
		require.Equal(t, map[string]any{"source": "graph", PropertyTenantID: tenant.String()}, m.Properties,
			"TenantID wins over a tenant_id property")

		attrs := calls[0].attrs
		require.Equal(t, "TranscriptIngest", attrs[logging.KeyFunction])
		require.Equal(t, "t1:transcript-1", attrs[logging.KeyMessageID])
		require.Equal(t, "queue.transcript-ingest", attrs[logging.KeyJobKind])
		require.Equal(t, fmt.Sprint(m.SequenceNumber), attrs[logging.KeyJobID])
		require.Len(t, attrs[logging.KeyInvocationID], 32)
		require.Equal(t, tenant.String(), attrs[logging.KeyTenantID])
	})

	t.Run("SameIDWhilePendingRunsOnce", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{})
		for range 3 {
			require.NoError(t, b.sender.Send(t.Context(), MinutesGenerate, Outgoing{ID: "dup", Body: map[string]int{"n": 1}}))
		}
		require.Len(t, b.jobs(t, "dup"), 1, "one job while pending")
		rec := &recorder{}
		b.start(t, map[Name]funchost.MessageFunc{MinutesGenerate: rec.fn}, WorkerOptions{})
		rec.waitCalls(t, 1)
		b.waitState(t, "dup", "completed")

		// A completed job keeps its ID taken until River's cleaner deletes it (24 h).
		require.NoError(t, b.sender.Send(t.Context(), MinutesGenerate, Outgoing{ID: "dup", Body: map[string]int{"n": 2}}))
		require.NoError(t, b.sender.Send(t.Context(), MinutesPublish, Outgoing{ID: "dup", Body: map[string]int{"n": 3}}),
			"another queue is another kind: not a duplicate")
		time.Sleep(1500 * time.Millisecond)
		require.Len(t, rec.snapshot(), 1)
		require.Len(t, b.jobs(t, "dup"), 2, "the generate job and the publish job")
	})

	t.Run("DelayIsHonoured", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{})
		rec := &recorder{}
		b.start(t, map[Name]funchost.MessageFunc{MinutesPublish: rec.fn}, WorkerOptions{})
		sent := time.Now()
		require.NoError(t, b.sender.Send(t.Context(), MinutesPublish, Outgoing{ID: "later", Body: json.RawMessage(`{"x":1}`), Delay: 300 * time.Millisecond}))
		j := b.jobs(t, "later")
		require.Len(t, j, 1)
		require.Equal(t, "scheduled", j[0].State)
		require.False(t, j[0].ScheduledAt.Before(sent.Add(300*time.Millisecond)))
		require.WithinDuration(t, sent.Add(300*time.Millisecond), j[0].ScheduledAt, time.Second)

		calls := rec.waitCalls(t, 1)
		require.GreaterOrEqual(t, calls[0].at.Sub(sent), 300*time.Millisecond, "not run before its delay")
	})

	t.Run("PoisonIsParkedAndCompleted", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{})
		rec := &recorder{results: []error{funchost.Poison(errors.New("transcript is not WebVTT"))}}
		b.start(t, map[Name]funchost.MessageFunc{TranscriptIngest: rec.fn}, WorkerOptions{PollOnly: true})
		require.NoError(t, b.sender.Send(t.Context(), TranscriptIngest, Outgoing{ID: "bad", Body: map[string]string{"k": "v"}}))

		b.waitState(t, "bad", "completed")
		require.Len(t, rec.snapshot(), 1)
		p := b.parked(t)
		require.Len(t, p, 1)
		require.Equal(t, "TranscriptIngest", p[0].Function)
		require.Equal(t, "bad", p[0].MessageID)
		require.Equal(t, 1, p[0].DeliveryCount)
		require.Contains(t, p[0].Reason, "transcript is not WebVTT")
		require.JSONEq(t, `{"k":"v"}`, string(p[0].Body))
		require.Len(t, b.logs.records("poison message parked"), 1)
	})

	t.Run("BodyThatIsNotAnObjectIsParkedUnseen", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{})
		rec := &recorder{}
		b.start(t, map[Name]funchost.MessageFunc{MinutesGenerate: rec.fn}, WorkerOptions{})
		// Send refuses such a body; a job written by other means must not reach the function.
		args := messageArgs[minutesGenerateMarker]{Queue: MinutesGenerate, ID: "array", Body: json.RawMessage(`[1,2]`)}
		_, err := b.sender.client.Insert(t.Context(), args, &river.InsertOpts{Queue: MinutesGenerate.riverQueue()})
		require.NoError(t, err)

		b.waitState(t, "array", "completed")
		require.Empty(t, rec.snapshot())
		p := b.parked(t)
		require.Len(t, p, 1)
		require.Equal(t, "MinutesGenerate", p[0].Function)
		require.JSONEq(t, "[1,2]", string(p[0].Body))
		require.Contains(t, p[0].Reason, "not a JSON object")
	})

	t.Run("LaterSnoozesWithoutUsingAnAttempt", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{MaxAttempts: 1})
		rec := &recorder{results: []error{funchost.Later(200*time.Millisecond, errors.New("tenant unavailable"))}}
		b.start(t, map[Name]funchost.MessageFunc{MinutesGenerate: rec.fn}, WorkerOptions{})
		require.NoError(t, b.sender.Send(t.Context(), MinutesGenerate, Outgoing{ID: "wait", Body: map[string]int{}}))

		calls := rec.waitCalls(t, 2)
		j := b.waitState(t, "wait", "completed")
		require.GreaterOrEqual(t, calls[1].at.Sub(calls[0].at), 200*time.Millisecond)
		require.Equal(t, 1, calls[0].m.DeliveryCount)
		require.Equal(t, 1, calls[1].m.DeliveryCount, "a snooze is not a delivery attempt")
		require.Equal(t, 1, j.Attempt, "even with max attempts 1, the snoozed job ran again")
		require.Equal(t, 1, j.Snoozes)
		require.Empty(t, b.parked(t))
		require.Len(t, b.logs.records("message snoozed"), 1)
	})

	t.Run("TransientErrorsAreRetried", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{})
		rec := &recorder{results: []error{errors.New("graph 503"), errors.New("graph 503")}}
		b.start(t, map[Name]funchost.MessageFunc{TranscriptIngest: rec.fn}, WorkerOptions{})
		require.NoError(t, b.sender.Send(t.Context(), TranscriptIngest, Outgoing{ID: "flaky", Body: map[string]int{}}))

		calls := rec.waitCalls(t, 3)
		j := b.waitState(t, "flaky", "completed")
		require.Equal(t, []int{1, 2, 3}, []int{calls[0].m.DeliveryCount, calls[1].m.DeliveryCount, calls[2].m.DeliveryCount})
		require.Equal(t, 3, j.Attempt)
		require.Equal(t, DefaultMaxAttempts, j.MaxAttempts)
		require.Empty(t, b.parked(t))

		failures := b.logs.records("invocation failed; message will be retried")
		require.Len(t, failures, 2)
		for _, key := range []string{logging.KeyJobKind, logging.KeyJobID, logging.KeyFunction, logging.KeyMessageID, logging.KeyInvocationID} {
			require.NotEmpty(t, failures[0][key], "log record carries %s", key)
		}
		require.NotEqual(t, failures[0][logging.KeyInvocationID], failures[1][logging.KeyInvocationID], "one invocation id per run")
	})

	t.Run("AlwaysFailingIsDiscardedAndParked", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{MaxAttempts: 3})
		fail := errors.New("openai down")
		rec := &recorder{results: []error{fail, fail, fail, fail}}
		b.start(t, map[Name]funchost.MessageFunc{MinutesGenerate: rec.fn}, WorkerOptions{})
		require.NoError(t, b.sender.Send(t.Context(), MinutesGenerate, Outgoing{ID: "doomed", Body: map[string]int{"v": 1}}))

		j := b.waitState(t, "doomed", "discarded")
		require.Equal(t, 3, j.Attempt)
		require.Len(t, rec.snapshot(), 3)
		p := b.parked(t)
		require.Len(t, p, 1)
		require.Equal(t, "doomed", p[0].MessageID)
		require.Equal(t, 3, p[0].DeliveryCount)
		require.Contains(t, p[0].Reason, "gave up after 3 deliveries: openai down")
	})

	t.Run("LastAttemptWaitsUntilItCanBeParked", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{MaxAttempts: 1})
		owner := ownerPool(t, b.db)
		_, err := owner.Exec(t.Context(), "REVOKE INSERT ON failed_messages FROM minutes_app")
		require.NoError(t, err)
		fail := errors.New("always")
		rec := &recorder{results: []error{fail, fail, fail}}
		b.start(t, map[Name]funchost.MessageFunc{MinutesPublish: rec.fn}, WorkerOptions{parkRetryDelay: 300 * time.Millisecond})
		require.NoError(t, b.sender.Send(t.Context(), MinutesPublish, Outgoing{ID: "unparkable", Body: map[string]int{}}))

		rec.waitCalls(t, 2)
		j := b.jobs(t, "unparkable")
		require.NotEqual(t, "discarded", j[0].State, "not discarded while it cannot be parked")
		require.Equal(t, 1, j[0].MaxAttempts)
		require.NotEmpty(t, b.logs.records("park message"))

		_, err = owner.Exec(t.Context(), "GRANT INSERT ON failed_messages TO minutes_app")
		require.NoError(t, err)
		b.waitState(t, "unparkable", "discarded")
		p := b.parked(t)
		require.Len(t, p, 1)
		require.Equal(t, "unparkable", p[0].MessageID)
	})

	t.Run("SendTxFollowsTheTransaction", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{})
		rec := &recorder{}
		b.start(t, map[Name]funchost.MessageFunc{MinutesPublish: rec.fn}, WorkerOptions{})
		ctx := t.Context()

		tx, err := b.pool.Begin(ctx)
		require.NoError(t, err)
		require.NoError(t, b.sender.SendTx(ctx, tx, MinutesPublish, Outgoing{ID: "rolled-back", Body: map[string]int{}}))
		require.NoError(t, tx.Rollback(ctx))

		tx, err = b.pool.Begin(ctx)
		require.NoError(t, err)
		require.NoError(t, b.sender.SendTx(ctx, tx, MinutesPublish, Outgoing{ID: "committed", Body: map[string]int{}}))
		time.Sleep(500 * time.Millisecond)
		require.Empty(t, rec.snapshot(), "invisible to workers until commit")
		require.NoError(t, tx.Commit(ctx))

		calls := rec.waitCalls(t, 1)
		require.Equal(t, "committed", calls[0].m.MessageID)
		time.Sleep(time.Second)
		require.Len(t, rec.snapshot(), 1)
		require.Empty(t, b.jobs(t, "rolled-back"))
	})

	t.Run("SendManyTxDedupesAndFollowsTheTransaction", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{})
		ctx := t.Context()
		tx, err := b.pool.Begin(ctx)
		require.NoError(t, err)
		require.NoError(t, b.sender.SendManyTx(ctx, tx, MinutesPublish, []Outgoing{
			{ID: "m-1", Body: map[string]int{"a": 1}}, {ID: "m-2", Body: map[string]int{"a": 2}}}))
		require.NoError(t, tx.Rollback(ctx))
		require.Empty(t, b.jobs(t, "m-1"), "rolled back with the transaction")

		for range 2 {
			tx, err = b.pool.Begin(ctx)
			require.NoError(t, err)
			require.NoError(t, b.sender.SendManyTx(ctx, tx, MinutesPublish, []Outgoing{
				{ID: "m-1", Body: map[string]int{"a": 1}}, {ID: "m-2", Body: map[string]int{"a": 2}}}))
			require.NoError(t, tx.Commit(ctx))
		}
		require.Len(t, b.jobs(t, "m-1"), 1, "a second send of the same id is dropped")
		require.Len(t, b.jobs(t, "m-2"), 1)
		require.Error(t, b.sender.SendManyTx(ctx, nil, MinutesPublish, []Outgoing{{ID: "x", Body: map[string]int{}}}))
	})

	t.Run("RequeueSendsACopyUnderARetryID", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{})
		m := funchost.Message{MessageID: "orig", DeliveryCount: 2, Body: []byte(`{"a":1}`),
			Properties: map[string]any{PropertyTenantID: "t", "n": float64(3)}}
		sent := time.Now()
		require.NoError(t, b.sender.Requeue(t.Context(), "MinutesGenerate", m, time.Minute))
		j := b.jobs(t, "orig#retry-2")
		require.Len(t, j, 1)
		require.Equal(t, "scheduled", j[0].State)
		require.WithinDuration(t, sent.Add(time.Minute), j[0].ScheduledAt, 5*time.Second)
		var props map[string]string
		require.NoError(t, b.pool.QueryRow(t.Context(), `SELECT args->'properties' FROM river_job WHERE args->>'id' = 'orig#retry-2'`).Scan(&props))
		require.Equal(t, map[string]string{PropertyTenantID: "t", "n": "3"}, props)

		require.ErrorIs(t, b.sender.Requeue(t.Context(), "Health", m, time.Minute), ErrUnknownQueue)
	})

	t.Run("StopWaitsForInFlightJobs", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{})
		rec := &recorder{block: make(chan struct{})}
		w := b.start(t, map[Name]funchost.MessageFunc{MinutesGenerate: rec.fn}, WorkerOptions{})
		require.NoError(t, b.sender.Send(t.Context(), MinutesGenerate, Outgoing{ID: "slow", Body: map[string]int{}}))
		b.waitState(t, "slow", "running")

		stopped := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			stopped <- w.Stop(ctx)
		}()
		select {
		case err := <-stopped:
			t.Fatalf("Stop returned while a job was running: %v", err)
		case <-time.After(500 * time.Millisecond):
		}
		close(rec.block)
		select {
		case err := <-stopped:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("Stop did not return after the job finished")
		}
		require.Nil(t, rec.snapshot()[0].ctxErr, "the job finished undisturbed")
		require.Equal(t, "completed", b.jobs(t, "slow")[0].State)
	})

	t.Run("StopPastItsDeadlineCancelsInFlightJobs", func(t *testing.T) {
		t.Parallel()
		b := setupRiver(t, RiverOptions{MaxAttempts: 1})
		rec := &recorder{block: make(chan struct{})} // never closed: only ctx ends the call
		w := b.start(t, map[Name]funchost.MessageFunc{MinutesGenerate: rec.fn}, WorkerOptions{})
		require.NoError(t, b.sender.Send(t.Context(), MinutesGenerate, Outgoing{ID: "stuck", Body: map[string]int{}}))
		b.waitState(t, "stuck", "running")

		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		err := w.Stop(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		calls := rec.snapshot()
		require.Len(t, calls, 1)
		require.ErrorIs(t, calls[0].ctxErr, context.Canceled)
		j := b.jobs(t, "stuck")[0]
		require.Equal(t, "available", j.State, "put back for the next start")
		require.Equal(t, 0, j.Attempt, "an interrupted run is not an attempt, even the last one")
		require.Empty(t, b.parked(t))
	})
}

// ownerPool connects to db as its owner, for statements the runtime role may not run.
func ownerPool(t *testing.T, db *dbtest.DB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), db.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func TestTimersRunOncePerIntervalAcrossReplicas(t *testing.T) {
	t.Parallel()
	b := setupRiver(t, RiverOptions{})
	var mu sync.Mutex
	var ticks []funchost.Tick
	timer := func(ctx context.Context, tick funchost.Tick) error {
		mu.Lock()
		defer mu.Unlock()
		ticks = append(ticks, tick)
		return nil
	}
	snapshot := func() []funchost.Tick {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(ticks)
	}
	const interval = time.Second
	timers := map[string]PeriodicTimer{"TenantHealthSweep": {Interval: interval, Fn: timer}}
	// Two replicas: two pools, two clients, one database.
	replica2 := riverBundle{db: b.db, pool: appPool(t, b.db), lot: b.lot, log: b.log}
	w1 := b.start(t, nil, WorkerOptions{Timers: timers})
	w2 := replica2.start(t, nil, WorkerOptions{Timers: timers})

	require.Eventually(t, func() bool { return len(snapshot()) >= 3 }, 20*time.Second, 50*time.Millisecond)
	var leaders int
	require.NoError(t, b.pool.QueryRow(t.Context(), "SELECT count(*) FROM river_leader").Scan(&leaders))
	require.Equal(t, 1, leaders, "one leader between the replicas")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, w1.Stop(ctx))
	require.NoError(t, w2.Stop(ctx))

	// Each occurrence ran once, on one replica, and no period had two.
	got := snapshot()
	periods := map[int64]bool{}
	for _, tick := range got {
		p := tick.At.Truncate(interval).Unix()
		require.False(t, periods[p], "two occurrences in the period of %s: %v", tick.At, got)
		periods[p] = true
		require.Equal(t, tick.At.Add(interval), tick.Next)
	}
	var jobs int
	require.NoError(t, b.pool.QueryRow(t.Context(),
		"SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed'", timerKind).Scan(&jobs))
	require.Equal(t, len(got), jobs, "one job per occurrence, each run once")
}

func TestNewWorkersRejectsBadConfig(t *testing.T) {
	t.Parallel()
	b := setupRiver(t, RiverOptions{})
	fn := func(context.Context, funchost.Message) error { return nil }
	tick := func(context.Context, funchost.Tick) error { return nil }
	cases := []struct {
		name  string
		funcs map[Name]funchost.MessageFunc
		opts  WorkerOptions
		want  string
	}{
		{"NothingToRun", nil, WorkerOptions{}, "no queue function and no timer"},
		{"NoParker", map[Name]funchost.MessageFunc{TranscriptIngest: fn}, WorkerOptions{}, "Parker is required"},
		{"UnknownQueue", map[Name]funchost.MessageFunc{"nope": fn}, WorkerOptions{Parker: b.lot}, "unknown queue"},
		{"NilFunction", map[Name]funchost.MessageFunc{TranscriptIngest: nil}, WorkerOptions{Parker: b.lot}, "is nil"},
		{"ShortInterval", nil, WorkerOptions{Timers: map[string]PeriodicTimer{"UsageReport": {Interval: time.Millisecond, Fn: tick}}}, "below one second"},
		{"NilTick", nil, WorkerOptions{Timers: map[string]PeriodicTimer{"UsageReport": {Interval: time.Hour}}}, "Fn are required"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewWorkers(b.pool, tt.funcs, tt.opts)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

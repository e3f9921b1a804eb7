package funchost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2026, 5, 1, 10, 0, 2, 0, time.UTC)

// testParker records parked messages, or fails with err.
type testParker struct {
	mu     sync.Mutex
	parked []Parked
	err    error
}

func (p *testParker) Park(_ context.Context, m Parked) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.parked = append(p.parked, m)
	return nil
}

func (p *testParker) all() []Parked {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Parked(nil), p.parked...)
}

type requeued struct {
	function string
	message  Message
	after    time.Duration
}

// testRequeuer records requeued messages, or fails with err.
type testRequeuer struct {
	mu    sync.Mutex
	calls []requeued
	err   error
}

func (r *testRequeuer) Requeue(_ context.Context, function string, m Message, after time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.calls = append(r.calls, requeued{function, m, after})
	return nil
}

func (r *testRequeuer) all() []requeued {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]requeued(nil), r.calls...)
}

type adapterBundle struct {
	logs *syncBuffer
}

// setupAdapter returns an Adapter logging to a buffer with a fixed clock; opts may set
// anything else.
func setupAdapter(t *testing.T, opts Options) (*Adapter, *adapterBundle) {
	t.Helper()
	b := &adapterBundle{logs: &syncBuffer{}}
	opts.Logger = newLogger(b.logs)
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	return New(opts), b
}

func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// invoke POSTs body to srv as the Functions host would.
func invoke(t *testing.T, srv *httptest.Server, path string, body []byte, invocation string) *http.Response {
	t.Helper()
	resp, err := srv.Client().Do(hostRequest(t, http.MethodPost, srv.URL+path, bytes.NewReader(body), invocation))
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// messageRecorder is a MessageFunc that remembers what it was given.
type messageRecorder struct {
	mu    sync.Mutex
	calls []Message
	ctxs  []context.Context
}

func (r *messageRecorder) fn(err error) MessageFunc {
	return func(ctx context.Context, m Message) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls = append(r.calls, m)
		r.ctxs = append(r.ctxs, ctx)
		return err
	}
}

func (r *messageRecorder) all() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.calls...)
}

func TestQueueAcknowledgesEveryServiceBusFixture(t *testing.T) {
	t.Parallel()
	for _, name := range fixtureNames(t, "sb_") {
		if name == "sb_C5_poison.json" {
			continue // parked before the function runs: TestQueuePoison
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b := setupAdapter(t, Options{Parker: &testParker{}})
			rec := &messageRecorder{}
			srv := serve(t, a.Queue("ProcessTranscript", "msg", rec.fn(nil)))

			reply := requireHostReply(t, invoke(t, srv, "/ProcessTranscript", fixture(t, name), "inv-"+name))
			require.Empty(t, reply.Outputs, "a queue function has no output bindings")
			require.Empty(t, reply.Logs)

			calls := rec.all()
			require.Len(t, calls, 1)
			want, err := DecodeMessage(decodeFixture(t, name), "msg")
			require.NoError(t, err)
			require.Equal(t, want, calls[0], "the function gets the decoded message")
			require.Empty(t, b.logs.records(t), "nothing logged for a success")
		})
	}
}

func TestQueueHandlesTheSameMessageRedelivered(t *testing.T) {
	t.Parallel()
	a, _ := setupAdapter(t, Options{})
	rec := &messageRecorder{}
	srv := serve(t, a.Queue("ProcessTranscript", "msg", rec.fn(nil)))
	requireHostReply(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C.json"), "inv-1"))
	requireHostReply(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C4_redelivery.json"), "inv-2"))
	calls := rec.all()
	require.Len(t, calls, 2)
	require.Equal(t, calls[0].MessageID, calls[1].MessageID, "the idempotency key survives redelivery")
	require.Equal(t, 1, calls[0].DeliveryCount)
	require.Equal(t, 3, calls[1].DeliveryCount)
}

func TestQueueFailureAbandonsWithoutLeakingTheError(t *testing.T) {
	t.Parallel()
	a, b := setupAdapter(t, Options{Parker: &testParker{}})
	srv := serve(t, a.Queue("ProcessTranscript", "msg", (&messageRecorder{}).fn(errors.New("dial db: password=hunter2"))))

	resp := invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C.json"), "inv-fail")
	f := requireFailure(t, resp, http.StatusInternalServerError)
	require.Equal(t, "inv-fail", f.InvocationID)
	require.NotContains(t, f.Error, "hunter2")
	require.Equal(t, "inv-fail", resp.Header.Get("X-Invocation-Id"))

	rec := b.logs.record(t, "invocation failed; message abandoned")
	require.Equal(t, "ERROR", rec["level"])
	require.Equal(t, "inv-fail", rec["invocation_id"])
	require.Equal(t, "ProcessTranscript", rec["function"])
	require.Equal(t, "t-42:m-1:transcript:v1", rec["message_id"])
	require.Contains(t, rec["error"], "hunter2", "the log, not the reply, has the cause")
	require.EqualValues(t, 1, rec["delivery_count"])
}

func TestQueuePoison(t *testing.T) {
	t.Parallel()
	decodeInto := func(ctx context.Context, m Message) error {
		var v struct{ TenantID string }
		return m.JSON(&v)
	}
	t.Run("C5: a body that is not JSON is parked and acknowledged without running the function", func(t *testing.T) {
		t.Parallel()
		parker := &testParker{}
		a, b := setupAdapter(t, Options{Parker: parker})
		rec := &messageRecorder{}
		srv := serve(t, a.Queue("ProcessTranscript", "msg", rec.fn(nil)))

		reply := requireHostReply(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C5_poison.json"), "inv-c5"))
		require.Len(t, reply.Logs, 1)
		require.Contains(t, reply.Logs[0], "poison message parked")
		require.Empty(t, rec.all())

		parked := parker.all()
		require.Len(t, parked, 1)
		p := parked[0]
		require.Equal(t, "ProcessTranscript", p.Function)
		require.Equal(t, "t-42:m-9:transcript:v1", p.MessageID)
		require.Equal(t, 1, p.DeliveryCount)
		require.Equal(t, `{"tenantId":"t-42","meetingId":`, string(p.Body))
		require.Equal(t, "inv-c5", p.InvocationID)
		require.Contains(t, p.Reason, "not a JSON object")
		require.Equal(t, testNow, p.At)

		log := b.logs.record(t, "poison message parked")
		require.Equal(t, "WARN", log["level"])
		require.Equal(t, "inv-c5", log["invocation_id"])
		require.Equal(t, "ProcessTranscript", log["function"])
		require.Equal(t, "t-42:m-9:transcript:v1", log["message_id"])
	})
	for name, body := range map[string]string{
		"JSON array":     doubleEncoded("[1,2]"),
		"text":           doubleEncoded("hello"),
		"empty":          doubleEncoded(""),
		"binary":         `"AAECAwQ="`,
		"array as is":    `[1,2]`,
		"truncated JSON": doubleEncoded(`{"tenantId":`),
	} {
		t.Run("body not a JSON object ("+name+"): parked", func(t *testing.T) {
			t.Parallel()
			parker := &testParker{}
			a, _ := setupAdapter(t, Options{Parker: parker})
			rec := &messageRecorder{}
			srv := serve(t, a.Queue("ProcessTranscript", "msg", rec.fn(nil)))
			requireHostReply(t, invoke(t, srv, "/ProcessTranscript", []byte(`{"Data":{"msg":`+body+`},"Metadata":{"MessageId":"\"id-3\""}}`), ""))
			require.Empty(t, rec.all())
			require.Len(t, parker.all(), 1)
			require.Equal(t, "id-3", parker.all()[0].MessageID, "%+v", parker.all()[0])
		})
	}
	t.Run("a body the function cannot decode is parked", func(t *testing.T) {
		t.Parallel()
		parker := &testParker{}
		a, _ := setupAdapter(t, Options{Parker: parker})
		wrongShape := func(_ context.Context, m Message) error {
			var v struct{ TenantID int } // the fixture's tenantId is a string
			return m.JSON(&v)
		}
		srv := serve(t, a.Queue("ProcessTranscript", "msg", wrongShape))
		requireHostReply(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_msg_object.json"), "inv-shape"))
		parked := parker.all()
		require.Len(t, parked, 1)
		require.Equal(t, "t-42:m-1:transcript:v1", parked[0].MessageID)
		require.Equal(t, `{"tenantId":"t-42"}`, string(parked[0].Body))
		require.Contains(t, parked[0].Reason, "decode message body")
	})
	t.Run("function returning Poison on a redelivery", func(t *testing.T) {
		t.Parallel()
		parker := &testParker{}
		a, _ := setupAdapter(t, Options{Parker: parker})
		fn := func(context.Context, Message) error {
			return fmt.Errorf("meeting m-1: %w", Poison(errors.New("tenant t-42 was deleted")))
		}
		srv := serve(t, a.Queue("ProcessTranscript", "msg", fn))
		requireHostReply(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C4_redelivery.json"), "inv-c4"))
		parked := parker.all()
		require.Len(t, parked, 1)
		require.Equal(t, "ProcessTranscript", parked[0].Function)
		require.Equal(t, "t-42:m-1:transcript:v1", parked[0].MessageID)
		require.Equal(t, 3, parked[0].DeliveryCount)
		require.Equal(t, wantBody, string(parked[0].Body))
		require.Contains(t, parked[0].Reason, "tenant t-42 was deleted")
	})
	t.Run("an envelope that is not JSON is parked whole", func(t *testing.T) {
		t.Parallel()
		parker := &testParker{}
		a, _ := setupAdapter(t, Options{Parker: parker})
		rec := &messageRecorder{}
		srv := serve(t, a.Queue("ProcessTranscript", "msg", rec.fn(nil)))
		requireHostReply(t, invoke(t, srv, "/ProcessTranscript", []byte("<xml/>"), "inv-x"))
		require.Empty(t, rec.all(), "the function never sees it")
		parked := parker.all()
		require.Len(t, parked, 1)
		require.Equal(t, "<xml/>", string(parked[0].Body))
		require.Equal(t, 1, parked[0].DeliveryCount)
	})
	t.Run("an envelope without the trigger is parked under its message id", func(t *testing.T) {
		t.Parallel()
		parker := &testParker{}
		a, _ := setupAdapter(t, Options{Parker: parker})
		rec := &messageRecorder{}
		srv := serve(t, a.Queue("ProcessTranscript", "msg", rec.fn(nil)))
		body := []byte(`{"Data":{},"Metadata":{"MessageId":"\"id-7\"","DeliveryCount":"2"}}`)
		requireHostReply(t, invoke(t, srv, "/ProcessTranscript", body, "inv-y"))
		require.Empty(t, rec.all())
		parked := parker.all()
		require.Len(t, parked, 1)
		require.Equal(t, "id-7", parked[0].MessageID)
		require.Equal(t, 2, parked[0].DeliveryCount)
		require.Equal(t, string(body), string(parked[0].Body), "nothing to investigate is lost")
	})
	t.Run("parking store failing: 500, so the message comes back", func(t *testing.T) {
		t.Parallel()
		a, b := setupAdapter(t, Options{Parker: &testParker{err: errors.New("insert failed_messages: conn closed")}})
		srv := serve(t, a.Queue("ProcessTranscript", "msg", decodeInto))
		f := requireFailure(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C5_poison.json"), "inv-pf"), http.StatusInternalServerError)
		require.Equal(t, "inv-pf", f.InvocationID)
		rec := b.logs.record(t, "park poison message")
		require.Equal(t, "ERROR", rec["level"])
		require.Equal(t, "inv-pf", rec["invocation_id"])
	})
	t.Run("no parking store: 503, so Service Bus dead-letters instead of dropping", func(t *testing.T) {
		t.Parallel()
		a, b := setupAdapter(t, Options{})
		srv := serve(t, a.Queue("ProcessTranscript", "msg", decodeInto))
		f := requireFailure(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C5_poison.json"), "inv-np"), http.StatusServiceUnavailable)
		require.Equal(t, "inv-np", f.InvocationID)
		require.Equal(t, "ERROR", b.logs.record(t, "poison message abandoned: no parking store")["level"])
	})
}

func TestQueueLater(t *testing.T) {
	t.Parallel()
	later := func(context.Context, Message) error {
		return fmt.Errorf("fetch transcript: %w", Later(5*time.Minute, errors.New("not ready")))
	}
	t.Run("with a requeuer: rescheduled and acknowledged", func(t *testing.T) {
		t.Parallel()
		rq := &testRequeuer{}
		a, _ := setupAdapter(t, Options{Requeuer: rq})
		srv := serve(t, a.Queue("ProcessTranscript", "msg", later))
		reply := requireHostReply(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C2_binary.json"), "inv-l"))
		require.Equal(t, []string{"rescheduled after 5m0s"}, reply.Logs)
		calls := rq.all()
		require.Len(t, calls, 1)
		require.Equal(t, "ProcessTranscript", calls[0].function)
		require.Equal(t, 5*time.Minute, calls[0].after)
		require.Equal(t, "t-42:m-1:transcript:v1", calls[0].message.MessageID)
		require.Equal(t, wantBody, string(calls[0].message.Body))
	})
	t.Run("without a requeuer: abandoned for redelivery", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{})
		srv := serve(t, a.Queue("ProcessTranscript", "msg", later))
		requireFailure(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C.json"), "inv-l"), http.StatusInternalServerError)
	})
	t.Run("requeuer failing: abandoned", func(t *testing.T) {
		t.Parallel()
		a, b := setupAdapter(t, Options{Requeuer: &testRequeuer{err: errors.New("schedule: throttled")}})
		srv := serve(t, a.Queue("ProcessTranscript", "msg", later))
		requireFailure(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C.json"), "inv-l"), http.StatusInternalServerError)
		require.Contains(t, b.logs.record(t, "invocation failed; message abandoned")["error"], "throttled")
	})
	t.Run("a 4xx cause is still a 5xx to the host", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{})
		srv := serve(t, a.Queue("ProcessTranscript", "msg", (&messageRecorder{}).fn(Later(time.Second, ErrNotFound))))
		requireFailure(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C.json"), ""), http.StatusInternalServerError)
	})
	t.Run("an unavailable dependency answers 503", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{})
		srv := serve(t, a.Queue("ProcessTranscript", "msg", (&messageRecorder{}).fn(Unavailable("graph is down"))))
		f := requireFailure(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C.json"), ""), http.StatusServiceUnavailable)
		require.Equal(t, "graph is down", f.Error)
	})
}

func TestEnvelopePanicIsA500AndTheServerKeepsServing(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	a, b := setupAdapter(t, Options{})
	mux := http.NewServeMux()
	mux.Handle("/ProcessTranscript", a.Queue("ProcessTranscript", "msg", func(context.Context, Message) error {
		if calls.Add(1) == 1 {
			panic("nil map write")
		}
		return nil
	}))
	mux.Handle("/NightlyCleanup", a.Timer("NightlyCleanup", "timer", func(context.Context, Tick) error {
		panic(errors.New("boom"))
	}))
	srv := serve(t, mux)

	f := requireFailure(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C.json"), "inv-p"), http.StatusInternalServerError)
	require.Equal(t, "inv-p", f.InvocationID)
	requireHostReply(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C4_redelivery.json"), "inv-p2"))
	requireFailure(t, invoke(t, srv, "/NightlyCleanup", fixture(t, "timer_D.json"), "inv-t"), http.StatusInternalServerError)
	requireHostReply(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C.json"), "inv-p3"))

	var panics int
	for _, r := range b.logs.records(t) {
		if r["msg"] == "panic in invocation" {
			panics++
			require.Contains(t, r["stack"], "adapter_test.go", "the stack points at the panicking function")
		}
	}
	require.Equal(t, 2, panics)
}

func TestEnvelopeDeadline(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	a, _ := setupAdapter(t, Options{Timeout: timeout})
	deadlines := make(chan time.Duration, 2)
	slow := func(ctx context.Context) error {
		d, ok := ctx.Deadline()
		if !ok {
			deadlines <- -1
			return errors.New("no deadline")
		}
		deadlines <- time.Until(d)
		select {
		case <-ctx.Done():
			return fmt.Errorf("transcribe: %w", ctx.Err())
		case <-time.After(time.Minute):
			return nil
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/ProcessTranscript", a.Queue("ProcessTranscript", "msg", func(ctx context.Context, _ Message) error { return slow(ctx) }))
	mux.Handle("/NightlyCleanup", a.Timer("NightlyCleanup", "timer", func(ctx context.Context, _ Tick) error { return slow(ctx) }))
	srv := serve(t, mux)

	start := time.Now()
	requireFailure(t, invoke(t, srv, "/ProcessTranscript", fixture(t, "sb_C.json"), ""), http.StatusServiceUnavailable)
	requireFailure(t, invoke(t, srv, "/NightlyCleanup", fixture(t, "timer_D.json"), ""), http.StatusInternalServerError)
	require.Less(t, time.Since(start), 10*time.Second, "cut by the adapter's deadline, not the function's minute")
	for range 2 {
		d := <-deadlines
		require.Greater(t, d, time.Duration(0))
		require.LessOrEqual(t, d, timeout)
	}

	// The default deadline sits below host.json's 10-minute functionTimeout.
	def := New(Options{})
	require.Equal(t, 9*time.Minute, def.timeout)
}

func TestEnvelopeTransportRules(t *testing.T) {
	t.Parallel()
	body := fixture(t, "sb_C.json")
	a, _ := setupAdapter(t, Options{MaxEnvelopeBytes: int64(len(body))})
	rec := &messageRecorder{}
	mux := http.NewServeMux()
	mux.Handle("/ProcessTranscript", a.Queue("ProcessTranscript", "msg", rec.fn(nil)))
	mux.Handle("/NightlyCleanup", a.Timer("NightlyCleanup", "timer", func(context.Context, Tick) error { return nil }))
	mux.Handle("/CreateMeeting", a.HTTPEnvelope("CreateMeeting", "req", "res", http.NotFoundHandler()))
	srv := serve(t, mux)

	t.Run("an envelope at the limit is accepted", func(t *testing.T) {
		requireHostReply(t, invoke(t, srv, "/ProcessTranscript", body, ""))
	})
	for _, path := range []string{"/ProcessTranscript", "/NightlyCleanup", "/CreateMeeting"} {
		t.Run("oversized "+path, func(t *testing.T) {
			big := append(append([]byte(nil), body...), bytes.Repeat([]byte(" "), 10)...)
			f := requireFailure(t, invoke(t, srv, path, big, "inv-big"), http.StatusRequestEntityTooLarge)
			require.Equal(t, "inv-big", f.InvocationID)
			require.Contains(t, f.Error, fmt.Sprint(len(body)))
		})
		t.Run("GET "+path, func(t *testing.T) {
			resp, err := srv.Client().Do(hostRequest(t, http.MethodGet, srv.URL+path, nil, "inv-get"))
			require.NoError(t, err)
			defer resp.Body.Close()
			requireFailure(t, resp, http.StatusMethodNotAllowed)
			require.Equal(t, http.MethodPost, resp.Header.Get("Allow"))
		})
	}
	require.Len(t, rec.all(), 1, "only the accepted envelope reached the function")
}

func TestTimerRunsEveryTimerFixture(t *testing.T) {
	t.Parallel()
	for _, name := range fixtureNames(t, "timer_") {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b := setupAdapter(t, Options{})
			var got []Tick
			var mu sync.Mutex
			srv := serve(t, a.Timer("NightlyCleanup", "timer", func(_ context.Context, tk Tick) error {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, tk)
				return nil
			}))
			reply := requireHostReply(t, invoke(t, srv, "/NightlyCleanup", fixture(t, name), ""))
			require.Empty(t, reply.Outputs)

			want, err := DecodeTick(decodeFixture(t, name), "timer")
			require.NoError(t, err)
			if want.At.IsZero() {
				want.At = testNow // no sys.UtcNow: the adapter's clock
			}
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, got, 1)
			require.Equal(t, want, got[0])
			require.Empty(t, b.logs.records(t))
		})
	}
}

func TestTimerFailures(t *testing.T) {
	t.Parallel()
	t.Run("function error: 500, logged with the invocation", func(t *testing.T) {
		t.Parallel()
		a, b := setupAdapter(t, Options{})
		srv := serve(t, a.Timer("NightlyCleanup", "timer", func(context.Context, Tick) error {
			return errors.New("purge: relation does not exist")
		}))
		f := requireFailure(t, invoke(t, srv, "/NightlyCleanup", fixture(t, "timer_D3_past_due.json"), "inv-t1"), http.StatusInternalServerError)
		require.Equal(t, "inv-t1", f.InvocationID)
		require.NotContains(t, f.Error, "relation")
		rec := b.logs.record(t, "timer invocation failed")
		require.Equal(t, "inv-t1", rec["invocation_id"])
		require.Equal(t, "NightlyCleanup", rec["function"])
		require.Equal(t, true, rec["past_due"])
	})
	for name, body := range map[string]string{
		"not JSON":            "garbage",
		"unreadable schedule": `{"Data":{"timer":{"IsPastDue":"perhaps"}}}`,
	} {
		t.Run(name+": non-2xx and the function does not run", func(t *testing.T) {
			t.Parallel()
			a, _ := setupAdapter(t, Options{})
			var ran atomic.Bool
			srv := serve(t, a.Timer("NightlyCleanup", "timer", func(context.Context, Tick) error { ran.Store(true); return nil }))
			requireFailure(t, invoke(t, srv, "/NightlyCleanup", []byte(body), ""), http.StatusBadRequest)
			require.False(t, ran.Load())
		})
	}
}

// meetingAPI is the public handler a default-mode HTTP invocation is replayed against. It
// records what it saw.
type meetingAPI struct {
	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	method, path, tenant, draft, contentType, invocation string
	body                                                 []byte
}

func (m *meetingAPI) handler(a *Adapter) http.Handler {
	record := func(r *http.Request) ([]byte, error) {
		body, err := io.ReadAll(r.Body)
		m.mu.Lock()
		defer m.mu.Unlock()
		m.seen = append(m.seen, seenRequest{
			method: r.Method, path: r.URL.Path, tenant: r.PathValue("tenantId"), draft: r.URL.Query().Get("draft"),
			contentType: r.Header.Get("Content-Type"), invocation: r.Header.Get(InvocationHeader), body: body,
		})
		return body, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /api/tenants/{tenantId}/meetings", a.HTTP("CreateMeeting", func(w http.ResponseWriter, r *http.Request) error {
		body, err := record(r)
		if err != nil {
			return err
		}
		if r.Header.Get("Content-Type") != "application/json" {
			return Status(http.StatusUnsupportedMediaType, "send application/json")
		}
		var in struct{ Title string }
		if err := json.Unmarshal(body, &in); err != nil || in.Title == "" {
			return Status(http.StatusBadRequest, "title is required")
		}
		WriteJSON(w, http.StatusCreated, map[string]string{"id": "m-1"})
		return nil
	}))
	mux.Handle("GET /api/tenants/{tenantId}/meetings", a.HTTP("ListMeetings", func(w http.ResponseWriter, r *http.Request) error {
		if _, err := record(r); err != nil {
			return err
		}
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		WriteJSON(w, http.StatusOK, []string{})
		return nil
	}))
	return mux
}

func (m *meetingAPI) all() []seenRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]seenRequest(nil), m.seen...)
}

// requireRes asserts Outputs.res has the shape the host's HTTP output binding needs (§1.7.4):
// a numeric statusCode, a headers map of strings and a string body.
func requireRes(t *testing.T, reply hostReply) HTTPOutput {
	t.Helper()
	require.Len(t, reply.Outputs, 1)
	raw, ok := reply.Outputs["res"]
	require.True(t, ok, "Outputs: %v", reply.Outputs)
	var shape map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &shape))
	require.ElementsMatch(t, []string{"statusCode", "headers", "body"}, keys(shape))
	var res HTTPOutput
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&res), "statusCode a number, headers strings, body a string: %s", raw)
	return res
}

func TestHTTPEnvelopeFixtures(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file        string
		status      int
		body        string
		method      string
		requestBody []byte
		contentType string
	}{
		{"http_A.json", 201, `{"id":"m-1"}`, "POST", []byte(`{"title":"Weekly sync"}`), "application/json"},
		{"http_A2_strings.json", 201, `{"id":"m-1"}`, "POST", []byte(`{"title":"Weekly sync"}`), "application/json"},
		{"http_A3_no_params_no_body.json", 200, `[]`, "GET", []byte{}, ""},
		{"http_A4_octet_base64.json", 415, `{"error":"send application/json","status":415}`, "POST", []byte{0, 1, 2, 3, 4}, "application/octet-stream"},
		{"http_A5_rejected.json", 400, `{"error":"title is required","status":400}`, "POST", []byte(`{"title":""}`), "application/json"},
		{"http_A6_unknown_keys.json", 201, `{"id":"m-1"}`, "POST", []byte(`{"title":"Weekly sync"}`), "application/json"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			a, _ := setupAdapter(t, Options{})
			api := &meetingAPI{}
			srv := serve(t, a.HTTPEnvelope("CreateMeeting", "req", "res", api.handler(a)))

			reply := requireHostReply(t, invoke(t, srv, "/CreateMeeting", fixture(t, tt.file), "inv-"+tt.file))
			res := requireRes(t, reply)
			require.Equal(t, tt.status, res.StatusCode, "a rejected request is a 200 reply carrying the caller's status")
			require.Equal(t, tt.body, res.Body)
			require.Equal(t, "application/json; charset=utf-8", res.Headers["Content-Type"])

			seen := api.all()
			require.Len(t, seen, 1)
			require.Equal(t, tt.method, seen[0].method)
			require.Equal(t, "/api/tenants/t-42/meetings", seen[0].path)
			require.Equal(t, "t-42", seen[0].tenant)
			require.Equal(t, "true", seen[0].draft)
			require.Equal(t, tt.contentType, seen[0].contentType)
			require.Equal(t, tt.requestBody, seen[0].body)
			require.Equal(t, "inv-"+tt.file, seen[0].invocation, "the public handler logs under the host's invocation id")
		})
	}
}

func TestHTTPEnvelopeOutputs(t *testing.T) {
	t.Parallel()
	t.Run("headers are single strings", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{})
		srv := serve(t, a.HTTPEnvelope("ListMeetings", "req", "res", (&meetingAPI{}).handler(a)))
		res := requireRes(t, requireHostReply(t, invoke(t, srv, "/ListMeetings", fixture(t, "http_A3_no_params_no_body.json"), "")))
		require.Equal(t, "a=1, b=2", res.Headers["Set-Cookie"])
	})
	t.Run("output named as in function.json", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{})
		srv := serve(t, a.HTTPEnvelope("CreateMeeting", "req", "response", http.NotFoundHandler()))
		reply := requireHostReply(t, invoke(t, srv, "/CreateMeeting", fixture(t, "http_A.json"), ""))
		require.Contains(t, reply.Outputs, "response")
	})
	t.Run("no Content-Type from the handler: sniffed", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{})
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") })
		srv := serve(t, a.HTTPEnvelope("CreateMeeting", "req", "res", h))
		res := requireRes(t, requireHostReply(t, invoke(t, srv, "/CreateMeeting", fixture(t, "http_A.json"), "")))
		require.Equal(t, 200, res.StatusCode)
		require.Equal(t, "hello", res.Body)
		require.Equal(t, "text/plain; charset=utf-8", res.Headers["Content-Type"])
	})
	t.Run("an envelope that is not a request: 200 carrying 400", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{})
		var called atomic.Bool
		h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called.Store(true) })
		srv := serve(t, a.HTTPEnvelope("CreateMeeting", "req", "res", h))
		for _, body := range []string{"not json", `{"Data":{"req":"nope"}}`, `{"Data":{}}`} {
			res := requireRes(t, requireHostReply(t, invoke(t, srv, "/CreateMeeting", []byte(body), "")))
			require.Equal(t, http.StatusBadRequest, res.StatusCode, body)
			require.True(t, json.Valid([]byte(res.Body)), res.Body)
		}
		require.False(t, called.Load())
	})
	t.Run("panic: 200 carrying 500 with the invocation id, server keeps serving", func(t *testing.T) {
		t.Parallel()
		a, b := setupAdapter(t, Options{})
		var n atomic.Int32
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if n.Add(1) == 1 {
				_, _ = io.WriteString(w, "partial")
				panic("index out of range")
			}
			w.WriteHeader(http.StatusNoContent)
		})
		srv := serve(t, a.HTTPEnvelope("CreateMeeting", "req", "res", h))
		res := requireRes(t, requireHostReply(t, invoke(t, srv, "/CreateMeeting", fixture(t, "http_A.json"), "inv-hp")))
		require.Equal(t, http.StatusInternalServerError, res.StatusCode)
		require.NotContains(t, res.Body, "partial")
		require.NotContains(t, res.Body, "index out of range")
		var eb ErrorBody
		require.NoError(t, json.Unmarshal([]byte(res.Body), &eb))
		require.Equal(t, "inv-hp", eb.InvocationID)
		rec := b.logs.record(t, "panic in handler")
		require.Equal(t, "inv-hp", rec["invocation_id"])
		require.Equal(t, "CreateMeeting", rec["function"])

		res = requireRes(t, requireHostReply(t, invoke(t, srv, "/CreateMeeting", fixture(t, "http_A.json"), "")))
		require.Equal(t, http.StatusNoContent, res.StatusCode)
	})
	t.Run("the handler runs under the invocation deadline", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{Timeout: time.Minute})
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, ok := r.Context().Deadline()
			if !ok || time.Until(d) > time.Minute {
				w.WriteHeader(http.StatusTeapot)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
		srv := serve(t, a.HTTPEnvelope("CreateMeeting", "req", "res", h))
		res := requireRes(t, requireHostReply(t, invoke(t, srv, "/CreateMeeting", fixture(t, "http_A.json"), "")))
		require.Equal(t, http.StatusNoContent, res.StatusCode)
	})
}

// publicRequest sends a request to a public route the way a forwarded call arrives.
func publicRequest(t *testing.T, srv *httptest.Server, method, path string, body io.Reader, contentLength int64, invocation string) (*http.Response, ErrorBody) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, srv.URL+path, body)
	require.NoError(t, err)
	if contentLength != 0 {
		req.ContentLength = contentLength
	}
	if invocation != "" {
		req.Header.Set(InvocationHeader, invocation)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var eb ErrorBody
	if resp.StatusCode >= 400 {
		require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"))
		require.NoError(t, json.Unmarshal(raw, &eb), string(raw))
		require.Equal(t, resp.StatusCode, eb.Status)
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return resp, eb
}

func TestHTTPMapsErrorsToStatuses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name           string
		err            error
		status         int
		message        string
		withInvocation bool
	}{
		{"not found", fmt.Errorf("meeting m-1: %w", ErrNotFound), 404, "not found", false},
		{"conflict", ErrConflict, 409, "conflict", false},
		{"one-off client error", Status(422, "title is too long"), 422, "title is too long", false},
		{"unavailable says why", Unavailable("transcription is off: set SPEECH_KEY"), 503, "transcription is off: set SPEECH_KEY", true},
		{"plain error: 500 without its text", errors.New("query meetings: password=hunter2 refused"), 500, "Internal Server Error", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := setupAdapter(t, Options{})
			srv := serve(t, a.HTTP("GetMeeting", func(http.ResponseWriter, *http.Request) error { return tt.err }))
			resp, eb := publicRequest(t, srv, "GET", "/api/meetings/m-1", nil, 0, "inv-"+tt.name)
			require.Equal(t, tt.status, resp.StatusCode)
			require.Equal(t, tt.message, eb.Error)
			raw, _ := io.ReadAll(resp.Body)
			require.NotContains(t, string(raw), "hunter2")
			if tt.withInvocation {
				require.Equal(t, "inv-"+tt.name, eb.InvocationID)
			} else {
				require.Empty(t, eb.InvocationID)
			}
			if tt.status >= 500 {
				rec := b.logs.record(t, "request failed")
				require.Equal(t, "ERROR", rec["level"])
				require.Equal(t, "inv-"+tt.name, rec["invocation_id"], "the id in the answer finds the log line")
				require.Equal(t, "GetMeeting", rec["function"])
				require.Contains(t, rec["error"], tt.err.Error())
				require.Equal(t, "/api/meetings/m-1", rec["path"])
			} else {
				rec := b.logs.record(t, "request rejected")
				require.Equal(t, "DEBUG", rec["level"], "client errors are not errors of ours")
				require.Equal(t, "inv-"+tt.name, rec["invocation_id"])
			}
		})
	}
}

func TestHTTPWrapper(t *testing.T) {
	t.Parallel()
	readAll := func(w http.ResponseWriter, r *http.Request) error {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		WriteJSON(w, http.StatusOK, map[string]int{"bytes": len(body)})
		return nil
	}
	t.Run("body within the limit", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{MaxRequestBytes: 16})
		srv := serve(t, a.HTTP("Upload", readAll))
		resp, _ := publicRequest(t, srv, "POST", "/api/upload", strings.NewReader(strings.Repeat("x", 16)), 0, "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
	})
	t.Run("Content-Length over the limit: 413 before the handler runs", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{MaxRequestBytes: 16})
		var ran atomic.Bool
		srv := serve(t, a.HTTP("Upload", func(w http.ResponseWriter, r *http.Request) error { ran.Store(true); return readAll(w, r) }))
		resp, eb := publicRequest(t, srv, "POST", "/api/upload", strings.NewReader(strings.Repeat("x", 17)), 0, "")
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		require.Equal(t, "request body too large", eb.Error)
		require.False(t, ran.Load())
	})
	t.Run("chunked body over the limit: 413", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{MaxRequestBytes: 16})
		var chunked atomic.Bool
		srv := serve(t, a.HTTP("Upload", func(w http.ResponseWriter, r *http.Request) error {
			chunked.Store(r.ContentLength == -1 && len(r.TransferEncoding) == 1 && r.TransferEncoding[0] == "chunked")
			return readAll(w, r)
		}))
		resp, eb := publicRequest(t, srv, "POST", "/api/upload", io.MultiReader(strings.NewReader(strings.Repeat("x", 4096))), -1, "")
		require.True(t, chunked.Load(), "the request really was chunked")
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		require.Equal(t, "request body exceeds 16 bytes", eb.Error)
	})
	t.Run("a route's own limit", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{MaxRequestBytes: 16})
		srv := serve(t, a.HTTP("Upload", readAll, MaxBody(64)))
		resp, _ := publicRequest(t, srv, "POST", "/api/upload", strings.NewReader(strings.Repeat("x", 64)), 0, "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		resp, _ = publicRequest(t, srv, "POST", "/api/upload", strings.NewReader(strings.Repeat("x", 65)), 0, "")
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	})
	t.Run("panic: 500 with the invocation id, server keeps serving", func(t *testing.T) {
		t.Parallel()
		a, b := setupAdapter(t, Options{})
		var n atomic.Int32
		srv := serve(t, a.HTTP("GetMeeting", func(w http.ResponseWriter, _ *http.Request) error {
			if n.Add(1) == 1 {
				var m map[string]int
				m["x"]++ // nil map write
			}
			WriteJSON(w, http.StatusOK, map[string]string{"id": "m-1"})
			return nil
		}))
		resp, eb := publicRequest(t, srv, "GET", "/api/meetings/m-1", nil, 0, "inv-panic")
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		require.Equal(t, "inv-panic", eb.InvocationID)
		require.Equal(t, "Internal Server Error", eb.Error)
		rec := b.logs.record(t, "panic in handler")
		require.Equal(t, "inv-panic", rec["invocation_id"])
		require.Equal(t, "GetMeeting", rec["function"])

		resp, _ = publicRequest(t, srv, "GET", "/api/meetings/m-1", nil, 0, "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
	})
	t.Run("an answer already started is left alone", func(t *testing.T) {
		t.Parallel()
		a, b := setupAdapter(t, Options{})
		srv := serve(t, a.HTTP("Export", func(w http.ResponseWriter, _ *http.Request) error {
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, "first rows")
			return errors.New("stream broke")
		}))
		resp, _ := publicRequest(t, srv, "GET", "/api/export", nil, 0, "inv-s")
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		raw, _ := io.ReadAll(resp.Body)
		require.Equal(t, "first rows", string(raw))
		require.Equal(t, "inv-s", b.logs.record(t, "request failed")["invocation_id"])
	})
	t.Run("without the host's header an id is made up and returned", func(t *testing.T) {
		t.Parallel()
		a, b := setupAdapter(t, Options{})
		srv := serve(t, a.HTTP("GetMeeting", func(http.ResponseWriter, *http.Request) error { return errors.New("x") }))
		resp, eb := publicRequest(t, srv, "GET", "/api/meetings/m-1", nil, 0, "")
		require.Len(t, eb.InvocationID, 32)
		require.Equal(t, eb.InvocationID, resp.Header.Get("X-Invocation-Id"))
		require.Equal(t, eb.InvocationID, b.logs.record(t, "request failed")["invocation_id"])
	})
	t.Run("an oversized invocation header is not trusted", func(t *testing.T) {
		t.Parallel()
		a, _ := setupAdapter(t, Options{})
		srv := serve(t, a.HTTP("GetMeeting", func(http.ResponseWriter, *http.Request) error { return errors.New("x") }))
		_, eb := publicRequest(t, srv, "GET", "/api/meetings/m-1", nil, 0, strings.Repeat("a", 65))
		require.Len(t, eb.InvocationID, 32)
	})
	t.Run("log records made by the handler carry the request attributes", func(t *testing.T) {
		t.Parallel()
		a, b := setupAdapter(t, Options{})
		log := newLogger(b.logs)
		srv := serve(t, a.HTTP("GetMeeting", func(w http.ResponseWriter, r *http.Request) error {
			log.InfoContext(r.Context(), "looked up meeting")
			w.WriteHeader(http.StatusNoContent)
			return nil
		}))
		publicRequest(t, srv, "GET", "/api/meetings/m-1", nil, 0, "inv-ctx")
		rec := b.logs.record(t, "looked up meeting")
		require.Equal(t, "inv-ctx", rec["invocation_id"])
		require.Equal(t, "GetMeeting", rec["function"])
	})
}

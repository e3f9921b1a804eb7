package funchost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/meetingminutes/minutes/shared/logging"
)

// MessageFunc handles one queue message. Returning nil acknowledges it; Poison(err) parks it;
// Later(d, err) retries it after d; any other error abandons it for redelivery.
type MessageFunc func(ctx context.Context, m Message) error

// TickFunc handles one timer occurrence.
type TickFunc func(ctx context.Context, t Tick) error

// HandlerFunc is an HTTP handler that returns its error instead of writing it, so the status
// mapping and logging happen in one place (Adapter.HTTP).
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Parked is a message set aside because it can never succeed.
type Parked struct {
	Function      string
	MessageID     string
	DeliveryCount int
	InvocationID  string
	Reason        string
	Body          []byte
	At            time.Time
}

// Parker stores poison messages durably (the failed_messages table), so nothing is lost
// silently when one is acknowledged.
type Parker interface {
	Park(ctx context.Context, p Parked) error
}

// Requeuer sends a message again with a scheduled delay (Service Bus scheduled enqueue, or a
// River job scheduled in the future).
type Requeuer interface {
	Requeue(ctx context.Context, function string, m Message, after time.Duration) error
}

// Options configure an Adapter; every field has a usable zero value.
type Options struct {
	// Logger receives one record per failed invocation; default discards.
	Logger *slog.Logger
	// Timeout bounds one envelope invocation, kept below host.json's functionTimeout (10 min)
	// because a host-side timeout restarts the whole process. Default 9 minutes.
	Timeout time.Duration
	// MaxEnvelopeBytes bounds an envelope body. Default 4 MiB (our messages are references,
	// Service Bus Standard caps bodies at 256 KB, base64 adds a third).
	MaxEnvelopeBytes int64
	// MaxRequestBytes bounds a public request body unless a route says otherwise. Default 1 MiB.
	MaxRequestBytes int64
	// Parker stores poison messages. Without one, poison is abandoned (5xx), so Service Bus
	// dead-letters it after maxDeliveryCount instead of it being dropped.
	Parker Parker
	// Requeuer re-sends messages that asked for Later. Without one they are abandoned.
	Requeuer Requeuer
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Adapter turns Go functions into handlers for the host's invocations and public requests.
type Adapter struct {
	log      *slog.Logger
	timeout  time.Duration
	maxEnv   int64
	maxReq   int64
	parker   Parker
	requeuer Requeuer
	now      func() time.Time
}

// New returns an Adapter with opts' defaults filled in.
func New(opts Options) *Adapter {
	a := &Adapter{
		log: opts.Logger, timeout: opts.Timeout, maxEnv: opts.MaxEnvelopeBytes,
		maxReq: opts.MaxRequestBytes, parker: opts.Parker, requeuer: opts.Requeuer, now: opts.Now,
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.timeout <= 0 {
		a.timeout = 9 * time.Minute
	}
	if a.maxEnv <= 0 {
		a.maxEnv = 4 << 20
	}
	if a.maxReq <= 0 {
		a.maxReq = 1 << 20
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// InvocationHeader carries the host's invocation id on every request it sends.
const InvocationHeader = "X-Azure-Functions-InvocationId"

// InvocationID returns the host's invocation id for r, or a fresh random one when r did not
// come through the host (standalone mode).
func InvocationID(r *http.Request) string {
	if id := r.Header.Get(InvocationHeader); id != "" && len(id) <= 64 {
		return id
	}
	return NewInvocationID()
}

// Reply is the default-mode response body the host parses.
type Reply struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, status = []byte(`{"error":"encode reply"}`), http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// emptyReply is the success reply of almost every invocation, encoded once.
const emptyReply = `{"Outputs":{},"Logs":[],"ReturnValue":null}`

func writeReply(w http.ResponseWriter, logs ...string) {
	if len(logs) == 0 {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(emptyReply)))
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, emptyReply)
		return
	}
	writeJSON(w, http.StatusOK, Reply{Outputs: map[string]any{}, Logs: logs})
}

// failure is the body of a non-2xx envelope reply: the host discards it, but a person reading
// a capture sees why, and the invocation id to find the log line.
type failure struct {
	Error        string `json:"error"`
	InvocationID string `json:"invocation_id"`
}

// envelope reads and decodes an envelope body, answering the host itself when it cannot.
// It returns ok=false when a reply has been written.
// envelope reads the body (and decodes it as an envelope when decode is set).
func (a *Adapter) envelope(w http.ResponseWriter, r *http.Request, function string, decode bool) (ctx context.Context, env *Envelope, body []byte, ok bool) {
	invocation := InvocationID(r)
	ctx = logging.With(r.Context(), slog.String(logging.KeyInvocationID, invocation), slog.String(logging.KeyFunction, function))
	w.Header().Set("X-Invocation-Id", invocation)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, failure{"envelope paths take POST", invocation})
		return ctx, nil, nil, false
	}
	body, err := readAll(http.MaxBytesReader(w, r.Body, a.maxEnv), r.ContentLength, a.maxEnv)
	if err != nil {
		a.log.ErrorContext(ctx, "envelope body rejected", "error", err)
		writeJSON(w, StatusOf(err), failure{PublicMessage(err), invocation})
		return ctx, nil, nil, false
	}
	if decode {
		if env, err = DecodeEnvelope(body); err != nil {
			return ctx, nil, body, true
		}
	}
	return ctx, env, body, true
}

// Queue returns the handler for POST /{function} carrying a Service Bus trigger named binding.
func (a *Adapter) Queue(function, binding string, fn MessageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, env, body, ok := a.envelope(w, r, function, true)
		if !ok {
			return
		}
		invocation := w.Header().Get("X-Invocation-Id")
		var m Message
		var err error
		if env == nil {
			err = Poison(fmt.Errorf("%w: not a JSON envelope", ErrMalformedEnvelope))
			m = Message{Body: body, DeliveryCount: 1}
		} else if m, err = DecodeMessage(env, binding); err != nil {
			err = Poison(err)
			if m.Body == nil {
				// No message body to keep: park the whole envelope, so nothing is lost.
				m.Body = body
			}
		}
		if err == nil && !isJSONObject(m.Body) {
			// Every message our functions exchange is a JSON object; anything else can never
			// succeed, whichever function it was sent to.
			err = Poison(errors.New("message body is not a JSON object"))
		}
		ctx = logging.With(ctx, slog.String(logging.KeyMessageID, m.MessageID))
		if err == nil {
			err = a.call(ctx, func(ctx context.Context) error { return fn(ctx, m) })
		}
		a.settle(ctx, w, function, invocation, m, err)
	})
}

// settle turns a queue function's outcome into the reply that completes, parks, delays or
// abandons the message.
func (a *Adapter) settle(ctx context.Context, w http.ResponseWriter, function, invocation string, m Message, err error) {
	switch {
	case err == nil:
		writeReply(w)
	case IsPoison(err):
		if a.parker == nil {
			a.log.ErrorContext(ctx, "poison message abandoned: no parking store", "error", err, "delivery_count", m.DeliveryCount)
			writeJSON(w, http.StatusServiceUnavailable, failure{"poison message and no parking store", invocation})
			return
		}
		p := Parked{Function: function, MessageID: m.MessageID, DeliveryCount: m.DeliveryCount,
			InvocationID: invocation, Reason: err.Error(), Body: m.Body, At: a.now().UTC()}
		if perr := a.parker.Park(ctx, p); perr != nil {
			a.log.ErrorContext(ctx, "park poison message", "error", perr, "reason", err)
			writeJSON(w, http.StatusInternalServerError, failure{"could not park poison message", invocation})
			return
		}
		a.log.WarnContext(ctx, "poison message parked", "reason", err, "delivery_count", m.DeliveryCount)
		writeReply(w, "poison message parked: "+truncate(err.Error(), 200))
	default:
		if after, ok := RetryAfter(err); ok && a.requeuer != nil {
			if rerr := a.requeuer.Requeue(ctx, function, m, after); rerr == nil {
				a.log.InfoContext(ctx, "message rescheduled", "after", after.String(), "reason", err)
				writeReply(w, "rescheduled after "+after.String())
				return
			} else {
				err = errors.Join(err, rerr)
			}
		}
		status := StatusOf(err)
		if status < 500 {
			status = http.StatusInternalServerError
		}
		a.log.ErrorContext(ctx, "invocation failed; message abandoned", "error", err, "delivery_count", m.DeliveryCount)
		writeJSON(w, status, failure{PublicMessage(err), invocation})
	}
}

// Timer returns the handler for POST /{function} carrying a timer trigger named binding.
func (a *Adapter) Timer(function, binding string, fn TickFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, _, body, ok := a.envelope(w, r, function, false)
		if !ok {
			return
		}
		invocation := w.Header().Get("X-Invocation-Id")
		tick, fast := fastTick(body, binding)
		var err error
		if !fast {
			env, derr := DecodeEnvelope(body)
			if derr != nil {
				a.log.ErrorContext(ctx, "timer envelope is not JSON")
				writeJSON(w, http.StatusBadRequest, failure{"malformed invocation envelope", invocation})
				return
			}
			tick, err = DecodeTick(env, binding)
		}
		if err != nil {
			a.log.ErrorContext(ctx, "timer envelope rejected", "error", err)
			writeJSON(w, http.StatusBadRequest, failure{err.Error(), invocation})
			return
		}
		if tick.At.IsZero() {
			tick.At = a.now().UTC()
		}
		if err := a.call(ctx, func(ctx context.Context) error { return fn(ctx, tick) }); err != nil {
			a.log.ErrorContext(ctx, "timer invocation failed", "error", err, "past_due", tick.IsPastDue)
			writeJSON(w, http.StatusInternalServerError, failure{PublicMessage(err), invocation})
			return
		}
		writeReply(w)
	})
}

// HTTPEnvelope serves a default-mode (non-forwarded) HTTP invocation with the same handler
// that serves forwarded requests, answering 200 with Outputs[output] as the caller's response.
func (a *Adapter) HTTPEnvelope(function, binding, output string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, env, _, ok := a.envelope(w, r, function, true)
		if !ok {
			return
		}
		res := HTTPOutput{StatusCode: http.StatusBadRequest, Headers: map[string]string{"Content-Type": "application/json"}}
		var req *http.Request
		var err error
		if env == nil {
			err = fmt.Errorf("%w: not a JSON envelope", ErrMalformedEnvelope)
		} else {
			var hr HTTPRequest
			if hr, err = DecodeHTTPRequest(env, binding); err == nil {
				req, err = hr.Request(ctx)
			}
		}
		if err != nil {
			a.log.WarnContext(ctx, "http envelope rejected", "error", err)
			b, _ := json.Marshal(map[string]string{"error": err.Error()})
			res.Body = string(b)
		} else {
			invocation := w.Header().Get("X-Invocation-Id")
			req.Header.Set(InvocationHeader, invocation)
			res = a.serveRecorded(h, req, invocation)
		}
		writeJSON(w, http.StatusOK, Reply{Outputs: map[string]any{output: res}, Logs: []string{}})
	})
}

// serveRecorded runs a default-mode HTTP invocation under the invocation deadline. A panic
// becomes a 500 for the caller inside a 200 reply: letting it reach net/http would reset the
// host's connection, which fails the invocation and counts as a crashed handler.
func (a *Adapter) serveRecorded(h http.Handler, req *http.Request, invocation string) (res HTTPOutput) {
	ctx, cancel := context.WithTimeout(req.Context(), a.timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			a.log.ErrorContext(ctx, "panic in handler", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			b, _ := json.Marshal(ErrorBody{Error: http.StatusText(http.StatusInternalServerError),
				Status: http.StatusInternalServerError, InvocationID: invocation})
			res = HTTPOutput{StatusCode: http.StatusInternalServerError,
				Headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}, Body: string(b)}
		}
	}()
	return recordOutput(h, req.WithContext(ctx))
}

// call runs fn under the invocation deadline, turning a panic into an error so one bad
// message cannot take the process (and every in-flight invocation) down.
func (a *Adapter) call(ctx context.Context, fn func(context.Context) error) (err error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			a.log.ErrorContext(ctx, "panic in invocation", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn(ctx)
}

// RouteOption adjusts one public route.
type RouteOption func(*route)

type route struct{ maxBody int64 }

// MaxBody sets the largest request body the route accepts, in bytes.
func MaxBody(n int64) RouteOption { return func(r *route) { r.maxBody = n } }

// HTTP wraps a public handler: request attributes on the context for logging, the body limit,
// panic recovery, and the one mapping of errors to statuses. 5xx answers carry the invocation
// id, never the error text.
func (a *Adapter) HTTP(function string, fn HandlerFunc, opts ...RouteOption) http.Handler {
	rt := route{maxBody: a.maxReq}
	for _, o := range opts {
		o(&rt)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		invocation := InvocationID(r)
		ctx := logging.With(r.Context(), slog.String(logging.KeyInvocationID, invocation), slog.String(logging.KeyFunction, function))
		r = r.WithContext(ctx)
		if r.ContentLength > rt.maxBody {
			writeError(w, invocation, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, r.ContentLength, rt.maxBody))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, rt.maxBody)
		tw := &trackingWriter{ResponseWriter: w}
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					a.log.ErrorContext(ctx, "panic in handler", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			return fn(tw, r)
		}()
		if err == nil {
			return
		}
		status := StatusOf(err)
		if status >= 500 {
			a.log.ErrorContext(ctx, "request failed", "error", err, "status", status, "method", r.Method, "path", r.URL.Path)
		} else {
			a.log.DebugContext(ctx, "request rejected", "error", err, "status", status)
		}
		if tw.wrote {
			return // the handler already started its answer; nothing sensible can follow
		}
		writeError(w, invocation, err)
	})
}

// ErrorBody is the JSON body of every error answer from a public route.
type ErrorBody struct {
	Error        string `json:"error"`
	Status       int    `json:"status"`
	InvocationID string `json:"invocation_id,omitempty"`
}

func writeError(w http.ResponseWriter, invocation string, err error) {
	status := StatusOf(err)
	body := ErrorBody{Error: PublicMessage(err), Status: status}
	if status >= 500 {
		body.InvocationID = invocation
	}
	w.Header().Set("X-Invocation-Id", invocation)
	writeJSON(w, status, body)
}

// WriteJSON writes v as a JSON answer with status; for handlers built on HandlerFunc.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) { t.wrote = true; t.ResponseWriter.WriteHeader(code) }
func (t *trackingWriter) Write(p []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(p)
}
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

func isJSONObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// readAll reads r whole, sizing the buffer from Content-Length when the host sent one, so an
// envelope is read without the repeated growth of io.ReadAll.
func readAll(r io.Reader, contentLength, limit int64) ([]byte, error) {
	if contentLength <= 0 || contentLength > limit {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, contentLength+1))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

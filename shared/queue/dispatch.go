package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/logging"
)

const (
	// parkTimeout bounds parking a message. Parking gets a context of its own: the job's may
	// be the reason the function failed (its deadline passed).
	parkTimeout = 30 * time.Second
	// parkRetryDelay is how long a message that must be parked, but could not be, is snoozed
	// on its last attempt before it is tried (and parked) again.
	parkRetryDelay = time.Minute
)

// dispatcher turns River jobs into calls of queue functions and their results into River
// outcomes, with the semantics the Functions host gives Service Bus messages.
type dispatcher struct {
	funcs  map[Name]funchost.MessageFunc
	parker funchost.Parker
	log    *slog.Logger
	// parkRetry is how long a job is snoozed when it must be parked on its last attempt
	// and parking failed.
	parkRetry time.Duration
}

// work runs one job of queue q carrying message id.
func (d *dispatcher) work(ctx context.Context, q Name, job *rivertype.JobRow, id string, body json.RawMessage, props map[string]string) error {
	function := q.Function()
	invocation := funchost.NewInvocationID()
	attrs := []slog.Attr{
		slog.String(logging.KeyJobKind, job.Kind),
		slog.String(logging.KeyJobID, strconv.FormatInt(job.ID, 10)),
		slog.String(logging.KeyFunction, function),
		slog.String(logging.KeyMessageID, id),
		slog.String(logging.KeyInvocationID, invocation),
	}
	if t := props[PropertyTenantID]; t != "" {
		attrs = append(attrs, slog.String(logging.KeyTenantID, t))
	}
	ctx = logging.With(ctx, attrs...)
	m := funchost.Message{
		Body:           body,
		MessageID:      id,
		DeliveryCount:  job.Attempt,
		SequenceNumber: job.ID,
		EnqueuedAt:     job.CreatedAt,
		ContentType:    "application/json",
		Properties:     anyProperties(props),
	}
	var err error
	if !isJSONObject(body) {
		// Every message our functions exchange is a JSON object; anything else can never
		// succeed (the same rule as funchost's queue adapter).
		err = funchost.Poison(errors.New("message body is not a JSON object"))
	} else {
		err = call(ctx, d.log, func(ctx context.Context) error { return d.funcs[q](ctx, m) })
	}
	return d.settle(ctx, job, function, invocation, m, err)
}

// settle maps the function's result to the job's outcome (see Workers).
func (d *dispatcher) settle(ctx context.Context, job *rivertype.JobRow, function, invocation string, m funchost.Message, err error) error {
	switch {
	case err == nil:
		return nil
	case funchost.IsPoison(err):
		return d.park(ctx, job, function, invocation, m, err)
	case errors.Is(ctx.Err(), context.Canceled):
		// The client is shutting down (or the job was cancelled): River puts the job back
		// without counting the attempt, so this is not a failure to give up on.
		d.log.InfoContext(ctx, "invocation interrupted by shutdown", "error", err, "delivery_count", m.DeliveryCount)
		return err
	}
	if after, ok := funchost.RetryAfter(err); ok {
		after = max(after, 0)
		d.log.InfoContext(ctx, "message snoozed", "after", after.String(), "reason", err, "delivery_count", m.DeliveryCount)
		return river.JobSnooze(after)
	}
	if job.Attempt >= job.MaxAttempts {
		gaveUp := fmt.Errorf("gave up after %d deliveries: %w", job.Attempt, err)
		return d.park(ctx, job, function, invocation, m, gaveUp)
	}
	d.log.WarnContext(ctx, "invocation failed; message will be retried", "error", err,
		"delivery_count", m.DeliveryCount, "max_deliveries", job.MaxAttempts)
	return err
}

// park stores m in the parking lot because of cause, then lets the job complete (poison) or
// be discarded (attempts exhausted). When parking fails the job must not end: it is retried,
// or, on its last attempt, snoozed so that River cannot discard it unparked.
func (d *dispatcher) park(ctx context.Context, job *rivertype.JobRow, function, invocation string, m funchost.Message, cause error) error {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), parkTimeout)
	defer cancel()
	p := funchost.Parked{Function: function, MessageID: m.MessageID, DeliveryCount: m.DeliveryCount,
		InvocationID: invocation, Reason: cause.Error(), Body: m.Body, At: time.Now().UTC()}
	if perr := d.parker.Park(pctx, p); perr != nil {
		d.log.ErrorContext(ctx, "park message", "error", perr, "reason", cause, "delivery_count", m.DeliveryCount)
		if job.Attempt >= job.MaxAttempts {
			return river.JobSnooze(d.parkRetry)
		}
		return fmt.Errorf("park message %q: %w", m.MessageID, errors.Join(perr, cause))
	}
	if funchost.IsPoison(cause) {
		d.log.WarnContext(ctx, "poison message parked", "reason", cause, "delivery_count", m.DeliveryCount)
		return nil
	}
	d.log.ErrorContext(ctx, "message discarded after its last delivery and parked", "error", cause, "delivery_count", m.DeliveryCount)
	return cause // the attempt was the last: River discards the job
}

// call runs fn, turning a panic into an error so that it is settled like any failure.
func call(ctx context.Context, log *slog.Logger, fn func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.ErrorContext(ctx, "panic in invocation", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn(ctx)
}

// anyProperties converts River job properties to funchost.Message.Properties.
func anyProperties(props map[string]string) map[string]any {
	if len(props) == 0 {
		return nil
	}
	out := make(map[string]any, len(props))
	for k, v := range props {
		out[k] = v
	}
	return out
}

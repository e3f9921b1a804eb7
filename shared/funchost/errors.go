package funchost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// StatusCoder is implemented by errors that know the HTTP status they mean. Packages define
// their sentinels with it (see Status), and StatusOf finds it through any wrapping.
type StatusCoder interface {
	error
	StatusCode() int
}

// statusError is an error with a status and a message that is safe to show the caller.
type statusError struct {
	status int
	msg    string
	cause  error
}

func (e *statusError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}
func (e *statusError) StatusCode() int { return e.status }
func (e *statusError) Unwrap() error   { return e.cause }

// Status returns an error carrying an HTTP status and a message that may be shown to the
// caller. Use it for sentinels (var ErrNotFound = funchost.Status(404, "not found")) and for
// one-off client errors.
func Status(status int, msg string) error { return &statusError{status: status, msg: msg} }

// Sentinels for conditions callers branch on; wrap them with fmt.Errorf("...: %w", ErrX).
var (
	ErrBadRequest   = Status(http.StatusBadRequest, "bad request")
	ErrUnauthorized = Status(http.StatusUnauthorized, "unauthorized")
	ErrForbidden    = Status(http.StatusForbidden, "forbidden")
	ErrNotFound     = Status(http.StatusNotFound, "not found")
	ErrConflict     = Status(http.StatusConflict, "conflict")
	ErrTooLarge     = Status(http.StatusRequestEntityTooLarge, "request body too large")
)

// Unavailable reports a feature that is switched off (its configuration is absent) or a
// dependency that is down: 503 with the reason, which names what to configure.
func Unavailable(reason string) error {
	return &statusError{status: http.StatusServiceUnavailable, msg: reason}
}

// StatusOf maps an error to the HTTP status the caller gets: the status of the first
// StatusCoder in the chain, an oversized body to 413, an expired deadline to 503, everything
// else 500.
func StatusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var sc StatusCoder
	if errors.As(err, &sc) {
		return sc.StatusCode()
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// PublicMessage is what the caller may see of err: the StatusCoder's message for 4xx and 503,
// never the internal chain of a 500.
func PublicMessage(err error) string {
	var sc StatusCoder
	if errors.As(err, &sc) {
		if se, ok := sc.(*statusError); ok {
			return se.msg
		}
		return http.StatusText(sc.StatusCode())
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Sprintf("request body exceeds %d bytes", mbe.Limit)
	}
	return http.StatusText(StatusOf(err))
}

// poisonError marks a message that can never succeed: it is parked and acknowledged.
type poisonError struct{ err error }

func (e *poisonError) Error() string { return "poison message: " + e.err.Error() }
func (e *poisonError) Unwrap() error { return e.err }

// Poison marks err as permanent for the message being processed: redelivering it cannot
// help, so the adapter parks the message (failed_messages) and acknowledges it.
func Poison(err error) error {
	if err == nil {
		return nil
	}
	return &poisonError{err: err}
}

// IsPoison reports whether err (or anything it wraps) was marked with Poison.
func IsPoison(err error) bool {
	var p *poisonError
	return errors.As(err, &p)
}

// laterError asks for the message to be retried after a delay rather than at once.
type laterError struct {
	after time.Duration
	err   error
}

func (e *laterError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.after, e.err)
}
func (e *laterError) Unwrap() error { return e.err }

// Later marks err as "try again after d" (a tenant's resources are unavailable, Graph has not
// produced the transcript yet). The adapter re-enqueues the message with a scheduled delay
// when it has a Requeuer, and otherwise abandons it for immediate redelivery.
func Later(d time.Duration, err error) error {
	return &laterError{after: d, err: err}
}

// RetryAfter returns the delay requested with Later, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var l *laterError
	if errors.As(err, &l) {
		return l.after, true
	}
	return 0, false
}

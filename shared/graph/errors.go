package graph

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// ResponseError is a failed Graph response: the HTTP status and the error document's code and
// message ({"error":{"code":...,"message":...}}). Message is Graph's text for humans, not a
// contract: branch on the predicates, not on it.
type ResponseError struct {
	// Status is the HTTP status code.
	Status int
	// Code is the Graph error code, e.g. "Forbidden", "itemNotFound"; empty when the body
	// was not a Graph error document.
	Code string
	// Message is Graph's error message.
	Message string
	// RetryAfter is the Retry-After header of a throttled response (429, 503), zero when
	// absent. The SDK has already retried and waited this long before giving up.
	RetryAfter time.Duration
}

func (e *ResponseError) Error() string {
	if e.Code == "" && e.Message == "" {
		return fmt.Sprintf("graph: status %d", e.Status)
	}
	return fmt.Sprintf("graph: status %d: %s: %s", e.Status, e.Code, e.Message)
}

// AccessDenial classifies a 403 from Graph by the tenant-side gate that refused it.
type AccessDenial string

const (
	// DenialNone means the error is not a 403.
	DenialNone AccessDenial = ""
	// DenialAccessPolicy means no Teams application access policy grants our app access to
	// the user in the path (New-/Grant-CsApplicationAccessPolicy; takes up to 30 min).
	DenialAccessPolicy AccessDenial = "application_access_policy"
	// DenialTranscriptAPIDisabled means the tenant's Teams "Transcript API access" setting
	// (Set-CsTeamsMeetingConfiguration -EnableGraphTranscriptAccess) is off, the default
	// since mid-2026.
	DenialTranscriptAPIDisabled AccessDenial = "transcript_api_disabled"
	// DenialOther is any other 403: missing admin consent or role, subscription quota, an
	// Exchange mailbox access policy, ...
	DenialOther AccessDenial = "other"
)

// Denial classifies a 403. Graph documents no code that tells the gates apart, so this reads
// the message: the access-policy texts are the documented "App <id> is not authorized to ...
// on behalf of user <id>" and "Application is not allowed to perform operations on the user
// ..."; the Transcript API switch has no documented text, so any message naming transcript
// access as disabled/not enabled or the EnableGraphTranscriptAccess setting counts.
func (e *ResponseError) Denial() AccessDenial {
	if e.Status != http.StatusForbidden {
		return DenialNone
	}
	m := strings.ToLower(e.Message)
	switch {
	case strings.Contains(m, "enablegraphtranscriptaccess"),
		strings.Contains(m, "transcript api access"),
		strings.Contains(m, "transcript") && (strings.Contains(m, "disabled") || strings.Contains(m, "not enabled") || strings.Contains(m, "turned off")):
		return DenialTranscriptAPIDisabled
	case strings.Contains(m, "application access policy"),
		strings.Contains(m, "not allowed to perform operations on the user"),
		strings.Contains(m, "is not authorized") && strings.Contains(m, "on behalf of user"):
		return DenialAccessPolicy
	}
	return DenialOther
}

func asResponseError(err error) (*ResponseError, bool) {
	var re *ResponseError
	ok := errors.As(err, &re)
	return re, ok
}

// IsNotFound reports whether err is a Graph 404: the meeting, user or item does not exist,
// or — for transcripts — is not available yet.
func IsNotFound(err error) bool {
	re, ok := asResponseError(err)
	return ok && re.Status == http.StatusNotFound
}

// IsThrottled reports whether err is a Graph 429 or 503 that persisted through the SDK's
// retries. RetryAfter gives the wait Graph asked for.
func IsThrottled(err error) bool {
	re, ok := asResponseError(err)
	return ok && (re.Status == http.StatusTooManyRequests || re.Status == http.StatusServiceUnavailable)
}

// RetryAfter returns the Retry-After of a throttled err, and whether err carried one.
func RetryAfter(err error) (time.Duration, bool) {
	re, ok := asResponseError(err)
	if !ok || !IsThrottled(err) || re.RetryAfter <= 0 {
		return 0, false
	}
	return re.RetryAfter, true
}

// IsPaymentRequired reports whether err is a Graph 402: the metered transcript API's
// evaluation quota (600 min/month/tenant) is used up and no Azure billing is configured in
// our app's tenant.
func IsPaymentRequired(err error) bool {
	re, ok := asResponseError(err)
	return ok && re.Status == http.StatusPaymentRequired
}

// IsAccessDenied reports whether err is a Graph 403; AccessDenialOf says which gate.
func IsAccessDenied(err error) bool {
	re, ok := asResponseError(err)
	return ok && re.Status == http.StatusForbidden
}

// AccessDenialOf classifies err if it is a Graph 403, and returns DenialNone otherwise.
func AccessDenialOf(err error) AccessDenial {
	re, ok := asResponseError(err)
	if !ok {
		return DenialNone
	}
	return re.Denial()
}

// wrap translates an SDK error into *ResponseError (wrapped with what was attempted); other
// errors (transport, context) are wrapped as they are.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	if re := toResponseError(err); re != nil {
		return fmt.Errorf("%s: %w", what, re)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func toResponseError(err error) *ResponseError {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) {
		re := &ResponseError{Status: oe.ResponseStatusCode}
		if main := oe.GetErrorEscaped(); main != nil {
			re.Code = deref(main.GetCode())
			re.Message = deref(main.GetMessage())
		}
		re.RetryAfter = retryAfter(oe.ResponseHeaders)
		return re
	}
	var ae *abs.ApiError
	if errors.As(err, &ae) && ae.ResponseStatusCode != 0 {
		return &ResponseError{Status: ae.ResponseStatusCode, RetryAfter: retryAfter(ae.ResponseHeaders)}
	}
	return nil
}

func retryAfter(h *abs.ResponseHeaders) time.Duration {
	if h == nil {
		return 0
	}
	{
		for _, v := range h.Get("Retry-After") {
			if s, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && s > 0 {
				return time.Duration(s * float64(time.Second))
			}
			if t, err := http.ParseTime(v); err == nil {
				if d := time.Until(t); d > 0 {
					return d
				}
			}
		}
	}
	return 0
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

package review

import (
	"fmt"
	"net/http"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
)

// Limits of the review inputs.
const (
	// MaxReasonLength is the longest rejection reason, in characters.
	MaxReasonLength = 2000
	// MaxTaskLength is the longest action item task, in characters (the schema's limit).
	MaxTaskLength = 2000
	// MaxTitleLength is the longest minutes title, in characters.
	MaxTitleLength = 1000
)

// Errors with a fixed message. Each also matches the store or access sentinel of its status
// under errors.Is.
var (
	// ErrReasonRequired refuses a rejection without a reason, or with a reason that is too
	// long. 400; matches store.ErrInvalid.
	ErrReasonRequired = classified(http.StatusBadRequest, store.ErrInvalid,
		fmt.Sprintf("a reason of 1 to %d characters is required to reject minutes", MaxReasonLength))
	// ErrNotNamedApprover refuses an approval by someone the tenant's settings do not name,
	// when the approval mode is "named". 403; matches access.ErrForbidden.
	ErrNotNamedApprover = classified(http.StatusForbidden, access.ErrForbidden,
		"approval is limited to the approvers named in the tenant's settings, and you are not one of them")
	// ErrNotOwner refuses a member's change to an action item someone else owns. 403; matches
	// access.ErrForbidden.
	ErrNotOwner = classified(http.StatusForbidden, access.ErrForbidden,
		"members may change only the action items they own")
)

// classifiedError is an error with a message for the caller (its first wrapped error, a
// funchost status error, which funchost.StatusOf and PublicMessage find first) that also
// matches a sentinel the caller branches on (its second).
type classifiedError struct {
	public   error
	sentinel error
}

func (e *classifiedError) Error() string   { return e.public.Error() }
func (e *classifiedError) Unwrap() []error { return []error{e.public, e.sentinel} }

// classified returns an error answering status with msg that matches sentinel.
func classified(status int, sentinel error, msg string) error {
	return &classifiedError{public: funchost.Status(status, msg), sentinel: sentinel}
}

// invalidf is a 400 with a specific message, matching store.ErrInvalid.
func invalidf(format string, args ...any) error {
	return classified(http.StatusBadRequest, store.ErrInvalid, fmt.Sprintf(format, args...))
}

// conflictf is a 409 with a specific message, matching store.ErrConflict.
func conflictf(format string, args ...any) error {
	return classified(http.StatusConflict, store.ErrConflict, fmt.Sprintf(format, args...))
}

// notFoundf is a 404 with a specific message, matching store.ErrNotFound.
func notFoundf(format string, args ...any) error {
	return classified(http.StatusNotFound, store.ErrNotFound, fmt.Sprintf(format, args...))
}

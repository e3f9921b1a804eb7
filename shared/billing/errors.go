package billing

import (
	"errors"
	"net/http"

	"github.com/meetingminutes/minutes/shared/funchost"
)

// Errors callers branch on; those with a status map to it through funchost.
var (
	// ErrInvalidID reports a malformed Stripe id.
	ErrInvalidID = errors.New("invalid stripe id")
	// ErrPlanNotForSale reports a plan without a configured Stripe price (STRIPE_PRICES), or
	// one that is not sold through Checkout (Enterprise).
	ErrPlanNotForSale = funchost.Status(http.StatusBadRequest, "this plan cannot be bought here: contact sales")
	// ErrNoSeats reports an invitation beyond the paid seats.
	ErrNoSeats = funchost.Status(http.StatusConflict,
		"every paid seat is in use: add seats on the billing page (Manage billing) before inviting more people")
	// ErrNoCustomer reports a tenant without a Stripe customer where one is needed.
	ErrNoCustomer = funchost.Status(http.StatusConflict, "this organisation has no billing account yet: choose a plan first")
	// ErrStripeUnavailable reports Stripe out of reach or failing (5xx, network): try later.
	ErrStripeUnavailable = funchost.Unavailable("the billing provider is unavailable; try again in a few minutes")
)

// VerifyReason says why a webhook request was refused; the values are stable and safe to log.
type VerifyReason string

// Reasons a webhook request is refused.
const (
	ReasonNotSigned          VerifyReason = "missing_signature"
	ReasonBadHeader          VerifyReason = "malformed_signature_header"
	ReasonBadSignature       VerifyReason = "signature_mismatch"
	ReasonTooOld             VerifyReason = "timestamp_outside_tolerance"
	ReasonAPIVersionMismatch VerifyReason = "api_version_mismatch"
	ReasonMalformed          VerifyReason = "malformed_event"
	ReasonTooLarge           VerifyReason = "body_too_large"
)

// VerifyError is a webhook request that is not a genuine, current, well-formed Stripe event.
// It maps to 400: Stripe's retries of it cannot succeed, and nothing of ours has failed.
type VerifyError struct {
	Reason VerifyReason
	// Detail is a short safe explanation (never the body or the signature).
	Detail string
}

func (e *VerifyError) Error() string {
	if e.Detail == "" {
		return "stripe webhook refused: " + string(e.Reason)
	}
	return "stripe webhook refused: " + string(e.Reason) + ": " + e.Detail
}

// StatusCode makes every refusal a 400.
func (e *VerifyError) StatusCode() int { return http.StatusBadRequest }

var _ funchost.StatusCoder = (*VerifyError)(nil)

package billing

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// Tolerance is how old a webhook's signed timestamp may be (Stripe's default, 5 minutes).
const Tolerance = 5 * time.Minute

// MaxEventBytes bounds a webhook body: Stripe's events are a few kilobytes (lists inside
// them are truncated), so anything larger is refused as bad input.
const MaxEventBytes = 512 << 10

// APIVersion is the Stripe API version events must carry (stripe-go v76's pin).
const APIVersion = stripe.APIVersion

// SignatureHeader is the HTTP header carrying the webhook signature.
const SignatureHeader = "Stripe-Signature"

// Event is a verified webhook event: what Apply needs of it. Its object is a snapshot that
// is used only for ids, never for state.
type Event struct {
	ID      string
	Type    string
	Created time.Time
	// ObjectID is the id of data.object (sub_..., in_..., cs_...).
	ObjectID string
	// Customer is data.object.customer, when the object has one.
	Customer string
	// Subscription is data.object.subscription (an invoice's or a Checkout session's).
	Subscription string
	// ClientReference is a Checkout session's client_reference_id.
	ClientReference string
	// Livemode is the event's mode.
	Livemode bool
}

// ParseEvent verifies a webhook request: the Stripe-Signature header (any v1 signature of
// secret over "t.body" may match, as during a secret roll), a signed timestamp at most
// Tolerance old by now, the API version, and the event's shape. Every failure is a
// *VerifyError. body must be the raw request body.
func ParseEvent(body []byte, header, secret string, now time.Time) (Event, error) {
	if len(body) > MaxEventBytes {
		return Event{}, &VerifyError{Reason: ReasonTooLarge}
	}
	if strings.TrimSpace(header) == "" {
		return Event{}, &VerifyError{Reason: ReasonNotSigned}
	}
	if secret == "" {
		// An empty secret would make any HMAC with the empty key valid: never accept.
		return Event{}, &VerifyError{Reason: ReasonBadSignature, Detail: "no webhook secret configured"}
	}
	// Signature and shape through stripe-go; the tolerance below uses our clock, and the
	// API version is compared here to report it as its own reason.
	ev, err := webhook.ConstructEventWithOptions(body, header, secret,
		webhook.ConstructEventOptions{IgnoreTolerance: true, IgnoreAPIVersionMismatch: true})
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return Event{}, &VerifyError{Reason: ReasonNotSigned}
	case errors.Is(err, webhook.ErrInvalidHeader):
		return Event{}, &VerifyError{Reason: ReasonBadHeader}
	case errors.Is(err, webhook.ErrNoValidSignature):
		return Event{}, &VerifyError{Reason: ReasonBadSignature}
	case err != nil:
		return Event{}, &VerifyError{Reason: ReasonMalformed, Detail: "body is not a Stripe event"}
	}
	ts, ok := signedAt(header)
	if !ok {
		return Event{}, &VerifyError{Reason: ReasonBadHeader}
	}
	if now.Sub(ts) > Tolerance {
		return Event{}, &VerifyError{Reason: ReasonTooOld, Detail: "signed " + now.Sub(ts).Round(time.Second).String() + " ago"}
	}
	if ev.APIVersion != APIVersion {
		return Event{}, &VerifyError{Reason: ReasonAPIVersionMismatch,
			Detail: "event has " + clip(ev.APIVersion, 40) + ", want " + APIVersion + ": create the webhook endpoint with api_version " + APIVersion}
	}
	return eventOf(ev)
}

// signedAt returns the header's t= value as stripe-go reads it (the last one wins), which the
// verified signature covers.
func signedAt(header string) (time.Time, bool) {
	var ts time.Time
	found := false
	for _, pair := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if ok && k == "t" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			ts, found = time.Unix(n, 0), true
		}
	}
	return ts, found
}

// eventOf extracts what Apply needs, refusing events without an id, type or object.
func eventOf(ev stripe.Event) (Event, error) {
	if ev.ID == "" || len(ev.ID) > 255 || ev.Type == "" || ev.Data == nil || ev.Data.Raw == nil {
		return Event{}, &VerifyError{Reason: ReasonMalformed, Detail: "event lacks id, type or data.object"}
	}
	var obj struct {
		ID              string          `json:"id"`
		Customer        json.RawMessage `json:"customer"`
		Subscription    json.RawMessage `json:"subscription"`
		ClientReference *string         `json:"client_reference_id"`
	}
	if err := json.Unmarshal(ev.Data.Raw, &obj); err != nil {
		return Event{}, &VerifyError{Reason: ReasonMalformed, Detail: "data.object is not an object"}
	}
	out := Event{ID: ev.ID, Type: string(ev.Type), Created: time.Unix(ev.Created, 0).UTC(), ObjectID: obj.ID,
		Customer: idOf(obj.Customer), Subscription: idOf(obj.Subscription), Livemode: ev.Livemode}
	if obj.ClientReference != nil {
		out.ClientReference = *obj.ClientReference
	}
	return out, nil
}

// idOf reads an expandable field: "id" or {"id": "..."}; anything else is "".
func idOf(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.ID
	}
	return ""
}

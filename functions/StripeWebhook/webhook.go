package stripewebhook

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/funchost"
)

// RouteMaxBody is the request body limit to mount the route with (funchost.MaxBody): above
// billing.MaxEventBytes, so that oversized junk reaches this handler and gets its 400 instead
// of the adapter's 413; only bodies beyond it are cut off by the adapter.
const RouteMaxBody = 4 << 20

// Handler serves StripeWebhook.
type Handler struct {
	hooks *billing.Webhooks
	log   *slog.Logger
}

// New returns the handler; log nil discards.
func New(hooks *billing.Webhooks, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{hooks: hooks, log: log}
}

// reply is the 200 body: Stripe ignores it; it helps whoever reads a delivery log.
type reply struct {
	Received bool   `json:"received"`
	Outcome  string `json:"outcome"`
}

// Serve handles one delivery (see the package documentation).
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	body, err := io.ReadAll(io.LimitReader(r.Body, billing.MaxEventBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return h.refuse(r, &billing.VerifyError{Reason: billing.ReasonTooLarge})
		}
		return h.refuse(r, &billing.VerifyError{Reason: billing.ReasonMalformed, Detail: "body could not be read"})
	}
	if len(body) > billing.MaxEventBytes {
		return h.refuse(r, &billing.VerifyError{Reason: billing.ReasonTooLarge})
	}
	res, err := h.hooks.Handle(ctx, body, r.Header.Get(billing.SignatureHeader))
	var ve *billing.VerifyError
	if errors.As(err, &ve) {
		return h.refuse(r, ve)
	}
	if err != nil {
		return err // our storage or Stripe's API: 5xx, Stripe retries
	}
	funchost.WriteJSON(w, http.StatusOK, reply{Received: true, Outcome: string(res.Outcome)})
	return nil
}

// refuse logs a refused delivery (its reason, never the body) and returns the 400.
func (h *Handler) refuse(r *http.Request, ve *billing.VerifyError) error {
	h.log.WarnContext(r.Context(), "stripe webhook refused", "reason", string(ve.Reason), "bytes", r.ContentLength)
	return ve
}

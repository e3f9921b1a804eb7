package graphhook

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/meetingminutes/minutes/shared/funchost"
)

// ReadRequest is the common start of both webhooks: it answers a validation handshake
// (handled is then true and nothing else is to be done), or reads and parses the batch. Its
// errors carry the status to answer: 413 for an oversized body, 400 for anything unreadable —
// never a 5xx for junk.
func ReadRequest(w http.ResponseWriter, r *http.Request) (b Batch, handled bool, err error) {
	if ServeValidation(w, r) {
		return Batch{}, true, nil
	}
	body, err := ReadBody(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.Is(err, ErrBodyTooLarge) || errors.As(err, &mbe) {
			return Batch{}, false, fmt.Errorf("%w: graph notification over %d bytes", funchost.ErrTooLarge, MaxBatchBytes)
		}
		return Batch{}, false, fmt.Errorf("%w: %w", funchost.ErrBadRequest, err)
	}
	if b, err = ParseBatch(body); err != nil {
		return Batch{}, false, fmt.Errorf("%w: %w", funchost.ErrBadRequest, err)
	}
	return b, false, nil
}

package graphhook

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/meetingminutes/minutes/shared/funchost"
)

// AnswerWithin is how long a webhook may work on a batch before it must answer: Graph counts
// an answer slower than 2,900 ms as slow, and throttles, then drops, the notifications of a
// URL that is slow too often (10 %, then 15 %). Work not done by then answers 503 instead,
// which Graph retries, leaving room for the network below the mark.
const AnswerWithin = 2500 * time.Millisecond

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

package queue

import (
	"fmt"
	"time"

	"github.com/meetingminutes/minutes/shared/funchost"
)

// requeued is the copy of m that a Requeuer sends to function's queue after a delay: the same
// body and properties under retryID(m.MessageID, m.DeliveryCount).
func requeued(function string, m funchost.Message, after time.Duration) (Name, encoded, error) {
	q, err := ForFunction(function)
	if err != nil {
		return "", encoded{}, fmt.Errorf("requeue message %q: %w", m.MessageID, err)
	}
	if !isJSONObject(m.Body) {
		return "", encoded{}, fmt.Errorf("requeue message %q for %s: %w: body is not a JSON object", m.MessageID, function, ErrInvalidMessage)
	}
	id := m.MessageID
	if id == "" {
		id = normalizeID("") // a message without id gets a fresh one, not a shared "#retry-1"
	}
	return q, encoded{
		id:         normalizeID(retryID(id, m.DeliveryCount)),
		body:       append([]byte(nil), m.Body...),
		properties: stringProperties(m.Properties),
		delay:      max(after, 0),
	}, nil
}

package queue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Sender sends messages to a queue. Two implementations exist — Service Bus (*ServiceBus)
// under Azure and PostgreSQL (*River) in standalone installs — and the functions that enqueue
// work depend on this interface, not on either.
//
// A caller that holds a database transaction and must enqueue atomically with its change
// (STYLE rule 24) uses (*River).SendTx instead; Service Bus cannot join a PostgreSQL
// transaction, so in that mode the caller sends after commit with a dedupe ID (Outgoing.ID)
// and relies on its own durable record (a receipt row) to send again after a crash.
type Sender interface {
	// Send enqueues m on queue q. A message whose ID is already pending is dropped without
	// error (see Outgoing.ID).
	Send(ctx context.Context, q Name, m Outgoing) error
}

// Outgoing is a message to send.
type Outgoing struct {
	// ID is the dedupe key, sent as the message's MessageId and seen by the receiving
	// function as funchost.Message.MessageID. Sending the same ID again while the first
	// message is still pending is a no-op: Service Bus drops it through duplicate detection
	// (within the queue's detection window), River through its unique jobs (see River.Send).
	// IDs longer than 128 bytes (Service Bus' limit) are replaced by "sha256-" and the hex
	// SHA-256 of the ID, on both backends. Empty means a fresh random UUID (no dedupe).
	ID string
	// Body is the message body: encoded with encoding/json, it must be a JSON object. A
	// []byte or json.RawMessage is taken as already encoded.
	Body any
	// Delay postpones delivery: the message is not delivered before now+Delay. Zero or
	// negative means at once.
	Delay time.Duration
	// Properties are application properties (Service Bus ApplicationProperties), seen by the
	// receiving function as funchost.Message.Properties. The key "tenant_id" is reserved.
	Properties map[string]string
	// TenantID is the tenant the message is about; zero for none. It travels as the
	// "tenant_id" property and is put on the receiving function's log context.
	TenantID tenancy.ID
}

// PropertyTenantID is the application property carrying Outgoing.TenantID.
const PropertyTenantID = "tenant_id"

// maxMessageID is Service Bus' limit on MessageId, applied on both backends so a function
// sees the same MessageID whichever delivered it.
const maxMessageID = 128

var (
	// ErrUnknownQueue reports a queue name that is not one of Names().
	ErrUnknownQueue = errors.New("unknown queue")
	// ErrInvalidMessage reports a message that cannot be sent: its body is not a JSON object.
	ErrInvalidMessage = errors.New("invalid message")
)

// encoded is an Outgoing message checked and encoded for either backend.
type encoded struct {
	id         string
	body       json.RawMessage
	properties map[string]string
	delay      time.Duration
}

// encode checks m and turns it into what both backends send.
func encode(q Name, m Outgoing) (encoded, error) {
	if err := q.check(); err != nil {
		return encoded{}, err
	}
	var body []byte
	switch b := m.Body.(type) {
	case json.RawMessage:
		body = b
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(m.Body); err != nil {
			return encoded{}, fmt.Errorf("%w: encode body: %v", ErrInvalidMessage, err)
		}
	}
	body = bytes.TrimSpace(body)
	if !isJSONObject(body) {
		return encoded{}, fmt.Errorf("%w: body is not a JSON object", ErrInvalidMessage)
	}
	e := encoded{id: normalizeID(m.ID), body: body, delay: max(m.Delay, 0)}
	if len(m.Properties) > 0 || !m.TenantID.IsZero() {
		e.properties = make(map[string]string, len(m.Properties)+1)
		for k, v := range m.Properties {
			e.properties[k] = v
		}
		delete(e.properties, PropertyTenantID)
		if !m.TenantID.IsZero() {
			e.properties[PropertyTenantID] = m.TenantID.String()
		}
	}
	return e, nil
}

// normalizeID returns the MessageId sent for id: id itself, a fresh UUID when empty, or a
// digest when longer than Service Bus allows.
func normalizeID(id string) string {
	switch {
	case id == "":
		return uuid.NewString()
	case len(id) > maxMessageID:
		sum := sha256.Sum256([]byte(id))
		return "sha256-" + hex.EncodeToString(sum[:])
	}
	return id
}

// retrySuffix separates a requeued message's ID from its generation count.
const retrySuffix = "#retry-"

// retryID returns the MessageId of a requeued copy of the message id delivered deliveryCount
// times: id+"#retry-"+n. The original (or an earlier copy) may still be within Service Bus'
// duplicate detection window, or still running as a River job, so a copy under the same ID
// would be dropped as a duplicate. n counts deliveries across the whole chain of copies (a
// copy of "x#retry-2" delivered once becomes "x#retry-3"), so the suffix does not grow and
// every copy in a chain has a distinct ID.
func retryID(id string, deliveryCount int) string {
	base, n := id, 0
	if i := strings.LastIndex(id, retrySuffix); i >= 0 {
		if k, err := strconv.Atoi(id[i+len(retrySuffix):]); err == nil && k > 0 {
			base, n = id[:i], k
		}
	}
	return base + retrySuffix + strconv.Itoa(n+max(deliveryCount, 1))
}

// stringProperties turns the properties of a received message back into strings: strings as
// they are, anything else JSON-encoded.
func stringProperties(props map[string]any) map[string]string {
	if len(props) == 0 {
		return nil
	}
	out := make(map[string]string, len(props))
	for k, v := range props {
		switch v := v.(type) {
		case string:
			out[k] = v
		default:
			b, err := json.Marshal(v)
			if err != nil {
				b = []byte(fmt.Sprint(v))
			}
			out[k] = string(b)
		}
	}
	return out
}

// isJSONObject reports whether b is one valid JSON object.
func isJSONObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

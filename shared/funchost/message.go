package funchost

import (
	"encoding/json"
	"fmt"
	"time"
)

// Message is one Service Bus message as a queue function sees it, whether the Functions host
// delivered it or a standalone receiver did.
type Message struct {
	// Body is the raw message body.
	Body []byte
	// MessageID is the sender's id; we set it to the dedupe key, so redeliveries share it.
	MessageID string
	// DeliveryCount starts at 1 and grows with each redelivery.
	DeliveryCount int
	// SequenceNumber is the broker's number for the message; 0 when unknown.
	SequenceNumber int64
	EnqueuedAt     time.Time
	ExpiresAt      time.Time
	ContentType    string
	Subject        string
	CorrelationID  string
	SessionID      string
	// Properties are the application properties, values as JSON decoded them.
	Properties map[string]any
}

// DecodeMessage reads a Service Bus trigger envelope; binding names the trigger's binding
// ("msg" in our function.json files). On error the returned Message still carries whatever
// could be read (id, delivery count, body), so the message can be parked under its id.
func DecodeMessage(env *Envelope, binding string) (Message, error) {
	var err error
	raw, ok := env.input(binding)
	if !ok {
		err = fmt.Errorf("no Data entry for binding %q", binding)
	}
	m := Message{
		Body:          decodeBody(raw),
		MessageID:     env.metaString("MessageId"),
		ContentType:   env.metaString("ContentType"),
		Subject:       env.metaString("Subject"),
		CorrelationID: env.metaString("CorrelationId"),
		SessionID:     env.metaString("SessionId"),
	}
	if m.Subject == "" {
		m.Subject = env.metaString("Label")
	}
	n, e := env.metaInt("DeliveryCount")
	m.DeliveryCount, err = int(n), firstErr(err, e)
	m.SequenceNumber, e = env.metaInt("SequenceNumber")
	err = firstErr(err, e)
	// The offset form keeps the zone; the Utc form is zone-less. Prefer the former.
	m.EnqueuedAt, e = env.metaTime("EnqueuedTime", "EnqueuedTimeUtc")
	err = firstErr(err, e)
	m.ExpiresAt, e = env.metaTime("ExpiresAt", "ExpiresAtUtc")
	err = firstErr(err, e)
	for _, key := range []string{"ApplicationProperties", "UserProperties"} {
		if raw, ok := env.meta(key); ok && m.Properties == nil {
			var props map[string]any
			if e := decodeObject(raw, &props); e != nil {
				err = firstErr(err, fmt.Errorf("%s: %v", key, e))
			}
			m.Properties = props
		}
	}
	if m.DeliveryCount < 1 {
		m.DeliveryCount = 1
	}
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrMalformedEnvelope, err)
	}
	return m, nil
}

func (e *Envelope) metaString(key string) string {
	raw, _ := e.meta(key)
	return decodeString(raw)
}

func (e *Envelope) metaInt(key string) (int64, error) {
	raw, ok := e.meta(key)
	if !ok {
		return 0, nil
	}
	n, err := decodeInt(raw)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", key, err)
	}
	return n, nil
}

func (e *Envelope) metaTime(keys ...string) (time.Time, error) {
	for _, key := range keys {
		raw, ok := e.meta(key)
		if !ok || isNull(raw) {
			continue
		}
		t, err := decodeTime(raw)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: %v", key, err)
		}
		return t, nil
	}
	return time.Time{}, nil
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// JSON decodes the body as JSON into v, rejecting unknown trailing data. Callers that get an
// error should treat the message as poison (see Poison).
func (m Message) JSON(v any) error {
	if err := json.Unmarshal(m.Body, v); err != nil {
		return Poison(fmt.Errorf("decode message body: %w", err))
	}
	return nil
}

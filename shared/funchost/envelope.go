package funchost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Envelope is the body the host POSTs to /{FunctionName} for non-forwarded invocations.
// Data holds one entry per input binding, named as in function.json; Metadata holds the
// trigger's binding data. Unknown keys are kept raw and ignored.
type Envelope struct {
	Data     map[string]json.RawMessage
	Metadata map[string]json.RawMessage
	Sys      Sys
	Retry    *RetryContext
}

// Sys is Metadata.sys, present on every invocation.
type Sys struct {
	MethodName string
	UtcNow     time.Time
	RandGUID   string
}

// RetryContext is present when the function has a retry policy (timers only, for us).
type RetryContext struct {
	RetryCount    int
	MaxRetryCount int
}

// ErrMalformedEnvelope reports a body that is not an invocation envelope at all.
var ErrMalformedEnvelope = errors.New("malformed invocation envelope")

// DecodeEnvelope parses an invocation body. It fails only when the body is not a JSON object
// or Data/Metadata are not objects; every value inside is decoded later, tolerantly, by the
// trigger-specific decoders.
func DecodeEnvelope(body []byte) (*Envelope, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, fmt.Errorf("%w: body is not a JSON object", ErrMalformedEnvelope)
	}
	env := &Envelope{}
	// Fast path, one pass: the shape every current host sends. encoding/json matches the
	// field names case-insensitively, as the host does.
	var fast struct {
		Data     map[string]json.RawMessage
		Metadata map[string]json.RawMessage
	}
	if err := json.Unmarshal(body, &fast); err == nil {
		env.Data, env.Metadata = fast.Data, fast.Metadata
	} else if err := env.decodeTolerantly(body); err != nil {
		return nil, err
	}
	if env.Data == nil {
		env.Data = map[string]json.RawMessage{}
	}
	if env.Metadata == nil {
		env.Metadata = map[string]json.RawMessage{}
	}
	env.decodeSys()
	return env, nil
}

// decodeTolerantly is the slow path for envelopes whose Data or Metadata arrive as
// JSON-encoded strings (older hosts).
func (env *Envelope) decodeTolerantly(body []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedEnvelope, err)
	}
	for k, v := range top {
		// The host matches property names case-insensitively; so do we.
		switch {
		case equalFold(k, "Data"):
			if err := decodeObject(v, &env.Data); err != nil {
				return fmt.Errorf("%w: Data: %v", ErrMalformedEnvelope, err)
			}
		case equalFold(k, "Metadata"):
			if err := decodeObject(v, &env.Metadata); err != nil {
				return fmt.Errorf("%w: Metadata: %v", ErrMalformedEnvelope, err)
			}
		}
	}
	return nil
}

// decodeSys reads Metadata.sys and Metadata.RetryContext.
func (env *Envelope) decodeSys() {
	if raw, ok := env.meta("sys"); ok {
		var sys struct {
			MethodName json.RawMessage
			UtcNow     json.RawMessage
			RandGuid   json.RawMessage
		}
		if decodeObject(raw, &sys) == nil {
			env.Sys.MethodName = decodeString(sys.MethodName)
			env.Sys.UtcNow, _ = decodeTime(sys.UtcNow)
			env.Sys.RandGUID = decodeString(sys.RandGuid)
		}
	}
	if raw, ok := env.meta("RetryContext"); ok && !isNull(raw) {
		var rc struct {
			RetryCount    json.RawMessage
			MaxRetryCount json.RawMessage
		}
		if decodeObject(raw, &rc) == nil {
			n, _ := decodeInt(rc.RetryCount)
			m, _ := decodeInt(rc.MaxRetryCount)
			env.Retry = &RetryContext{RetryCount: int(n), MaxRetryCount: int(m)}
		}
	}
}

// meta looks a metadata key up case-insensitively.
func (e *Envelope) meta(key string) (json.RawMessage, bool) {
	return lookupFold(e.Metadata, key)
}

// input returns the Data entry for a binding name; when name is empty or absent and Data has
// exactly one entry, that entry (the trigger), so a renamed binding still works.
func (e *Envelope) input(name string) (json.RawMessage, bool) {
	if name != "" {
		if v, ok := lookupFold(e.Data, name); ok {
			return v, true
		}
	}
	if len(e.Data) == 1 {
		for _, v := range e.Data {
			return v, true
		}
	}
	return nil, false
}

func lookupFold(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if equalFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

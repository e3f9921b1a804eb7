package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Purpose says which flow a state value belongs to; a value minted for one is refused by the
// other.
type Purpose string

const (
	// PurposeSignIn is the OIDC sign-in flow.
	PurposeSignIn Purpose = "signin"
	// PurposeConsent is the admin-consent flow.
	PurposeConsent Purpose = "consent"
)

// DefaultStateTTL is how long a state value stays valid by default.
const DefaultStateTTL = 10 * time.Minute

const (
	// minStateKeyBytes is the least HMAC key length accepted.
	minStateKeyBytes = 32
	// maxStateBytes bounds an encoded state; longer input is refused before decoding.
	maxStateBytes = 2048
	// maxReturnToBytes bounds StatePayload.ReturnTo.
	maxReturnToBytes = 512
	// maxFieldBytes bounds Binding, Nonce and ID.
	maxFieldBytes = 128
)

var (
	// ErrStateInvalid reports a state value that is missing, malformed or not signed by us.
	ErrStateInvalid = errors.New("state is invalid")
	// ErrStateExpired reports a genuine state value past its TTL.
	ErrStateExpired = errors.New("state has expired")
	// ErrStateMismatch reports a genuine state value minted for another purpose or another
	// browser session.
	ErrStateMismatch = errors.New("state does not match this flow or session")
)

// StatePayload is what a state value carries. It is signed, not encrypted: the browser can
// read it, so put nothing secret in it.
type StatePayload struct {
	// Purpose is the flow. Required.
	Purpose Purpose `json:"p"`
	// Binding ties the state to one browser: a hash of its session ID, supplied by the
	// caller. Required, at most 128 bytes.
	Binding string `json:"b"`
	// ReturnTo is a local path to go to afterwards ("/meetings?x=1"); it must start with a
	// single "/" (no scheme, no host, no "//" or "/\"), at most 512 bytes. Optional.
	ReturnTo string `json:"r,omitempty"`
	// Nonce is the OIDC nonce for sign-in. Optional, at most 128 bytes.
	Nonce string `json:"n,omitempty"`
	// ID identifies this state value for single use: store it in the session when issuing
	// and clear it when consuming. Encode fills it with RandomToken(16) when empty.
	ID string `json:"id"`
	// ExpiresAt is set by Encode (now + TTL, whole seconds).
	ExpiresAt time.Time `json:"-"`
}

// wireState is the signed JSON.
type wireState struct {
	StatePayload
	Exp int64 `json:"exp"`
}

// StateCodec signs and checks state values: base64url(JSON payload) "." base64url(HMAC-SHA256
// over the first part). The zero TTL and Now mean defaults; Key must be at least 32 bytes.
type StateCodec struct {
	// Key is the HMAC-SHA256 key, at least 32 random bytes. Required.
	Key []byte
	// TTL is how long a state value is accepted. Default 10 min.
	TTL time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (c StateCodec) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c StateCodec) mac(payload string) []byte {
	m := hmac.New(sha256.New, c.Key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// Encode signs p with an expiry of now + TTL and returns the state value.
func (c StateCodec) Encode(p StatePayload) (string, error) {
	if len(c.Key) < minStateKeyBytes {
		return "", fmt.Errorf("encode state: key must be at least %d bytes", minStateKeyBytes)
	}
	switch p.Purpose {
	case PurposeSignIn, PurposeConsent:
	default:
		return "", fmt.Errorf("encode state: unknown purpose %q", p.Purpose)
	}
	if p.Binding == "" || len(p.Binding) > maxFieldBytes {
		return "", fmt.Errorf("encode state: binding must be 1-%d bytes", maxFieldBytes)
	}
	if len(p.Nonce) > maxFieldBytes || len(p.ID) > maxFieldBytes {
		return "", fmt.Errorf("encode state: nonce and ID must be at most %d bytes", maxFieldBytes)
	}
	if p.ReturnTo != "" && !localPath(p.ReturnTo) {
		return "", errors.New("encode state: ReturnTo must be a local path")
	}
	if p.ID == "" {
		p.ID = RandomToken(16)
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultStateTTL
	}
	exp := c.now().Add(ttl).Unix()
	body, err := json.Marshal(wireState{StatePayload: p, Exp: exp})
	if err != nil {
		return "", fmt.Errorf("encode state: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(body)
	state := payload + "." + base64.RawURLEncoding.EncodeToString(c.mac(payload))
	if len(state) > maxStateBytes {
		return "", fmt.Errorf("encode state: encoded state exceeds %d bytes", maxStateBytes)
	}
	return state, nil
}

// localPath accepts "/x..." but not "//host", "/\host" or anything with a scheme or control
// characters, so ReturnTo cannot become an open redirect.
func localPath(s string) bool {
	if len(s) > maxReturnToBytes || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f || s[i] == '\\' {
			return false
		}
	}
	return true
}

// Decode checks state and returns its payload: the MAC (constant time) first, then expiry,
// then that purpose and binding match. Errors match ErrStateInvalid, ErrStateExpired or
// ErrStateMismatch and never include the state value.
func (c StateCodec) Decode(state string, purpose Purpose, binding string) (StatePayload, error) {
	p, err := c.decode(state, purpose, binding)
	if err != nil {
		return StatePayload{}, fmt.Errorf("decode state: %w", err)
	}
	return p, nil
}

func (c StateCodec) decode(state string, purpose Purpose, binding string) (StatePayload, error) {
	if len(c.Key) < minStateKeyBytes {
		return StatePayload{}, fmt.Errorf("%w: codec key is too short", ErrStateInvalid)
	}
	if state == "" || len(state) > maxStateBytes {
		return StatePayload{}, fmt.Errorf("%w: missing or too long", ErrStateInvalid)
	}
	payload, sig, ok := strings.Cut(state, ".")
	if !ok || payload == "" || strings.Contains(sig, ".") {
		return StatePayload{}, fmt.Errorf("%w: malformed", ErrStateInvalid)
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return StatePayload{}, fmt.Errorf("%w: malformed signature", ErrStateInvalid)
	}
	if !hmac.Equal(got, c.mac(payload)) {
		return StatePayload{}, fmt.Errorf("%w: bad signature", ErrStateInvalid)
	}
	body, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil {
		return StatePayload{}, fmt.Errorf("%w: malformed payload", ErrStateInvalid)
	}
	var w wireState
	if err := json.Unmarshal(body, &w); err != nil || w.Exp == 0 {
		return StatePayload{}, fmt.Errorf("%w: malformed payload", ErrStateInvalid)
	}
	w.ExpiresAt = time.Unix(w.Exp, 0).UTC()
	if !c.now().Before(w.ExpiresAt) {
		return StatePayload{}, ErrStateExpired
	}
	if w.Purpose != purpose {
		return StatePayload{}, fmt.Errorf("%w: purpose", ErrStateMismatch)
	}
	if binding == "" || subtle.ConstantTimeCompare([]byte(w.Binding), []byte(binding)) != 1 {
		return StatePayload{}, fmt.Errorf("%w: binding", ErrStateMismatch)
	}
	return w.StatePayload, nil
}

package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Cookie layout sizes.
const (
	nonceSize = 12 // AES-GCM standard nonce
	tagSize   = 16 // AES-GCM tag
	// minSealed is the shortest valid decoded cookie: key id, nonce, tag (empty plaintext is
	// never produced, but the bound only needs to be safe).
	minSealed = 1 + nonceSize + tagSize
	// maxCookieValue bounds what decode will even look at; a cookie over 4096 bytes is never
	// one we issued.
	maxCookieValue = 4096
)

// Domain-separation labels: the key-id derivation, the HKDF info and the GCM additional data.
const (
	keyIDLabel = "minutes/session/key-id\x00"
	hkdfInfo   = "minutes/session/aes-256-gcm/v1"
	aadLabel   = "minutes/session/v1\x00"
)

// sessionKey is one configured key, ready to use.
type sessionKey struct {
	id   byte
	aead cipher.AEAD
}

// newSessionKey derives the key id and the AES-256-GCM key from a 32-byte configured key.
func newSessionKey(k []byte) (sessionKey, error) {
	sum := sha256.Sum256(append([]byte(keyIDLabel), k...))
	sub, err := hkdf.Key(sha256.New, k, nil, hkdfInfo, KeySize)
	if err != nil {
		return sessionKey{}, fmt.Errorf("derive session key: %w", err)
	}
	block, err := aes.NewCipher(sub)
	if err != nil {
		return sessionKey{}, fmt.Errorf("create session cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sessionKey{}, fmt.Errorf("create session cipher: %w", err)
	}
	return sessionKey{id: sum[0], aead: aead}, nil
}

// payload is the compact JSON form of a Session: short keys, Unix seconds.
type payload struct {
	ID       string          `json:"i"`
	TenantID string          `json:"t,omitempty"`
	UserID   string          `json:"u,omitempty"`
	Role     string          `json:"r,omitempty"`
	Operator bool            `json:"o,omitempty"`
	Name     string          `json:"n,omitempty"`
	Email    string          `json:"e,omitempty"`
	EntraTID string          `json:"et,omitempty"`
	EntraOID string          `json:"eo,omitempty"`
	CSRF     string          `json:"c"`
	IssuedAt int64           `json:"ia"`
	LastSeen int64           `json:"ls"`
	Pending  *pendingPayload `json:"p,omitempty"`
}

type pendingPayload struct {
	StateID  string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v,omitempty"`
	ReturnTo string `json:"r,omitempty"`
	Purpose  string `json:"p"`
	Expires  int64  `json:"x"`
}

func toPayload(s *Session) payload {
	p := payload{
		ID: s.ID, TenantID: s.TenantID, UserID: s.UserID, Role: s.Role, Operator: s.Operator,
		Name: s.Name, Email: s.Email, EntraTID: s.EntraTenantID, EntraOID: s.EntraObjectID, CSRF: s.CSRF,
		IssuedAt: s.IssuedAt.Unix(), LastSeen: s.LastSeen.Unix(),
	}
	if s.Pending != nil {
		p.Pending = &pendingPayload{
			StateID: s.Pending.StateID, Nonce: s.Pending.Nonce, Verifier: s.Pending.Verifier,
			ReturnTo: s.Pending.ReturnTo, Purpose: s.Pending.Purpose, Expires: s.Pending.Expires.Unix(),
		}
	}
	return p
}

func (p payload) session() *Session {
	s := &Session{
		ID: p.ID, TenantID: p.TenantID, UserID: p.UserID, Role: p.Role, Operator: p.Operator,
		Name: p.Name, Email: p.Email, EntraTenantID: p.EntraTID, EntraObjectID: p.EntraOID, CSRF: p.CSRF,
		IssuedAt: time.Unix(p.IssuedAt, 0).UTC(), LastSeen: time.Unix(p.LastSeen, 0).UTC(),
	}
	if p.Pending != nil {
		s.Pending = &Pending{
			StateID: p.Pending.StateID, Nonce: p.Pending.Nonce, Verifier: p.Pending.Verifier,
			ReturnTo: p.Pending.ReturnTo, Purpose: p.Pending.Purpose,
			Expires: time.Unix(p.Pending.Expires, 0).UTC(),
		}
	}
	return s
}

// additionalData binds a sealed value to this format, the cookie name and the key id.
func (m *Manager) additionalData(keyID byte) []byte {
	ad := make([]byte, 0, len(aadLabel)+len(m.name)+2)
	ad = append(ad, aadLabel...)
	ad = append(ad, m.name...)
	return append(ad, 0, keyID)
}

// encode seals s with the first key into a cookie value.
func (m *Manager) encode(s *Session) (string, error) {
	plain, err := json.Marshal(toPayload(s))
	if err != nil {
		return "", fmt.Errorf("encode session: %w", err)
	}
	k := m.keys[0]
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plain)+tagSize)
	out[0] = k.id
	_, _ = rand.Read(out[1:]) // never fails: crypto/rand crashes the program rather than return an error
	out = k.aead.Seal(out, out[1:1+nonceSize], plain, m.additionalData(k.id))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// errUndecryptable is the reason for every authentication failure; it says nothing about
// which byte or key was wrong.
var errUndecryptable = errors.New("not sealed by a configured key")

// decode opens a cookie value. Every failure wraps ErrInvalid; none includes the value.
func (m *Manager) decode(value string) (*Session, error) {
	if len(value) > maxCookieValue {
		return nil, fmt.Errorf("%w: too long", ErrInvalid)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64url", ErrInvalid)
	}
	if len(raw) < minSealed {
		return nil, fmt.Errorf("%w: too short", ErrInvalid)
	}
	keyID, nonce, sealed := raw[0], raw[1:1+nonceSize], raw[1+nonceSize:]
	ad := m.additionalData(keyID)
	var plain []byte
	opened := false
	for _, k := range m.keys { // ids can collide (one byte), so try every key with the id
		if k.id != keyID {
			continue
		}
		if plain, err = k.aead.Open(nil, nonce, sealed, ad); err == nil {
			opened = true
			break
		}
	}
	if !opened {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, errUndecryptable)
	}
	var p payload
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, fmt.Errorf("%w: malformed payload", ErrInvalid)
	}
	if p.ID == "" || p.CSRF == "" {
		return nil, fmt.Errorf("%w: missing id or csrf secret", ErrInvalid)
	}
	return p.session(), nil
}

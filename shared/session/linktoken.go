package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// ErrLinkInvalid is wrapped by every [LinkCodec.Parse] failure: wrong length, junk, unknown
// version, bad MAC, another purpose or another key. The reasons deliberately do not say
// which of the last three it was.
var ErrLinkInvalid = errors.New("invalid link token")

// Link token layout.
const (
	linkVersion   = 1
	linkRandom    = 32 // secret part; the store keeps only its SHA-256
	linkMAC       = 16 // truncated HMAC-SHA256
	linkBody      = 1 + 16 + 16 + linkRandom
	linkSize      = linkBody + linkMAC
	maxPurposeLen = 64
	// MinLinkKeySize is the shortest [LinkCodec.Key] accepted, in bytes.
	MinLinkKeySize = 32
)

// LinkTokenLen is the length of every token [LinkCodec.Issue] returns (base64url, no padding).
const LinkTokenLen = (linkSize*8 + 5) / 6

// LinkCodec issues and checks the tokens carried by e-mailed links — invitations, and any
// other "click here" URL that must find its tenant before anyone is signed in. A token is
//
//	base64url( version(1) || tenant(16) || object(16) || random(32) || mac(16) )
//
// where mac is HMAC-SHA256(Key, len(purpose) || purpose || version || tenant || object ||
// random) truncated to 16 bytes. The MAC lets a link route to its tenant trusting nothing
// unsigned; the random part is the secret, and the database keeps only its SHA-256
// (invitations.token_sha256), so a database leak yields no usable link. Single use and expiry
// are the store row's job (accepted_at, expires_at), not the token's.
//
// The zero value is unusable: Key must be set, at least [MinLinkKeySize] bytes. Use a key of
// its own, not one of the session keys.
type LinkCodec struct {
	// Key is the HMAC key; at least MinLinkKeySize bytes.
	Key []byte
}

// Issue returns a new token for purpose ("invitation") binding tenantID and objectID, and the
// SHA-256 of its random part, which is what the store keeps. purpose is 1 to 64 characters of
// a-z, 0-9, '_', '-', '.'.
func (c LinkCodec) Issue(purpose string, tenantID, objectID [16]byte) (token string, secretHash [32]byte, err error) {
	if err := c.check(purpose); err != nil {
		return "", [32]byte{}, fmt.Errorf("issue %s link: %w", purpose, err)
	}
	raw := make([]byte, linkBody, linkSize)
	raw[0] = linkVersion
	copy(raw[1:17], tenantID[:])
	copy(raw[17:33], objectID[:])
	_, _ = rand.Read(raw[33:linkBody]) // never fails: crypto/rand crashes the program rather than return an error
	raw = append(raw, c.mac(purpose, raw)...)
	return base64.RawURLEncoding.EncodeToString(raw), sha256.Sum256(raw[33:linkBody]), nil
}

// Parse checks token for purpose and returns the tenant and object it names and the SHA-256
// of its secret, to look up the store row with. Every failure wraps [ErrLinkInvalid] and none
// includes the token.
func (c LinkCodec) Parse(purpose, token string) (tenantID, objectID [16]byte, secretHash [32]byte, err error) {
	if err := c.check(purpose); err != nil {
		return tenantID, objectID, secretHash, fmt.Errorf("parse %s link: %w", purpose, err)
	}
	if len(token) != LinkTokenLen {
		return tenantID, objectID, secretHash, fmt.Errorf("parse %s link: wrong length: %w", purpose, ErrLinkInvalid)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) != linkSize {
		return tenantID, objectID, secretHash, fmt.Errorf("parse %s link: not base64url: %w", purpose, ErrLinkInvalid)
	}
	if raw[0] != linkVersion {
		return tenantID, objectID, secretHash, fmt.Errorf("parse %s link: unknown version: %w", purpose, ErrLinkInvalid)
	}
	if !hmac.Equal(c.mac(purpose, raw[:linkBody]), raw[linkBody:]) {
		return tenantID, objectID, secretHash, fmt.Errorf("parse %s link: bad signature: %w", purpose, ErrLinkInvalid)
	}
	copy(tenantID[:], raw[1:17])
	copy(objectID[:], raw[17:33])
	return tenantID, objectID, sha256.Sum256(raw[33:linkBody]), nil
}

// mac is the truncated HMAC over the purpose (length-prefixed, so no purpose is a prefix of
// another's input) and the token body.
func (c LinkCodec) mac(purpose string, body []byte) []byte {
	h := hmac.New(sha256.New, c.Key)
	h.Write([]byte{byte(len(purpose))})
	h.Write([]byte(purpose))
	h.Write(body)
	return h.Sum(nil)[:linkMAC]
}

// check validates the key and the purpose.
func (c LinkCodec) check(purpose string) error {
	if len(c.Key) < MinLinkKeySize {
		return fmt.Errorf("link key is %d bytes, need at least %d", len(c.Key), MinLinkKeySize)
	}
	if purpose == "" || len(purpose) > maxPurposeLen {
		return fmt.Errorf("purpose must be 1 to %d characters", maxPurposeLen)
	}
	for _, r := range purpose {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return fmt.Errorf("purpose %q: only a-z, 0-9, '_', '-', '.'", purpose)
		}
	}
	return nil
}

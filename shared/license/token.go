package license

import (
	"crypto/rand"
	"crypto/rsa"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenBytes bounds a license token; real ones are about 1 KiB.
const MaxTokenBytes = 16 << 10

// algorithm is the one signature algorithm of licenses.
const algorithm = "RS256"

// wireClaims is the JSON of a license token's payload.
type wireClaims struct {
	jwt.RegisteredClaims
	// Customer is accepted in place of sub (tokens from other issuing tools); sub wins, and
	// both present must agree.
	Customer           string   `json:"customer,omitempty"`
	Edition            string   `json:"edition"`
	Seats              int      `json:"seats"`
	Features           []string `json:"features,omitempty"`
	OfflineGracePeriod string   `json:"offlineGracePeriod,omitempty"`
	PhoneHomeRequired  bool     `json:"phoneHomeRequired,omitempty"`
}

// Issue signs c as a license token with key. c.IssuedAt is required (the caller's clock);
// NotBefore defaults to it and ID to a random id. Times are kept to the second.
func Issue(key *rsa.PrivateKey, c Claims) (string, error) {
	if key == nil {
		return "", errors.New("issue license: no signing key")
	}
	if err := checkSize(&key.PublicKey); err != nil {
		return "", fmt.Errorf("issue license: %w", err)
	}
	if c.NotBefore.IsZero() {
		c.NotBefore = c.IssuedAt
	}
	if c.ID == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("issue license: %w", err)
		}
		c.ID = hex.EncodeToString(b[:])
	}
	if err := c.validate(); err != nil {
		return "", fmt.Errorf("issue license: %w", err)
	}
	w := wireClaims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: Issuer, Subject: c.Customer, ID: c.ID,
			IssuedAt: jwt.NewNumericDate(c.IssuedAt), NotBefore: jwt.NewNumericDate(c.NotBefore),
			ExpiresAt: jwt.NewNumericDate(c.ExpiresAt)},
		Edition: string(c.Edition), Seats: c.Seats, Features: c.Features, PhoneHomeRequired: c.PhoneHomeRequired,
	}
	if c.OfflineGracePeriod > 0 {
		w.OfflineGracePeriod = FormatDuration(c.OfflineGracePeriod)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, w).SignedString(key)
	if err != nil {
		return "", fmt.Errorf("issue license: sign: %w", err)
	}
	return s, nil
}

//go:embed revoked.txt
var revokedList string

// Options are the optional settings of [NewVerifier].
type Options struct {
	// Now is the clock expiry and start are checked against; default time.Now.
	Now func() time.Time
	// Revoked are license ids refused with [ErrRevoked], besides those of revoked.txt
	// (compiled in). Default none.
	Revoked []string
}

// Verifier checks license tokens against one public key. It is safe for concurrent use.
type Verifier struct {
	key     *rsa.PublicKey
	source  KeySource
	now     func() time.Time
	revoked map[string]bool
	parser  *jwt.Parser
}

// NewVerifier returns a Verifier for key (at least [MinKeyBits]); source names it in the
// licenses it verifies. opts may be nil.
func NewVerifier(key *rsa.PublicKey, source KeySource, opts *Options) (*Verifier, error) {
	if key == nil {
		return nil, errors.New("license verifier: no public key")
	}
	if err := checkSize(key); err != nil {
		return nil, fmt.Errorf("license verifier: %w", err)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	v := &Verifier{key: key, source: source, now: o.Now, revoked: map[string]bool{},
		// Claims are checked by verify, with the grace period jwt's validator knows nothing of.
		parser: jwt.NewParser(jwt.WithValidMethods([]string{algorithm}), jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation())}
	for _, line := range strings.Split(revokedList, "\n") {
		if id, _, _ := strings.Cut(line, "#"); strings.TrimSpace(id) != "" {
			v.revoked[strings.TrimSpace(id)] = true
		}
	}
	for _, id := range o.Revoked {
		v.revoked[id] = true
	}
	return v, nil
}

// NewEmbeddedVerifier is NewVerifier with the key compiled into the binary ([EmbeddedKey]).
func NewEmbeddedVerifier(opts *Options) (*Verifier, error) {
	key, source, err := EmbeddedKey()
	if err != nil {
		return nil, err
	}
	return NewVerifier(key, source, opts)
}

// Verify checks token (surrounding white space ignored) and returns its license. The error
// wraps [ErrInvalid], [ErrRevoked], [ErrNotYetValid] or [ErrExpired]; with the last three the
// signature was good and the license is returned too, for display. An expired license within
// its grace period verifies, in [StateGrace].
func (v *Verifier) Verify(token string) (License, error) {
	token = trim(token)
	if len(token) > MaxTokenBytes {
		return License{}, fmt.Errorf("%w: longer than %d KiB", ErrInvalid, MaxTokenBytes>>10)
	}
	var w wireClaims
	t, err := v.parser.ParseWithClaims(token, &w, v.keyFunc)
	if err != nil {
		return License{}, fmt.Errorf("%w: %s", ErrInvalid, reason(t, err))
	}
	if _, crit := t.Header["crit"]; crit {
		return License{}, fmt.Errorf("%w: critical header extensions are not supported", ErrInvalid)
	}
	// The signature is good: from here the claims are ours and may be quoted.
	if w.Issuer != Issuer {
		return License{}, fmt.Errorf("%w: issuer is %q, not %s", ErrInvalid, clip(w.Issuer), Issuer)
	}
	l, err := v.license(&w)
	if err != nil {
		return License{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	now := v.now()
	switch {
	case v.revoked[l.ID]:
		return l, fmt.Errorf("%w (license id %s)", ErrRevoked, l.ID)
	case l.IssuedAt.After(now.Add(Leeway)):
		return l, fmt.Errorf("%w: issued %s, which is in the future (check the system clock)", ErrNotYetValid, day(l.IssuedAt))
	case l.NotBefore.After(now.Add(Leeway)):
		return l, fmt.Errorf("%w: valid from %s", ErrNotYetValid, day(l.NotBefore))
	case l.State(now) == StateExpired:
		return l, l.expiredError()
	}
	return l, nil
}

// keyFunc hands jwt the RSA key only for RS256: with WithValidMethods this is belt and braces
// against algorithm confusion (an HMAC "signed" with the public key's bytes never reaches a
// []byte key).
func (v *Verifier) keyFunc(t *jwt.Token) (any, error) {
	if m, ok := t.Method.(*jwt.SigningMethodRSA); !ok || m.Alg() != algorithm {
		return nil, errors.New("not RS256")
	}
	return v.key, nil
}

func (v *Verifier) license(w *wireClaims) (License, error) {
	c := Claims{Customer: w.Subject, Edition: Edition(w.Edition), Seats: w.Seats, Features: w.Features,
		ID: w.ID, PhoneHomeRequired: w.PhoneHomeRequired,
		IssuedAt: numericTime(w.IssuedAt), NotBefore: numericTime(w.NotBefore), ExpiresAt: numericTime(w.ExpiresAt)}
	if c.Customer == "" {
		c.Customer = w.Customer
	} else if w.Customer != "" && w.Customer != c.Customer {
		return License{}, errors.New("sub and customer disagree")
	}
	if w.OfflineGracePeriod != "" {
		d, err := ParseDuration(w.OfflineGracePeriod)
		if err != nil {
			return License{}, fmt.Errorf("offlineGracePeriod: %w", err)
		}
		c.OfflineGracePeriod = d
	}
	if err := c.validate(); err != nil {
		return License{}, err
	}
	return License{Claims: c, Source: SourceToken, Key: v.source}, nil
}

func numericTime(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.UTC()
}

// reason explains a jwt parse failure without quoting the token: jwt's own messages may.
func reason(t *jwt.Token, err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "not a well-formed license token"
	case t != nil && (t.Method == nil || t.Method.Alg() != algorithm):
		return "not signed with RS256"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "the signature does not match the license public key"
	}
	return "not a license token this build can verify"
}

// trim drops the white space and byte-order mark an editor may put around a token.
func trim(s string) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "\ufeff"))
}

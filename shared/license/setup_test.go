package license

import (
	"crypto/rand"
	"crypto/rsa"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// now is the fixed clock of these tests.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var (
	devKeyOnce sync.Once
	devKey     *rsa.PrivateKey
	otherOnce  sync.Once
	otherKey   *rsa.PrivateKey
)

// devPrivate is testdata/dev_private.pem, the private half of the embedded development key.
func devPrivate(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	devKeyOnce.Do(func() {
		b, err := os.ReadFile("testdata/dev_private.pem")
		if err == nil {
			devKey, err = ParsePrivateKeyPEM(b)
		}
		if err != nil {
			panic(err)
		}
	})
	return devKey
}

// anotherKey is a key pair nobody trusts.
func anotherKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	otherOnce.Do(func() {
		var err error
		if otherKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return otherKey
}

// validClaims is a license valid at now, with overrides applied.
func validClaims(mod ...func(*Claims)) Claims {
	c := Claims{Customer: "Contoso Ltd", Edition: EditionProfessional, Seats: 25, Features: []string{"byoi"},
		ID: "lic-1", IssuedAt: now.Add(-100 * 24 * time.Hour), NotBefore: now.Add(-100 * 24 * time.Hour),
		ExpiresAt: now.Add(30 * 24 * time.Hour), OfflineGracePeriod: 14 * 24 * time.Hour}
	for _, m := range mod {
		m(&c)
	}
	return c
}

// issue signs c with the development key.
func issue(t testing.TB, c Claims) string {
	t.Helper()
	tok, err := Issue(devPrivate(t), c)
	require.NoError(t, err)
	return tok
}

// wire is the payload of validClaims, for tokens Issue would refuse to make.
func wire(mod ...func(*wireClaims)) *wireClaims {
	c := validClaims()
	w := &wireClaims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: Issuer, Subject: c.Customer, ID: c.ID,
			IssuedAt: jwt.NewNumericDate(c.IssuedAt), NotBefore: jwt.NewNumericDate(c.NotBefore), ExpiresAt: jwt.NewNumericDate(c.ExpiresAt)},
		Edition: string(c.Edition), Seats: c.Seats, Features: c.Features, OfflineGracePeriod: "14d",
	}
	for _, m := range mod {
		m(w)
	}
	return w
}

// sign signs claims with any method and key, as a forger would.
func sign(t testing.TB, m jwt.SigningMethod, key any, claims jwt.Claims, header ...map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for _, h := range header {
		for k, v := range h {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// verifier is the embedded-key verifier at now.
func verifier(t testing.TB, revoked ...string) *Verifier {
	t.Helper()
	v, err := NewEmbeddedVerifier(&Options{Now: func() time.Time { return now }, Revoked: revoked})
	require.NoError(t, err)
	return v
}

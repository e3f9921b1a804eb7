package identity_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/identity"
	"github.com/meetingminutes/minutes/shared/identity/entratest"
)

const testNonce = "nonce-7f3KcQ9vX2pL8wR4tZ1nB6y"

func genRSA(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	require.NoError(t, err)
	return k
}

// tamperPayload replaces the payload segment of a signed token, keeping its signature.
func tamperPayload(t *testing.T, raw string, edit func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	require.Len(t, parts, 3)
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(body, &claims))
	edit(claims)
	body, err = json.Marshal(claims)
	require.NoError(t, err)
	parts[1] = base64.RawURLEncoding.EncodeToString(body)
	return strings.Join(parts, ".")
}

func TestVerifyIDTokenRejects(t *testing.T) {
	t.Parallel()
	p, b := setup(t)
	ctx := context.Background()
	e := b.entra
	now := b.clock.Now()
	other := uuid.New()

	// Extra keys are published before the provider's first fetch.
	weak := genRSA(t, 1024)
	weakKID := e.AddKey(weak, entratest.KeyOptions{})
	encKey := genRSA(t, 2048)
	encKID := e.AddKey(encKey, entratest.KeyOptions{Use: "enc"})
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecKID := e.AddKey(ecKey, entratest.KeyOptions{})
	otherIssKey := genRSA(t, 2048)
	otherIssKID := e.AddKey(otherIssKey, entratest.KeyOptions{Issuer: e.Issuer(other)})
	unpublished := genRSA(t, 2048)

	good := func() map[string]any { return e.IDTokenClaims(b.user, testNonce) }
	with := func(edit func(map[string]any)) map[string]any {
		c := good()
		edit(c)
		return c
	}
	sign := func(c map[string]any, o entratest.SignOptions) string { return e.IssueIDToken(c, o) }

	// A correct token verifies, so every rejection below is for the stated reason.
	_, err = p.VerifyIDToken(ctx, sign(good(), entratest.SignOptions{}), testNonce)
	require.NoError(t, err)

	type tc struct {
		name   string
		token  string
		nonce  string // default testNonce; "-" for none
		reason string // a fragment of the error
	}
	none := entratest.SignOptions{}
	cases := []tc{
		{"wrong audience", sign(with(func(c map[string]any) { c["aud"] = uuid.NewString() }), none), "", "audience"},
		{"extra audience", sign(with(func(c map[string]any) { c["aud"] = []string{e.ClientID(), uuid.NewString()} }), none), "", "more than one audience"},
		{"no audience", sign(with(func(c map[string]any) { delete(c, "aud") }), none), "", "missing required claim"},
		{"wrong issuer host", sign(with(func(c map[string]any) { c["iss"] = "https://evil.example/" + b.tenant.String() + "/v2.0" }), none), "", "issuer"},
		{"v1 issuer", sign(with(func(c map[string]any) { c["iss"] = "https://sts.windows.net/" + b.tenant.String() + "/" }), none), "", "issuer"},
		{"issuer of another tenant", sign(with(func(c map[string]any) { c["iss"] = e.Issuer(other) }), none), "", "issuer"},
		{"tid of another tenant", sign(with(func(c map[string]any) { c["tid"] = other.String() }), none), "", "issuer"},
		{"issuer template unsubstituted", sign(with(func(c map[string]any) { c["iss"] = e.URL + "/{tenantid}/v2.0" }), none), "", "issuer"},
		{"expired", sign(with(func(c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		}), none), "", "expired"},
		{"expired beyond leeway", sign(with(func(c map[string]any) { c["exp"] = now.Add(-3 * time.Minute).Unix() }), none), "", "expired"},
		{"no exp", sign(with(func(c map[string]any) { delete(c, "exp") }), none), "", "missing required claim"},
		{"not yet valid", sign(with(func(c map[string]any) { c["nbf"] = now.Add(10 * time.Minute).Unix() }), none), "", "not valid yet"},
		{"issued in the future", sign(with(func(c map[string]any) { c["iat"] = now.Add(10 * time.Minute).Unix() }), none), "", "before issued"},
		{"no iat", sign(with(func(c map[string]any) { delete(c, "iat") }), none), "", "no iat"},
		{"exp as a string", sign(with(func(c map[string]any) { c["exp"] = "tomorrow" }), none), "", "malformed"},
		{"alg none", sign(good(), entratest.SignOptions{None: true}), "", "signature is invalid"},
		{"alg none without kid", sign(good(), entratest.SignOptions{None: true, OmitKID: true}), "", "signature is invalid"},
		{"HS256 keyed with the RSA public key PEM", sign(good(), entratest.SignOptions{Alg: "HS256", Key: e.PublicKeyPEM()}), "", "signature is invalid"},
		{"HS256 keyed with the kid", sign(good(), entratest.SignOptions{Alg: "HS256", Key: []byte(e.CurrentKID())}), "", "signature is invalid"},
		{"RS512 with the real key", sign(good(), entratest.SignOptions{Alg: "RS512"}), "", "signature is invalid"},
		{"PS256 with the real key", sign(good(), entratest.SignOptions{Alg: "PS256"}), "", "signature is invalid"},
		{"ES256 with a published EC key", sign(good(), entratest.SignOptions{Alg: "ES256", Key: ecKey, KID: ecKID}), "", "signature is invalid"},
		{"RS256 naming an EC key", sign(good(), entratest.SignOptions{KID: ecKID}), "", "not an RSA key"},
		{"no kid", sign(good(), entratest.SignOptions{OmitKID: true}), "", "no kid"},
		{"kid not a string", tamperHeader(t, sign(good(), none), func(h map[string]any) { h["kid"] = 7 }), "", "no kid"},
		{"signed by an unpublished key under the current kid", sign(good(), entratest.SignOptions{Key: unpublished}), "", "signature is invalid"},
		{"1024-bit key", sign(good(), entratest.SignOptions{Key: weak, KID: weakKID}), "", "1024 bits"},
		{"key for encryption", sign(good(), entratest.SignOptions{Key: encKey, KID: encKID}), "", `use is not "sig"`},
		{"key whose issuer is another tenant", sign(good(), entratest.SignOptions{Key: otherIssKey, KID: otherIssKID}), "", "signing key's issuer"},
		{"wrong nonce", sign(good(), none), "another-nonce", "nonce"},
		{"no nonce claim", sign(with(func(c map[string]any) { delete(c, "nonce") }), none), "", "nonce"},
		{"no expected nonce", sign(with(func(c map[string]any) { c["nonce"] = "" }), none), "-", "nonce"},
		{"missing tid", sign(with(func(c map[string]any) { delete(c, "tid") }), none), "", "tid"},
		{"tid not a GUID", sign(with(func(c map[string]any) {
			c["tid"], c["iss"] = "contoso.onmicrosoft.com", e.URL+"/contoso.onmicrosoft.com/v2.0"
		}), none), "", "tid"},
		{"tid in braces", sign(with(func(c map[string]any) {
			tid := "{" + b.tenant.String() + "}"
			c["tid"], c["iss"] = tid, e.URL+"/"+tid+"/v2.0"
		}), none), "", "tid"},
		{"tid is the nil GUID", sign(with(func(c map[string]any) {
			c["tid"], c["iss"] = uuid.Nil.String(), e.Issuer(uuid.Nil)
		}), none), "", "tid"},
		{"tid is a number", sign(with(func(c map[string]any) { c["tid"] = 42 }), none), "", "malformed"},
		{"missing oid", sign(with(func(c map[string]any) { delete(c, "oid") }), none), "", "oid"},
		{"ver 1.0", sign(with(func(c map[string]any) { c["ver"] = "1.0" }), none), "", "version"},
		{"no ver", sign(with(func(c map[string]any) { delete(c, "ver") }), none), "", "version"},
		{"tampered payload", tamperPayload(t, sign(good(), none), func(c map[string]any) { c["oid"] = uuid.NewString() }), "", "signature is invalid"},
		{"tampered signature", flipLast(sign(good(), none)), "", "signature is invalid"},
		{"signature stripped", strings.Join(strings.Split(sign(good(), none), ".")[:2], ".") + ".", "", "signature is invalid"},
		{"padded signature", padded(sign(good(), none)), "", "malformed"},
		{"empty", "", "", "empty"},
		{"two segments", "a.b", "", "not a signed JWT"},
		{"four segments", "a.b.c.d", "", "not a signed JWT"},
		{"oversized", strings.Repeat("A", 20<<10) + ".e30.sig", "", "longer than"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			nonce := tt.nonce
			switch nonce {
			case "":
				nonce = testNonce
			case "-":
				nonce = ""
			}
			claims, err := p.VerifyIDToken(ctx, tt.token, nonce)
			require.ErrorIs(t, err, identity.ErrInvalidToken)
			require.Zero(t, claims)
			require.Contains(t, err.Error(), tt.reason)
			if len(tt.token) > 20 {
				for _, part := range strings.Split(tt.token, ".") {
					if len(part) > 8 {
						require.NotContains(t, err.Error(), part, "error must not quote the token")
					}
				}
			}
		})
	}
}

// tamperHeader rewrites the header segment of a token, keeping the rest.
func tamperHeader(t *testing.T, raw string, edit func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	body, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	var h map[string]any
	require.NoError(t, json.Unmarshal(body, &h))
	edit(h)
	body, err = json.Marshal(h)
	require.NoError(t, err)
	parts[0] = base64.RawURLEncoding.EncodeToString(body)
	return strings.Join(parts, ".")
}

func flipLast(raw string) string {
	last := raw[len(raw)-2]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	return raw[:len(raw)-2] + string(repl) + raw[len(raw)-1:]
}

// padded re-encodes the signature with base64 padding, which strict decoding refuses.
func padded(raw string) string {
	parts := strings.Split(raw, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	parts[2] = base64.URLEncoding.EncodeToString(append(sig, 0))
	return strings.Join(parts, ".")
}

func TestVerifyIDTokenLeeway(t *testing.T) {
	t.Parallel()
	p, b := setup(t)
	now := b.clock.Now()
	c := b.entra.IDTokenClaims(b.user, testNonce)
	c["exp"] = now.Add(-time.Minute).Unix()
	c["iat"] = now.Add(time.Minute).Unix()
	c["nbf"] = now.Add(time.Minute).Unix()
	_, err := p.VerifyIDToken(context.Background(), b.entra.IssueIDToken(c, entratest.SignOptions{}), testNonce)
	require.NoError(t, err, "1 min of skew is within the default 2 min leeway")
}

func TestVerifyIDTokenEmailFallback(t *testing.T) {
	t.Parallel()
	p, b := setup(t)
	c := b.entra.IDTokenClaims(b.user, testNonce)
	delete(c, "email")
	claims, err := p.VerifyIDToken(context.Background(), b.entra.IssueIDToken(c, entratest.SignOptions{}), testNonce)
	require.NoError(t, err)
	require.Equal(t, b.user.Email, claims.Email, "display email falls back to preferred_username")
}

func TestVerifyIDTokenUnknownKID(t *testing.T) {
	t.Parallel()
	p, b := setup(t)
	ctx := context.Background()
	_, err := p.VerifyIDToken(ctx, b.entra.IssueIDToken(b.entra.IDTokenClaims(b.user, testNonce), entratest.SignOptions{}), testNonce)
	require.NoError(t, err)
	require.Equal(t, 1, b.entra.KeyFetches())

	b.clock.Advance(2 * time.Minute)
	forged := b.entra.IssueIDToken(b.entra.IDTokenClaims(b.user, testNonce), entratest.SignOptions{KID: "unknown-kid"})
	_, err = p.VerifyIDToken(ctx, forged, testNonce)
	require.ErrorIs(t, err, identity.ErrInvalidToken)
	require.Equal(t, 2, b.entra.KeyFetches(), "an unknown kid refetches once")

	_, err = p.VerifyIDToken(ctx, forged, testNonce)
	require.ErrorIs(t, err, identity.ErrInvalidToken)
	require.Equal(t, 2, b.entra.KeyFetches(), "and not again within a minute")
}

func TestVerifyIDTokenKeyRotation(t *testing.T) {
	t.Parallel()
	p, b := setup(t)
	ctx := context.Background()
	e := b.entra
	verify := func(raw string) error {
		_, err := p.VerifyIDToken(ctx, raw, testNonce)
		return err
	}
	oldKID := e.CurrentKID()
	longLived := func() map[string]any {
		c := e.IDTokenClaims(b.user, testNonce)
		c["exp"] = b.clock.Now().Add(72 * time.Hour).Unix()
		return c
	}
	oldToken := e.IssueIDToken(longLived(), entratest.SignOptions{})
	require.NoError(t, verify(oldToken))
	require.Equal(t, 1, e.KeyFetches())

	newKID := e.RotateKey()
	require.NotEqual(t, oldKID, newKID)
	newToken := e.IssueIDToken(longLived(), entratest.SignOptions{})

	// Within a minute of the last fetch the new kid is unknown and not refetched.
	require.ErrorIs(t, verify(newToken), identity.ErrInvalidToken)
	require.Equal(t, 1, e.KeyFetches())

	b.clock.Advance(2 * time.Minute)
	require.NoError(t, verify(newToken), "new kid is accepted after a refetch")
	require.Equal(t, 2, e.KeyFetches())
	require.NoError(t, verify(oldToken), "old kid is accepted while still published")

	e.RetireOldKeys()
	require.NoError(t, verify(oldToken), "cached until the next refresh")
	b.clock.Advance(25 * time.Hour)
	require.ErrorIs(t, verify(oldToken), identity.ErrInvalidToken, "retired kid is rejected after the 24 h refresh")
	require.Equal(t, 3, e.KeyFetches())
	require.NoError(t, verify(e.IssueIDToken(longLived(), entratest.SignOptions{})))
}

func TestVerifyIDTokenRefetchRateLimit(t *testing.T) {
	t.Parallel()
	p, b := setup(t)
	ctx := context.Background()
	_, err := p.VerifyIDToken(ctx, b.entra.IssueIDToken(b.entra.IDTokenClaims(b.user, testNonce), entratest.SignOptions{}), testNonce)
	require.NoError(t, err)
	b.clock.Advance(2 * time.Minute)

	tokens := make([]string, 100)
	for i := range tokens {
		tokens[i] = b.entra.IssueIDToken(b.entra.IDTokenClaims(b.user, testNonce), entratest.SignOptions{KID: identity.RandomToken(16)})
	}
	var wg sync.WaitGroup
	errs := make([]error, len(tokens))
	for i, raw := range tokens {
		wg.Go(func() { _, errs[i] = p.VerifyIDToken(ctx, raw, testNonce) })
	}
	wg.Wait()
	for _, err := range errs {
		require.ErrorIs(t, err, identity.ErrInvalidToken)
	}
	require.LessOrEqual(t, b.entra.KeyFetches(), 2)
}

func TestVerifyIDTokenKeysUnavailable(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	cfg := b.cfg
	u, _ := url.Parse(b.entra.URL + "/nowhere")
	cfg.Authority = u
	p, err := identity.New(cfg)
	require.NoError(t, err)
	raw := b.entra.IssueIDToken(b.entra.IDTokenClaims(b.user, testNonce), entratest.SignOptions{})
	_, err = p.VerifyIDToken(context.Background(), raw, testNonce)
	require.Error(t, err)
	require.False(t, errors.Is(err, identity.ErrInvalidToken), "an unjudged token is not an invalid one: %v", err)
}

// FuzzVerifyIDToken: no input panics, and none verifies (the only validly signed seed is
// checked against another nonce).
func FuzzVerifyIDToken(f *testing.F) {
	p, b := setup(f)
	e := b.entra
	claims := e.IDTokenClaims(b.user, "seed-nonce")
	f.Add(e.IssueIDToken(claims, entratest.SignOptions{}))
	f.Add(e.IssueIDToken(claims, entratest.SignOptions{None: true}))
	f.Add(e.IssueIDToken(claims, entratest.SignOptions{Alg: "HS256", Key: e.PublicKeyPEM()}))
	f.Add(e.IssueIDToken(claims, entratest.SignOptions{OmitKID: true}))
	f.Add("")
	f.Add("a.b.c")
	f.Add("..")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.eyJ0aWQiOjF9.AAAA")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := p.VerifyIDToken(ctx, raw, "fuzz-nonce")
		if err == nil {
			t.Fatalf("token accepted: %+v", c)
		}
		if !errors.Is(err, identity.ErrInvalidToken) {
			t.Fatalf("error does not match ErrInvalidToken: %v", err)
		}
	})
}

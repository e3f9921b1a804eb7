package license

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	pub := &devPrivate(t).PublicKey
	pubPEM, err := MarshalPublicKeyPEM(pub)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	good := issue(t, validClaims())
	header, payload, sig := split(good)
	moreSeats := base64.RawURLEncoding.EncodeToString(must(json.Marshal(wire(func(w *wireClaims) { w.Seats = 5000 }))))

	cases := []struct {
		name  string
		token string
		// err is the sentinel wanted (nil: verifies); state the state at now when it does.
		err    error
		state  State
		reason string
	}{
		{name: "valid", token: good, state: StateValid},
		{name: "trailing newline and spaces, as in a file", token: "  " + good + "\r\n", state: StateValid},
		{name: "byte-order mark from an editor", token: "\ufeff" + good + "\n", state: StateValid},
		{name: "expired a minute ago is within the clock leeway",
			token: issue(t, validClaims(func(c *Claims) { c.ExpiresAt = now.Add(-time.Minute) })), state: StateValid},
		{name: "expired two days ago, in its 14-day grace period",
			token: issue(t, validClaims(func(c *Claims) { c.ExpiresAt = now.Add(-2 * day) })), state: StateGrace},
		{name: "expired past its grace period",
			token: issue(t, validClaims(func(c *Claims) { c.ExpiresAt = now.Add(-15 * day) })), err: ErrExpired, reason: "grace period ended 2026-02-28"},
		{name: "expired without a grace period",
			token: issue(t, validClaims(func(c *Claims) { c.ExpiresAt, c.OfflineGracePeriod = now.Add(-time.Hour), 0 })), err: ErrExpired, reason: "no grace period"},
		{name: "not yet valid",
			token: issue(t, validClaims(func(c *Claims) { c.NotBefore = now.Add(2 * day) })), err: ErrNotYetValid, reason: "valid from 2026-03-03"},
		{name: "issued in the future (a clock set back)",
			token: issue(t, validClaims(func(c *Claims) { c.IssuedAt, c.NotBefore = now.Add(day), now.Add(day) })), err: ErrNotYetValid, reason: "system clock"},
		{name: "starting within the clock leeway",
			token: issue(t, validClaims(func(c *Claims) { c.IssuedAt, c.NotBefore = now.Add(time.Minute), now.Add(time.Minute) })), state: StateValid},
		{name: "revoked", token: issue(t, validClaims(func(c *Claims) { c.ID = "revoked-1" })), err: ErrRevoked, reason: "revoked-1"},
		{name: "wrong issuer", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.Issuer = "someone-else" })),
			err: ErrInvalid, reason: "issuer"},
		{name: "no issuer", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.Issuer = "" })), err: ErrInvalid, reason: "issuer"},
		{name: "alg none", token: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, wire()), err: ErrInvalid, reason: "RS256"},
		{name: "alg none, upper-case, no signature", token: b64(`{"alg":"NONE","typ":"JWT"}`) + "." + payload + ".", err: ErrInvalid, reason: "RS256"},
		{name: "HS256 keyed with the public key's PEM (algorithm confusion)", token: sign(t, jwt.SigningMethodHS256, pubPEM, wire()), err: ErrInvalid, reason: "RS256"},
		{name: "HS256 keyed with the public key's DER", token: sign(t, jwt.SigningMethodHS256, pubDER, wire()), err: ErrInvalid, reason: "RS256"},
		{name: "RS384 by the right key", token: sign(t, jwt.SigningMethodRS384, devPrivate(t), wire()), err: ErrInvalid, reason: "RS256"},
		{name: "PS256 by the right key", token: sign(t, jwt.SigningMethodPS256, devPrivate(t), wire()), err: ErrInvalid, reason: "RS256"},
		{name: "unknown alg", token: b64(`{"alg":"XX999"}`) + "." + payload + "." + sig, err: ErrInvalid, reason: "RS256"},
		{name: "RS256 signed by another key", token: sign(t, jwt.SigningMethodRS256, anotherKey(t), wire()), err: ErrInvalid, reason: "signature does not match"},
		{name: "tampered payload (more seats)", token: header + "." + moreSeats + "." + sig, err: ErrInvalid, reason: "signature does not match"},
		{name: "header with a critical extension", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(), map[string]any{"crit": []string{"exp"}}),
			err: ErrInvalid, reason: "critical"},
		{name: "truncated signature", token: good[:len(good)-12], err: ErrInvalid},
		{name: "signature segment missing", token: header + "." + payload, err: ErrInvalid, reason: "well-formed"},
		{name: "signature empty", token: header + "." + payload + ".", err: ErrInvalid},
		{name: "four segments", token: good + ".x", err: ErrInvalid, reason: "well-formed"},
		{name: "padding in a segment", token: header + "." + payload + "." + sig + "==", err: ErrInvalid},
		{name: "oversized", token: header + "." + strings.Repeat("A", MaxTokenBytes) + "." + sig, err: ErrInvalid, reason: "16 KiB"},
		{name: "garbage", token: "not a license at all", err: ErrInvalid, reason: "well-formed"},
		{name: "empty", token: "", err: ErrInvalid},
		{name: "dots only", token: "..", err: ErrInvalid},
		{name: "payload not JSON", token: header + "." + b64("seats=5") + "." + sig, err: ErrInvalid, reason: "well-formed"},
		{name: "seats as a string", token: header + "." + b64(`{"seats":"50"}`) + "." + sig, err: ErrInvalid, reason: "well-formed"},
		{name: "no expiry", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.ExpiresAt = nil })), err: ErrInvalid, reason: "exp"},
		{name: "no issue time", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.IssuedAt = nil })), err: ErrInvalid, reason: "iat"},
		{name: "no start time", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.NotBefore = nil })), err: ErrInvalid, reason: "nbf"},
		{name: "no license id", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.ID = "" })), err: ErrInvalid, reason: "jti"},
		{name: "no customer", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.Subject = "" })), err: ErrInvalid, reason: "customer"},
		{name: "customer claim instead of sub", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.Subject, w.Customer = "", "Fabrikam" })),
			state: StateValid},
		{name: "sub and customer disagree", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.Customer = "Fabrikam" })),
			err: ErrInvalid, reason: "disagree"},
		{name: "no edition", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.Edition = "" })), err: ErrInvalid, reason: "edition"},
		{name: "unknown edition", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.Edition = "platinum" })),
			err: ErrInvalid, reason: `unknown edition "platinum"`},
		{name: "seats 0", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.Seats = 0 })), err: ErrInvalid, reason: "seats 0"},
		{name: "seats negative", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.Seats = -3 })), err: ErrInvalid, reason: "seats -3"},
		{name: "seats absurd", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.Seats = MaxSeats + 1 })), err: ErrInvalid, reason: "seats"},
		{name: "expiry before start", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) {
			w.ExpiresAt = jwt.NewNumericDate(now.Add(-101 * 24 * time.Hour))
		})), err: ErrInvalid, reason: "not after its start"},
		{name: "grace period not a duration", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.OfflineGracePeriod = "two weeks" })),
			err: ErrInvalid, reason: "offlineGracePeriod"},
		{name: "grace period over a year", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.OfflineGracePeriod = "400d" })),
			err: ErrInvalid, reason: "offlineGracePeriod"},
		{name: "feature not a name", token: sign(t, jwt.SigningMethodRS256, devPrivate(t), wire(func(w *wireClaims) { w.Features = []string{"BYOI!"} })),
			err: ErrInvalid, reason: "feature 1"},
	}
	v := verifier(t, "revoked-1")
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := v.Verify(tt.token)
			if tt.err == nil {
				require.NoError(t, err)
				require.Equal(t, tt.state, l.State(now))
				require.Equal(t, SourceToken, l.Source)
				require.Equal(t, KeyDevelopment, l.Key)
				return
			}
			require.ErrorIs(t, err, tt.err)
			require.Contains(t, err.Error(), tt.reason)
			require.NotContains(t, err.Error(), "\n")
			if _, p, s := split(strings.TrimSpace(tt.token)); len(p) > 8 {
				require.NotContains(t, err.Error(), p, "an error never quotes the token")
				if len(s) > 8 {
					require.NotContains(t, err.Error(), s)
				}
			}
			if tt.err == ErrInvalid {
				require.Zero(t, l, "an invalid token yields no license")
			} else {
				require.Equal(t, "Contoso Ltd", l.Customer, "a good signature with a bad date still shows its claims")
			}
		})
	}
}

func TestVerifyReturnsTheIssuedClaims(t *testing.T) {
	t.Parallel()
	c := validClaims(func(c *Claims) { c.PhoneHomeRequired = true; c.Features = []string{"byoi", "priority_support"} })
	l, err := verifier(t).Verify(issue(t, c))
	require.NoError(t, err)
	require.Equal(t, c, l.Claims)
	require.Equal(t, c.ExpiresAt.Add(14*24*time.Hour), l.GraceEnds())
}

func TestVerifierWithAnotherKeyRefusesDevelopmentLicenses(t *testing.T) {
	t.Parallel()
	v, err := NewVerifier(&anotherKey(t).PublicKey, KeyFile, &Options{Now: func() time.Time { return now }})
	require.NoError(t, err)
	_, err = v.Verify(issue(t, validClaims()))
	require.ErrorIs(t, err, ErrInvalid)

	l, err := v.Verify(must(Issue(anotherKey(t), validClaims())))
	require.NoError(t, err)
	require.Equal(t, KeyFile, l.Key)
}

func TestIssueRefusesWhatVerifyWouldRefuse(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*Claims){
		"seats 0":         func(c *Claims) { c.Seats = 0 },
		"unknown edition": func(c *Claims) { c.Edition = "gold" },
		"no customer":     func(c *Claims) { c.Customer = " " },
		"no expiry":       func(c *Claims) { c.ExpiresAt = time.Time{} },
		"no issue time":   func(c *Claims) { c.IssuedAt, c.NotBefore = time.Time{}, time.Time{} },
		"duplicate feature": func(c *Claims) {
			c.Features = []string{"byoi", "byoi"}
		},
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Issue(devPrivate(t), validClaims(mod))
			require.Error(t, err)
		})
	}
	t.Run("no key", func(t *testing.T) {
		_, err := Issue(nil, validClaims())
		require.Error(t, err)
	})
}

func TestIssueFillsIDAndStart(t *testing.T) {
	t.Parallel()
	c := validClaims(func(c *Claims) { c.ID, c.NotBefore = "", time.Time{} })
	l, err := verifier(t).Verify(issue(t, c))
	require.NoError(t, err)
	require.Len(t, l.ID, 32)
	require.Equal(t, c.IssuedAt, l.NotBefore)
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"0": 0, "14d": 14 * 24 * time.Hour, "36h": 36 * time.Hour, " 90m ": 90 * time.Minute, "365d": MaxGracePeriod} {
		got, err := ParseDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		if in == "14d" {
			require.Equal(t, "14d", FormatDuration(got))
		}
	}
	for _, in := range []string{"", "d", "-1d", "366d", "two weeks", "-5h", "14 d"} {
		_, err := ParseDuration(in)
		require.Error(t, err, in)
	}
}

func split(tok string) (header, payload, sig string) {
	parts := strings.SplitN(tok, ".", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return parts[0], parts[1], parts[2]
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestClipKeepsMessagesReadable(t *testing.T) {
	t.Parallel()
	require.Equal(t, strings.Repeat("é", 40)+"…", clip(strings.Repeat("é", 50)), "never cuts a character in two")
	require.Equal(t, "ab", clip("a\nb"), "no control characters in a one-line message")
}

package graphhook_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/graphhook/graphhooktest"
)

func TestTokenVerifierVerify(t *testing.T) {
	t.Parallel()
	a, b := uuid.MustParse(tenantA), uuid.MustParse(tenantB)
	stranger := graphhooktest.NewKey(t)
	pubPEM := func(p *graphhooktest.Publisher) []byte {
		der, err := x509.MarshalPKIXPublicKey(&p.SigningKey.PublicKey)
		require.NoError(t, err)
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	claims := func(edit func(jwt.MapClaims)) *graphhooktest.TokenOptions {
		return &graphhooktest.TokenOptions{Claims: edit}
	}
	type mint func(t *testing.T, p *graphhooktest.Publisher) []string
	one := func(tenant uuid.UUID, o *graphhooktest.TokenOptions) mint {
		return func(t *testing.T, p *graphhooktest.Publisher) []string { return []string{p.Token(t, tenant, o)} }
	}
	cases := []struct {
		name    string
		tokens  mint
		tenants []uuid.UUID
		wantErr error
	}{
		{name: "valid", tokens: one(a, nil), tenants: []uuid.UUID{a}},
		{name: "valid with azp instead of appid", tokens: one(a, claims(func(c jwt.MapClaims) {
			delete(c, "appid")
			c["azp"] = graphhook.PublisherAppID
		})), tenants: []uuid.UUID{a}},
		{name: "valid with aud as an array", tokens: one(a, claims(func(c jwt.MapClaims) {
			c["aud"] = []string{"other", graphhooktest.ReferenceAppID}
		})), tenants: []uuid.UUID{a}},
		{name: "two tenants, two tokens", tokens: func(t *testing.T, p *graphhooktest.Publisher) []string {
			return []string{p.Token(t, a, nil), p.Token(t, b, nil)}
		}, tenants: []uuid.UUID{a, b}},
		{name: "no tenants, no tokens", tokens: func(*testing.T, *graphhooktest.Publisher) []string { return nil }},
		{name: "wrong audience", tokens: one(a, claims(func(c jwt.MapClaims) { c["aud"] = uuid.NewString() })), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrWrongAudience},
		{name: "no audience", tokens: one(a, claims(func(c jwt.MapClaims) { delete(c, "aud") })), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrWrongAudience},
		{name: "wrong issuer tenant", tokens: one(b, nil), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrWrongIssuer},
		{name: "v2 issuer", tokens: one(a, claims(func(c jwt.MapClaims) { c["iss"] = "https://login.microsoftonline.com/" + tenantA + "/v2.0" })), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrWrongIssuer},
		{name: "issuer without trailing slash", tokens: one(a, claims(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/" + tenantA })), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrWrongIssuer},
		{name: "tid disagrees with iss", tokens: one(a, claims(func(c jwt.MapClaims) { c["tid"] = tenantB })), tenants: []uuid.UUID{a, b}, wantErr: graphhook.ErrWrongIssuer},
		{name: "no tid", tokens: one(a, claims(func(c jwt.MapClaims) { delete(c, "tid") })), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrWrongIssuer},
		{name: "expired", tokens: one(a, claims(func(c jwt.MapClaims) { c["exp"] = graphhooktest.ReferenceNow().Add(-3 * time.Minute).Unix() })), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrTokenExpired},
		{name: "expired within the leeway is accepted", tokens: one(a, claims(func(c jwt.MapClaims) { c["exp"] = graphhooktest.ReferenceNow().Add(-time.Minute).Unix() })), tenants: []uuid.UUID{a}},
		{name: "not yet valid", tokens: one(a, claims(func(c jwt.MapClaims) { c["nbf"] = graphhooktest.ReferenceNow().Add(time.Hour).Unix() })), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrTokenExpired},
		{name: "no exp", tokens: one(a, claims(func(c jwt.MapClaims) { delete(c, "exp") })), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrTokenExpired},
		{name: "wrong appid", tokens: one(a, claims(func(c jwt.MapClaims) { c["appid"] = graphhooktest.ReferenceAppID })), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrWrongPublisher},
		{name: "right appid, wrong azp", tokens: one(a, claims(func(c jwt.MapClaims) { c["azp"] = uuid.NewString() })), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrWrongPublisher},
		{name: "no appid or azp", tokens: one(a, claims(func(c jwt.MapClaims) { delete(c, "appid") })), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrWrongPublisher},
		{name: "alg none", tokens: one(a, &graphhooktest.TokenOptions{Method: jwt.SigningMethodNone, Key: jwt.UnsafeAllowNoneSignatureType}), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrTokenSignature},
		{name: "HS256 keyed with the public key", tokens: func(t *testing.T, p *graphhooktest.Publisher) []string {
			return []string{p.Token(t, a, &graphhooktest.TokenOptions{Method: jwt.SigningMethodHS256, Key: pubPEM(p)})}
		}, tenants: []uuid.UUID{a}, wantErr: graphhook.ErrTokenSignature},
		{name: "RS512", tokens: func(t *testing.T, p *graphhooktest.Publisher) []string {
			return []string{p.Token(t, a, &graphhooktest.TokenOptions{Method: jwt.SigningMethodRS512, Key: p.SigningKey})}
		}, tenants: []uuid.UUID{a}, wantErr: graphhook.ErrTokenSignature},
		{name: "known kid, other key", tokens: one(a, &graphhooktest.TokenOptions{Method: jwt.SigningMethodRS256, Key: stranger}), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrTokenSignature},
		{name: "tampered claims", tokens: func(t *testing.T, p *graphhooktest.Publisher) []string {
			good := strings.Split(p.Token(t, a, nil), ".")
			evil := strings.Split(p.Token(t, b, &graphhooktest.TokenOptions{Method: jwt.SigningMethodRS256, Key: stranger}), ".")
			return []string{good[0] + "." + evil[1] + "." + good[2]}
		}, tenants: []uuid.UUID{b}, wantErr: graphhook.ErrTokenSignature},
		{name: "unknown kid", tokens: one(a, &graphhooktest.TokenOptions{KeyID: "not-published"}), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrUnknownKey},
		{name: "no kid", tokens: one(a, &graphhooktest.TokenOptions{Header: func(h map[string]any) { delete(h, "kid") }}), tenants: []uuid.UUID{a}, wantErr: graphhook.ErrUnknownKey},
		{name: "not a JWT", tokens: func(*testing.T, *graphhooktest.Publisher) []string { return []string{"abc"} }, tenants: []uuid.UUID{a}, wantErr: graphhook.ErrMalformedToken},
		{name: "oversized", tokens: func(*testing.T, *graphhooktest.Publisher) []string { return []string{strings.Repeat("a", 20000)} }, tenants: []uuid.UUID{a}, wantErr: graphhook.ErrMalformedToken},
		{name: "missing token for a tenant", tokens: one(a, nil), tenants: []uuid.UUID{a, b}, wantErr: graphhook.ErrMissingToken},
		{name: "no tokens at all", tokens: func(*testing.T, *graphhooktest.Publisher) []string { return nil }, tenants: []uuid.UUID{a}, wantErr: graphhook.ErrMissingToken},
		{name: "one bad token fails the batch", tokens: func(t *testing.T, p *graphhooktest.Publisher) []string {
			return []string{p.Token(t, a, nil), p.Token(t, a, claims(func(c jwt.MapClaims) { c["appid"] = "x" }))}
		}, tenants: []uuid.UUID{a}, wantErr: graphhook.ErrWrongPublisher},
		{name: "nil tenant cannot be covered", tokens: one(uuid.Nil, nil), tenants: []uuid.UUID{uuid.Nil}, wantErr: graphhook.ErrMissingToken},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := graphhooktest.NewReference(t)
			err := p.Verifier().Verify(context.Background(), tt.tokens(t, p), tt.tenants)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			var te *graphhook.TokenError
			require.True(t, errors.As(err, &te))
		})
	}
}

func TestTokenErrorsCarryIndexAndTenant(t *testing.T) {
	t.Parallel()
	a, b := uuid.MustParse(tenantA), uuid.MustParse(tenantB)
	p := graphhooktest.NewReference(t)
	tokens := []string{p.Token(t, a, nil), p.Token(t, a, &graphhooktest.TokenOptions{Claims: func(c jwt.MapClaims) { c["appid"] = "x" }})}
	err := p.Verifier().Verify(context.Background(), tokens, []uuid.UUID{a, b})
	require.Error(t, err)
	var got []*graphhook.TokenError
	for _, e := range errors.Unwrap(err).(interface{ Unwrap() []error }).Unwrap() {
		var te *graphhook.TokenError
		require.True(t, errors.As(e, &te))
		got = append(got, te)
	}
	require.Len(t, got, 2)
	require.Equal(t, 1, got[0].Index)
	require.Equal(t, a, got[0].TenantID)
	require.ErrorIs(t, got[0], graphhook.ErrWrongPublisher)
	require.Equal(t, -1, got[1].Index)
	require.Equal(t, b, got[1].TenantID)
	require.ErrorIs(t, got[1], graphhook.ErrMissingToken)
	require.NotContains(t, err.Error(), tokens[1], "errors never echo tokens")
}

func TestTokenVerifierKeyCache(t *testing.T) {
	t.Parallel()
	a := uuid.MustParse(tenantA)
	ctx := context.Background()

	t.Run("fetches once, then serves from cache", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		v := p.Verifier()
		for range 3 {
			require.NoError(t, v.Verify(ctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}))
		}
		require.Equal(t, 1, p.Keys.Fetches())
		require.Equal(t, 1, p.Keys.Discoveries())
	})

	t.Run("unknown kid refetches once, then not again within the interval", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		v := p.Verifier()
		require.NoError(t, v.Verify(ctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}))
		require.Equal(t, 1, p.Keys.Fetches())

		// Within the interval: no refetch at all.
		unknown := p.Token(t, a, &graphhooktest.TokenOptions{KeyID: "rotated-in"})
		require.ErrorIs(t, v.Verify(ctx, []string{unknown}, []uuid.UUID{a}), graphhook.ErrUnknownKey)
		require.Equal(t, 1, p.Keys.Fetches())

		// After it: exactly one refetch, even for several unknown tokens in one batch.
		p.Clock.Advance(graphhook.DefaultMinRefreshInterval)
		other := p.Token(t, a, &graphhooktest.TokenOptions{KeyID: "rotated-in-2"})
		require.ErrorIs(t, v.Verify(ctx, []string{unknown, other}, []uuid.UUID{a}), graphhook.ErrUnknownKey)
		require.Equal(t, 2, p.Keys.Fetches())
		require.ErrorIs(t, v.Verify(ctx, []string{unknown}, []uuid.UUID{a}), graphhook.ErrUnknownKey)
		require.Equal(t, 2, p.Keys.Fetches())
	})

	t.Run("rotated key is picked up by the refetch", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.New(t, nil)
		v := p.Verifier()
		require.NoError(t, v.Verify(ctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}))

		next := graphhooktest.NewKey(t)
		p.Keys.Add("next", &next.PublicKey)
		p.Clock.Advance(2 * graphhook.DefaultMinRefreshInterval)
		tok := p.Token(t, a, &graphhooktest.TokenOptions{KeyID: "next", Method: jwt.SigningMethodRS256, Key: next})
		require.NoError(t, v.Verify(ctx, []string{tok}, []uuid.UUID{a}))
		require.Equal(t, 2, p.Keys.Fetches())
	})

	t.Run("stale key set is refetched after the TTL", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.New(t, nil)
		v := p.Verifier()
		require.NoError(t, v.Verify(ctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}))
		p.Clock.Advance(graphhook.DefaultKeysTTL)
		other := graphhooktest.NewKey(t)
		p.Keys.Add("other", &other.PublicKey)
		p.Keys.Remove(p.KeyID) // withdrawn upstream
		require.ErrorIs(t, v.Verify(ctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}), graphhook.ErrUnknownKey)
		require.Equal(t, 2, p.Keys.Fetches())
	})

	t.Run("keys unavailable is transient and typed", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		p.Keys.SetFailing(true)
		v := p.Verifier()
		err := v.Verify(ctx, []string{p.Token(t, a, nil), p.Token(t, a, nil)}, []uuid.UUID{a})
		require.ErrorIs(t, err, graphhook.ErrKeysUnavailable)
		require.Equal(t, 1, p.Keys.Discoveries(), "one attempt per call")

		p.Keys.SetFailing(false)
		require.ErrorIs(t, v.Verify(ctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}), graphhook.ErrKeysUnavailable, "no retry within the interval")
		p.Clock.Advance(graphhook.DefaultMinRefreshInterval)
		require.NoError(t, v.Verify(ctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}))
	})

	t.Run("a failed refresh keeps serving cached keys", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		v := p.Verifier()
		require.NoError(t, v.Verify(ctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}))
		p.Keys.SetFailing(true)
		p.Clock.Advance(graphhook.DefaultKeysTTL)
		require.NoError(t, v.Verify(ctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}))
		require.Equal(t, 2, p.Keys.Discoveries())
	})

	t.Run("concurrent cold start fetches once", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		v := p.Verifier()
		tok := p.Token(t, a, nil)
		errs := make(chan error, 8)
		for range 8 {
			go func() { errs <- v.Verify(ctx, []string{tok}, []uuid.UUID{a}) }()
		}
		for range 8 {
			require.NoError(t, <-errs)
		}
		require.Equal(t, 1, p.Keys.Fetches())
	})

	t.Run("KeysURL skips discovery", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		v := p.Verifier()
		v.DiscoveryURL, v.KeysURL = "", p.Keys.KeysURL()
		require.NoError(t, v.Verify(ctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}))
		require.Equal(t, 0, p.Keys.Discoveries())
	})

	t.Run("jwks_uri on another host is refused", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		v := p.Verifier()
		v.DiscoveryURL = strings.Replace(p.Keys.DiscoveryURL(), "127.0.0.1", "localhost", 1)
		require.ErrorIs(t, v.Verify(ctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}), graphhook.ErrKeysUnavailable)
		require.Equal(t, 0, p.Keys.Fetches())
	})

	t.Run("cancelled context", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		require.ErrorIs(t, p.Verifier().Verify(cctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}), graphhook.ErrKeysUnavailable)
	})
}

func TestTokenVerifierVerifyBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := uuid.MustParse(tenantA), uuid.MustParse(tenantB)

	t.Run("basic batch needs no I/O", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		batch, err := graphhook.ParseBatch(p.Body(t, p.TranscriptNotification(t, graphhooktest.TranscriptOptions{})))
		require.NoError(t, err)
		require.NoError(t, p.Verifier().VerifyBatch(ctx, batch))
		require.Equal(t, 0, p.Keys.Fetches()+p.Keys.Discoveries())
	})

	t.Run("token for a tenant with only basic items is allowed", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		items := []graphhook.Notification{
			p.TranscriptNotification(t, graphhooktest.TranscriptOptions{TenantID: a, Rich: true}),
			p.TranscriptNotification(t, graphhooktest.TranscriptOptions{TenantID: b}),
		}
		body := graphhooktest.BodyWithTokens(t, []string{p.Token(t, a, nil), p.Token(t, b, nil)}, items...)
		batch, err := graphhook.ParseBatch(body)
		require.NoError(t, err)
		require.NoError(t, p.Verifier().VerifyBatch(ctx, batch))
	})

	t.Run("rich items without tokens", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		body := graphhooktest.BodyWithTokens(t, nil, p.TranscriptNotification(t, graphhooktest.TranscriptOptions{Rich: true}))
		batch, err := graphhook.ParseBatch(body)
		require.NoError(t, err)
		require.ErrorIs(t, p.Verifier().VerifyBatch(ctx, batch), graphhook.ErrMissingToken)
	})

	t.Run("token for a tenant not in the batch", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		body := graphhooktest.BodyWithTokens(t, []string{p.Token(t, a, nil), p.Token(t, b, nil)}, p.TranscriptNotification(t, graphhooktest.TranscriptOptions{TenantID: a, Rich: true}))
		batch, err := graphhook.ParseBatch(body)
		require.NoError(t, err)
		require.ErrorIs(t, p.Verifier().VerifyBatch(ctx, batch), graphhook.ErrWrongIssuer)
	})

	t.Run("AppID is required", func(t *testing.T) {
		t.Parallel()
		p := graphhooktest.NewReference(t)
		v := p.Verifier()
		v.AppID = ""
		require.Error(t, v.Verify(ctx, []string{p.Token(t, a, nil)}, []uuid.UUID{a}))
	})
}

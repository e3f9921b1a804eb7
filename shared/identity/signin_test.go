package identity_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/identity"
)

// signIn runs the browser leg against the fake and returns the callback query.
func signIn(t *testing.T, p *identity.Provider, b *testBundle, req identity.AuthRequest) url.Values {
	t.Helper()
	loc := follow(t, b.entra.Client(), p.AuthCodeURL(req))
	require.Equal(t, redirectURL, (&url.URL{Scheme: loc.Scheme, Host: loc.Host, Path: loc.Path}).String())
	return loc.Query()
}

func TestSignInRoundTrip(t *testing.T) {
	t.Parallel()
	p, b := setup(t)
	ctx := context.Background()
	codec := identity.StateCodec{Key: []byte(strings.Repeat("k", 32)), Now: b.clock.Now}
	binding := "session-hash"

	nonce := identity.RandomToken(16)
	verifier, challenge := identity.NewPKCE()
	state, err := codec.Encode(identity.StatePayload{Purpose: identity.PurposeSignIn, Binding: binding, Nonce: nonce, ReturnTo: "/meetings"})
	require.NoError(t, err)

	q := signIn(t, p, b, identity.AuthRequest{State: state, Nonce: nonce, CodeChallenge: challenge})
	require.Empty(t, q.Get("error"))
	payload, err := codec.Decode(q.Get("state"), identity.PurposeSignIn, binding)
	require.NoError(t, err)
	require.Equal(t, "/meetings", payload.ReturnTo)

	tokens, err := p.Exchange(ctx, q.Get("code"), verifier)
	require.NoError(t, err)
	require.NotEmpty(t, tokens.AccessToken)
	require.NotEmpty(t, tokens.RefreshToken)
	require.Positive(t, tokens.ExpiresIn)

	claims, err := p.VerifyIDToken(ctx, tokens.IDToken, payload.Nonce)
	require.NoError(t, err)
	require.Equal(t, b.user.TenantID, claims.TenantID)
	require.Equal(t, b.user.ObjectID, claims.ObjectID)
	require.Equal(t, "Ada Admin", claims.Name)
	require.Equal(t, "ada@contoso.example", claims.Email)
	require.Equal(t, "ada@contoso.example", claims.PreferredUsername)
	require.Equal(t, []string{"Minutes.Admin"}, claims.Roles)
	require.Equal(t, b.clock.Now(), claims.IssuedAt)
	require.True(t, claims.ExpiresAt.After(claims.IssuedAt))

	t.Run("the code is single use", func(t *testing.T) {
		_, err := p.Exchange(ctx, q.Get("code"), verifier)
		var oe *identity.OAuthError
		require.ErrorAs(t, err, &oe)
		require.Equal(t, "invalid_grant", oe.Code)
		require.Equal(t, 400, oe.Status)
		require.True(t, oe.HasCode(54005), oe.Description)
	})
}

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	p, b := setup(t)
	u, err := url.Parse(p.AuthCodeURL(identity.AuthRequest{State: "st", Nonce: "no", CodeChallenge: "ch", LoginHint: "ada@contoso.example", Prompt: "select_account"}))
	require.NoError(t, err)
	require.Equal(t, b.entra.URL+"/organizations/oauth2/v2.0/authorize", (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String())
	require.Equal(t, url.Values{
		"client_id":             {b.entra.ClientID()},
		"response_type":         {"code"},
		"redirect_uri":          {redirectURL},
		"response_mode":         {"query"},
		"scope":                 {"openid profile email offline_access"},
		"state":                 {"st"},
		"nonce":                 {"no"},
		"code_challenge":        {"ch"},
		"code_challenge_method": {"S256"},
		"login_hint":            {"ada@contoso.example"},
		"prompt":                {"select_account"},
	}, u.Query())

	def, err := identity.New(identity.Config{ClientID: b.entra.ClientID(), ClientSecret: "s", RedirectURL: redirectURL, ConsentRedirectURL: consentRedirectURL})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(def.AuthCodeURL(identity.AuthRequest{}), "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?"))
}

func TestExchangeErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("wrong verifier", func(t *testing.T) {
		t.Parallel()
		p, b := setup(t)
		_, challenge := identity.NewPKCE()
		q := signIn(t, p, b, identity.AuthRequest{State: "s", Nonce: "n", CodeChallenge: challenge})
		other, _ := identity.NewPKCE()
		_, err := p.Exchange(ctx, q.Get("code"), other)
		var oe *identity.OAuthError
		require.ErrorAs(t, err, &oe)
		require.Equal(t, "invalid_grant", oe.Code)
		require.True(t, oe.HasCode(501481))
		require.NotContains(t, err.Error(), q.Get("code"))
	})

	t.Run("wrong client secret is invalid_client and never echoed", func(t *testing.T) {
		t.Parallel()
		p, b := setup(t)
		verifier, challenge := identity.NewPKCE()
		q := signIn(t, p, b, identity.AuthRequest{State: "s", Nonce: "n", CodeChallenge: challenge})
		cfg := b.cfg
		cfg.ClientSecret = "wrong-secret-value-123"
		bad, err := identity.New(cfg)
		require.NoError(t, err)
		_, err = bad.Exchange(ctx, q.Get("code"), verifier)
		var oe *identity.OAuthError
		require.ErrorAs(t, err, &oe)
		require.Equal(t, "invalid_client", oe.Code)
		require.Equal(t, 401, oe.Status)
		require.True(t, oe.HasCode(7000215))
		require.NotContains(t, err.Error(), "wrong-secret-value-123")
		require.NotContains(t, err.Error(), b.entra.ClientSecret())
	})

	t.Run("redirect_uri differs from the authorize request", func(t *testing.T) {
		t.Parallel()
		other := "https://minutes.example.com/other/callback"
		p, b := setup(t, setupOpts{entra: entratestOptions(redirectURL, consentRedirectURL, other)})
		verifier, challenge := identity.NewPKCE()
		q := signIn(t, p, b, identity.AuthRequest{State: "s", Nonce: "n", CodeChallenge: challenge})
		cfg := b.cfg
		cfg.RedirectURL = other
		p2, err := identity.New(cfg)
		require.NoError(t, err)
		_, err = p2.Exchange(ctx, q.Get("code"), verifier)
		var oe *identity.OAuthError
		require.ErrorAs(t, err, &oe)
		require.Equal(t, "invalid_grant", oe.Code)
	})

	t.Run("user cancels sign-in", func(t *testing.T) {
		t.Parallel()
		p, b := setup(t)
		b.entra.DenyNext()
		_, challenge := identity.NewPKCE()
		q := signIn(t, p, b, identity.AuthRequest{State: "s", Nonce: "n", CodeChallenge: challenge})
		require.Equal(t, "access_denied", q.Get("error"))
		require.Equal(t, "s", q.Get("state"))
		require.Empty(t, q.Get("code"))
	})

	t.Run("bad arguments are refused before any request", func(t *testing.T) {
		t.Parallel()
		p, b := setup(t)
		_, err := p.Exchange(ctx, "", strings.Repeat("v", 43))
		require.Error(t, err)
		_, err = p.Exchange(ctx, "code", "short")
		require.Error(t, err)
		require.Zero(t, b.entra.TokenRequests())
	})

	t.Run("non-JSON error body keeps the status", func(t *testing.T) {
		t.Parallel()
		cfg := identity.Config{ClientID: "6e1d2c4b-8a7f-4b3e-9c5d-2f0a1b3c4d5e", ClientSecret: "s", RedirectURL: redirectURL, ConsentRedirectURL: consentRedirectURL}
		_, b := setup(t)
		u, _ := url.Parse(b.entra.URL + "/nowhere")
		cfg.Authority, cfg.HTTPClient = u, b.entra.Client()
		p, err := identity.New(cfg)
		require.NoError(t, err)
		_, err = p.Exchange(ctx, "code", strings.Repeat("v", 43))
		var oe *identity.OAuthError
		require.ErrorAs(t, err, &oe)
		require.Equal(t, 404, oe.Status)
		require.Empty(t, oe.Code)
	})
}

func TestSecretsAreRedacted(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	cfg := b.cfg
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), slog.AnyValue(cfg).Resolve().String()} {
		require.NotContains(t, s, cfg.ClientSecret)
		require.Contains(t, s, "REDACTED")
	}
	tok := identity.Tokens{IDToken: "id-token-secret", AccessToken: "access-secret", RefreshToken: "refresh-secret", ExpiresIn: 3600}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%#v", tok), slog.AnyValue(tok).Resolve().String()} {
		require.NotContains(t, s, "secret")
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	good := identity.Config{ClientID: "6e1d2c4b-8a7f-4b3e-9c5d-2f0a1b3c4d5e", ClientSecret: "s", RedirectURL: redirectURL, ConsentRedirectURL: consentRedirectURL}
	mustURL := func(s string) *url.URL { u, _ := url.Parse(s); return u }
	cases := []struct {
		name  string
		edit  func(*identity.Config)
		field string
	}{
		{"client id not a GUID", func(c *identity.Config) { c.ClientID = "my-app" }, "ClientID"},
		{"client id braces", func(c *identity.Config) { c.ClientID = "{6e1d2c4b-8a7f-4b3e-9c5d-2f0a1b3c4d5e}" }, "ClientID"},
		{"no secret", func(c *identity.Config) { c.ClientSecret = "" }, "ClientSecret"},
		{"relative redirect", func(c *identity.Config) { c.RedirectURL = "/api/app/auth/callback" }, "RedirectURL"},
		{"no consent redirect", func(c *identity.Config) { c.ConsentRedirectURL = "" }, "ConsentRedirectURL"},
		{"http authority", func(c *identity.Config) { c.Authority = mustURL("http://login.microsoftonline.com") }, "Authority"},
		{"relative authority", func(c *identity.Config) { c.Authority = mustURL("login.microsoftonline.com") }, "Authority"},
		{"huge leeway", func(c *identity.Config) { c.Leeway = identity.DefaultLeeway * 100 }, "Leeway"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			_, err := identity.New(cfg)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.field)
			require.NotContains(t, err.Error(), "\"s\"")
		})
	}
	_, err := identity.New(good)
	require.NoError(t, err)
	loop := good
	loop.Authority = mustURL("http://127.0.0.1:8080")
	_, err = identity.New(loop)
	require.NoError(t, err)
}

func TestPKCE(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		v, c := identity.NewPKCE()
		require.GreaterOrEqual(t, len(v), 43)
		require.LessOrEqual(t, len(v), 128)
		require.Len(t, c, 43)
		require.NotContains(t, v+c, "=")
		require.False(t, seen[v])
		seen[v] = true
	}
	require.Len(t, identity.RandomToken(0), 22)
	require.Len(t, identity.RandomToken(32), 43)
}

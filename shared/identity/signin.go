package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
)

// signInScope is what sign-in asks for: an ID token with profile and email, and a refresh
// token.
const signInScope = "openid profile email offline_access"

// AuthRequest is one sign-in attempt. State, Nonce and CodeChallenge are required and fresh
// per attempt (StateCodec.Encode, RandomToken, NewPKCE).
type AuthRequest struct {
	// State is the signed state value (StateCodec.Encode with PurposeSignIn).
	State string
	// Nonce is echoed in the ID token; pass the same value to VerifyIDToken.
	Nonce string
	// CodeChallenge is the S256 challenge from NewPKCE.
	CodeChallenge string
	// LoginHint pre-fills the account (optional).
	LoginHint string
	// Prompt is "login", "select_account", "consent" or "none" (optional).
	Prompt string
}

// AuthCodeURL returns the authorize URL to redirect the browser to:
// {authority}/organizations/oauth2/v2.0/authorize with response_type=code,
// response_mode=query, scope "openid profile email offline_access", state, nonce and an S256
// code challenge. "organizations" admits work and school accounts of any tenant, never
// personal accounts.
func (p *Provider) AuthCodeURL(r AuthRequest) string {
	u := p.endpoint("organizations", "oauth2", "v2.0", "authorize")
	q := url.Values{
		"client_id":             {p.clientID},
		"response_type":         {"code"},
		"redirect_uri":          {p.redirectURL},
		"response_mode":         {"query"},
		"scope":                 {signInScope},
		"state":                 {r.State},
		"nonce":                 {r.Nonce},
		"code_challenge":        {r.CodeChallenge},
		"code_challenge_method": {"S256"},
	}
	if r.LoginHint != "" {
		q.Set("login_hint", r.LoginHint)
	}
	if r.Prompt != "" {
		q.Set("prompt", r.Prompt)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Tokens is the result of redeeming an authorization code. Every field but ExpiresIn is a
// credential: Tokens redacts them when printed or logged.
type Tokens struct {
	// IDToken is the raw ID token; verify it with VerifyIDToken before reading anything.
	IDToken string
	// AccessToken is for Microsoft Graph (delegated); opaque to us.
	AccessToken string
	// RefreshToken is present because offline_access was requested.
	RefreshToken string
	// ExpiresIn is the access token's lifetime in seconds.
	ExpiresIn int
}

// String prints the tokens redacted.
func (t Tokens) String() string {
	return fmt.Sprintf("identity.Tokens{IDToken: %s, AccessToken: %s, RefreshToken: %s, ExpiresIn: %d}",
		redacted(t.IDToken), redacted(t.AccessToken), redacted(t.RefreshToken), t.ExpiresIn)
}

// GoString is String, so %#v redacts too.
func (t Tokens) GoString() string { return t.String() }

// LogValue logs the tokens redacted.
func (t Tokens) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id_token", redacted(t.IDToken)),
		slog.String("access_token", redacted(t.AccessToken)),
		slog.String("refresh_token", redacted(t.RefreshToken)),
		slog.Int("expires_in", t.ExpiresIn),
	)
}

// Exchange redeems an authorization code with its PKCE verifier at
// {authority}/organizations/oauth2/v2.0/token, authenticating with the client secret. An
// error response is an *OAuthError (e.g. invalid_grant with AADSTS54005 for a code already
// redeemed, AADSTS501481 for a wrong verifier). The ID token is returned unverified.
func (p *Provider) Exchange(ctx context.Context, code, verifier string) (Tokens, error) {
	if code == "" {
		return Tokens{}, errors.New("exchange authorization code: code is empty")
	}
	if l := len(verifier); l < 43 || l > 128 {
		return Tokens{}, errors.New("exchange authorization code: PKCE verifier must be 43-128 characters")
	}
	form := url.Values{
		"client_id":     {p.clientID},
		"client_secret": {p.clientSecret},
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {p.redirectURL},
		"code_verifier": {verifier},
		"scope":         {signInScope},
	}
	tr, err := p.postToken(ctx, p.endpoint("organizations", "oauth2", "v2.0", "token"), form)
	if err != nil {
		return Tokens{}, fmt.Errorf("exchange authorization code: %w", err)
	}
	if tr.IDToken == "" {
		return Tokens{}, errors.New("exchange authorization code: response has no id_token")
	}
	return Tokens{IDToken: tr.IDToken, AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken, ExpiresIn: tr.ExpiresIn}, nil
}

var (
	_ slog.LogValuer = Tokens{}
	_ fmt.Stringer   = Tokens{}
)

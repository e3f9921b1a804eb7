// Package identity signs users in with Microsoft Entra ID (OpenID Connect authorization
// code flow with PKCE) and onboards customer tenants through admin consent, for a
// multi-tenant app registration. It speaks to Entra over plain HTTP and uses
// github.com/golang-jwt/jwt/v5 for JWT parsing; there is no other OIDC library.
//
// Sign-in: AuthCodeURL → browser → callback with code and state → StateCodec.Decode →
// Exchange → VerifyIDToken. Onboarding: AdminConsentURL → callback → StateCodec.Decode →
// ParseConsentCallback → ConfirmConsent, bound by the caller to the signed-in admin's
// verified tid.
//
// Invariants:
//   - an ID token is accepted only if it is RS256-signed by a key with a matching kid from
//     the tenant-independent JWKS (the jwks_uri of
//     {authority}/organizations/v2.0/.well-known/openid-configuration); the parser is given
//     jwt.WithValidMethods([]string{"RS256"}) and the key function returns a typed
//     *rsa.PublicKey, so "none" and HS256-with-the-public-key cannot verify;
//   - keys are RSA, use "sig", at least 2048 bits; anything else is never used to verify;
//   - the issuer is checked exactly: the discovery issuer template with {tenantid} replaced
//     by the token's tid, which must be a canonical GUID; a key's own issuer, if published,
//     must agree;
//   - aud is exactly our client ID, ver is "2.0", nonce equals the one sent, exp/nbf/iat hold
//     within Config.Leeway;
//   - users are keyed by (tid, oid); email and preferred_username are display-only;
//   - the JWKS is refreshed every 24 h and on an unknown kid, at most once a minute, with
//     concurrent refreshes collapsed into one request;
//   - errors never contain a token, a client secret or an authorization code; every
//     rejected ID token matches errors.Is(err, ErrInvalidToken);
//   - the admin-consent "tenant" parameter is a hint, never proof: ConfirmConsent obtains an
//     app-only token for that tenant and checks its tid and roles;
//   - state values are HMAC-SHA256 signed, expire, name their purpose and are bound to the
//     browser session; single use is the caller's job (StatePayload.ID).
package identity

// Package entratest is a fake Microsoft Entra ID for tests: an httptest.Server speaking the
// documented wire formats of the v2 endpoints a multi-tenant web app uses — OpenID discovery
// with the tenant-independent issuer template, the JWKS, the authorize endpoint (no UI: it
// redirects straight back with a code), the token endpoint (authorization_code with PKCE,
// refresh_token, client_credentials) and v2 admin consent — with Entra-shaped errors
// ({"error":"invalid_grant","error_description":"AADSTS54005: ...","error_codes":[54005]}).
//
// Point identity.Config.Authority at Server.URL. Users are added with AddUser and "sign in"
// with SetNextUser; failures are scripted with DenyNext, DeclineNextConsent and the
// replication-delay options; IssueIDToken mints arbitrary or forged tokens for negative
// tests; RotateKey and RetireOldKeys drive key rollover.
//
// Invariants:
//   - it is a test helper: it must never be imported by production code;
//   - it never redirects to a redirect_uri that is not registered (Options.RedirectURIs), as
//     Entra shows an error page instead;
//   - an authorization code is redeemable once, within 10 minutes, with the redirect_uri it
//     was issued for and a verifier whose S256 matches the challenge;
//   - client_credentials tokens are issued only for tenants that consented (through the
//     admin-consent endpoint or GrantConsent).
package entratest

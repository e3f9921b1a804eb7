// Package signin runs the browser flows that establish who a user is: Entra ID sign-in (OIDC
// authorization code with PKCE), sign-up (sign-in as an admin, then admin consent, then
// provisioning), invitation acceptance, sign-out, and the loopback-only dev sign-in.
//
// Invariants:
//   - every redirect to Entra carries a signed, expiring state bound to this browser's
//     session, and the matching handshake in the session is single use;
//   - the consenting directory must be the one the admin signed in from (the callback's
//     tenant parameter alone is never trusted), and consent is confirmed with an app token;
//   - a user is identified by (tid, oid), never by email;
//   - the session is renewed (new id and CSRF secret) at every sign-in.
package signin

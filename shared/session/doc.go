// Package session keeps the web portal's sign-in state in a cookie, with no server-side
// store: the cookie is the session, encrypted and authenticated with AES-256-GCM. It also
// holds the portal's CSRF defence ([Manager.CSRFMiddleware]) and the signed link tokens that
// invitation and similar e-mailed URLs carry ([LinkCodec]).
//
// # Cookie format
//
// A cookie value is base64url (no padding) of
//
//	key id (1 byte) || nonce (12 bytes) || AES-256-GCM(compact JSON payload) with 16-byte tag
//
// The additional data bound into the tag is a format label, the cookie name and the key id,
// so a value minted for another cookie, or relabelled with another key id, fails to open.
// The key id is derived from the key itself (the first byte of a SHA-256 over it), so it is
// stable however [Options.Keys] is reordered; the AES key is derived from the configured key
// with HKDF-SHA256, so the same secret reused elsewhere (say for a [LinkCodec]) yields
// unrelated keys.
//
// # Key rotation
//
// [Options.Keys] is ordered: the first key encrypts, every key decrypts. To rotate, put the new
// key first and keep the old one until every cookie it sealed has expired ([Options.MaxAge]);
// then drop it. Because active sessions are re-issued every [Options.RenewAfter], most of them
// move to the new key within minutes.
//
// # Invariants
//
//   - A cookie that was not sealed by one of the configured keys, was altered in any byte, or
//     belongs to another cookie name never yields a [Session]: [Manager.Load] returns
//     [ErrInvalid]. The decoder is fuzzed (FuzzDecode).
//   - A session dies at IssuedAt+MaxAge (absolute) or LastSeen+Idle (idle), whichever is
//     first, judged on the server's clock ([Options.Now]) and not on the browser honouring
//     Max-Age.
//   - Cookies are always Path=/, HttpOnly and SameSite=Lax; in production (the default) they
//     are also Secure and named with the __Host- prefix, which stops a sibling subdomain from
//     planting or overwriting them. [Options.Insecure] turns both off and exists for
//     http://localhost development only.
//   - Signing in is a privilege change: callers must call [Manager.Renew], which issues a new
//     session ID and CSRF token, so an identifier planted before sign-in (session fixation) is
//     worthless after it.
//   - Every state-changing request (any method but GET, HEAD, OPTIONS, TRACE) that reaches a
//     handler wrapped by [Manager.CSRFMiddleware] carried this session's CSRF token and was not
//     marked cross-site by the browser. Routes that must accept cross-site POSTs — webhooks
//     authenticated by their own signatures, the OIDC form_post callback — opt out by simply
//     not being wrapped; nothing else opts out.
//   - The session's CSRF secret is never rendered: templates get [CSRFToken], a freshly masked
//     copy per call, so compressed responses do not repeat a constant secret (BREACH).
//
// # What a stateless session cannot do
//
// A cookie cannot be revoked before it expires: signing out clears the browser's copy, but a
// copy captured earlier stays valid until its idle or absolute expiry. Deprovisioning
// (CC6.2/6.3) must therefore also be checked per request against the user row, and the
// lifetimes kept short. Likewise [Pending] is single use only for the browser that holds it:
// [Manager.TakePending] clears it from the cookie, and replaying an older copy is bounded by
// [Pending.Expires] and by the identity provider's single-use authorisation code.
//
// # Identifiers
//
// [Session] keeps tenant and user ids as strings. This package sits below the domain
// packages (store, tenancy) and must not import them, or every package that needs a session
// would drag the data layer in; the caller parses the strings into typed ids once, at the edge,
// and treats a parse failure like [ErrInvalid].
package session

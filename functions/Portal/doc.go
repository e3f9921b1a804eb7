// Package portal implements the Portal function: the server-rendered web pages under
// /api/app/ — the landing page, the meetings list, minutes review (approve, reject, edit),
// action items, the admin pages (settings, setup wizard, users and invitations, billing,
// health) and the operator console.
//
// Build it with New and mount every Route through funchost.Adapter.HTTP behind the
// authentication middleware (access.Authenticator.Middleware) and the CSRF middleware
// (session.Manager.CSRFMiddleware); the package does neither itself.
//
// Invariants:
//   - every core flow works without JavaScript: plain links and forms, POST then redirect
//     (303) to a GET page that shows the outcome through a fixed ?done= code, never text
//     taken from the URL; app.js only adds confirmations and a copy button;
//   - every POST form carries the session's CSRF token (the "csrf" template);
//   - tenant data is reached only through access.Principal.Store or the review service, so
//     another tenant's id and a malformed id both get the same 404 page;
//   - role checks are access.Require, RequireWrite and RequireOperator; pages hide what a role
//     may not do, and the POST handlers refuse it anyway (403 page). A suspended tenant reads
//     but sees no mutating buttons. The operator console answers 404 to everyone else;
//   - templates are parsed once, in New, from the embedded files; user content is only ever
//     rendered through html/template's contextual escaping;
//   - static assets are served under content-hashed names with a one-year immutable cache.
//
// Expected failures become HTML pages here (401 redirects to sign-in with return_to, 403,
// 404, 409, 503 when a dependency is not configured); anything unexpected is returned to
// funchost, which logs it once and answers 500.
package portal

// Package access decides who is calling and what they may do, in one place for the portal and
// the API.
//
// Invariants:
//   - the principal is rebuilt on every request from the session and the tenant's current
//     user row, so a demoted, disabled or erased user loses rights at once, not when their
//     cookie expires;
//   - handlers reach tenant data only through Principal.Store, which is bound to the
//     principal's own tenant: an id from another tenant is simply not found (404), never data;
//   - role checks are Require and RequireOperator; no handler compares roles itself.
package access

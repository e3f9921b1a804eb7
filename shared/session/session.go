package session

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"
)

// Errors [Manager.Load] returns; branch with errors.Is.
var (
	// ErrNoSession means the request carries no session cookie.
	ErrNoSession = errors.New("no session")
	// ErrInvalid means the cookie is present but unusable: tampered, sealed by an unknown key,
	// malformed, or expired. Treat it like ErrNoSession (and clear the cookie).
	ErrInvalid = errors.New("invalid session")
	// ErrExpired is the ErrInvalid for a session past its absolute or idle lifetime; it
	// matches ErrInvalid too, for callers who want to say "your session expired".
	ErrExpired = wrapped{ErrInvalid, "invalid session: expired"}
	// ErrTooLarge means a session does not fit in a cookie (4096 bytes with attributes).
	ErrTooLarge = errors.New("session too large for a cookie")
	// ErrNoPending means [Manager.TakePending] found no in-flight handshake for the purpose,
	// or it had expired.
	ErrNoPending = errors.New("no pending sign-in for this session")
)

// wrapped is a sentinel that also matches another sentinel under errors.Is.
type wrapped struct {
	parent error
	msg    string
}

func (e wrapped) Error() string { return e.msg }
func (e wrapped) Unwrap() error { return e.parent }

// Session is one browser's sign-in state. A zero TenantID and UserID means signed out
// (a session may exist before sign-in, to carry [Pending] and a CSRF token).
type Session struct {
	// ID identifies the session: 128 random bits, base64url. Renewed at sign-in.
	ID string
	// TenantID is the signed-in user's tenant id as text; the caller parses it into its
	// typed id (this package must not import domain packages). Empty when signed out.
	TenantID string
	// UserID is the signed-in user's id as text, parsed by the caller like TenantID.
	UserID string
	// Role is the user's role in the tenant, as the caller's role type spells it.
	Role string
	// Operator marks a product operator (support staff) session.
	Operator bool
	// Name and Email are for display only; never authorise on them.
	Name, Email string
	// EntraTenantID and EntraObjectID are the validated (tid, oid) of the Entra ID sign-in,
	// kept between sign-in and admin consent so the consent is bound to the signed-in admin's
	// directory. Empty until an ID token has been verified.
	EntraTenantID, EntraObjectID string
	// CSRF is the session's CSRF secret: 256 random bits, base64url. Never render it; render
	// [CSRFToken] instead. Renewed at sign-in.
	CSRF string
	// IssuedAt is when the session started or was last renewed (sign-in), to the second; the
	// absolute lifetime counts from here.
	IssuedAt time.Time
	// LastSeen is when the cookie was last issued, to the second; the idle lifetime counts
	// from here.
	LastSeen time.Time
	// Pending is an in-flight OIDC sign-in or admin-consent handshake, nil when none.
	Pending *Pending
}

// SignedIn reports whether the session belongs to a user.
func (s *Session) SignedIn() bool { return s != nil && s.UserID != "" }

// Pending is an in-flight OIDC sign-in or consent handshake, kept in the session between the
// redirect to the identity provider and its callback. It is single use: the callback takes it
// with [Manager.TakePending], which clears it.
type Pending struct {
	// StateID is the random part of the OAuth state parameter.
	StateID string
	// Nonce is the OIDC nonce expected in the ID token.
	Nonce string
	// Verifier is the PKCE code verifier.
	Verifier string
	// ReturnTo is the local path to go back to after the callback. The caller must have
	// checked it is a local path ("/x", not "//host" or "https://…") before storing it.
	ReturnTo string
	// Purpose names the handshake ("signin", "admin_consent"); the callback must ask for the
	// same purpose.
	Purpose string
	// Expires is when the handshake stops being accepted.
	Expires time.Time
}

// randomString returns n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program rather than return an error
	return base64.RawURLEncoding.EncodeToString(b)
}

// Random sizes in bytes.
const (
	idBytes   = 16 // Session.ID: 128 bits
	csrfBytes = 32 // Session.CSRF: 256 bits
)

package session

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
)

// Where [Manager.CSRFMiddleware] looks for the token.
const (
	// CSRFFormField is the form field carrying the token in server-rendered forms:
	//
	//	<input type="hidden" name="csrf_token" value="{{ .CSRFToken }}">
	CSRFFormField = "csrf_token"
	// CSRFHeader is the request header carrying the token for scripted requests.
	CSRFHeader = "X-CSRF-Token"
)

// ErrCSRF is wrapped by every rejection of [Manager.CSRFMiddleware].
var ErrCSRF = errors.New("csrf check failed")

// CSRF rejection reasons, each wrapping ErrCSRF. The texts are shown to the user.
var (
	errCSRFNoSession  = fmt.Errorf("%w: no valid session; sign in or reload the page and try again", ErrCSRF)
	errCSRFCrossSite  = fmt.Errorf("%w: the browser reports a cross-site request", ErrCSRF)
	errCSRFOrigin     = fmt.Errorf("%w: the request comes from another origin", ErrCSRF)
	errCSRFMissing    = fmt.Errorf("%w: the form has no security token; reload the page and try again", ErrCSRF)
	errCSRFMismatched = fmt.Errorf("%w: the security token does not match this session; reload the page and try again", ErrCSRF)
)

// CSRFToken returns the token to render into forms ([CSRFFormField]) or a meta tag for
// scripts ([CSRFHeader]) for session s, or "" for a nil session. Each call returns a
// different string — the session's secret XORed with a fresh random pad, pad prepended — so a
// compressed page never repeats a constant secret (BREACH); every one of them is accepted for
// s until its CSRF secret is renewed.
func CSRFToken(s *Session) string {
	if s == nil {
		return ""
	}
	secret, err := base64.RawURLEncoding.DecodeString(s.CSRF)
	if err != nil || len(secret) == 0 {
		return ""
	}
	out := make([]byte, 2*len(secret))
	_, _ = rand.Read(out[:len(secret)]) // never fails: crypto/rand crashes the program rather than return an error
	subtle.XORBytes(out[len(secret):], out[:len(secret)], secret)
	return base64.RawURLEncoding.EncodeToString(out)
}

// validCSRF reports, in time independent of the secret, whether token is a masked form of
// s.CSRF.
func validCSRF(s *Session, token string) bool {
	secret, err := base64.RawURLEncoding.DecodeString(s.CSRF)
	if err != nil || len(secret) == 0 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 2*len(secret) {
		return false
	}
	got := make([]byte, len(secret))
	subtle.XORBytes(got, raw[:len(secret)], raw[len(secret):])
	return subtle.ConstantTimeCompare(got, secret) == 1
}

// Binding returns base64url(SHA-256("bind:" + s.ID)): a value that ties an OAuth state
// parameter to this browser's session without revealing the session ID to the identity
// provider. The caller puts it in (or derives the state from) it and, on the callback,
// checks it with [BindingMatches] against the session that came back. For a nil session it
// returns a fresh random value, which nothing can match.
func Binding(s *Session) string {
	if s == nil || s.ID == "" {
		return randomString(sha256.Size)
	}
	sum := sha256.Sum256([]byte("bind:" + s.ID))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// BindingMatches reports, in constant time, whether v is Binding(s). It is false for a nil
// session or an empty v.
func BindingMatches(s *Session, v string) bool {
	if s == nil || s.ID == "" || v == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(Binding(s)), []byte(v)) == 1
}

// CSRFMiddleware protects next against cross-site request forgery. GET, HEAD, OPTIONS and
// TRACE pass untouched (handlers must not change state on them). Every other method must:
//
//  1. carry a valid session cookie;
//  2. if the browser sent Sec-Fetch-Site, have it be "same-origin" or "none";
//  3. if it sent Origin, have it equal the request's own origin (https:// — or http:// with
//     [Options.Insecure] — plus Host) or one of [Options.AllowedOrigins];
//  4. carry a token from [CSRFToken] for this session in the [CSRFHeader] header or, failing
//     that, the [CSRFFormField] field of a url-encoded or multipart body (never the query
//     string), compared in constant time.
//
// A failure is answered by [Options.CSRFFailed] (default: 403 with a plain-text reason) and
// next is not called. The checks that need no body run first, so a cross-site or session-less
// request is refused before its body is parsed.
//
// A form shown to a signed-out visitor needs a session too: [Manager.Start] and
// [Manager.Save] one when rendering it, so the POST has a token to carry.
//
// Routes that must accept cross-site POSTs — webhooks verified by their own signatures, an
// OIDC response_mode=form_post callback — opt out by being mounted without this wrapper; there
// is no other bypass.
func (m *Manager) CSRFMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			next.ServeHTTP(w, r)
			return
		}
		if err := m.checkCSRF(r); err != nil {
			m.csrfFailed(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkCSRF runs the checks of CSRFMiddleware on a state-changing request.
func (m *Manager) checkCSRF(r *http.Request) error {
	s, err := m.Load(r)
	if err != nil {
		return errCSRFNoSession
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return errCSRFCrossSite
	}
	if o := r.Header.Get("Origin"); o != "" && !m.sameOrigin(r, o) {
		return errCSRFOrigin
	}
	token := r.Header.Get(CSRFHeader)
	if token == "" {
		token = r.PostFormValue(CSRFFormField)
	}
	switch {
	case token == "":
		return errCSRFMissing
	case !validCSRF(s, token):
		return errCSRFMismatched
	}
	return nil
}

// sameOrigin reports whether the Origin header value o is the request's own origin or an
// allowed one. "null" (sandboxed frames, some redirects) never is.
func (m *Manager) sameOrigin(r *http.Request, o string) bool {
	got, err := parseOrigin(o)
	if err != nil {
		return false
	}
	scheme := "https"
	if !m.secure {
		scheme = "http"
	}
	return got == origin(scheme, r.Host) || m.origins[got]
}

// writeCSRFFailure is the default Options.CSRFFailed: 403 with the reason in plain text.
func writeCSRFFailure(w http.ResponseWriter, _ *http.Request, err error) {
	http.Error(w, "Forbidden: "+err.Error()+".", http.StatusForbidden)
}

package session

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// maxSetCookie is the longest Set-Cookie header value Save writes: browsers are only required
// to keep cookies up to 4096 bytes, name, value and attributes included (RFC 6265 §6.1).
const maxSetCookie = 4096

// DefaultPendingTTL is the lifetime [Manager.NewPending] gives a handshake when asked for 0.
const DefaultPendingTTL = 10 * time.Minute

// Manager issues, reads and renews session cookies and checks CSRF. It is safe for
// concurrent use. Build it with [New].
type Manager struct {
	keys       []sessionKey // keys[0] seals
	name       string
	secure     bool
	maxAge     time.Duration
	idle       time.Duration
	renewAfter time.Duration
	origins    map[string]bool // normalised Options.AllowedOrigins
	csrfFailed func(http.ResponseWriter, *http.Request, error)
	now        func() time.Time
}

// New validates opts, fills in defaults and returns a Manager. Errors name the bad field and
// never include key material.
func New(opts Options) (*Manager, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	m := &Manager{
		name:       opts.CookieName,
		secure:     !opts.Insecure,
		maxAge:     opts.MaxAge,
		idle:       opts.Idle,
		renewAfter: opts.RenewAfter,
		origins:    make(map[string]bool, len(opts.AllowedOrigins)),
		csrfFailed: opts.CSRFFailed,
		now:        opts.Now,
	}
	if m.csrfFailed == nil {
		m.csrfFailed = writeCSRFFailure
	}
	for _, raw := range opts.AllowedOrigins {
		o, _ := parseOrigin(raw) // validated
		m.origins[o] = true
	}
	for i, k := range opts.Keys {
		sk, err := newSessionKey(k)
		if err != nil {
			return nil, fmt.Errorf("session options: Keys[%d]: %w", i, err)
		}
		m.keys = append(m.keys, sk)
	}
	return m, nil
}

// CookieName returns the name of the session cookie.
func (m *Manager) CookieName() string { return m.name }

// clock returns the current time in UTC, to the second (the precision the cookie keeps).
func (m *Manager) clock() time.Time { return m.now().UTC().Truncate(time.Second) }

// Start returns a new signed-out session with a fresh ID and CSRF secret. It is not sent
// until [Manager.Save].
func (m *Manager) Start() *Session {
	now := m.clock()
	return &Session{
		ID:       randomString(idBytes),
		CSRF:     randomString(csrfBytes),
		IssuedAt: now,
		LastSeen: now,
	}
}

// Load reads the request's session. It returns [ErrNoSession] when there is no cookie and an
// error matching [ErrInvalid] when the cookie was tampered with, sealed by an unknown key, is
// malformed or has expired (then also [ErrExpired]). Load does not renew the cookie; see
// [Manager.Touch].
func (m *Manager) Load(r *http.Request) (*Session, error) {
	c, err := r.Cookie(m.name)
	if errors.Is(err, http.ErrNoCookie) || (err == nil && c.Value == "") {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", ErrInvalid)
	}
	s, err := m.decode(c.Value)
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	now := m.clock()
	switch {
	case !now.Before(s.IssuedAt.Add(m.maxAge)):
		return nil, fmt.Errorf("load session: past its lifetime of %s: %w", m.maxAge, ErrExpired)
	case !now.Before(s.LastSeen.Add(m.idle)):
		return nil, fmt.Errorf("load session: idle for %s or more: %w", m.idle, ErrExpired)
	}
	return s, nil
}

// Save seals s into the response's session cookie, setting s.LastSeen to now: Path=/,
// HttpOnly, SameSite=Lax, Secure (unless [Options.Insecure]) and a Max-Age that ends at
// the earlier of the absolute and idle expiry. A previous Set-Cookie for the session in the
// same response is replaced, and Cache-Control is set to no-store unless the handler set it
// already. It returns [ErrTooLarge] when the cookie would exceed 4096 bytes and [ErrExpired]
// when the session is past its absolute lifetime.
func (m *Manager) Save(w http.ResponseWriter, s *Session) error {
	if s == nil || s.ID == "" || s.CSRF == "" {
		return errors.New("save session: session has no id or csrf secret (use Start)")
	}
	now := m.clock()
	left := min(s.IssuedAt.Add(m.maxAge).Sub(now), m.idle)
	if left < time.Second {
		return fmt.Errorf("save session: %w", ErrExpired)
	}
	s.LastSeen = now
	value, err := m.encode(s)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	c := m.cookie(value, int(left/time.Second))
	if n := len(c.String()); n > maxSetCookie {
		return fmt.Errorf("save session: cookie is %d bytes, limit %d: %w", n, maxSetCookie, ErrTooLarge)
	}
	m.setCookie(w, c)
	return nil
}

// Clear deletes the session cookie (sign-out). The cleared copy cannot be revoked elsewhere:
// see the package documentation.
func (m *Manager) Clear(w http.ResponseWriter) {
	m.setCookie(w, m.cookie("", -1))
}

// Renew gives s a new ID and CSRF secret and restarts its absolute lifetime, then saves it.
// Call it on every privilege change — sign-in above all, also a role change or operator
// elevation — so an ID or CSRF token known before the change (session fixation) is dead after.
func (m *Manager) Renew(w http.ResponseWriter, s *Session) error {
	if s == nil {
		return errors.New("renew session: nil session")
	}
	s.ID = randomString(idBytes)
	s.CSRF = randomString(csrfBytes)
	s.IssuedAt = m.clock()
	if err := m.Save(w, s); err != nil {
		return fmt.Errorf("renew: %w", err)
	}
	return nil
}

// Touch records activity: when the cookie was issued [Options.RenewAfter] ago or more, it is
// re-issued with LastSeen now and a new expiry (so the idle timeout slides); otherwise Touch
// does nothing, to avoid a Set-Cookie on every response. Call it once per request on a loaded
// session. The absolute lifetime never slides.
func (m *Manager) Touch(w http.ResponseWriter, s *Session) error {
	if s == nil {
		return errors.New("touch session: nil session")
	}
	if m.clock().Sub(s.LastSeen) < m.renewAfter {
		return nil
	}
	if err := m.Save(w, s); err != nil {
		return fmt.Errorf("touch: %w", err)
	}
	return nil
}

// NewPending returns a handshake for purpose with a random state id (128 bits), OIDC nonce
// (128 bits) and PKCE verifier (256 bits, 43 characters), expiring ttl from now
// ([DefaultPendingTTL] when ttl <= 0). Store it in Session.Pending and Save before
// redirecting. returnTo must already be checked to be a local path.
func (m *Manager) NewPending(purpose, returnTo string, ttl time.Duration) *Pending {
	if ttl <= 0 {
		ttl = DefaultPendingTTL
	}
	return &Pending{
		StateID:  randomString(16),
		Nonce:    randomString(16),
		Verifier: randomString(32),
		ReturnTo: returnTo,
		Purpose:  purpose,
		Expires:  m.clock().Add(ttl),
	}
}

// TakePending removes the session's in-flight handshake and saves the session without it,
// then returns it if it was for purpose and has not expired; otherwise [ErrNoPending]. The
// handshake is gone either way, so a callback can use it once.
func (m *Manager) TakePending(w http.ResponseWriter, s *Session, purpose string) (Pending, error) {
	if s == nil || s.Pending == nil {
		return Pending{}, ErrNoPending
	}
	p := *s.Pending
	s.Pending = nil
	if err := m.Save(w, s); err != nil {
		return Pending{}, fmt.Errorf("take pending %s: %w", purpose, err)
	}
	switch {
	case p.Purpose != purpose:
		return Pending{}, fmt.Errorf("pending handshake is for %q, not %q: %w", p.Purpose, purpose, ErrNoPending)
	case !m.clock().Before(p.Expires):
		return Pending{}, fmt.Errorf("pending %s expired: %w", purpose, ErrNoPending)
	}
	return p, nil
}

// cookie builds the session cookie with value and Max-Age maxAge (-1 deletes).
func (m *Manager) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     m.name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		Secure:   m.secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}

// setCookie adds c to the response, dropping any earlier Set-Cookie for the same name, and
// marks the response no-store unless the handler chose a Cache-Control.
func (m *Manager) setCookie(w http.ResponseWriter, c *http.Cookie) {
	h := w.Header()
	prefix := m.name + "="
	kept := h["Set-Cookie"][:0:0]
	for _, v := range h["Set-Cookie"] {
		if !strings.HasPrefix(v, prefix) {
			kept = append(kept, v)
		}
	}
	h["Set-Cookie"] = append(kept, c.String())
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
}

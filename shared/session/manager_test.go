package session_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/session"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testBundle struct {
	clock *clock
	keys  [][]byte
}

// key returns a deterministic 32-byte key.
func key(b byte) []byte { return bytes.Repeat([]byte{b}, session.KeySize) }

// setup returns a Manager with one key and a test clock; opts overrides (Keys, Now are
// filled when empty).
func setup(t *testing.T, opts session.Options) (*session.Manager, *testBundle) {
	t.Helper()
	b := &testBundle{clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}}
	if opts.Keys == nil {
		opts.Keys = [][]byte{key(1)}
	}
	if opts.Now == nil {
		opts.Now = b.clock.Now
	}
	b.keys = opts.Keys
	m, err := session.New(opts)
	require.NoError(t, err)
	return m, b
}

// save saves s and returns the Set-Cookie'd cookie.
func save(t *testing.T, m *session.Manager, s *session.Session) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	require.NoError(t, m.Save(rec, s))
	return onlyCookie(t, rec)
}

func onlyCookie(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	cs := rec.Result().Cookies()
	require.Len(t, cs, 1)
	return cs[0]
}

// load loads a session from a request carrying c.
func load(m *session.Manager, c *http.Cookie) (*session.Session, error) {
	r := httptest.NewRequest(http.MethodGet, "https://minutes.example.com/", nil)
	if c != nil {
		r.AddCookie(c)
	}
	return m.Load(r)
}

// signedIn returns a started session with every field set.
func signedIn(m *session.Manager) *session.Session {
	s := m.Start()
	s.TenantID = "0195f3a2-7c41-7d2e-9b0a-3f6c2d1e4a5b"
	s.UserID = "0195f3a2-7c41-7d2e-9b0a-aaaaaaaaaaaa"
	s.Role = "admin"
	s.Operator = true
	s.Name = "Zoë Ångström"
	s.Email = "zoe@example.com"
	s.EntraTenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	s.EntraObjectID = "00000000-0000-0000-0000-0000000000a1"
	return s
}

func TestNew(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts session.Options
		want string // substring of the error; "" for success
	}{
		{"no keys", session.Options{}, "Keys: at least one"},
		{"short key", session.Options{Keys: [][]byte{make([]byte, 16)}}, "Keys[0]: must be 32 bytes, got 16"},
		{"second key short", session.Options{Keys: [][]byte{key(1), make([]byte, 33)}}, "Keys[1]"},
		{"duplicate key", session.Options{Keys: [][]byte{key(1), key(1)}}, "Keys[1]: duplicates Keys[0]"},
		{"host prefix without secure", session.Options{Keys: [][]byte{key(1)}, Insecure: true, CookieName: "__Host-x"}, "CookieName"},
		{"bad cookie name", session.Options{Keys: [][]byte{key(1)}, CookieName: "a b"}, "CookieName"},
		{"idle above max age", session.Options{Keys: [][]byte{key(1)}, MaxAge: time.Hour, Idle: 2 * time.Hour}, "Idle"},
		{"renew after idle", session.Options{Keys: [][]byte{key(1)}, Idle: time.Hour, RenewAfter: time.Hour}, "RenewAfter"},
		{"negative max age", session.Options{Keys: [][]byte{key(1)}, MaxAge: -time.Hour}, "MaxAge"},
		{"origin with path", session.Options{Keys: [][]byte{key(1)}, AllowedOrigins: []string{"https://a.example/x"}}, "AllowedOrigins[0]"},
		{"origin without scheme", session.Options{Keys: [][]byte{key(1)}, AllowedOrigins: []string{"a.example"}}, "AllowedOrigins[0]"},
		{"minimal", session.Options{Keys: [][]byte{key(1)}}, ""},
		{"two keys", session.Options{Keys: [][]byte{key(1), key(2)}, AllowedOrigins: []string{"https://Minutes.Example:443"}}, ""},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := session.New(tt.opts)
			if tt.want == "" {
				require.NoError(t, err)
				require.NotNil(t, m)
				return
			}
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), string(key(1)))
		})
	}
}

func TestCookieName(t *testing.T) {
	t.Parallel()
	secure, _ := setup(t, session.Options{})
	require.Equal(t, "__Host-mm_session", secure.CookieName())
	insecure, _ := setup(t, session.Options{Insecure: true})
	require.Equal(t, "mm_session", insecure.CookieName())
	custom, _ := setup(t, session.Options{CookieName: "__Host-other"})
	require.Equal(t, "__Host-other", custom.CookieName())
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	m, _ := setup(t, session.Options{})
	s := signedIn(m)
	s.Pending = m.NewPending("signin", "/meetings?page=2", 0)
	c := save(t, m, s)

	got, err := load(m, c)
	require.NoError(t, err)
	require.Equal(t, s, got)
	require.Len(t, got.ID, 22, "128 bits in base64url")
	require.Len(t, got.CSRF, 43, "256 bits in base64url")
	require.True(t, got.SignedIn())
	require.False(t, m.Start().SignedIn())
}

func TestStartIsRandom(t *testing.T) {
	t.Parallel()
	m, _ := setup(t, session.Options{})
	a, b := m.Start(), m.Start()
	require.NotEqual(t, a.ID, b.ID)
	require.NotEqual(t, a.CSRF, b.CSRF)
}

func TestLoadWithoutCookie(t *testing.T) {
	t.Parallel()
	m, _ := setup(t, session.Options{})
	_, err := load(m, nil)
	require.ErrorIs(t, err, session.ErrNoSession)

	_, err = load(m, &http.Cookie{Name: "other", Value: "x"})
	require.ErrorIs(t, err, session.ErrNoSession)

	_, err = load(m, &http.Cookie{Name: m.CookieName(), Value: ""})
	require.ErrorIs(t, err, session.ErrNoSession)
}

// TestTamper flips every bit of every byte of a sealed cookie — key id, nonce, ciphertext and
// tag — and checks that none of the results opens.
func TestTamper(t *testing.T) {
	t.Parallel()
	m, _ := setup(t, session.Options{})
	c := save(t, m, signedIn(m))
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	require.NoError(t, err)

	region := func(i int) string {
		switch {
		case i == 0:
			return "key id"
		case i < 13:
			return "nonce"
		case i >= len(raw)-16:
			return "tag"
		default:
			return "ciphertext"
		}
	}
	for i := range raw {
		for bit := range 8 {
			mut := bytes.Clone(raw)
			mut[i] ^= 1 << bit
			_, err := load(m, &http.Cookie{Name: c.Name, Value: base64.RawURLEncoding.EncodeToString(mut)})
			require.ErrorIs(t, err, session.ErrInvalid, "byte %d (%s) bit %d", i, region(i), bit)
		}
	}

	others := map[string]string{
		"truncated by one byte": base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1]),
		"extended by one byte":  base64.RawURLEncoding.EncodeToString(append(bytes.Clone(raw), 0)),
		"tag only":              base64.RawURLEncoding.EncodeToString(raw[len(raw)-16:]),
		"header only":           base64.RawURLEncoding.EncodeToString(raw[:13]),
		"padded base64":         base64.URLEncoding.EncodeToString(raw),
		"standard base64":       base64.StdEncoding.EncodeToString(raw),
		"junk":                  "not-a-session",
	}
	for name, v := range others {
		_, err := load(m, &http.Cookie{Name: c.Name, Value: v})
		require.ErrorIs(t, err, session.ErrInvalid, name)
		require.NotContains(t, err.Error(), v, "errors never echo the cookie")
	}
}

func TestOtherKeySet(t *testing.T) {
	t.Parallel()
	a, _ := setup(t, session.Options{Keys: [][]byte{key(1)}})
	b, _ := setup(t, session.Options{Keys: [][]byte{key(2), key(3)}})
	_, err := load(b, save(t, a, signedIn(a)))
	require.ErrorIs(t, err, session.ErrInvalid)
}

func TestOtherCookieName(t *testing.T) {
	t.Parallel()
	a, _ := setup(t, session.Options{CookieName: "__Host-a"})
	b, _ := setup(t, session.Options{CookieName: "__Host-b"})
	c := save(t, a, signedIn(a))
	c.Name = "__Host-b" // same keys, value moved to another cookie
	_, err := load(b, c)
	require.ErrorIs(t, err, session.ErrInvalid)
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	old, _ := setup(t, session.Options{Keys: [][]byte{key(1)}})
	rotated, _ := setup(t, session.Options{Keys: [][]byte{key(2), key(1)}})
	newOnly, _ := setup(t, session.Options{Keys: [][]byte{key(2)}})

	oldCookie := save(t, old, signedIn(old))
	s, err := load(rotated, oldCookie)
	require.NoError(t, err, "the old key still opens")

	newCookie := save(t, rotated, s)
	_, err = load(old, newCookie)
	require.ErrorIs(t, err, session.ErrInvalid, "the new cookie is not sealed with the old key")
	got, err := load(newOnly, newCookie)
	require.NoError(t, err, "the new cookie is sealed with the first key")
	require.Equal(t, s, got)

	_, err = load(newOnly, oldCookie)
	require.ErrorIs(t, err, session.ErrInvalid, "once the old key is dropped its cookies die")

	reordered, _ := setup(t, session.Options{Keys: [][]byte{key(1), key(2)}})
	_, err = load(reordered, newCookie)
	require.NoError(t, err, "key ids do not depend on the order of Keys")
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	opts := session.Options{MaxAge: time.Hour, Idle: 30 * time.Minute, RenewAfter: 5 * time.Minute}

	t.Run("idle", func(t *testing.T) {
		t.Parallel()
		m, b := setup(t, opts)
		c := save(t, m, signedIn(m))
		require.Equal(t, 30*60, c.MaxAge)
		b.clock.Advance(30*time.Minute - time.Second)
		_, err := load(m, c)
		require.NoError(t, err)
		b.clock.Advance(time.Second)
		_, err = load(m, c)
		require.ErrorIs(t, err, session.ErrExpired)
		require.ErrorIs(t, err, session.ErrInvalid)
	})

	t.Run("touch slides the idle expiry but not the absolute one", func(t *testing.T) {
		t.Parallel()
		m, b := setup(t, opts)
		c := save(t, m, signedIn(m))
		for range 5 { // 5 × 10m: always within Idle of the last re-issue
			b.clock.Advance(10 * time.Minute)
			s, err := load(m, c)
			require.NoError(t, err)
			rec := httptest.NewRecorder()
			require.NoError(t, m.Touch(rec, s))
			c = onlyCookie(t, rec)
		}
		require.Equal(t, 10*60, c.MaxAge, "Max-Age ends at the absolute expiry")
		b.clock.Advance(10*time.Minute - time.Second)
		_, err := load(m, c)
		require.NoError(t, err)
		b.clock.Advance(time.Second)
		_, err = load(m, c)
		require.ErrorIs(t, err, session.ErrExpired, "60 minutes after sign-in")

		s := signedIn(m)
		s.IssuedAt = b.clock.Now().Add(-time.Hour)
		require.ErrorIs(t, m.Save(httptest.NewRecorder(), s), session.ErrExpired, "an expired session cannot be saved")
	})
}

func TestTouch(t *testing.T) {
	t.Parallel()
	m, b := setup(t, session.Options{RenewAfter: 10 * time.Minute})
	s := signedIn(m)
	save(t, m, s)
	seen := s.LastSeen

	b.clock.Advance(10*time.Minute - time.Second)
	rec := httptest.NewRecorder()
	require.NoError(t, m.Touch(rec, s))
	require.Empty(t, rec.Result().Cookies(), "no Set-Cookie before RenewAfter")
	require.Equal(t, seen, s.LastSeen)

	b.clock.Advance(time.Second)
	rec = httptest.NewRecorder()
	require.NoError(t, m.Touch(rec, s))
	c := onlyCookie(t, rec)
	require.Equal(t, b.clock.Now(), s.LastSeen)
	got, err := load(m, c)
	require.NoError(t, err)
	require.Equal(t, s.ID, got.ID, "touch keeps the ID")
	require.Equal(t, b.clock.Now(), got.LastSeen)
}

func TestRenew(t *testing.T) {
	t.Parallel()
	m, b := setup(t, session.Options{})
	s := m.Start()
	save(t, m, s)
	before := *s
	token := session.CSRFToken(s)

	b.clock.Advance(time.Minute)
	s.UserID, s.TenantID = "u", "t" // sign-in
	rec := httptest.NewRecorder()
	require.NoError(t, m.Renew(rec, s))
	require.NotEqual(t, before.ID, s.ID)
	require.NotEqual(t, before.CSRF, s.CSRF)
	require.Equal(t, b.clock.Now(), s.IssuedAt)
	got, err := load(m, onlyCookie(t, rec))
	require.NoError(t, err)
	require.Equal(t, s, got)

	// The pre-sign-in token no longer passes CSRF.
	r := post(t, m, onlyCookie(t, rec), url2form(token), nil)
	require.Equal(t, http.StatusForbidden, serve(m, r).Code)
}

func TestTooLarge(t *testing.T) {
	t.Parallel()
	m, _ := setup(t, session.Options{})
	s := signedIn(m)
	s.Name = strings.Repeat("x", 4000)
	rec := httptest.NewRecorder()
	err := m.Save(rec, s)
	require.ErrorIs(t, err, session.ErrTooLarge)
	require.Empty(t, rec.Header().Values("Set-Cookie"), "nothing is sent")
	require.NotContains(t, err.Error(), s.Name)

	s.Name = strings.Repeat("x", 2000) // fits
	require.NoError(t, m.Save(httptest.NewRecorder(), s))
}

func TestCookieAttributes(t *testing.T) {
	t.Parallel()

	t.Run("secure", func(t *testing.T) {
		t.Parallel()
		m, _ := setup(t, session.Options{})
		rec := httptest.NewRecorder()
		require.NoError(t, m.Save(rec, signedIn(m)))
		h := rec.Header().Values("Set-Cookie")
		require.Len(t, h, 1)
		require.True(t, strings.HasPrefix(h[0], "__Host-mm_session="), h[0])
		for _, attr := range []string{"; Path=/", "; HttpOnly", "; Secure", "; SameSite=Lax", "; Max-Age=7200"} {
			require.Contains(t, h[0], attr)
		}
		require.NotContains(t, h[0], "Domain=", "__Host- cookies carry no Domain")
		require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	})

	t.Run("insecure for localhost", func(t *testing.T) {
		t.Parallel()
		m, _ := setup(t, session.Options{Insecure: true})
		rec := httptest.NewRecorder()
		require.NoError(t, m.Save(rec, signedIn(m)))
		h := rec.Header().Get("Set-Cookie")
		require.True(t, strings.HasPrefix(h, "mm_session="), h)
		require.NotContains(t, h, "Secure")
		require.Contains(t, h, "; HttpOnly")
		require.Contains(t, h, "; SameSite=Lax")
	})

	t.Run("clear", func(t *testing.T) {
		t.Parallel()
		m, _ := setup(t, session.Options{})
		rec := httptest.NewRecorder()
		require.NoError(t, m.Save(rec, signedIn(m)))
		m.Clear(rec)
		h := rec.Header().Values("Set-Cookie")
		require.Len(t, h, 1, "the earlier Set-Cookie is replaced")
		require.True(t, strings.HasPrefix(h[0], "__Host-mm_session=;"), h[0])
		require.Contains(t, h[0], "; Max-Age=0")
		require.Contains(t, h[0], "; Secure")
	})

	t.Run("other cookies and cache-control are kept", func(t *testing.T) {
		t.Parallel()
		m, _ := setup(t, session.Options{})
		rec := httptest.NewRecorder()
		http.SetCookie(rec, &http.Cookie{Name: "lang", Value: "de"})
		rec.Header().Set("Cache-Control", "private, max-age=0")
		require.NoError(t, m.Save(rec, signedIn(m)))
		require.NoError(t, m.Save(rec, signedIn(m)))
		require.Len(t, rec.Header().Values("Set-Cookie"), 2)
		require.Equal(t, "private, max-age=0", rec.Header().Get("Cache-Control"))
	})
}

func TestPending(t *testing.T) {
	t.Parallel()

	t.Run("taken once", func(t *testing.T) {
		t.Parallel()
		m, b := setup(t, session.Options{})
		s := m.Start()
		p := m.NewPending("signin", "/meetings", 0)
		require.Len(t, p.Verifier, 43, "PKCE verifier length")
		require.Equal(t, b.clock.Now().Add(session.DefaultPendingTTL), p.Expires)
		s.Pending = p
		s, err := load(m, save(t, m, s))
		require.NoError(t, err)

		rec := httptest.NewRecorder()
		got, err := m.TakePending(rec, s, "signin")
		require.NoError(t, err)
		require.Equal(t, *p, got)
		require.Nil(t, s.Pending)
		after, err := load(m, onlyCookie(t, rec))
		require.NoError(t, err)
		require.Nil(t, after.Pending, "the saved cookie no longer carries it")

		_, err = m.TakePending(httptest.NewRecorder(), s, "signin")
		require.ErrorIs(t, err, session.ErrNoPending)
	})

	t.Run("other purpose", func(t *testing.T) {
		t.Parallel()
		m, _ := setup(t, session.Options{})
		s := m.Start()
		s.Pending = m.NewPending("admin_consent", "/", 0)
		_, err := m.TakePending(httptest.NewRecorder(), s, "signin")
		require.ErrorIs(t, err, session.ErrNoPending)
		require.Nil(t, s.Pending, "a mismatched handshake is discarded too")
	})

	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		m, b := setup(t, session.Options{})
		s := m.Start()
		s.Pending = m.NewPending("signin", "/", time.Minute)
		b.clock.Advance(time.Minute)
		_, err := m.TakePending(httptest.NewRecorder(), s, "signin")
		require.ErrorIs(t, err, session.ErrNoPending)
	})
}

func TestBinding(t *testing.T) {
	t.Parallel()
	m, _ := setup(t, session.Options{})
	a, b := m.Start(), m.Start()
	require.Equal(t, session.Binding(a), session.Binding(a))
	require.NotEqual(t, session.Binding(a), session.Binding(b))
	require.NotContains(t, session.Binding(a), a.ID)
	require.Len(t, session.Binding(a), 43)
	require.True(t, session.BindingMatches(a, session.Binding(a)))
	require.False(t, session.BindingMatches(b, session.Binding(a)))
	require.False(t, session.BindingMatches(a, ""))
	require.False(t, session.BindingMatches(nil, session.Binding(nil)))
	require.NotEqual(t, session.Binding(nil), session.Binding(nil), "nil sessions bind to nothing")
}

package identity_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/identity"
	"github.com/meetingminutes/minutes/shared/identity/entratest"
)

const (
	redirectURL        = "https://minutes.example.com/api/app/auth/callback"
	consentRedirectURL = "https://minutes.example.com/api/consent/callback"
)

// clock is a settable clock shared by the provider and the fake Entra ID.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testBundle struct {
	entra *entratest.Server
	clock *clock
	// user is a signed-in admin of tenant.
	user   entratest.User
	tenant uuid.UUID
	cfg    identity.Config
}

type setupOpts struct {
	entra entratest.Options
}

// setup starts a fake Entra ID with one admin user signed in and returns a provider for it.
func setup(t testing.TB, so ...setupOpts) (*identity.Provider, *testBundle) {
	t.Helper()
	var o setupOpts
	if len(so) > 0 {
		o = so[0]
	}
	clk := newClock()
	eo := o.entra
	eo.Now = clk.Now
	if eo.RedirectURIs == nil {
		eo.RedirectURIs = []string{redirectURL, consentRedirectURL}
	}
	entra := entratest.New(t, eo)
	user := entra.AddUser(entratest.User{Name: "Ada Admin", Email: "ada@contoso.example", Admin: true, Roles: []string{"Minutes.Admin"}})
	entra.SetNextUser(user.Email)
	authority, err := url.Parse(entra.URL)
	require.NoError(t, err)
	cfg := identity.Config{
		ClientID:           entra.ClientID(),
		ClientSecret:       entra.ClientSecret(),
		Authority:          authority,
		RedirectURL:        redirectURL,
		ConsentRedirectURL: consentRedirectURL,
		HTTPClient:         entra.Client(),
		Now:                clk.Now,
	}
	p, err := identity.New(cfg)
	require.NoError(t, err)
	return p, &testBundle{entra: entra, clock: clk, user: user, tenant: user.TenantID, cfg: cfg}
}

// follow GETs u without following redirects and returns the Location it redirects to.
func follow(t *testing.T, client *http.Client, u string) *url.URL {
	t.Helper()
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode, "GET %s", u)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return loc
}

// entratestOptions registers redirect URIs on the fake.
func entratestOptions(redirectURIs ...string) entratest.Options {
	return entratest.Options{RedirectURIs: redirectURIs}
}

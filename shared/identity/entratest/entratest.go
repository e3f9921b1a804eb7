package entratest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

const (
	// DefaultClientID is the app (client) ID used when Options.ClientID is empty.
	DefaultClientID = "6e1d2c4b-8a7f-4b3e-9c5d-2f0a1b3c4d5e"
	// DefaultClientSecret is the client secret used when Options.ClientSecret is empty.
	DefaultClientSecret = "entratest-client-secret"
	// GraphDefaultScope is the scope admin consent and client credentials use.
	GraphDefaultScope = "https://graph.microsoft.com/.default"
	// codeLifetime is how long an authorization code can be redeemed.
	codeLifetime = 10 * time.Minute
)

// DefaultGrantedRoles are the application permissions the product's app registration
// requests, granted on admin consent unless Options.GrantedRoles says otherwise.
var DefaultGrantedRoles = []string{
	"OnlineMeetingTranscript.Read.All",
	"OnlineMeetings.Read.All",
	"CallRecords.Read.All",
	"Mail.Send",
	"Sites.ReadWrite.All",
	"User.Read.All",
}

// Options configures a Server. Every field is optional.
type Options struct {
	// ClientID is the registered app's client ID. Default DefaultClientID.
	ClientID string
	// ClientSecret is its secret. Default DefaultClientSecret.
	ClientSecret string
	// RedirectURIs are the registered redirect URIs (sign-in and consent callbacks). Empty
	// means any absolute http(s) URI is accepted.
	RedirectURIs []string
	// GrantedRoles are the roles in app-only tokens of consented tenants. Default
	// DefaultGrantedRoles.
	GrantedRoles []string
	// ConsentErrorCalls is how many client_credentials requests after a tenant's consent are
	// answered 400 AADSTS65001 (consent not replicated yet). Default 0.
	ConsentErrorCalls int
	// MissingRoleCalls is how many client_credentials tokens after those lack the roles claim.
	// Default 0.
	MissingRoleCalls int
	// TokenLifetime is the lifetime of issued tokens. Default 1 h.
	TokenLifetime time.Duration
	// Now is the clock for token times and code expiry. Default time.Now.
	Now func() time.Time
}

// User is a user in a fake tenant. Sign-in issues ID tokens with tid TenantID and oid
// ObjectID.
type User struct {
	// TenantID is the home tenant; a random one if zero.
	TenantID uuid.UUID
	// ObjectID is the user's object ID; a random one if zero.
	ObjectID uuid.UUID
	// Name is the display name (name claim).
	Name string
	// Email is the email and preferred_username claims, and how SetNextUser finds the user.
	Email string
	// Admin says the user can grant tenant-wide admin consent.
	Admin bool
	// Roles are app roles assigned to the user (roles claim of the ID token).
	Roles []string
}

// Server is a running fake Entra ID. Its methods are safe for concurrent use.
type Server struct {
	// URL is the authority base URL (http://127.0.0.1:port): use it as identity.Config.Authority.
	URL string

	t    testing.TB
	srv  *httptest.Server
	opts Options

	mu                sync.Mutex
	keys              []*key // published, oldest first
	signer            *key
	users             []User
	current           string // email of the signed-in user
	denyNext          bool
	declineNext       bool
	codes             map[string]*authCode
	refreshTokens     map[string]User
	consents          map[uuid.UUID]*consent
	consentErrorCalls int
	missingRoleCalls  int
	keyFetches        int
	tokenRequests     int
}

type authCode struct {
	user        User
	redirectURI string
	challenge   string
	nonce       string
	scope       string
	issued      time.Time
	redeemed    bool
}

type consent struct {
	errorCalls       int
	missingRoleCalls int
}

// New starts a fake Entra ID, closed on t.Cleanup.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultClientSecret
	}
	if opts.GrantedRoles == nil {
		opts.GrantedRoles = slices.Clone(DefaultGrantedRoles)
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		t:                 t,
		opts:              opts,
		codes:             map[string]*authCode{},
		refreshTokens:     map[string]User{},
		consents:          map[uuid.UUID]*consent{},
		consentErrorCalls: opts.ConsentErrorCalls,
		missingRoleCalls:  opts.MissingRoleCalls,
	}
	s.signer = s.newRSAKey(2048, KeyOptions{})
	s.keys = []*key{s.signer}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.handleDiscovery)
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", s.handleKeys)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.handleToken)
	mux.HandleFunc("GET /{tenant}/v2.0/adminconsent", s.handleAdminConsent)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// ClientID returns the registered client ID.
func (s *Server) ClientID() string { return s.opts.ClientID }

// ClientSecret returns the registered client secret.
func (s *Server) ClientSecret() string { return s.opts.ClientSecret }

// Issuer returns the v2 issuer of tenant: {URL}/{tenant}/v2.0.
func (s *Server) Issuer(tenant uuid.UUID) string { return s.URL + "/" + tenant.String() + "/v2.0" }

// AddUser adds u (filling a zero TenantID or ObjectID with a random one) and returns it.
// Emails are unique, compared case-insensitively.
func (s *Server) AddUser(u User) User {
	s.t.Helper()
	if u.TenantID == uuid.Nil {
		u.TenantID = uuid.New()
	}
	if u.ObjectID == uuid.Nil {
		u.ObjectID = uuid.New()
	}
	if u.Email == "" {
		s.t.Fatalf("entratest: AddUser: Email is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.findUser(u.Email); ok {
		s.t.Fatalf("entratest: AddUser: %s already exists", u.Email)
	}
	s.users = append(s.users, u)
	return u
}

func (s *Server) findUser(email string) (User, bool) {
	for _, u := range s.users {
		if strings.EqualFold(u.Email, email) {
			return u, true
		}
	}
	return User{}, false
}

// SetNextUser makes the user with email the one signed in at the authorize and admin-consent
// endpoints, until changed (a browser session, without the UI).
func (s *Server) SetNextUser(email string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.findUser(email); !ok {
		s.t.Fatalf("entratest: SetNextUser: no user %s", email)
	}
	s.current = email
}

// DenyNext makes the next authorize request redirect back with error=access_denied.
func (s *Server) DenyNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denyNext = true
}

// DeclineNextConsent makes the next admin-consent request redirect back with
// error=access_denied, AADSTS65004, admin_consent=True and no tenant (the observed shape).
func (s *Server) DeclineNextConsent() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.declineNext = true
}

// GrantConsent records admin consent for tenant, as the admin-consent endpoint does (with the
// configured replication delays).
func (s *Server) GrantConsent(tenant uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grantLocked(tenant)
}

func (s *Server) grantLocked(tenant uuid.UUID) {
	if _, ok := s.consents[tenant]; ok {
		return
	}
	s.consents[tenant] = &consent{errorCalls: s.consentErrorCalls, missingRoleCalls: s.missingRoleCalls}
}

// RevokeConsent forgets tenant's consent.
func (s *Server) RevokeConsent(tenant uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.consents, tenant)
}

// Consented reports whether tenant has consented.
func (s *Server) Consented(tenant uuid.UUID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.consents[tenant]
	return ok
}

// SetReplicationDelay sets, for consents recorded from now on, how many client_credentials
// requests are answered AADSTS65001 and how many tokens after that lack roles.
func (s *Server) SetReplicationDelay(errorCalls, missingRoleCalls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consentErrorCalls, s.missingRoleCalls = errorCalls, missingRoleCalls
}

// KeyFetches returns how many times the JWKS was fetched.
func (s *Server) KeyFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyFetches
}

// TokenRequests returns how many requests reached the token endpoint.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

func (s *Server) now() time.Time { return s.opts.Now() }

package identity

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultAuthority is the Entra ID global-cloud authority.
const DefaultAuthority = "https://login.microsoftonline.com"

// DefaultLeeway is the clock skew allowed on exp, nbf and iat.
const DefaultLeeway = 2 * time.Minute

// maxLeeway bounds Config.Leeway: more than this stops being skew and starts being a
// longer token lifetime.
const maxLeeway = 10 * time.Minute

// defaultHTTPTimeout bounds each request made with the default HTTP client.
const defaultHTTPTimeout = 30 * time.Second

// Config configures a Provider. ClientSecret is a secret: Config redacts it when printed or
// logged.
type Config struct {
	// ClientID is the app registration's application (client) ID, a GUID. Required.
	ClientID string
	// ClientSecret authenticates the app at the token endpoint. Required.
	ClientSecret string
	// Authority is the Entra ID authority without a tenant segment. Default DefaultAuthority.
	// It must be https, except on a loopback host (tests).
	Authority *url.URL
	// RedirectURL is our OIDC callback, e.g. https://host/api/app/auth/callback; it must be
	// registered on the app exactly. Required, absolute.
	RedirectURL string
	// ConsentRedirectURL is our admin-consent callback, e.g. https://host/api/consent/callback;
	// it must be registered on the app exactly. Required, absolute.
	ConsentRedirectURL string
	// HTTPClient makes every request to the authority. Default: a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock used for token times and key refresh. Default time.Now.
	Now func() time.Time
	// Leeway is the clock skew allowed on exp, nbf and iat, at most 10 min. Default 2 min;
	// a negative value means none.
	Leeway time.Duration
}

// String prints the config with the client secret redacted.
func (c Config) String() string {
	authority := ""
	if c.Authority != nil {
		authority = c.Authority.Redacted()
	}
	return fmt.Sprintf("identity.Config{ClientID: %q, ClientSecret: %s, Authority: %q, RedirectURL: %q, ConsentRedirectURL: %q, Leeway: %s}",
		c.ClientID, redacted(c.ClientSecret), authority, c.RedirectURL, c.ConsentRedirectURL, c.Leeway)
}

// GoString is String, so %#v redacts too.
func (c Config) GoString() string { return c.String() }

// LogValue logs the config with the client secret redacted.
func (c Config) LogValue() slog.Value {
	authority := ""
	if c.Authority != nil {
		authority = c.Authority.Redacted()
	}
	return slog.GroupValue(
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", redacted(c.ClientSecret)),
		slog.String("authority", authority),
		slog.String("redirect_url", c.RedirectURL),
		slog.String("consent_redirect_url", c.ConsentRedirectURL),
		slog.Duration("leeway", c.Leeway),
	)
}

func redacted(secret string) string {
	if secret == "" {
		return "(unset)"
	}
	return "[REDACTED]"
}

// Provider talks to Entra ID for one app registration. It is safe for concurrent use; build
// one per process and share it.
type Provider struct {
	clientID           string
	clientSecret       string
	authority          *url.URL
	redirectURL        string
	consentRedirectURL string
	client             *http.Client
	now                func() time.Time
	leeway             time.Duration
	keys               *keyCache
}

// New validates cfg, fills its defaults and returns a Provider. It does no I/O: discovery and
// keys are fetched on first use.
func New(cfg Config) (*Provider, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("identity config: %w", err)
	}
	authority, _ := url.Parse(DefaultAuthority)
	if cfg.Authority != nil {
		a := *cfg.Authority
		authority = &a
	}
	authority.Path = strings.TrimRight(authority.Path, "/")
	authority.RawPath = ""
	p := &Provider{
		clientID:           strings.ToLower(cfg.ClientID),
		clientSecret:       cfg.ClientSecret,
		authority:          authority,
		redirectURL:        cfg.RedirectURL,
		consentRedirectURL: cfg.ConsentRedirectURL,
		client:             cfg.HTTPClient,
		now:                cfg.Now,
		leeway:             cfg.Leeway,
	}
	if p.client == nil {
		p.client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if p.now == nil {
		p.now = time.Now
	}
	switch {
	case p.leeway == 0:
		p.leeway = DefaultLeeway
	case p.leeway < 0:
		p.leeway = 0
	}
	p.keys = newKeyCache(p)
	return p, nil
}

func (c Config) validate() error {
	var errs []error
	if _, ok := parseGUID(c.ClientID); !ok {
		errs = append(errs, errors.New("ClientID must be a GUID"))
	}
	if c.ClientSecret == "" {
		errs = append(errs, errors.New("ClientSecret is required"))
	}
	if c.Authority != nil {
		a := c.Authority
		switch {
		case !a.IsAbs() || a.Host == "" || a.Opaque != "":
			errs = append(errs, errors.New("Authority must be an absolute URL"))
		case a.RawQuery != "" || a.Fragment != "" || a.User != nil:
			errs = append(errs, errors.New("Authority must not carry a query, fragment or user info"))
		case a.Scheme != "https" && !(a.Scheme == "http" && isLoopback(a.Hostname())):
			errs = append(errs, errors.New("Authority must be https (http only on a loopback host)"))
		}
	}
	if err := checkRedirect(c.RedirectURL); err != nil {
		errs = append(errs, fmt.Errorf("RedirectURL %w", err))
	}
	if err := checkRedirect(c.ConsentRedirectURL); err != nil {
		errs = append(errs, fmt.Errorf("ConsentRedirectURL %w", err))
	}
	if c.Leeway > maxLeeway {
		errs = append(errs, fmt.Errorf("Leeway must be at most %s", maxLeeway))
	}
	return errors.Join(errs...)
}

func checkRedirect(s string) error {
	if s == "" {
		return errors.New("is required")
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("must be an absolute http(s) URL")
	}
	if u.Fragment != "" {
		return errors.New("must not have a fragment")
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// endpoint returns {authority}/{segments...}.
func (p *Provider) endpoint(segments ...string) *url.URL {
	return p.authority.JoinPath(segments...)
}

var (
	_ slog.LogValuer = Config{}
	_ fmt.Stringer   = Config{}
)

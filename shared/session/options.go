package session

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// KeySize is the length in bytes of every key in [Options.Keys].
const KeySize = 32

// Cookie names used when [Options.CookieName] is empty.
const (
	// DefaultCookieName is the production name; the __Host- prefix makes browsers insist on
	// Secure, Path=/ and no Domain, so no subdomain can set or shadow it.
	DefaultCookieName = "__Host-mm_session"
	// DefaultInsecureCookieName is the name used with [Options.Insecure] (browsers refuse
	// __Host- cookies without Secure).
	DefaultInsecureCookieName = "mm_session"
)

// Defaults for the lifetimes in [Options].
const (
	DefaultMaxAge     = 12 * time.Hour
	DefaultIdle       = 2 * time.Hour
	DefaultRenewAfter = 10 * time.Minute
)

// Options configures a [Manager]. Only Keys is required.
type Options struct {
	// Keys are the 32-byte keys, newest first: Keys[0] seals new cookies, every key opens
	// them. At least one; no duplicates. See the package documentation on rotation.
	Keys [][]byte
	// CookieName names the cookie. Default [DefaultCookieName], or
	// [DefaultInsecureCookieName] when Insecure. A name starting with "__Host-" or
	// "__Secure-" is refused when Insecure.
	CookieName string
	// Insecure drops the Secure attribute (and the __Host- default name) so the cookie works
	// over plain http://localhost. Default false: cookies are Secure. Never set it in
	// production; it also makes the CSRF origin check expect http:// instead of https://.
	Insecure bool
	// MaxAge is the absolute lifetime of a session from sign-in ([Manager.Renew]) or start.
	// Default [DefaultMaxAge] (12h).
	MaxAge time.Duration
	// Idle ends a session this long after it was last re-issued. Default [DefaultIdle] (2h);
	// at most MaxAge.
	Idle time.Duration
	// RenewAfter is how old the cookie must be before [Manager.Touch] re-issues it with a
	// fresh LastSeen and expiry. Default [DefaultRenewAfter] (10m); less than Idle.
	RenewAfter time.Duration
	// AllowedOrigins are extra origins ("https://minutes.example.com", scheme and host, no
	// path) that [Manager.CSRFMiddleware] accepts in an Origin header besides the request's
	// own scheme and Host — for a reverse proxy that rewrites Host. Default none.
	AllowedOrigins []string
	// CSRFFailed writes the response when [Manager.CSRFMiddleware] rejects a request; err
	// wraps [ErrCSRF] and says why (it never contains a token). Default: 403 with a plain-text
	// message. Use it to log the rejection or render a page; it must not call the next handler.
	CSRFFailed func(w http.ResponseWriter, r *http.Request, err error)
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// withDefaults returns a copy of o with defaults filled in; it does not validate.
func (o Options) withDefaults() Options {
	if o.CookieName == "" {
		o.CookieName = DefaultCookieName
		if o.Insecure {
			o.CookieName = DefaultInsecureCookieName
		}
	}
	if o.MaxAge == 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Idle == 0 {
		o.Idle = min(DefaultIdle, o.MaxAge)
	}
	if o.RenewAfter == 0 {
		o.RenewAfter = min(DefaultRenewAfter, o.Idle/2)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// validate checks o after withDefaults; errors name the field.
func (o Options) validate() error {
	if len(o.Keys) == 0 {
		return errors.New("Keys: at least one key is required")
	}
	for i, k := range o.Keys {
		if len(k) != KeySize {
			return fmt.Errorf("Keys[%d]: must be %d bytes, got %d", i, KeySize, len(k))
		}
		for j := range i {
			if string(o.Keys[j]) == string(k) {
				return fmt.Errorf("Keys[%d]: duplicates Keys[%d]", i, j)
			}
		}
	}
	if err := (&http.Cookie{Name: o.CookieName, Value: "x"}).Valid(); err != nil {
		return fmt.Errorf("CookieName: %w", err)
	}
	if o.Insecure && (strings.HasPrefix(o.CookieName, "__Host-") || strings.HasPrefix(o.CookieName, "__Secure-")) {
		return fmt.Errorf("CookieName: %q needs Secure, which Insecure turns off", o.CookieName)
	}
	switch {
	case o.MaxAge < time.Second:
		return fmt.Errorf("MaxAge: %s is less than a second", o.MaxAge)
	case o.Idle < time.Second || o.Idle > o.MaxAge:
		return fmt.Errorf("Idle: %s must be between 1s and MaxAge (%s)", o.Idle, o.MaxAge)
	case o.RenewAfter < 0 || o.RenewAfter >= o.Idle:
		return fmt.Errorf("RenewAfter: %s must be at least 0 and less than Idle (%s)", o.RenewAfter, o.Idle)
	}
	for i, raw := range o.AllowedOrigins {
		if _, err := parseOrigin(raw); err != nil {
			return fmt.Errorf("AllowedOrigins[%d]: %w", i, err)
		}
	}
	return nil
}

// parseOrigin normalises a serialized origin ("https://host[:port]") to lower case without
// a default port, refusing anything with a path, query, fragment or user info.
func parseOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("origin %q: not a URL", raw)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("origin %q: want scheme://host[:port]", raw)
	}
	return origin(u.Scheme, u.Host), nil
}

// origin joins scheme and host into the normalised form parseOrigin returns.
func origin(scheme, host string) string {
	scheme, host = strings.ToLower(scheme), strings.ToLower(host)
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	return scheme + "://" + host
}

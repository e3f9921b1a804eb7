package identity

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

const (
	// keyRefreshInterval is how old the cached key set may get before it is refetched.
	keyRefreshInterval = 24 * time.Hour
	// keyRefetchMin is the least time between two fetches, whatever triggers them, so a
	// flood of tokens with made-up kids cannot turn into a flood of requests.
	keyRefetchMin = time.Minute
	// keyRetryEmpty is the least time between fetches while there is no key set at all.
	keyRetryEmpty = 5 * time.Second
	// keyFetchTimeout bounds one discovery + JWKS fetch, which may outlive the request that
	// started it (other requests wait on it too).
	keyFetchTimeout = 30 * time.Second
	// minRSABits and maxRSABits bound the key sizes used to verify.
	minRSABits = 2048
	maxRSABits = 8192
	// maxKeys bounds the JWKS size.
	maxKeys = 100
	// tenantPlaceholder is the tenant placeholder in the tenant-independent issuer.
	tenantPlaceholder = "{tenantid}"
)

// keySet is one successful discovery + JWKS fetch.
type keySet struct {
	issuerTemplate string
	keys           map[string]*signingKey
	fetchedAt      time.Time
}

// signingKey is one JWKS entry. A key that must not be used carries the reason in rejected,
// so a token naming it fails with that reason rather than triggering a refetch.
type signingKey struct {
	pub      *rsa.PublicKey
	issuer   string
	rejected string
}

// keyCache holds the discovery issuer template and the JWKS.
type keyCache struct {
	p            *Provider
	discoveryURL *url.URL
	group        singleflight.Group

	mu          sync.Mutex
	set         *keySet
	lastAttempt time.Time
	lastErr     error
}

func newKeyCache(p *Provider) *keyCache {
	return &keyCache{
		p:            p,
		discoveryURL: p.endpoint("organizations", "v2.0", ".well-known", "openid-configuration"),
	}
}

// keyFetchError is a failure to obtain keys: the token was not judged, so it is not an
// ErrInvalidToken.
type keyFetchError struct{ err error }

func (e *keyFetchError) Error() string { return "fetch signing keys: " + e.err.Error() }
func (e *keyFetchError) Unwrap() error { return e.err }

// current returns the cached set, refreshing it first if it is missing or older than 24 h.
// A failed scheduled refresh keeps serving the old set.
func (c *keyCache) current(ctx context.Context) (*keySet, error) {
	c.mu.Lock()
	set := c.set
	c.mu.Unlock()
	if set != nil && c.p.now().Sub(set.fetchedAt) < keyRefreshInterval {
		return set, nil
	}
	fresh, err := c.refresh(ctx)
	if err != nil {
		if set != nil {
			return set, nil
		}
		return nil, err
	}
	return fresh, nil
}

// lookup returns the key for kid, refetching once (rate-limited) if kid is unknown.
func (c *keyCache) lookup(ctx context.Context, kid string) (*signingKey, *keySet, error) {
	set, err := c.current(ctx)
	if err != nil {
		return nil, nil, err
	}
	if k, ok := set.keys[kid]; ok {
		return k, set, nil
	}
	if fresh, err := c.refresh(ctx); err == nil {
		set = fresh
	}
	if k, ok := set.keys[kid]; ok {
		return k, set, nil
	}
	return nil, set, invalid("no published signing key has this kid")
}

// refresh fetches discovery and the JWKS unless a fetch was attempted within the last
// minute, in which case it returns what is cached. Concurrent callers share one fetch.
func (c *keyCache) refresh(ctx context.Context) (*keySet, error) {
	ch := c.group.DoChan("keys", func() (any, error) {
		now := c.p.now()
		c.mu.Lock()
		set, last, lastErr := c.set, c.lastAttempt, c.lastErr
		if !last.IsZero() {
			since := now.Sub(last)
			if set != nil && since < keyRefetchMin {
				c.mu.Unlock()
				return set, nil
			}
			if set == nil && since < keyRetryEmpty && lastErr != nil {
				c.mu.Unlock()
				return nil, lastErr
			}
		}
		c.lastAttempt = now
		c.mu.Unlock()

		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keyFetchTimeout)
		defer cancel()
		fresh, err := c.fetch(fctx)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			c.lastErr = &keyFetchError{err}
			return nil, c.lastErr
		}
		fresh.fetchedAt = now
		c.set, c.lastErr = fresh, nil
		return fresh, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*keySet), nil
	case <-ctx.Done():
		return nil, &keyFetchError{ctx.Err()}
	}
}

// discovery is the part of the OpenID configuration we use.
type discovery struct {
	Issuer  string   `json:"issuer"`
	JWKSURI string   `json:"jwks_uri"`
	Algs    []string `json:"id_token_signing_alg_values_supported"`
}

func (c *keyCache) fetch(ctx context.Context) (*keySet, error) {
	var d discovery
	if err := c.getJSON(ctx, c.discoveryURL, &d); err != nil {
		return nil, err
	}
	if !strings.Contains(d.Issuer, tenantPlaceholder) {
		return nil, fmt.Errorf("discovery issuer %q is not a tenant-independent template", d.Issuer)
	}
	if len(d.Algs) > 0 && !slices.Contains(d.Algs, "RS256") {
		return nil, errors.New("discovery does not list RS256 for ID tokens")
	}
	jwksURL, err := url.Parse(d.JWKSURI)
	if err != nil || !jwksURL.IsAbs() || jwksURL.Host == "" {
		return nil, errors.New("discovery jwks_uri is not an absolute URL")
	}
	if jwksURL.Scheme != "https" && jwksURL.Scheme != c.p.authority.Scheme {
		return nil, errors.New("discovery jwks_uri is not https")
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := c.getJSON(ctx, jwksURL, &doc); err != nil {
		return nil, err
	}
	if len(doc.Keys) == 0 {
		return nil, fmt.Errorf("JWKS at %s has no keys", jwksURL.Redacted())
	}
	if len(doc.Keys) > maxKeys {
		return nil, fmt.Errorf("JWKS at %s has %d keys, more than %d", jwksURL.Redacted(), len(doc.Keys), maxKeys)
	}
	set := &keySet{issuerTemplate: d.Issuer, keys: make(map[string]*signingKey, len(doc.Keys))}
	for _, raw := range doc.Keys {
		kid, key := parseJWK(raw)
		if kid == "" {
			continue
		}
		if _, dup := set.keys[kid]; dup {
			set.keys[kid] = &signingKey{rejected: "kid published more than once"}
			continue
		}
		set.keys[kid] = key
	}
	return set, nil
}

func (c *keyCache) getJSON(ctx context.Context, u *url.URL, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("build request for %s: %w", u.Redacted(), err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.p.client.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: status %d", u.Redacted(), resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", u.Redacted(), err)
	}
	if len(body) > maxResponseBytes {
		return fmt.Errorf("read %s: body exceeds %d bytes", u.Redacted(), maxResponseBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s: %w", u.Redacted(), err)
	}
	return nil
}

// jwk is the part of a JSON Web Key we read.
type jwk struct {
	Kty    string `json:"kty"`
	Use    string `json:"use"`
	Kid    string `json:"kid"`
	Alg    string `json:"alg"`
	N      string `json:"n"`
	E      string `json:"e"`
	Issuer string `json:"issuer"`
}

// parseJWK returns the key's kid and either a usable RSA key or the reason it is not one.
func parseJWK(raw json.RawMessage) (string, *signingKey) {
	var k jwk
	if err := json.Unmarshal(raw, &k); err != nil {
		return "", nil
	}
	reject := func(reason string) (string, *signingKey) { return k.Kid, &signingKey{rejected: reason} }
	switch {
	case k.Kty != "RSA":
		return reject("signing key is not an RSA key")
	case k.Use != "sig":
		return reject(`signing key's use is not "sig"`)
	case k.Alg != "" && k.Alg != "RS256":
		return reject("signing key is not for RS256")
	}
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil || len(n) == 0 {
		return reject("signing key modulus is malformed")
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return reject("signing key exponent is malformed")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	switch bits := pub.N.BitLen(); {
	case bits < minRSABits:
		return reject(fmt.Sprintf("signing key has %d bits, fewer than %d", bits, minRSABits))
	case bits > maxRSABits:
		return reject(fmt.Sprintf("signing key has %d bits, more than %d", bits, maxRSABits))
	}
	if pub.E < 3 || pub.E%2 == 0 {
		return reject("signing key exponent is invalid")
	}
	return k.Kid, &signingKey{pub: pub, issuer: k.Issuer}
}

package graphhook

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxJWKSBytes bounds the discovery document and the key set; Microsoft's are a few KiB.
const maxJWKSBytes = 1 << 20

// key returns the public key for kid, fetching the key set when it is missing, stale, or lacks
// kid: at most once per call chain (*refreshed) and once per MinRefreshInterval. A caller that
// finds a fetch in flight waits for it (or for ctx) instead of failing.
func (v *TokenVerifier) key(ctx context.Context, kid string, refreshed *bool) (*rsa.PublicKey, error) {
	now := v.now()
	v.mu.Lock()
	k, ok := v.keys[kid]
	stale := v.keys == nil || now.Sub(v.fetchedAt) >= v.keysTTL()
	v.mu.Unlock()
	if ok && !stale {
		return k, nil
	}
	if !*refreshed {
		*refreshed = true
		if err := v.refresh(ctx); err != nil && !ok {
			return nil, err
		}
		// On a failed refresh a known kid keeps working with the cached (stale) key.
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	if v.keys == nil {
		return nil, fmt.Errorf("no key set fetched yet: %w", ErrKeysUnavailable)
	}
	return nil, fmt.Errorf("kid %q: %w", truncate(kid, 64), ErrUnknownKey)
}

// refresh fetches the key set, one fetch at a time, unless the last attempt (possibly one this
// caller just waited for) is more recent than MinRefreshInterval.
func (v *TokenVerifier) refresh(ctx context.Context) error {
	v.semOnce.Do(func() { v.sem = make(chan struct{}, 1) })
	select {
	case v.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("fetch signing keys: %w", errors.Join(ErrKeysUnavailable, ctx.Err()))
	}
	defer func() { <-v.sem }()

	start := v.now()
	v.mu.Lock()
	if !v.attemptedAt.IsZero() && start.Sub(v.attemptedAt) < v.minRefresh() {
		v.mu.Unlock()
		return nil // fetched (or failed) recently; the caller re-reads the cache
	}
	v.attemptedAt = start
	v.mu.Unlock()

	keys, err := v.fetchKeys(ctx)
	if err != nil {
		return fmt.Errorf("fetch signing keys: %w", errors.Join(ErrKeysUnavailable, err))
	}
	v.mu.Lock()
	v.keys, v.fetchedAt = keys, start
	v.mu.Unlock()
	return nil
}

func (v *TokenVerifier) keysTTL() time.Duration {
	if v.KeysTTL > 0 {
		return v.KeysTTL
	}
	return DefaultKeysTTL
}

func (v *TokenVerifier) minRefresh() time.Duration {
	if v.MinRefreshInterval > 0 {
		return v.MinRefreshInterval
	}
	return DefaultMinRefreshInterval
}

func (v *TokenVerifier) client() *http.Client {
	if v.HTTPClient != nil {
		return v.HTTPClient
	}
	return &http.Client{Timeout: DefaultHTTPTimeout}
}

// fetchKeys resolves the JWKS URL (KeysURL, or jwks_uri from the discovery document) and
// returns its usable RSA signing keys by kid.
func (v *TokenVerifier) fetchKeys(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	keysURL := v.KeysURL
	if keysURL == "" {
		var err error
		if keysURL, err = v.discoverKeysURL(ctx); err != nil {
			return nil, err
		}
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := v.getJSON(ctx, keysURL, &set); err != nil {
		return nil, fmt.Errorf("get key set: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		if pub, ok := k.rsaKey(); ok {
			keys[k.Kid] = pub
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("key set at %s has no usable RSA signing key", keysURL)
	}
	return keys, nil
}

// discoverKeysURL reads jwks_uri from the OpenID configuration. The key set must live on the
// configuration's own scheme and host, so a tampered document cannot point elsewhere.
func (v *TokenVerifier) discoverKeysURL(ctx context.Context) (string, error) {
	disc := v.DiscoveryURL
	if disc == "" {
		disc = DefaultDiscoveryURL
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, disc, &doc); err != nil {
		return "", fmt.Errorf("get OpenID configuration: %w", err)
	}
	base, err := url.Parse(disc)
	if err != nil {
		return "", fmt.Errorf("parse discovery URL: %w", err)
	}
	u, err := url.Parse(doc.JWKSURI)
	if err != nil || u.Scheme != base.Scheme || !strings.EqualFold(u.Host, base.Host) {
		return "", fmt.Errorf("jwks_uri %q is not on %s://%s", truncate(doc.JWKSURI, 256), base.Scheme, base.Host)
	}
	return u.String(), nil
}

func (v *TokenVerifier) getJSON(ctx context.Context, u string, dst any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client().Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxJWKSBytes))
		return fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return fmt.Errorf("GET %s: read body: %w", u, err)
	}
	if len(body) > maxJWKSBytes {
		return fmt.Errorf("GET %s: body over %d bytes", u, maxJWKSBytes)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return fmt.Errorf("GET %s: decode: %w", u, err)
	}
	return nil
}

// jwk is the part of a JSON Web Key we use.
type jwk struct {
	Kty string   `json:"kty"`
	Use string   `json:"use"`
	Kid string   `json:"kid"`
	N   string   `json:"n"`
	E   string   `json:"e"`
	X5c []string `json:"x5c"`
}

// rsaKey returns the RSA signing key k describes, from n/e or else from x5c[0]; keys of
// another type or use, without a kid, or under 2048 bits are skipped.
func (k jwk) rsaKey() (*rsa.PublicKey, bool) {
	if k.Kty != "RSA" || k.Kid == "" || (k.Use != "" && k.Use != "sig") {
		return nil, false
	}
	var pub *rsa.PublicKey
	if k.N != "" && k.E != "" {
		n, err1 := decodeB64URL(k.N)
		e, err2 := decodeB64URL(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil, false
		}
		pub = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	} else if len(k.X5c) > 0 {
		der, err := base64.StdEncoding.DecodeString(k.X5c[0])
		if err != nil {
			return nil, false
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, false
		}
		p, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, false
		}
		pub = p
	} else {
		return nil, false
	}
	if pub.N.BitLen() < minRSABits || pub.E < 3 || pub.E%2 == 0 {
		return nil, false
	}
	return pub, true
}

// decodeB64URL decodes base64url with or without padding.
func decodeB64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

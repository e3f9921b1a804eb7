package graphhooktest

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Paths the KeyServer serves, mirroring login.microsoftonline.com.
const (
	discoveryPath = "/common/.well-known/openid-configuration"
	keysPath      = "/common/discovery/keys"
)

// KeyServer stands in for the Microsoft identity platform's key discovery: an OpenID
// configuration whose jwks_uri points at a JWKS on the same server. It counts fetches and can
// fail on demand, for cache and refetch tests. Closed on t.Cleanup.
type KeyServer struct {
	*httptest.Server

	mu        sync.Mutex
	keys      []jsonKey
	raw       []byte // served verbatim instead of keys when set
	failing   bool
	fetches   int
	discovers int
}

type jsonKey struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// NewKeyServer starts an empty key server.
func NewKeyServer(t testing.TB) *KeyServer {
	t.Helper()
	s := &KeyServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+discoveryPath, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.discovers++
		failing := s.failing
		s.mu.Unlock()
		if failing {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, map[string]string{"issuer": "https://sts.windows.net/{tenantid}/", "jwks_uri": s.KeysURL()})
	})
	mux.HandleFunc("GET "+keysPath, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.fetches++
		failing, raw := s.failing, s.raw
		body := map[string]any{"keys": append([]jsonKey{}, s.keys...)}
		s.mu.Unlock()
		if failing {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		if raw != nil {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(raw)
			return
		}
		writeJSON(w, body)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// DiscoveryURL is the OpenID configuration URL, for TokenVerifier.DiscoveryURL.
func (s *KeyServer) DiscoveryURL() string { return s.URL + discoveryPath }

// KeysURL is the JWKS URL, for TokenVerifier.KeysURL.
func (s *KeyServer) KeysURL() string { return s.URL + keysPath }

// Add publishes pub under kid.
func (s *KeyServer) Add(kid string, pub *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, jsonKey{
		Kty: "RSA", Use: "sig", Kid: kid,
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	})
}

// Remove withdraws kid.
func (s *KeyServer) Remove(kid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.keys[:0]
	for _, k := range s.keys {
		if k.Kid != kid {
			kept = append(kept, k)
		}
	}
	s.keys = kept
}

// ServeRaw makes the JWKS endpoint answer with jwks verbatim (e.g. ReferenceJWKS).
func (s *KeyServer) ServeRaw(jwks []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw = append([]byte(nil), jwks...)
}

// SetFailing makes both endpoints answer 503 while failing is true.
func (s *KeyServer) SetFailing(failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = failing
}

// Fetches returns how many times the JWKS was requested.
func (s *KeyServer) Fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// Discoveries returns how many times the OpenID configuration was requested.
func (s *KeyServer) Discoveries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.discovers
}

package entratest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// key is a published key. kid is the certificate thumbprint (x5t), as Entra does.
type key struct {
	kid    string
	signer crypto.Signer
	use    string
	issuer string
	cert   []byte // DER, RSA keys only
}

// KeyOptions describe an extra published key.
type KeyOptions struct {
	// KID is the key ID. Default: the certificate thumbprint (RSA) or a random ID.
	KID string
	// Use is the JWK use. Default "sig".
	Use string
	// Issuer is the JWK issuer property. Default the template {URL}/{tenantid}/v2.0; "-"
	// omits it.
	Issuer string
}

func (s *Server) newRSAKey(bits int, opts KeyOptions) *key {
	s.t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		s.t.Fatalf("entratest: generate RSA key: %v", err)
	}
	return s.newKey(priv, opts)
}

func (s *Server) newKey(signer crypto.Signer, opts KeyOptions) *key {
	s.t.Helper()
	k := &key{signer: signer, use: opts.Use, issuer: opts.Issuer, kid: opts.KID}
	if k.use == "" {
		k.use = "sig"
	}
	if _, ok := signer.(*rsa.PrivateKey); ok {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()),
			Subject:      pkix.Name{CommonName: "accounts.accesscontrol.windows.net"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(5 * 365 * 24 * time.Hour),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
		if err != nil {
			s.t.Fatalf("entratest: self-sign key certificate: %v", err)
		}
		k.cert = der
		if k.kid == "" {
			sum := sha1.Sum(der)
			k.kid = base64.RawURLEncoding.EncodeToString(sum[:])
		}
	}
	if k.kid == "" {
		k.kid = uuid.NewString()
	}
	return k
}

// jwk renders k as Entra publishes it: kty, use, kid, x5t, n, e, x5c, issuer.
func (s *Server) jwk(k *key) map[string]any {
	m := map[string]any{"kid": k.kid, "use": k.use}
	switch pub := k.signer.Public().(type) {
	case *rsa.PublicKey:
		m["kty"] = "RSA"
		m["n"] = base64.RawURLEncoding.EncodeToString(pub.N.Bytes())
		m["e"] = base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		m["kty"] = "EC"
		m["crv"] = pub.Curve.Params().Name
		size := (pub.Curve.Params().BitSize + 7) / 8
		m["x"] = base64.RawURLEncoding.EncodeToString(pub.X.FillBytes(make([]byte, size)))
		m["y"] = base64.RawURLEncoding.EncodeToString(pub.Y.FillBytes(make([]byte, size)))
	}
	if k.cert != nil {
		sum := sha1.Sum(k.cert)
		m["x5t"] = base64.RawURLEncoding.EncodeToString(sum[:])
		m["x5c"] = []string{base64.StdEncoding.EncodeToString(k.cert)}
	}
	switch k.issuer {
	case "":
		m["issuer"] = s.URL + "/{tenantid}/v2.0"
	case "-":
	default:
		m["issuer"] = k.issuer
	}
	return m
}

// RotateKey generates a new 2048-bit signing key, publishes it and signs with it from now on;
// older keys stay published until RetireOldKeys. It returns the new kid.
func (s *Server) RotateKey() string {
	s.t.Helper()
	k := s.newRSAKey(2048, KeyOptions{})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
	s.signer = k
	return k.kid
}

// RetireOldKeys stops publishing every key but the current signing key.
func (s *Server) RetireOldKeys() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = []*key{s.signer}
}

// CurrentKID returns the kid of the current signing key.
func (s *Server) CurrentKID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signer.kid
}

// AddKey publishes signer (an *rsa.PrivateKey or *ecdsa.PrivateKey) in the JWKS without
// signing with it, e.g. a 1024-bit RSA key or a use "enc" key for negative tests. It
// returns the kid; sign with it through IssueIDToken(claims, SignOptions{Key: signer, KID: kid}).
func (s *Server) AddKey(signer crypto.Signer, opts KeyOptions) string {
	s.t.Helper()
	switch signer.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey:
	default:
		s.t.Fatalf("entratest: AddKey: unsupported key type %T", signer)
	}
	k := s.newKey(signer, opts)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
	return k.kid
}

// PublicKeyPEM returns the current signing key's public key as PKIX PEM: the bytes an
// algorithm-confusion attacker would use as an HS256 secret.
func (s *Server) PublicKeyPEM() []byte {
	s.t.Helper()
	s.mu.Lock()
	pub := s.signer.signer.Public()
	s.mu.Unlock()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		s.t.Fatalf("entratest: marshal public key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// SignOptions control how IssueIDToken signs. The zero value signs RS256 with the current
// key and its kid, as the authorize flow does.
type SignOptions struct {
	// Alg is the JWS alg ("RS256", "HS256", "ES256", "PS256", ...). Default "RS256".
	Alg string
	// KID is the kid header. Default the current signing key's kid.
	KID string
	// OmitKID leaves the kid header out.
	OmitKID bool
	// Key signs: *rsa.PrivateKey for RS/PS, *ecdsa.PrivateKey for ES, []byte for HS.
	// Default the current signing key.
	Key any
	// None makes an unsigned token with alg "none".
	None bool
}

// IssueIDToken signs claims as given (nothing is added) for negative tests; start from
// IDTokenClaims for a valid set.
func (s *Server) IssueIDToken(claims map[string]any, opts SignOptions) string {
	s.t.Helper()
	s.mu.Lock()
	signer := s.signer
	s.mu.Unlock()

	kid := opts.KID
	if kid == "" {
		kid = signer.kid
	}
	var (
		method jwt.SigningMethod
		k      any
	)
	if opts.None {
		method, k = jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType
	} else {
		alg := opts.Alg
		if alg == "" {
			alg = "RS256"
		}
		if method = jwt.GetSigningMethod(alg); method == nil {
			s.t.Fatalf("entratest: IssueIDToken: unknown alg %q", alg)
		}
		k = opts.Key
		if k == nil {
			k = signer.signer
		}
	}
	tok := jwt.NewWithClaims(method, jwt.MapClaims(claims))
	if !opts.OmitKID {
		tok.Header["kid"] = kid
	}
	raw, err := tok.SignedString(k)
	if err != nil {
		s.t.Fatalf("entratest: IssueIDToken: sign: %v", err)
	}
	return raw
}

// IDTokenClaims returns the claims the authorize flow would put in u's ID token, valid now:
// iss, aud, tid, oid, sub, name, email, preferred_username, nonce (if not empty), roles (if
// any), ver "2.0", iat, nbf, exp.
func (s *Server) IDTokenClaims(u User, nonce string) map[string]any {
	now := s.now()
	c := map[string]any{
		"aud":                s.opts.ClientID,
		"iss":                s.Issuer(u.TenantID),
		"iat":                now.Unix(),
		"nbf":                now.Unix(),
		"exp":                now.Add(s.opts.TokenLifetime).Unix(),
		"name":               u.Name,
		"oid":                u.ObjectID.String(),
		"preferred_username": u.Email,
		"sub":                pairwiseSub(s.opts.ClientID, u.ObjectID),
		"tid":                u.TenantID.String(),
		"uti":                randomID(16),
		"ver":                "2.0",
	}
	if u.Email != "" {
		c["email"] = u.Email
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	if len(u.Roles) > 0 {
		c["roles"] = u.Roles
	}
	return c
}

// sign signs claims RS256 with the current key, as Entra does.
func (s *Server) sign(claims map[string]any) (string, error) {
	s.mu.Lock()
	signer := s.signer
	s.mu.Unlock()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(claims))
	tok.Header["kid"] = signer.kid
	return tok.SignedString(signer.signer)
}

func pairwiseSub(clientID string, oid uuid.UUID) string {
	sum := sha1.Sum([]byte(clientID + "|" + oid.String()))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

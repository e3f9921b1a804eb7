package graphhooktest

import (
	"crypto/rsa"
	"crypto/x509"
	"embed"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The common values of the reference fixtures (shared/reference/graph.md §7). All invented.
const (
	ReferenceAppID          = "3d9f6b2a-8c41-4e7f-a5b0-1c6e2d7f9a84"
	ReferenceTenantID       = "5f1c9a0e-3b7d-4c2a-9e61-7d2b8c4f0a13"
	ReferenceOrganizerID    = "a7c3e9d1-52b4-4f08-8e6a-0b9d3c1f2e75"
	ReferenceMeetingID      = "MSphN2MzZTlkMS01MmI0LTRmMDgtOGU2YS0wYjlkM2MxZjJlNzUqMCoqMTk6bWVldGluZ19ZekppTjJVMFlURXRNR1kyWkMwMFpUa3pMVGhoTVRVdE5tUTVaVEptTTJJM1l6UXdAdGhyZWFkLnYy"
	ReferenceTranscriptID   = "MSMjMCMjZTRkMWE4YzctOTNiMi00ZjZlLWIwYTUtMmM3ZjlkM2UxYjY4"
	ReferenceSubscriptionID = "9b2e7c4d-1a6f-4e38-b5d9-0c3a7f2e8d61"
	ReferenceClientState    = "mm-7f3KcQ9vX2pL8wR4tZ1nB6yH0jD5sE"
	ReferenceCertificateID  = "mm-graph-enc-2026-03"
	ReferenceThumbprint     = "F1204F859EB41470EED7901646FD5D01B4B5F5F9"
	ReferenceSigningKeyID   = "TEST-GRAPH-VT-KEY-1"
	// ReferenceValidationToken is the validationTokens[0] of the §7.4 fixture.
	ReferenceValidationToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6IlRFU1QtR1JBUEgtVlQtS0VZLTEiLCJ0eXAiOiJKV1QifQ.eyJhaW8iOiJFMlJnWVRlc3RPbmx5Tm90QVJlYWxBaW9WYWx1ZT09IiwiYXBwaWQiOiIwYmYzMGYzYi00YTUyLTQ4ZGYtOWE4Mi0yMzQ5MTBjNGEwODYiLCJhcHBpZGFjciI6IjIiLCJhdWQiOiIzZDlmNmIyYS04YzQxLTRlN2YtYTViMC0xYzZlMmQ3ZjlhODQiLCJleHAiOjE3NzMxODQwOTIsImlhdCI6MTc3MzE1NDk5MiwiaWRwIjoiaHR0cHM6Ly9zdHMud2luZG93cy5uZXQvNWYxYzlhMGUtM2I3ZC00YzJhLTllNjEtN2QyYjhjNGYwYTEzLyIsImlzcyI6Imh0dHBzOi8vc3RzLndpbmRvd3MubmV0LzVmMWM5YTBlLTNiN2QtNGMyYS05ZTYxLTdkMmI4YzRmMGExMy8iLCJuYmYiOjE3NzMxNTQ5OTIsInRpZCI6IjVmMWM5YTBlLTNiN2QtNGMyYS05ZTYxLTdkMmI4YzRmMGExMyIsInV0aSI6IlRlc3RVdGlWYWx1ZTAwMDEiLCJ2ZXIiOiIxLjAifQ.dtDYu4t0T00VuqNn1L5bVonS5W-3M7th7rdzlv4igbOcJsHwMulh0_bRlL3Xc4cyZDD-_u1wtGI97yE9o44KHeUHsfuZsX-6ODQcH9UAoYat8RjBqcNwI4Is6_8TgX-bGn25CYR0NDezRBvZJ2yInFkL-ckyCHvY1-R6DHVo0izqswfoQoNS3_S_Fb_IaAiQi4vprhVY4IJmxn4AnDsK2l8Ht4vDVCHjBdv-c8WaUeUM1dHWqZKc3iC7EjsQCmi8LSW3Rx0IRe8wKN_NsKBsIF8e2ZhDedD51qMFwrtn-YgGgfQDkYJHsJNzV9H2jr5vF2ecyew1a-Q8VFQKWtnoqw"
)

// ReferenceNow is the clock the reference suggests for the §7.4 validation token:
// 2026-03-10T15:03:20Z (iat/nbf 15:03:12Z, exp 23:08:12Z).
func ReferenceNow() time.Time { return time.Date(2026, 3, 10, 15, 3, 20, 0, time.UTC) }

// ReferenceTokenExpiry is the §7.4 token's exp.
func ReferenceTokenExpiry() time.Time { return time.Unix(1773184092, 0).UTC() }

//go:embed testdata
var fixtures embed.FS

// Fixture returns a reference fixture, copied verbatim from shared/reference/graph.md §7:
//
//	validation_request.http        §7.1 the handshake request
//	transcript_basic.json          §7.3 notification without resource data
//	transcript_encrypted.json      §7.4 notification with encryptedContent and validationTokens
//	transcript_plaintext.json      §7.4 the exact decrypted content (no trailing newline)
//	jwks.json                      §7.4 the key set the validation token verifies with
//	lifecycle_reauthorization.json §7.5 reauthorizationRequired
//	lifecycle_batch.json           §7.5 subscriptionRemoved + missed, two tenants
//
// It fails t if name is unknown.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatalf("graphhooktest: fixture %s: %v", name, err)
	}
	return b
}

// ReferenceTenant is ReferenceTenantID parsed.
func ReferenceTenant() uuid.UUID { return uuid.MustParse(ReferenceTenantID) }

// ReferenceSubscription is ReferenceSubscriptionID parsed.
func ReferenceSubscription() uuid.UUID { return uuid.MustParse(ReferenceSubscriptionID) }

// ReferenceEncryptionKey is the §7.4 decryption key (TEST ONLY), whose public half is in
// ReferenceCertificate.
func ReferenceEncryptionKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	return pkcs8Fixture(t, "encryption_key.pkcs8.b64")
}

// ReferenceSigningKey is the key that signed ReferenceValidationToken (TEST ONLY), for minting
// more tokens under ReferenceSigningKeyID.
func ReferenceSigningKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	return pkcs8Fixture(t, "signing_key.pkcs8.b64")
}

// ReferenceCertificate is the §7.2 self-signed encryption certificate.
func ReferenceCertificate(t testing.TB) *x509.Certificate {
	t.Helper()
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(Fixture(t, "encryption_certificate.der.b64"))))
	if err != nil {
		t.Fatalf("graphhooktest: reference certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("graphhooktest: reference certificate: %v", err)
	}
	return cert
}

func pkcs8Fixture(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(Fixture(t, name))))
	if err != nil {
		t.Fatalf("graphhooktest: %s: %v", name, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatalf("graphhooktest: %s: %v", name, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("graphhooktest: %s: %T is not RSA", name, k)
	}
	return rk
}

// NewReference returns a Publisher built from the reference material: our app id, tenant,
// certificate and keys of §7, a KeyServer serving the §7.4 JWKS verbatim, and the clock at
// ReferenceNow. Its verifier accepts the §7.4 body as is, and its tokens and encryptions are
// interchangeable with the fixture's.
func NewReference(t testing.TB) *Publisher {
	t.Helper()
	keys := NewKeyServer(t)
	keys.ServeRaw(Fixture(t, "jwks.json"))
	return &Publisher{
		AppID:          ReferenceAppID,
		CertificateID:  ReferenceCertificateID,
		Certificate:    ReferenceCertificate(t),
		CertificateKey: ReferenceEncryptionKey(t),
		SigningKey:     ReferenceSigningKey(t),
		KeyID:          ReferenceSigningKeyID,
		Keys:           keys,
		Clock:          NewClock(ReferenceNow()),
	}
}

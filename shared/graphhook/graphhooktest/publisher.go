// Package graphhooktest plays Microsoft Graph's change-notification publisher in tests: it
// builds notification bodies the way Graph does, encrypting resource data to a test certificate
// (RSA-OAEP SHA-1 key wrap, AES-256-CBC with IV = key[:16], HMAC-SHA256 over the ciphertext)
// and minting v1 validation tokens signed with a test key served from a JWKS httptest server.
// Tests of other packages use it to produce valid and forged notifications; it also holds the
// reference fixtures of shared/reference/graph.md §7 (Fixture, NewReference). Test code only.
package graphhooktest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // Graph's key wrap is RSA-OAEP over SHA-1
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/graphhook"
)

// Clock is a settable clock for verifiers and token lifetimes.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Publisher is a fake Graph publisher for one app (the audience of its tokens).
type Publisher struct {
	// AppID is our application id: the aud of minted tokens.
	AppID string
	// CertificateID is the encryptionCertificateId stamped on encrypted content.
	CertificateID string
	// Certificate is the self-signed encryption certificate; content is encrypted to its key.
	Certificate *x509.Certificate
	// CertificateKey is its private key (what the receiver's Decrypter holds).
	CertificateKey *rsa.PrivateKey
	// SigningKey signs validation tokens; published on Keys under KeyID.
	SigningKey *rsa.PrivateKey
	// KeyID is the kid of minted tokens.
	KeyID string
	// Keys serves the signing keys.
	Keys *KeyServer
	// Clock drives token lifetimes and the verifiers it builds.
	Clock *Clock
}

// Options overrides New's defaults.
type Options struct {
	// AppID is our app id; default ReferenceAppID.
	AppID string
	// CertificateID labels the encryption certificate; default "test-enc-1".
	CertificateID string
	// KeyID is the signing key's kid; default "test-vt-key-1".
	KeyID string
	// Now is the starting time of the clock; default ReferenceNow.
	Now time.Time
}

// New returns a Publisher with a freshly generated RSA-2048 encryption key and self-signed
// certificate, a fresh RSA-2048 signing key, and a KeyServer publishing it.
func New(t testing.TB, o *Options) *Publisher {
	t.Helper()
	if o == nil {
		o = &Options{}
	}
	p := &Publisher{
		AppID:         or(o.AppID, ReferenceAppID),
		CertificateID: or(o.CertificateID, "test-enc-1"),
		KeyID:         or(o.KeyID, "test-vt-key-1"),
		Keys:          NewKeyServer(t),
		Clock:         NewClock(ReferenceNow()),
	}
	if !o.Now.IsZero() {
		p.Clock.Set(o.Now)
	}
	p.CertificateKey, p.Certificate = NewCertificate(t, "graphhooktest encryption "+p.CertificateID)
	p.SigningKey = NewKey(t)
	p.Keys.Add(p.KeyID, &p.SigningKey.PublicKey)
	return p
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// NewKey generates an RSA-2048 key.
func NewKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("graphhooktest: generate key: %v", err)
	}
	return k
}

// NewCertificate generates an RSA-2048 key and a self-signed certificate for it, as we upload
// to Graph with a subscription (Graph does not check the issuer).
func NewCertificate(t testing.TB, commonName string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key := NewKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("graphhooktest: create certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("graphhooktest: parse certificate: %v", err)
	}
	return key, cert
}

// Decrypter returns a Decrypter holding the publisher's certificate key.
func (p *Publisher) Decrypter() *graphhook.Decrypter {
	return &graphhook.Decrypter{Keys: map[string]*rsa.PrivateKey{p.CertificateID: p.CertificateKey}}
}

// Verifier returns a TokenVerifier for p.AppID that discovers the keys on p.Keys and uses
// p.Clock.
func (p *Publisher) Verifier() *graphhook.TokenVerifier {
	return &graphhook.TokenVerifier{
		AppID:        p.AppID,
		DiscoveryURL: p.Keys.DiscoveryURL(),
		HTTPClient:   p.Keys.Client(),
		Now:          p.Clock.Now,
	}
}

// Encrypt encrypts plaintext exactly as Graph does: a fresh 32-byte key, PKCS#7 padding,
// AES-256-CBC with IV = key[:16], HMAC-SHA256(key, ciphertext), and the key wrapped with
// RSA-OAEP (SHA-1, empty label) to the certificate.
func (p *Publisher) Encrypt(t testing.TB, plaintext []byte) graphhook.EncryptedContent {
	t.Helper()
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	return p.EncryptPadded(t, append(append([]byte(nil), plaintext...), bytes.Repeat([]byte{byte(pad)}, pad)...))
}

// EncryptPadded is Encrypt without adding padding: padded must be a whole number of blocks.
// Use it to produce correctly signed content whose padding is wrong.
func (p *Publisher) EncryptPadded(t testing.TB, padded []byte) graphhook.EncryptedContent {
	t.Helper()
	if len(padded)%aes.BlockSize != 0 {
		t.Fatalf("graphhooktest: EncryptPadded: %d bytes is not a whole number of blocks", len(padded))
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatalf("graphhooktest: %v", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatalf("graphhooktest: %v", err)
	}
	data := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, key[:aes.BlockSize]).CryptBlocks(data, padded)
	mac := hmac.New(sha256.New, key)
	mac.Write(data)
	pub, ok := p.Certificate.PublicKey.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("graphhooktest: certificate key is %T", p.Certificate.PublicKey)
	}
	wrapped, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, key, nil) //nolint:gosec // see import
	if err != nil {
		t.Fatalf("graphhooktest: wrap key: %v", err)
	}
	return graphhook.EncryptedContent{
		Data:                            base64.StdEncoding.EncodeToString(data),
		DataSignature:                   base64.StdEncoding.EncodeToString(mac.Sum(nil)),
		DataKey:                         base64.StdEncoding.EncodeToString(wrapped),
		EncryptionCertificateID:         p.CertificateID,
		EncryptionCertificateThumbprint: graphhook.Thumbprint(p.Certificate),
	}
}

// TokenOptions forges validation tokens.
type TokenOptions struct {
	// Claims edits the claims before signing: override or delete any of aud, iss, appid, tid,
	// iat, nbf, exp, ...
	Claims func(jwt.MapClaims)
	// KeyID overrides the kid header; "" keeps p.KeyID.
	KeyID string
	// Header edits the header after kid is set (e.g. delete "kid").
	Header func(map[string]any)
	// Method and Key sign with another algorithm and key, e.g. jwt.SigningMethodHS256 with
	// the public key's bytes, or jwt.SigningMethodNone with jwt.UnsafeAllowNoneSignatureType.
	Method jwt.SigningMethod
	Key    any
}

// Token mints the validation token Graph would send for tenant: v1 claims as in the §7.4
// fixture (aud = p.AppID, iss = https://sts.windows.net/{tenant}/, appid = the publisher app,
// tid, ver 1.0), valid from the clock's now for 8 h 05 min, RS256 under p.KeyID. o may be nil.
func (p *Publisher) Token(t testing.TB, tenant uuid.UUID, o *TokenOptions) string {
	t.Helper()
	if o == nil {
		o = &TokenOptions{}
	}
	now := p.Clock.Now()
	claims := jwt.MapClaims{
		"aud":      p.AppID,
		"iss":      "https://sts.windows.net/" + tenant.String() + "/",
		"idp":      "https://sts.windows.net/" + tenant.String() + "/",
		"iat":      now.Unix(),
		"nbf":      now.Unix(),
		"exp":      now.Add(8*time.Hour + 5*time.Minute).Unix(),
		"aio":      "graphhooktest",
		"appid":    graphhook.PublisherAppID,
		"appidacr": "2",
		"tid":      tenant.String(),
		"uti":      uuid.NewString(),
		"ver":      "1.0",
	}
	if o.Claims != nil {
		o.Claims(claims)
	}
	method, key := jwt.SigningMethod(jwt.SigningMethodRS256), any(p.SigningKey)
	if o.Method != nil {
		method, key = o.Method, o.Key
	}
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = or(o.KeyID, p.KeyID)
	if o.Header != nil {
		o.Header(tok.Header)
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("graphhooktest: sign token: %v", err)
	}
	return s
}

// TranscriptOptions describes a transcript-created notification. Zero fields take the
// reference values (§7).
type TranscriptOptions struct {
	SubscriptionID uuid.UUID
	TenantID       uuid.UUID
	ClientState    string
	MeetingID      string
	TranscriptID   string
	OrganizerID    string
	// UserLevel uses the users('{organizer}')/onlineMeetings(...) resource of a user-level
	// subscription instead of communications/onlineMeetings(...).
	UserLevel bool
	// Rich adds encryptedContent: Content if set, else a callTranscript like §7.4's.
	Rich    bool
	Content []byte
}

// TranscriptNotification builds a transcript-created notification as Graph sends it.
func (p *Publisher) TranscriptNotification(t testing.TB, o TranscriptOptions) graphhook.Notification {
	t.Helper()
	if o.SubscriptionID == uuid.Nil {
		o.SubscriptionID = ReferenceSubscription()
	}
	if o.TenantID == uuid.Nil {
		o.TenantID = ReferenceTenant()
	}
	o.ClientState = or(o.ClientState, ReferenceClientState)
	o.MeetingID = or(o.MeetingID, ReferenceMeetingID)
	o.TranscriptID = or(o.TranscriptID, ReferenceTranscriptID)
	o.OrganizerID = or(o.OrganizerID, ReferenceOrganizerID)
	resource := "communications/onlineMeetings('" + o.MeetingID + "')/transcripts('" + o.TranscriptID + "')"
	if o.UserLevel {
		resource = "users('" + o.OrganizerID + "')/onlineMeetings('" + o.MeetingID + "')/transcripts('" + o.TranscriptID + "')"
	}
	n := graphhook.Notification{
		SubscriptionID:                 o.SubscriptionID,
		SubscriptionExpirationDateTime: p.Clock.Now().Add(72 * time.Hour).UTC(),
		ChangeType:                     graphhook.ChangeCreated,
		Resource:                       resource,
		ResourceData: &graphhook.ResourceData{
			ODataType: "#Microsoft.Graph.callTranscript",
			ODataID:   resource,
			ID:        o.TranscriptID,
		},
		ClientState: o.ClientState,
		TenantID:    o.TenantID,
	}
	if o.Rich {
		content := o.Content
		if content == nil {
			content = CallTranscriptJSON(t, o.TenantID, o.OrganizerID, o.MeetingID, o.TranscriptID, p.Clock.Now())
		}
		ec := p.Encrypt(t, content)
		n.EncryptedContent = &ec
	}
	return n
}

// CallTranscriptJSON is the decrypted resource data of a transcript notification, shaped like
// the §7.4 plaintext.
func CallTranscriptJSON(t testing.TB, tenant uuid.UUID, organizerID, meetingID, transcriptID string, created time.Time) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"id":                   transcriptID,
		"meetingId":            meetingID,
		"callId":               uuid.NewString(),
		"contentCorrelationId": uuid.NewString() + "-0",
		"createdDateTime":      created.UTC().Format(time.RFC3339Nano),
		"endDateTime":          created.UTC().Format(time.RFC3339Nano),
		"meetingOrganizer": map[string]any{
			"application": nil, "device": nil,
			"user": map[string]any{
				"@odata.type": "#microsoft.graph.teamworkUserIdentity", "displayName": nil,
				"id": organizerID, "tenantId": tenant.String(), "userIdentityType": "aadUser",
			},
		},
		"transcriptContentUrl": "https://graph.microsoft.com/v1.0/users/" + organizerID + "/onlineMeetings/" + meetingID + "/transcripts/" + transcriptID + "/content",
	})
	if err != nil {
		t.Fatalf("graphhooktest: %v", err)
	}
	return b
}

// LifecycleNotification builds a lifecycle notification for a subscription.
func (p *Publisher) LifecycleNotification(subscriptionID, tenant uuid.UUID, clientState string, event graphhook.LifecycleEvent) graphhook.Notification {
	return graphhook.Notification{
		SubscriptionID:                 subscriptionID,
		SubscriptionExpirationDateTime: p.Clock.Now().Add(time.Hour).UTC(),
		TenantID:                       tenant,
		ClientState:                    clientState,
		LifecycleEvent:                 event,
	}
}

// Body marshals items into a notification POST body, adding one validation token per distinct
// tenant with encrypted items, as Graph does.
func (p *Publisher) Body(t testing.TB, items ...graphhook.Notification) []byte {
	t.Helper()
	var tokens []string
	for _, tenant := range (graphhook.Batch{Value: items}).RichTenantIDs() {
		tokens = append(tokens, p.Token(t, tenant, nil))
	}
	return BodyWithTokens(t, tokens, items...)
}

// BodyWithTokens marshals items and exactly the given validation tokens into a POST body.
func BodyWithTokens(t testing.TB, tokens []string, items ...graphhook.Notification) []byte {
	t.Helper()
	if items == nil {
		items = []graphhook.Notification{}
	}
	b, err := json.Marshal(graphhook.Batch{Value: items, ValidationTokens: tokens})
	if err != nil {
		t.Fatalf("graphhooktest: marshal batch: %v", err)
	}
	return b
}

// Subscription returns the stored form of a subscription with the given id, tenant and
// clientState, as the receiver's store would hold it.
func Subscription(id, tenant uuid.UUID, clientState string) graphhook.Subscription {
	return graphhook.Subscription{ID: id, TenantID: tenant, ClientStateSHA256: graphhook.HashClientState(clientState)}
}

// ReferenceSubscriptions maps the reference subscription to its stored form.
func ReferenceSubscriptions() map[uuid.UUID]graphhook.Subscription {
	return map[uuid.UUID]graphhook.Subscription{
		ReferenceSubscription(): Subscription(ReferenceSubscription(), ReferenceTenant(), ReferenceClientState),
	}
}

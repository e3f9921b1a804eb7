package graphhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
)

// MaxBatchBytes is the largest notification body ParseBatch and ReadBody accept: 4 MiB. Graph
// documents no limit for a webhook POST; rich transcript notifications are a few KiB each, so
// this leaves room for large batches while bounding memory per request. Callers should also cap
// the body at the transport (http.MaxBytesReader) with the same bound.
const MaxBatchBytes = 4 << 20

// Sentinels for batch parsing; ParseBatch wraps them with the detail.
var (
	// ErrBodyTooLarge means the body exceeds MaxBatchBytes.
	ErrBodyTooLarge = errors.New("graphhook: notification body too large")
	// ErrMalformedBatch means the body is not a notification collection: invalid JSON, a field
	// of the wrong JSON type, or no "value" array.
	ErrMalformedBatch = errors.New("graphhook: malformed notification body")
)

// ChangeType is a changeNotification's changeType.
type ChangeType string

// The change types Graph sends on an item (a subscription may ask for several, comma-joined,
// but each notification carries one).
const (
	ChangeCreated ChangeType = "created"
	ChangeUpdated ChangeType = "updated"
	ChangeDeleted ChangeType = "deleted"
)

// Known reports whether c is one of the documented change types.
func (c ChangeType) Known() bool {
	switch c {
	case ChangeCreated, ChangeUpdated, ChangeDeleted:
		return true
	default:
		return false
	}
}

// Batch is one notification POST: {"value":[...], "validationTokens":[...]}. One batch may mix
// subscriptions, apps and tenants.
type Batch struct {
	// Value holds the notifications, in delivery order (which means nothing: Graph does not
	// guarantee ordering).
	Value []Notification `json:"value"`
	// ValidationTokens holds one JWT per (app, tenant) pair; present only when the batch
	// carries resource data. Check them with TokenVerifier.VerifyBatch.
	ValidationTokens []string `json:"validationTokens,omitempty"`
}

// Notification is one changeNotification (or lifecycle notification) item. It is a plain struct
// for encoding/json, which matches keys case-insensitively, so the documentation's
// "EncryptedContent" spelling parses too. Unknown fields (organizationId, @odata.etag, ...) are
// ignored.
type Notification struct {
	// ID is the optional notification id.
	ID string `json:"id,omitempty"`
	// SubscriptionID is the subscription that produced the item.
	SubscriptionID uuid.UUID `json:"subscriptionId"`
	// SubscriptionExpirationDateTime is when the subscription expires.
	SubscriptionExpirationDateTime time.Time `json:"subscriptionExpirationDateTime,omitzero"`
	// ChangeType is created, updated or deleted; empty on lifecycle notifications.
	ChangeType ChangeType `json:"changeType,omitempty"`
	// Resource is the changed resource, relative to https://graph.microsoft.com/{version}/,
	// e.g. communications/onlineMeetings('{m}')/transcripts('{t}'). Empty on lifecycle
	// notifications.
	Resource string `json:"resource,omitempty"`
	// ResourceData identifies the changed resource; nil on lifecycle notifications.
	ResourceData *ResourceData `json:"resourceData,omitempty"`
	// ClientState is the secret set at subscription creation; compare with ClientStateMatches.
	ClientState string `json:"clientState,omitempty"`
	// TenantID is the tenant the change came from; the zero UUID if absent.
	TenantID uuid.UUID `json:"tenantId"`
	// LifecycleEvent is set only on lifecycle notifications.
	LifecycleEvent LifecycleEvent `json:"lifecycleEvent,omitempty"`
	// EncryptedContent is the resource data of a rich notification; nil otherwise. Decrypt it
	// with Decrypter.Decrypt only after the batch's validation tokens have been verified.
	EncryptedContent *EncryptedContent `json:"encryptedContent,omitempty"`
}

// IsLifecycle reports whether n is a lifecycle notification rather than a resource change.
func (n Notification) IsLifecycle() bool { return n.LifecycleEvent != "" }

// ResourceData is a notification's resourceData.
type ResourceData struct {
	// ODataType is e.g. #Microsoft.Graph.callTranscript.
	ODataType string `json:"@odata.type,omitempty"`
	// ODataID repeats the resource path.
	ODataID string `json:"@odata.id,omitempty"`
	// ID is the changed resource's id (the transcript id, the call record id).
	ID string `json:"id,omitempty"`
}

// EncryptedContent is a rich notification's encryptedContent (see Decrypter.Decrypt).
type EncryptedContent struct {
	// Data is base64 of the AES-256-CBC ciphertext.
	Data string `json:"data"`
	// DataSignature is base64 of HMAC-SHA256(symmetric key, ciphertext).
	DataSignature string `json:"dataSignature,omitempty"`
	// DataKey is base64 of the symmetric key, RSA-OAEP (SHA-1) encrypted to our certificate.
	DataKey string `json:"dataKey"`
	// EncryptionCertificateID is our own label for the certificate, chosen at subscription
	// creation; it selects the private key.
	EncryptionCertificateID string `json:"encryptionCertificateId"`
	// EncryptionCertificateThumbprint is the uppercase hex SHA-1 of the certificate's DER.
	EncryptionCertificateThumbprint string `json:"encryptionCertificateThumbprint,omitempty"`
}

// ParseBatch parses a notification body. It is strict on JSON types (a tenantId that is not a
// GUID string, a value that is not an array, trailing data: all ErrMalformedBatch) and tolerant
// of unknown fields. Bodies over MaxBatchBytes fail with ErrBodyTooLarge before any parsing.
//
// The documentation shows one sample as a bare notification object rather than wrapped in
// "value"; such a body parses as a batch of one. An empty "value" array is a valid, empty batch.
// ParseBatch checks no authenticity: see Classify and TokenVerifier.
func ParseBatch(body []byte) (Batch, error) {
	if len(body) > MaxBatchBytes {
		return Batch{}, fmt.Errorf("parse notification batch of %d bytes: %w", len(body), ErrBodyTooLarge)
	}
	var probe struct {
		Value          json.RawMessage `json:"value"`
		SubscriptionID json.RawMessage `json:"subscriptionId"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return Batch{}, malformed(err)
	}
	var b Batch
	switch {
	case len(probe.Value) > 0 && !bytes.Equal(probe.Value, []byte("null")):
		if err := json.Unmarshal(body, &b); err != nil {
			return Batch{}, malformed(err)
		}
		if b.Value == nil {
			b.Value = []Notification{}
		}
	case len(probe.SubscriptionID) > 0:
		var n Notification
		if err := json.Unmarshal(body, &n); err != nil {
			return Batch{}, malformed(err)
		}
		b.Value = []Notification{n}
	default:
		return Batch{}, fmt.Errorf("parse notification batch: no value array: %w", ErrMalformedBatch)
	}
	return b, nil
}

// malformed wraps a JSON error without echoing the body (errors.Join keeps both matchable).
func malformed(err error) error {
	return fmt.Errorf("parse notification batch: %w", errors.Join(ErrMalformedBatch, err))
}

// ReadBody reads a notification body of at most MaxBatchBytes from r; a longer body fails with
// ErrBodyTooLarge after reading MaxBatchBytes+1 bytes.
func ReadBody(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxBatchBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read notification body: %w", err)
	}
	if len(body) > MaxBatchBytes {
		return nil, fmt.Errorf("read notification body: %w", ErrBodyTooLarge)
	}
	return body, nil
}

// SubscriptionIDs returns the distinct subscription ids in b, in first-seen order, for looking
// up the stored subscriptions Classify needs.
func (b Batch) SubscriptionIDs() []uuid.UUID {
	return distinct(b.Value, func(n Notification) (uuid.UUID, bool) { return n.SubscriptionID, true })
}

// TenantIDs returns the distinct non-zero tenant ids in b, in first-seen order.
func (b Batch) TenantIDs() []uuid.UUID {
	return distinct(b.Value, func(n Notification) (uuid.UUID, bool) { return n.TenantID, n.TenantID != uuid.Nil })
}

// RichTenantIDs returns the distinct non-zero tenant ids of the items that carry
// encryptedContent: the tenants that must each be covered by a valid validation token.
func (b Batch) RichTenantIDs() []uuid.UUID {
	return distinct(b.Value, func(n Notification) (uuid.UUID, bool) {
		return n.TenantID, n.EncryptedContent != nil && n.TenantID != uuid.Nil
	})
}

// NeedsTokenVerification reports whether b must pass TokenVerifier.VerifyBatch before any item
// is trusted: it carries validation tokens or encrypted content.
func (b Batch) NeedsTokenVerification() bool {
	if len(b.ValidationTokens) > 0 {
		return true
	}
	for _, n := range b.Value {
		if n.EncryptedContent != nil {
			return true
		}
	}
	return false
}

func distinct(items []Notification, key func(Notification) (uuid.UUID, bool)) []uuid.UUID {
	var out []uuid.UUID
	seen := make(map[uuid.UUID]bool)
	for _, n := range items {
		id, ok := key(n)
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out
}

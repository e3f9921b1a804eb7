package graphhook

import "github.com/google/uuid"

// Subscription is what we stored when we created a Graph subscription, as Classify needs it.
type Subscription struct {
	// ID is Graph's subscription id.
	ID uuid.UUID
	// TenantID is the customer tenant the subscription was created in.
	TenantID uuid.UUID
	// ClientStateSHA256 is HashClientState of the clientState we sent.
	ClientStateSHA256 [32]byte
}

// Kind says what a valid Result is about.
type Kind string

// The kinds of notification Classify recognizes.
const (
	KindTranscript Kind = "transcript"
	KindCallRecord Kind = "callRecord"
	KindLifecycle  Kind = "lifecycle"
)

// Reasons an item is invalid (Result.Reason); stable strings, safe to log and to count.
const (
	ReasonBatchNotVerified     = "batch_not_verified"
	ReasonMissingTenant        = "missing_tenant"
	ReasonUnknownSubscription  = "unknown_subscription"
	ReasonTenantMismatch       = "tenant_mismatch"
	ReasonClientStateMismatch  = "client_state_mismatch"
	ReasonUnknownLifecycle     = "unknown_lifecycle_event"
	ReasonUnknownChangeType    = "unknown_change_type"
	ReasonUnsupportedResource  = "unsupported_resource"
	ReasonResourceDataMismatch = "resource_data_mismatch"
)

// Result is Classify's verdict on one notification.
type Result struct {
	// Item is the notification as parsed.
	Item Notification
	// Valid reports that the item is authentic as far as this package can tell and names a
	// resource (or lifecycle event) we understand.
	Valid bool
	// Reason is one of the Reason constants when Valid is false, empty otherwise.
	Reason string
	// DedupeKey identifies the change across Graph's redeliveries:
	// "{tenantId}:transcript:{transcriptId}" or "{tenantId}:callRecord:{callId}". Empty for
	// invalid items and for lifecycle events, which are safe to act on twice and legitimately
	// repeat.
	DedupeKey string
	// Kind is what the item is about; empty when it is invalid.
	Kind Kind
	// Transcript is the parsed resource of a KindTranscript item.
	Transcript TranscriptRef
	// CallID is the call record id of a KindCallRecord item.
	CallID string
}

// ClassifyParams are Classify's inputs besides the batch.
type ClassifyParams struct {
	// Subscriptions holds the stored subscriptions by id; an item whose subscription is absent
	// is invalid. Look them up with Batch.SubscriptionIDs.
	Subscriptions map[uuid.UUID]Subscription
	// TokensVerified reports that TokenVerifier.VerifyBatch returned nil for this batch. When
	// the batch carries validation tokens or encrypted content and this is false, every item
	// is invalid (ReasonBatchNotVerified): one bad token makes the whole POST suspicious.
	TokensVerified bool
}

// Classify checks every item of b, in order: the batch's tokens (see ClassifyParams), a tenant
// id, a known subscription of that same tenant, the clientState (constant time, against the
// stored hash), then the lifecycle event, or the change type and a transcript or call-record
// resource whose resourceData.id, if present, agrees. It does not decrypt. Duplicates within b
// keep the same DedupeKey; dropping them is the caller's idempotency store's job.
func Classify(b Batch, p ClassifyParams) []Result {
	unverified := b.NeedsTokenVerification() && !p.TokensVerified
	out := make([]Result, 0, len(b.Value))
	for _, n := range b.Value {
		r := Result{Item: n}
		if unverified {
			r.Reason = ReasonBatchNotVerified
		} else {
			r.Reason = classify(&r, n, p.Subscriptions)
		}
		r.Valid = r.Reason == ""
		if !r.Valid {
			r.DedupeKey, r.Kind, r.Transcript, r.CallID = "", "", TranscriptRef{}, ""
		}
		out = append(out, r)
	}
	return out
}

// classify fills r's kind and keys and returns the reason n is invalid, or "".
func classify(r *Result, n Notification, subs map[uuid.UUID]Subscription) string {
	if n.TenantID == uuid.Nil {
		return ReasonMissingTenant
	}
	sub, ok := subs[n.SubscriptionID]
	if !ok || n.SubscriptionID == uuid.Nil {
		return ReasonUnknownSubscription
	}
	if sub.TenantID != n.TenantID {
		return ReasonTenantMismatch
	}
	if !ClientStateMatches(n.ClientState, sub.ClientStateSHA256) {
		return ReasonClientStateMismatch
	}
	if n.IsLifecycle() {
		if !n.LifecycleEvent.Known() {
			return ReasonUnknownLifecycle
		}
		r.Kind = KindLifecycle
		return ""
	}
	if !n.ChangeType.Known() {
		return ReasonUnknownChangeType
	}
	tenant := n.TenantID.String()
	if ref, err := ParseTranscriptResource(n.Resource); err == nil {
		if n.ResourceData != nil && n.ResourceData.ID != "" && n.ResourceData.ID != ref.TranscriptID {
			return ReasonResourceDataMismatch
		}
		r.Kind, r.Transcript = KindTranscript, ref
		r.DedupeKey = tenant + ":transcript:" + ref.TranscriptID
		return ""
	}
	if id, err := ParseCallRecordResource(n.Resource); err == nil {
		if n.ResourceData != nil && n.ResourceData.ID != "" && n.ResourceData.ID != id {
			return ReasonResourceDataMismatch
		}
		r.Kind, r.CallID = KindCallRecord, id
		r.DedupeKey = tenant + ":callRecord:" + id
		return ""
	}
	return ReasonUnsupportedResource
}

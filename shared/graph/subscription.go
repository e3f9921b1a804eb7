package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Subscription lifetime maxima documented for the resources we subscribe to
// (change-notifications-subscription-lifetime): Teams callTranscript, callRecording,
// chatMessage and onlineMeeting 4,320 min; callRecord 4,230 min. The same table also lists
// onlineMeeting at 4,230, so the smaller value is used for it.
const (
	maxLifetimeTeams       = 4320 * time.Minute
	maxLifetimeCallRecords = 4230 * time.Minute
	// maxLifetimeUnknown is used for resources not recognised, and for renewals (which do not
	// name the resource): the smallest maximum above, which Graph accepts for all of them.
	maxLifetimeUnknown = maxLifetimeCallRecords
	// ExpiryMargin is kept below the maximum so clock skew and request latency never push
	// the requested expiry past it.
	ExpiryMargin = 10 * time.Minute
	// lifecycleRequiredAbove is the lifetime above which Teams transcript/recording
	// subscriptions must carry a lifecycleNotificationUrl.
	lifecycleRequiredAbove = time.Hour
	// maxClientState is the documented clientState limit (subscription resource: 128).
	maxClientState = 128
)

// MaxSubscriptionLifetime returns the documented maximum lifetime of a subscription to
// resource (given without the Graph base, e.g. "communications/onlineMeetings/getAllTranscripts").
func MaxSubscriptionLifetime(resource string) time.Duration {
	r := strings.ToLower(strings.TrimPrefix(resource, "/"))
	switch {
	case strings.HasPrefix(r, "communications/callrecords"):
		return maxLifetimeCallRecords
	case strings.Contains(r, "transcripts"), strings.Contains(r, "recordings"),
		strings.HasPrefix(r, "chats/"), strings.HasPrefix(r, "teams/"):
		return maxLifetimeTeams
	case strings.HasPrefix(r, "communications/onlinemeetings"):
		return maxLifetimeCallRecords // onlineMeeting: the table's smaller value
	}
	return maxLifetimeUnknown
}

// SubscriptionRequest is what CreateSubscription sends (POST /subscriptions).
type SubscriptionRequest struct {
	// Resource is the resource path without the Graph base URL, e.g.
	// "communications/onlineMeetings/getAllTranscripts".
	Resource string
	// ChangeType is "created", "updated", "deleted" or a comma-joined list.
	ChangeType string
	// NotificationURL is our https webhook. Its query string is echoed on every
	// notification: never put a secret in it.
	NotificationURL string
	// LifecycleURL is our https lifecycle webhook; required by Graph for Teams
	// transcript/recording subscriptions living longer than 1 hour.
	LifecycleURL string
	// ClientState is the secret Graph echoes in each notification; at most 128 characters.
	ClientState string
	// ExpiresAt is the requested expiry; it is clamped to MaxSubscriptionLifetime minus
	// ExpiryMargin from now. Zero means the maximum.
	ExpiresAt time.Time
	// IncludeResourceData asks for encrypted rich notifications; it requires
	// EncryptionCertificate and EncryptionCertificateID.
	IncludeResourceData bool
	// EncryptionCertificate is the base64 DER X.509 certificate (public key only).
	EncryptionCertificate string
	// EncryptionCertificateID is our label for the certificate, at most 128 characters.
	EncryptionCertificateID string
}

// Subscription is a subscription as Graph returned it.
type Subscription struct {
	// ID is the subscription ID notifications carry.
	ID SubscriptionID
	// Resource is the subscribed resource.
	Resource string
	// ExpiresAt is the expiry Graph accepted.
	ExpiresAt time.Time
}

func (r SubscriptionRequest) validate(now time.Time, expires time.Time) error {
	var errs []error
	if r.Resource == "" {
		errs = append(errs, errors.New("Resource is required"))
	}
	if r.ChangeType == "" {
		errs = append(errs, errors.New("ChangeType is required"))
	}
	if err := checkHTTPS(r.NotificationURL); err != nil {
		errs = append(errs, fmt.Errorf("NotificationURL: %w", err))
	}
	if r.LifecycleURL != "" {
		if err := checkHTTPS(r.LifecycleURL); err != nil {
			errs = append(errs, fmt.Errorf("LifecycleURL: %w", err))
		}
	} else if expires.Sub(now) > lifecycleRequiredAbove && MaxSubscriptionLifetime(r.Resource) == maxLifetimeTeams {
		errs = append(errs, errors.New("LifecycleURL is required for subscriptions to this resource longer than 1 hour"))
	}
	if r.ClientState == "" || len(r.ClientState) > maxClientState {
		errs = append(errs, fmt.Errorf("ClientState must be 1 to %d characters", maxClientState))
	}
	if r.IncludeResourceData && (r.EncryptionCertificate == "" || r.EncryptionCertificateID == "") {
		errs = append(errs, errors.New("IncludeResourceData requires EncryptionCertificate and EncryptionCertificateID"))
	}
	if len(r.EncryptionCertificateID) > 128 {
		errs = append(errs, errors.New("EncryptionCertificateID is longer than 128 characters"))
	}
	return errors.Join(errs...)
}

func checkHTTPS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" || u.Host == "" {
		return errors.New("must be an absolute https URL")
	}
	return nil
}

// clampExpiry returns want limited to now+max-ExpiryMargin; zero want means that limit.
func clampExpiry(now, want time.Time, max time.Duration) time.Time {
	limit := now.Add(max - ExpiryMargin).UTC().Truncate(time.Second)
	if want.IsZero() || want.After(limit) {
		return limit
	}
	return want.UTC()
}

// CreateSubscription creates a change-notification subscription for this tenant. Graph
// validates NotificationURL (and LifecycleURL) synchronously with a validation request, so
// our webhook must be reachable; a failed validation is a 400.
func (c *Client) CreateSubscription(ctx context.Context, r SubscriptionRequest) (Subscription, error) {
	now := c.now()
	expires := clampExpiry(now, r.ExpiresAt, MaxSubscriptionLifetime(r.Resource))
	if err := r.validate(now, expires); err != nil {
		return Subscription{}, fmt.Errorf("create subscription: %w", err)
	}
	body := models.NewSubscription()
	body.SetResource(&r.Resource)
	body.SetChangeType(&r.ChangeType)
	body.SetNotificationUrl(&r.NotificationURL)
	if r.LifecycleURL != "" {
		body.SetLifecycleNotificationUrl(&r.LifecycleURL)
	}
	body.SetClientState(&r.ClientState)
	body.SetExpirationDateTime(&expires)
	if r.IncludeResourceData {
		body.SetIncludeResourceData(&r.IncludeResourceData)
		body.SetEncryptionCertificate(&r.EncryptionCertificate)
		body.SetEncryptionCertificateId(&r.EncryptionCertificateID)
	}
	sub, err := c.sdk.Subscriptions().Post(ctx, body, nil)
	if err != nil {
		return Subscription{}, wrap(err, "create subscription to %s", r.Resource)
	}
	return subscription(sub), nil
}

// RenewSubscription extends subscription id to expiresAt (PATCH /subscriptions/{id}), which
// also reauthorizes it. expiresAt is clamped to the smallest documented maximum (4,230 min)
// minus ExpiryMargin, because a renewal does not name the resource; zero means that limit.
func (c *Client) RenewSubscription(ctx context.Context, id SubscriptionID, expiresAt time.Time) (Subscription, error) {
	if id == "" {
		return Subscription{}, errors.New("renew subscription: ID is required")
	}
	expires := clampExpiry(c.now(), expiresAt, maxLifetimeUnknown)
	body := models.NewSubscription()
	body.SetExpirationDateTime(&expires)
	sub, err := c.sdk.Subscriptions().BySubscriptionId(string(id)).Patch(ctx, body, nil)
	if err != nil {
		return Subscription{}, wrap(err, "renew subscription %s", id)
	}
	return subscription(sub), nil
}

// RotateSubscriptionCertificate renews subscription id like RenewSubscription and, in the same
// PATCH, switches its encryption certificate (graph.md §2.8): Graph encrypts with the new one
// from then on, while notifications already in flight still use the old one, which is why the
// previous certificate's key stays configured for a while.
func (c *Client) RotateSubscriptionCertificate(ctx context.Context, id SubscriptionID, expiresAt time.Time, certificate, certificateID string) (Subscription, error) {
	if id == "" || certificate == "" || certificateID == "" {
		return Subscription{}, errors.New("rotate subscription certificate: ID, certificate and certificate ID are required")
	}
	expires := clampExpiry(c.now(), expiresAt, maxLifetimeUnknown)
	body := models.NewSubscription()
	body.SetExpirationDateTime(&expires)
	body.SetEncryptionCertificate(&certificate)
	body.SetEncryptionCertificateId(&certificateID)
	sub, err := c.sdk.Subscriptions().BySubscriptionId(string(id)).Patch(ctx, body, nil)
	if err != nil {
		return Subscription{}, wrap(err, "rotate certificate of subscription %s", id)
	}
	return subscription(sub), nil
}

// ReauthorizeSubscription answers a reauthorizationRequired lifecycle event
// (POST /subscriptions/{id}/reauthorize).
func (c *Client) ReauthorizeSubscription(ctx context.Context, id SubscriptionID) error {
	if id == "" {
		return errors.New("reauthorize subscription: ID is required")
	}
	if err := c.sdk.Subscriptions().BySubscriptionId(string(id)).Reauthorize().Post(ctx, nil); err != nil {
		return wrap(err, "reauthorize subscription %s", id)
	}
	return nil
}

// DeleteSubscription deletes subscription id. A subscription that no longer exists is a
// 404 (IsNotFound), which callers deleting may treat as done.
func (c *Client) DeleteSubscription(ctx context.Context, id SubscriptionID) error {
	if id == "" {
		return errors.New("delete subscription: ID is required")
	}
	if err := c.sdk.Subscriptions().BySubscriptionId(string(id)).Delete(ctx, nil); err != nil {
		return wrap(err, "delete subscription %s", id)
	}
	return nil
}

func subscription(s models.Subscriptionable) Subscription {
	if s == nil {
		return Subscription{}
	}
	out := Subscription{ID: SubscriptionID(deref(s.GetId())), Resource: deref(s.GetResource())}
	if t := s.GetExpirationDateTime(); t != nil {
		out.ExpiresAt = t.UTC()
	}
	return out
}

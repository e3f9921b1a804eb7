package graph_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graph"
)

const testCert = "MIIDADCCAeigAwIBAgIEATUlzTANBgkqhkiG9w0BAQsFADA4" // shape only; Graph does not parse it in the fake

func transcriptSubscription(expires time.Time) graph.SubscriptionRequest {
	return graph.SubscriptionRequest{
		Resource:                "communications/onlineMeetings/getAllTranscripts",
		ChangeType:              "created",
		NotificationURL:         "https://minutes.example.com/api/graph/notifications",
		LifecycleURL:            "https://minutes.example.com/api/graph/lifecycle",
		ClientState:             "mm-7f3KcQ9vX2pL8wR4tZ1nB6yH0jD5sE",
		ExpiresAt:               expires,
		IncludeResourceData:     true,
		EncryptionCertificate:   testCert,
		EncryptionCertificateID: "mm-graph-enc-2026-03",
	}
}

func TestCreateSubscription(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	want := b.now.Add(24 * time.Hour).UTC().Truncate(time.Second)
	sub, err := c.CreateSubscription(context.Background(), transcriptSubscription(want))
	require.NoError(t, err)
	require.NotEmpty(t, sub.ID)
	require.Equal(t, "communications/onlineMeetings/getAllTranscripts", sub.Resource)
	require.True(t, want.Equal(sub.ExpiresAt), "%v != %v", want, sub.ExpiresAt)

	r := lastRequest(t, b.fake)
	require.Equal(t, "/v1.0/subscriptions", r.Path)
	var body map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &body))
	require.Equal(t, map[string]any{
		"changeType":               "created",
		"notificationUrl":          "https://minutes.example.com/api/graph/notifications",
		"lifecycleNotificationUrl": "https://minutes.example.com/api/graph/lifecycle",
		"resource":                 "communications/onlineMeetings/getAllTranscripts",
		"includeResourceData":      true,
		"encryptionCertificate":    testCert,
		"encryptionCertificateId":  "mm-graph-enc-2026-03",
		"expirationDateTime":       body["expirationDateTime"],
		"clientState":              "mm-7f3KcQ9vX2pL8wR4tZ1nB6yH0jD5sE",
	}, body)
	held, ok := b.fake.Subscription(string(sub.ID))
	require.True(t, ok)
	require.True(t, want.Equal(held.ExpiresAt))
}

func TestSubscriptionExpiryClamped(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		resource string
		ask      time.Duration // from now; 0 = zero time
		want     time.Duration
	}{
		{name: "transcripts beyond 4320 min", resource: "communications/onlineMeetings/getAllTranscripts", ask: 30 * 24 * time.Hour, want: 4320*time.Minute - graph.ExpiryMargin},
		{name: "transcripts zero means maximum", resource: "communications/onlineMeetings/getAllTranscripts", want: 4320*time.Minute - graph.ExpiryMargin},
		{name: "transcripts exactly at maximum", resource: "users/" + organizer + "/onlineMeetings/getAllTranscripts", ask: 4320 * time.Minute, want: 4320*time.Minute - graph.ExpiryMargin},
		{name: "callRecords 4230 min", resource: "/communications/callRecords", ask: 4320 * time.Minute, want: 4230*time.Minute - graph.ExpiryMargin},
		{name: "below maximum untouched", resource: "communications/onlineMeetings/getAllTranscripts", ask: 2 * time.Hour, want: 2 * time.Hour},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, b := setup(t)
			req := transcriptSubscription(time.Time{})
			req.Resource = tt.resource
			if tt.ask != 0 {
				req.ExpiresAt = b.now.Add(tt.ask)
			}
			sub, err := c.CreateSubscription(context.Background(), req)
			require.NoError(t, err, "the fake rejects expiries beyond the documented maximum")
			require.WithinDuration(t, b.now.Add(tt.want), sub.ExpiresAt, time.Second)
		})
	}
}

func TestCreateSubscriptionValidated(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(*graph.SubscriptionRequest)
		want   string
	}{
		{name: "http notification URL", mutate: func(r *graph.SubscriptionRequest) { r.NotificationURL = "http://minutes.example.com/n" }, want: "NotificationURL"},
		{name: "no lifecycle URL beyond 1 h", mutate: func(r *graph.SubscriptionRequest) { r.LifecycleURL = "" }, want: "LifecycleURL"},
		{name: "client state too long", mutate: func(r *graph.SubscriptionRequest) { r.ClientState = strings.Repeat("x", 129) }, want: "ClientState"},
		{name: "no client state", mutate: func(r *graph.SubscriptionRequest) { r.ClientState = "" }, want: "ClientState"},
		{name: "resource data without certificate", mutate: func(r *graph.SubscriptionRequest) { r.EncryptionCertificate = "" }, want: "EncryptionCertificate"},
		{name: "no resource", mutate: func(r *graph.SubscriptionRequest) { r.Resource = "" }, want: "Resource"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, b := setup(t)
			req := transcriptSubscription(b.now.Add(24 * time.Hour))
			tt.mutate(&req)
			_, err := c.CreateSubscription(context.Background(), req)
			require.ErrorContains(t, err, tt.want)
			require.Empty(t, b.fake.Requests(), "rejected before calling Graph")
		})
	}

	t.Run("short subscription needs no lifecycle URL", func(t *testing.T) {
		t.Parallel()
		c, b := setup(t)
		req := transcriptSubscription(b.now.Add(50 * time.Minute))
		req.LifecycleURL = ""
		_, err := c.CreateSubscription(context.Background(), req)
		require.NoError(t, err)
	})
}

func TestSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	c, b := setup(t)
	ctx := context.Background()
	sub, err := c.CreateSubscription(ctx, transcriptSubscription(b.now.Add(time.Hour*2)))
	require.NoError(t, err)

	t.Run("renew", func(t *testing.T) {
		renewed, err := c.RenewSubscription(ctx, sub.ID, b.now.Add(48*time.Hour))
		require.NoError(t, err)
		require.Equal(t, sub.ID, renewed.ID)
		require.WithinDuration(t, b.now.Add(48*time.Hour), renewed.ExpiresAt, time.Second)
		r := lastRequest(t, b.fake)
		require.Equal(t, "PATCH", r.Method)
		require.Equal(t, "/v1.0/subscriptions/"+string(sub.ID), r.Path)
		var body map[string]any
		require.NoError(t, json.Unmarshal(r.Body, &body))
		require.Len(t, body, 1, "only expirationDateTime is patched: %v", body)
		require.Contains(t, body, "expirationDateTime")
	})

	t.Run("renew clamped", func(t *testing.T) {
		renewed, err := c.RenewSubscription(ctx, sub.ID, b.now.Add(10*24*time.Hour))
		require.NoError(t, err)
		require.WithinDuration(t, b.now.Add(4230*time.Minute-graph.ExpiryMargin), renewed.ExpiresAt, time.Second)
	})

	t.Run("reauthorize", func(t *testing.T) {
		require.NoError(t, c.ReauthorizeSubscription(ctx, sub.ID))
		held, ok := b.fake.Subscription(string(sub.ID))
		require.True(t, ok)
		require.Equal(t, 1, held.Reauthorized)
		require.Equal(t, "/v1.0/subscriptions/"+string(sub.ID)+"/reauthorize", lastRequest(t, b.fake).Path)
	})

	t.Run("delete", func(t *testing.T) {
		require.NoError(t, c.DeleteSubscription(ctx, sub.ID))
		_, ok := b.fake.Subscription(string(sub.ID))
		require.False(t, ok)
		err := c.DeleteSubscription(ctx, sub.ID)
		require.True(t, graph.IsNotFound(err), "%v", err)
		_, err = c.RenewSubscription(ctx, sub.ID, b.now.Add(time.Hour))
		require.True(t, graph.IsNotFound(err), "%v", err)
	})
}

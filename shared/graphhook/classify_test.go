package graphhook_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/graphhook/graphhooktest"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	p := graphhooktest.NewReference(t)
	a, b := uuid.MustParse(tenantA), uuid.MustParse(tenantB)
	subOfA, subOfB := uuid.New(), uuid.New()
	subs := map[uuid.UUID]graphhook.Subscription{
		subOfA: graphhooktest.Subscription(subOfA, a, "secret-a"),
		subOfB: graphhooktest.Subscription(subOfB, b, "secret-b"),
	}
	transcript := func(edit func(*graphhook.Notification)) graphhook.Notification {
		n := p.TranscriptNotification(t, graphhooktest.TranscriptOptions{SubscriptionID: subOfA, TenantID: a, ClientState: "secret-a", TranscriptID: "T1", MeetingID: "M1"})
		if edit != nil {
			edit(&n)
		}
		return n
	}
	callRecord := func(edit func(*graphhook.Notification)) graphhook.Notification {
		n := graphhook.Notification{
			SubscriptionID: subOfB, TenantID: b, ClientState: "secret-b", ChangeType: graphhook.ChangeUpdated,
			Resource:     "communications/callRecords/5e8b2f17-6c3a-4d90-a1e4-9f7b0c2d3e58",
			ResourceData: &graphhook.ResourceData{ODataType: "#Microsoft.Graph.callrecord", ID: "5e8b2f17-6c3a-4d90-a1e4-9f7b0c2d3e58"},
		}
		if edit != nil {
			edit(&n)
		}
		return n
	}
	cases := []struct {
		name    string
		item    graphhook.Notification
		reason  string
		kind    graphhook.Kind
		dedupe  string
		callID  string
		userRef bool
	}{
		{name: "transcript", item: transcript(nil), kind: graphhook.KindTranscript, dedupe: tenantA + ":transcript:T1"},
		{name: "user-level transcript", item: p.TranscriptNotification(t, graphhooktest.TranscriptOptions{SubscriptionID: subOfA, TenantID: a, ClientState: "secret-a", TranscriptID: "T1", MeetingID: "M1", UserLevel: true}), kind: graphhook.KindTranscript, dedupe: tenantA + ":transcript:T1", userRef: true},
		{name: "transcript without resourceData", item: transcript(func(n *graphhook.Notification) { n.ResourceData = nil }), kind: graphhook.KindTranscript, dedupe: tenantA + ":transcript:T1"},
		{name: "call record", item: callRecord(nil), kind: graphhook.KindCallRecord, dedupe: tenantB + ":callRecord:5e8b2f17-6c3a-4d90-a1e4-9f7b0c2d3e58", callID: "5e8b2f17-6c3a-4d90-a1e4-9f7b0c2d3e58"},
		{name: "lifecycle", item: p.LifecycleNotification(subOfA, a, "secret-a", graphhook.LifecycleReauthorizationRequired), kind: graphhook.KindLifecycle},
		{name: "missing tenant", item: transcript(func(n *graphhook.Notification) { n.TenantID = uuid.Nil }), reason: graphhook.ReasonMissingTenant},
		{name: "unknown subscription", item: transcript(func(n *graphhook.Notification) { n.SubscriptionID = uuid.New() }), reason: graphhook.ReasonUnknownSubscription},
		{name: "nil subscription", item: transcript(func(n *graphhook.Notification) { n.SubscriptionID = uuid.Nil }), reason: graphhook.ReasonUnknownSubscription},
		{name: "tenant B claims tenant A's subscription", item: transcript(func(n *graphhook.Notification) { n.TenantID = b }), reason: graphhook.ReasonTenantMismatch},
		{name: "tenant B's secret on tenant A's subscription", item: transcript(func(n *graphhook.Notification) { n.ClientState = "secret-b" }), reason: graphhook.ReasonClientStateMismatch},
		{name: "empty clientState", item: transcript(func(n *graphhook.Notification) { n.ClientState = "" }), reason: graphhook.ReasonClientStateMismatch},
		{name: "lifecycle with a bad clientState", item: p.LifecycleNotification(subOfA, a, "nope", graphhook.LifecycleSubscriptionRemoved), reason: graphhook.ReasonClientStateMismatch},
		{name: "unknown lifecycle event", item: p.LifecycleNotification(subOfA, a, "secret-a", "subscriptionPaused"), reason: graphhook.ReasonUnknownLifecycle},
		{name: "unknown change type", item: transcript(func(n *graphhook.Notification) { n.ChangeType = "created,updated" }), reason: graphhook.ReasonUnknownChangeType},
		{name: "no change type", item: transcript(func(n *graphhook.Notification) { n.ChangeType = "" }), reason: graphhook.ReasonUnknownChangeType},
		{name: "unsupported resource", item: transcript(func(n *graphhook.Notification) { n.Resource = "users/x/messages/y" }), reason: graphhook.ReasonUnsupportedResource},
		{name: "no resource", item: transcript(func(n *graphhook.Notification) { n.Resource = "" }), reason: graphhook.ReasonUnsupportedResource},
		{name: "resourceData.id disagrees with the transcript", item: transcript(func(n *graphhook.Notification) { n.ResourceData.ID = "T2" }), reason: graphhook.ReasonResourceDataMismatch},
		{name: "resourceData.id disagrees with the call", item: callRecord(func(n *graphhook.Notification) { n.ResourceData.ID = "other" }), reason: graphhook.ReasonResourceDataMismatch},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := graphhook.Classify(graphhook.Batch{Value: []graphhook.Notification{tt.item}}, graphhook.ClassifyParams{Subscriptions: subs})
			require.Len(t, res, 1)
			r := res[0]
			require.Equal(t, tt.item, r.Item)
			require.Equal(t, tt.reason, r.Reason)
			require.Equal(t, tt.reason == "", r.Valid)
			require.Equal(t, tt.kind, r.Kind)
			require.Equal(t, tt.dedupe, r.DedupeKey)
			require.Equal(t, tt.callID, r.CallID)
			if tt.kind == graphhook.KindTranscript {
				require.Equal(t, "T1", r.Transcript.TranscriptID)
				require.Equal(t, "M1", r.Transcript.MeetingID)
				require.Equal(t, tt.userRef, r.Transcript.UserID != "")
			} else {
				require.Zero(t, r.Transcript)
			}
		})
	}
}

func TestClassifyRichBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := graphhooktest.NewReference(t)
	subs := graphhooktest.ReferenceSubscriptions()
	parse := func(body []byte) graphhook.Batch {
		b, err := graphhook.ParseBatch(body)
		require.NoError(t, err)
		return b
	}

	t.Run("verified rich batch is valid and decrypts", func(t *testing.T) {
		t.Parallel()
		b := parse(p.Body(t, p.TranscriptNotification(t, graphhooktest.TranscriptOptions{Rich: true, Content: []byte(secretPlaintext)})))
		err := p.Verifier().VerifyBatch(ctx, b)
		require.NoError(t, err)
		res := graphhook.Classify(b, graphhook.ClassifyParams{Subscriptions: subs, TokensVerified: err == nil})
		require.True(t, res[0].Valid, res[0].Reason)
		plain, err := p.Decrypter().Decrypt(*res[0].Item.EncryptedContent)
		require.NoError(t, err)
		require.Equal(t, secretPlaintext, string(plain))
	})

	t.Run("unverified batch: every item is invalid, basic ones too", func(t *testing.T) {
		t.Parallel()
		other := uuid.New()
		b := parse(p.Body(t,
			p.TranscriptNotification(t, graphhooktest.TranscriptOptions{Rich: true}),
			p.TranscriptNotification(t, graphhooktest.TranscriptOptions{TenantID: other}),
		))
		res := graphhook.Classify(b, graphhook.ClassifyParams{Subscriptions: subs})
		require.Len(t, res, 2)
		for _, r := range res {
			require.False(t, r.Valid)
			require.Equal(t, graphhook.ReasonBatchNotVerified, r.Reason)
			require.Empty(t, r.DedupeKey)
		}
	})

	t.Run("forged token: the batch fails verification", func(t *testing.T) {
		t.Parallel()
		forger := graphhooktest.New(t, &graphhooktest.Options{KeyID: graphhooktest.ReferenceSigningKeyID})
		b := parse(forger.Body(t, forger.TranscriptNotification(t, graphhooktest.TranscriptOptions{Rich: true})))
		err := p.Verifier().VerifyBatch(ctx, b)
		require.ErrorIs(t, err, graphhook.ErrTokenSignature)
		res := graphhook.Classify(b, graphhook.ClassifyParams{Subscriptions: subs, TokensVerified: err == nil})
		require.False(t, res[0].Valid)
	})

	t.Run("redelivery keeps the dedupe key", func(t *testing.T) {
		t.Parallel()
		n := p.TranscriptNotification(t, graphhooktest.TranscriptOptions{})
		res := graphhook.Classify(parse(p.Body(t, n, n)), graphhook.ClassifyParams{Subscriptions: subs})
		require.True(t, res[0].Valid)
		require.Equal(t, res[0].DedupeKey, res[1].DedupeKey)
	})
}

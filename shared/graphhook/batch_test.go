package graphhook_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/graphhook/graphhooktest"
)

const (
	subA    = "9b2e7c4d-1a6f-4e38-b5d9-0c3a7f2e8d61"
	tenantA = "5f1c9a0e-3b7d-4c2a-9e61-7d2b8c4f0a13"
	tenantB = "c81f2a7d-0e94-4b3b-8d15-6a2e9f4c1b07"
)

func TestParseBatch(t *testing.T) {
	t.Parallel()
	item := `{"subscriptionId":"` + subA + `","changeType":"created","tenantId":"` + tenantA + `","clientState":"s","subscriptionExpirationDateTime":"2026-03-12T14:00:00.0000000+00:00","resource":"communications/callRecords/x","resourceData":{"@odata.type":"#Microsoft.Graph.callrecord","@odata.id":"communications/callRecords/x","id":"x"}}`
	cases := []struct {
		name    string
		body    string
		wantErr error
		check   func(t *testing.T, b graphhook.Batch)
	}{
		{name: "valid", body: `{"value":[` + item + `]}`, check: func(t *testing.T, b graphhook.Batch) {
			require.Len(t, b.Value, 1)
			n := b.Value[0]
			require.Equal(t, uuid.MustParse(subA), n.SubscriptionID)
			require.Equal(t, uuid.MustParse(tenantA), n.TenantID)
			require.Equal(t, graphhook.ChangeCreated, n.ChangeType)
			require.Equal(t, "x", n.ResourceData.ID)
			require.Equal(t, "#Microsoft.Graph.callrecord", n.ResourceData.ODataType)
			require.True(t, n.SubscriptionExpirationDateTime.Equal(time.Date(2026, 3, 12, 14, 0, 0, 0, time.UTC)))
			require.Nil(t, n.EncryptedContent)
			require.Empty(t, b.ValidationTokens)
			require.False(t, b.NeedsTokenVerification())
		}},
		{name: "unknown fields are ignored", body: `{"@odata.context":"x","value":[{"organizationId":"o","@odata.etag":"e","subscriptionId":"` + subA + `","tenantId":"` + tenantA + `","resourceData":{"@odata.etag":"W/1","id":"x"}}],"extra":{"a":[1,2]}}`, check: func(t *testing.T, b graphhook.Batch) {
			require.Len(t, b.Value, 1)
			require.Equal(t, "x", b.Value[0].ResourceData.ID)
		}},
		{name: "keys match case-insensitively", body: `{"Value":[{"SubscriptionId":"` + subA + `","TENANTID":"` + tenantA + `","EncryptedContent":{"data":"d","dataKey":"k","encryptionCertificateId":"c"}}],"ValidationTokens":["t"]}`, check: func(t *testing.T, b graphhook.Batch) {
			require.Equal(t, uuid.MustParse(tenantA), b.Value[0].TenantID)
			require.Equal(t, "c", b.Value[0].EncryptedContent.EncryptionCertificateID)
			require.Equal(t, []string{"t"}, b.ValidationTokens)
			require.True(t, b.NeedsTokenVerification())
			require.Equal(t, []uuid.UUID{uuid.MustParse(tenantA)}, b.RichTenantIDs())
		}},
		{name: "bare notification object is a batch of one", body: item, check: func(t *testing.T, b graphhook.Batch) {
			require.Len(t, b.Value, 1)
			require.Equal(t, "x", b.Value[0].ResourceData.ID)
		}},
		{name: "empty value array", body: `{"value":[]}`, check: func(t *testing.T, b graphhook.Batch) {
			require.NotNil(t, b.Value)
			require.Empty(t, b.Value)
		}},
		{name: "value and validationTokens with whitespace", body: "\n {\"value\": [ ] , \"validationTokens\": [ \"a\" , \"b\" ] }\n", check: func(t *testing.T, b graphhook.Batch) {
			require.Equal(t, []string{"a", "b"}, b.ValidationTokens)
		}},
		{name: "malformed JSON", body: `{"value":[`, wantErr: graphhook.ErrMalformedBatch},
		{name: "empty body", body: ``, wantErr: graphhook.ErrMalformedBatch},
		{name: "trailing data", body: `{"value":[]} {}`, wantErr: graphhook.ErrMalformedBatch},
		{name: "top-level array", body: `[` + item + `]`, wantErr: graphhook.ErrMalformedBatch},
		{name: "no value", body: `{}`, wantErr: graphhook.ErrMalformedBatch},
		{name: "null value", body: `{"value":null}`, wantErr: graphhook.ErrMalformedBatch},
		{name: "value is an object", body: `{"value":{}}`, wantErr: graphhook.ErrMalformedBatch},
		{name: "item is a string", body: `{"value":["x"]}`, wantErr: graphhook.ErrMalformedBatch},
		{name: "tenantId is a number", body: `{"value":[{"subscriptionId":"` + subA + `","tenantId":5}]}`, wantErr: graphhook.ErrMalformedBatch},
		{name: "tenantId is not a GUID", body: `{"value":[{"subscriptionId":"` + subA + `","tenantId":"contoso"}]}`, wantErr: graphhook.ErrMalformedBatch},
		{name: "subscriptionId is not a GUID", body: `{"value":[{"subscriptionId":"sub","tenantId":"` + tenantA + `"}]}`, wantErr: graphhook.ErrMalformedBatch},
		{name: "changeType is an array", body: `{"value":[{"subscriptionId":"` + subA + `","changeType":["created"]}]}`, wantErr: graphhook.ErrMalformedBatch},
		{name: "encryptedContent is a string", body: `{"value":[{"subscriptionId":"` + subA + `","encryptedContent":"x"}]}`, wantErr: graphhook.ErrMalformedBatch},
		{name: "validationTokens holds a number", body: `{"value":[],"validationTokens":[1]}`, wantErr: graphhook.ErrMalformedBatch},
		{name: "expiration is not a time", body: `{"value":[{"subscriptionId":"` + subA + `","subscriptionExpirationDateTime":"tomorrow"}]}`, wantErr: graphhook.ErrMalformedBatch},
		{name: "10 MB body refused by the size guard", body: `{"value":[],"pad":"` + strings.Repeat("x", 10<<20) + `"}`, wantErr: graphhook.ErrBodyTooLarge},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := graphhook.ParseBatch([]byte(tt.body))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Empty(t, b.Value)
				return
			}
			require.NoError(t, err)
			tt.check(t, b)
		})
	}
}

func TestParseBatchErrorDoesNotEchoBody(t *testing.T) {
	t.Parallel()
	_, err := graphhook.ParseBatch([]byte(`{"value":[{"clientState":"s3cr3t-value","tenantId":"s3cr3t-value"}]}`))
	require.ErrorIs(t, err, graphhook.ErrMalformedBatch)
	require.NotContains(t, err.Error(), "s3cr3t")
}

func TestReadBody(t *testing.T) {
	t.Parallel()
	body, err := graphhook.ReadBody(strings.NewReader(`{"value":[]}`))
	require.NoError(t, err)
	require.Equal(t, `{"value":[]}`, string(body))

	body, err = graphhook.ReadBody(bytes.NewReader(make([]byte, graphhook.MaxBatchBytes)))
	require.NoError(t, err)
	require.Len(t, body, graphhook.MaxBatchBytes)

	_, err = graphhook.ReadBody(bytes.NewReader(make([]byte, 10<<20)))
	require.ErrorIs(t, err, graphhook.ErrBodyTooLarge)
}

func TestBatchIDs(t *testing.T) {
	t.Parallel()
	p := graphhooktest.NewReference(t)
	a, b := uuid.MustParse(tenantA), uuid.MustParse(tenantB)
	s1, s2 := uuid.New(), uuid.New()
	items := []graphhook.Notification{
		p.TranscriptNotification(t, graphhooktest.TranscriptOptions{SubscriptionID: s1, TenantID: a}),
		p.TranscriptNotification(t, graphhooktest.TranscriptOptions{SubscriptionID: s2, TenantID: b, Rich: true}),
		p.TranscriptNotification(t, graphhooktest.TranscriptOptions{SubscriptionID: s1, TenantID: a}),
		{SubscriptionID: s2}, // no tenant
	}
	batch, err := graphhook.ParseBatch(p.Body(t, items...))
	require.NoError(t, err)
	require.Equal(t, []uuid.UUID{s1, s2}, batch.SubscriptionIDs())
	require.Equal(t, []uuid.UUID{a, b}, batch.TenantIDs())
	require.Equal(t, []uuid.UUID{b}, batch.RichTenantIDs())
	require.Len(t, batch.ValidationTokens, 1)
	require.True(t, batch.NeedsTokenVerification())
}

package graphhook_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rsa"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/graphhook/graphhooktest"
)

// These tests pin the package to the fixtures of shared/reference/graph.md §7, copied verbatim
// into graphhooktest/testdata.

func TestReferenceHandshake(t *testing.T) {
	t.Parallel()
	raw := graphhooktest.Fixture(t, "validation_request.http")
	// The fixture is the request head as printed; HTTP wants CRLFs and a blank line after it.
	head := append(bytes.ReplaceAll(bytes.TrimRight(raw, "\n"), []byte("\n"), []byte("\r\n")), "\r\n\r\n"...)
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
	require.NoError(t, err)

	rec := httptest.NewRecorder()
	require.True(t, graphhook.ServeValidation(rec, req))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/plain; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Equal(t, "Validation: Testing client application reachability for subscription Request-Id: 2c6d1e0b-8f47-4a93-9b1e-5d7c3a0f9e12", rec.Body.String())
}

func TestReferenceDecryptsToExactPlaintext(t *testing.T) {
	t.Parallel()
	b, err := graphhook.ParseBatch(graphhooktest.Fixture(t, "transcript_encrypted.json"))
	require.NoError(t, err)
	require.Len(t, b.Value, 1)
	ec := b.Value[0].EncryptedContent
	require.NotNil(t, ec)
	require.Equal(t, graphhooktest.ReferenceCertificateID, ec.EncryptionCertificateID)

	d := &graphhook.Decrypter{Keys: map[string]*rsa.PrivateKey{
		graphhooktest.ReferenceCertificateID: graphhooktest.ReferenceEncryptionKey(t),
	}}
	plain, err := d.Decrypt(*ec)
	require.NoError(t, err)
	require.Equal(t, string(graphhooktest.Fixture(t, "transcript_plaintext.json")), string(plain))
}

func TestReferenceCertificate(t *testing.T) {
	t.Parallel()
	cert := graphhooktest.ReferenceCertificate(t)
	require.Equal(t, graphhooktest.ReferenceThumbprint, graphhook.Thumbprint(cert))
	require.True(t, graphhook.KeyMatchesCertificate(graphhooktest.ReferenceEncryptionKey(t), cert))
	require.False(t, graphhook.KeyMatchesCertificate(graphhooktest.ReferenceSigningKey(t), cert))
}

func TestReferenceValidationToken(t *testing.T) {
	t.Parallel()
	b, err := graphhook.ParseBatch(graphhooktest.Fixture(t, "transcript_encrypted.json"))
	require.NoError(t, err)
	require.Equal(t, []string{graphhooktest.ReferenceValidationToken}, b.ValidationTokens)

	cases := []struct {
		name    string
		now     time.Time
		appID   string
		wantErr error
	}{
		{name: "valid at the suggested time", now: graphhooktest.ReferenceNow(), appID: graphhooktest.ReferenceAppID},
		{name: "valid a second before exp", now: graphhooktest.ReferenceTokenExpiry().Add(-time.Second), appID: graphhooktest.ReferenceAppID},
		{name: "expired after exp", now: graphhooktest.ReferenceTokenExpiry().Add(time.Second), appID: graphhooktest.ReferenceAppID, wantErr: graphhook.ErrTokenExpired},
		{name: "another app's verifier", now: graphhooktest.ReferenceNow(), appID: uuid.NewString(), wantErr: graphhook.ErrWrongAudience},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := graphhooktest.NewReference(t)
			p.Clock.Set(tt.now)
			v := p.Verifier()
			v.AppID = tt.appID
			v.Leeway = -1 // exact lifetimes
			err := v.VerifyBatch(context.Background(), b)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

// A token minted with the reference signing key verifies against the reference JWKS.
func TestReferenceSigningKeyMintsTokens(t *testing.T) {
	t.Parallel()
	p := graphhooktest.NewReference(t)
	tok := p.Token(t, graphhooktest.ReferenceTenant(), nil)
	require.NoError(t, p.Verifier().Verify(context.Background(), []string{tok}, []uuid.UUID{graphhooktest.ReferenceTenant()}))
}

func TestReferenceClassification(t *testing.T) {
	t.Parallel()
	wantKey := graphhooktest.ReferenceTenantID + ":transcript:" + graphhooktest.ReferenceTranscriptID
	for _, name := range []string{"transcript_basic.json", "transcript_encrypted.json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := graphhook.ParseBatch(graphhooktest.Fixture(t, name))
			require.NoError(t, err)
			p := graphhooktest.NewReference(t)
			verified := p.Verifier().VerifyBatch(context.Background(), b) == nil
			require.True(t, verified)
			res := graphhook.Classify(b, graphhook.ClassifyParams{Subscriptions: graphhooktest.ReferenceSubscriptions(), TokensVerified: verified})
			require.Len(t, res, 1)
			require.True(t, res[0].Valid, res[0].Reason)
			require.Equal(t, wantKey, res[0].DedupeKey)
			require.Equal(t, graphhook.KindTranscript, res[0].Kind)
			require.Equal(t, graphhook.TranscriptRef{MeetingID: graphhooktest.ReferenceMeetingID, TranscriptID: graphhooktest.ReferenceTranscriptID}, res[0].Transcript)
		})
	}
}

// §7.4's negative tests derived from the fixture.
func TestReferenceNegativeVariants(t *testing.T) {
	t.Parallel()
	body := string(graphhooktest.Fixture(t, "transcript_encrypted.json"))
	const data = `"data": "jPmwGe+edy`
	require.Contains(t, body, data)
	d := &graphhook.Decrypter{Keys: map[string]*rsa.PrivateKey{
		graphhooktest.ReferenceCertificateID: graphhooktest.ReferenceEncryptionKey(t),
	}}
	cases := []struct {
		name    string
		edit    func(string) string
		wantErr error
	}{
		{name: "capital E EncryptedContent still parses and decrypts", edit: func(s string) string {
			return strings.Replace(s, `"encryptedContent"`, `"EncryptedContent"`, 1)
		}},
		{name: "flipped data character fails the HMAC", edit: func(s string) string {
			return strings.Replace(s, data, `"data": "kPmwGe+edy`, 1)
		}, wantErr: graphhook.ErrSignatureMismatch},
		{name: "another valid signature fails the HMAC", edit: func(s string) string {
			return strings.Replace(s, "1V4GH+yJXq0YHIh+4kRG1CeHL53opCRCy0CiYpW7b8s=", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1)
		}, wantErr: graphhook.ErrSignatureMismatch},
		{name: "unknown certificate id", edit: func(s string) string {
			return strings.Replace(s, `"encryptionCertificateId": "mm-graph-enc-2026-03"`, `"encryptionCertificateId": "mm-graph-enc-1999-01"`, 1)
		}, wantErr: graphhook.ErrUnknownCertificate},
		{name: "missing dataSignature is unverifiable", edit: func(s string) string {
			return strings.Replace(s, `"dataSignature": "1V4GH+yJXq0YHIh+4kRG1CeHL53opCRCy0CiYpW7b8s=",`, "", 1)
		}, wantErr: graphhook.ErrSignatureMissing},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			edited := tt.edit(body)
			require.NotEqual(t, body, edited, "edit did not apply")
			b, err := graphhook.ParseBatch([]byte(edited))
			require.NoError(t, err)
			require.NotNil(t, b.Value[0].EncryptedContent)
			plain, err := d.Decrypt(*b.Value[0].EncryptedContent)
			if tt.wantErr == nil {
				require.NoError(t, err)
				require.Equal(t, graphhooktest.Fixture(t, "transcript_plaintext.json"), plain)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			require.Nil(t, plain)
		})
	}
}

func TestReferenceLifecycle(t *testing.T) {
	t.Parallel()
	b, err := graphhook.ParseBatch(graphhooktest.Fixture(t, "lifecycle_reauthorization.json"))
	require.NoError(t, err)
	res := graphhook.Classify(b, graphhook.ClassifyParams{Subscriptions: graphhooktest.ReferenceSubscriptions()})
	require.Len(t, res, 1)
	require.True(t, res[0].Valid, res[0].Reason)
	require.Equal(t, graphhook.KindLifecycle, res[0].Kind)
	require.Equal(t, graphhook.LifecycleReauthorizationRequired, res[0].Item.LifecycleEvent)
	require.Empty(t, res[0].DedupeKey)

	b, err = graphhook.ParseBatch(graphhooktest.Fixture(t, "lifecycle_batch.json"))
	require.NoError(t, err)
	require.Len(t, b.Value, 2)
	require.Equal(t, graphhook.LifecycleSubscriptionRemoved, b.Value[0].LifecycleEvent)
	require.Equal(t, graphhook.LifecycleMissed, b.Value[1].LifecycleEvent)
	require.Equal(t, uuid.MustParse("c81f2a7d-0e94-4b3b-8d15-6a2e9f4c1b07"), b.Value[1].TenantID)
	require.Equal(t, time.Date(2026, 3, 12, 14, 5, 0, 0, time.UTC), b.Value[1].SubscriptionExpirationDateTime.UTC())

	// The second item's subscription is unknown to us: only the first is valid.
	res = graphhook.Classify(b, graphhook.ClassifyParams{Subscriptions: graphhooktest.ReferenceSubscriptions()})
	require.True(t, res[0].Valid, res[0].Reason)
	require.False(t, res[1].Valid)
	require.Equal(t, graphhook.ReasonUnknownSubscription, res[1].Reason)
}

// The fixture files are the reference's bytes; make sure nobody reformats them.
func TestReferenceFixturesUntouched(t *testing.T) {
	t.Parallel()
	plain := graphhooktest.Fixture(t, "transcript_plaintext.json")
	require.False(t, bytes.HasSuffix(plain, []byte("\n")))
	require.Len(t, plain, 1035)
	n, err := io.Copy(io.Discard, bytes.NewReader(graphhooktest.Fixture(t, "transcript_encrypted.json")))
	require.NoError(t, err)
	require.Positive(t, n)
}

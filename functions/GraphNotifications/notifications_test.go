package graphnotifications

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/graphhook/graphhooktest"
	"github.com/meetingminutes/minutes/shared/pipeline"
)

func TestValidNotification(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("basic notification is recorded and enqueued once", func(t *testing.T) {
		n := b.transcript(t, graphhooktest.TranscriptOptions{TranscriptID: "tr-basic-1", MeetingID: "mtg-1"})
		rec := b.post(t, b.pub.Body(t, n))
		require.Equal(t, http.StatusAccepted, rec.Code)
		require.Empty(t, rec.Body.String())
		require.Equal(t, []receipt{{Key: b.azure.String() + ":transcript:tr-basic-1", Times: 1, Enqueued: true}}, b.receipts(t, b.tenant))
		require.Equal(t, 1, b.jobs(t))

		var args struct {
			ID         string            `json:"id"`
			Body       Message           `json:"body"`
			Properties map[string]string `json:"properties"`
		}
		var raw []byte
		require.NoError(t, b.owner.QueryRow(context.Background(), `SELECT args FROM river_job WHERE kind = 'queue.transcript-ingest'`).Scan(&raw))
		require.NoError(t, json.Unmarshal(raw, &args))
		require.Equal(t, b.azure.String()+":transcript:tr-basic-1", args.ID)
		require.Equal(t, b.tenant.String(), args.Properties["tenant_id"])
		require.Equal(t, Message{Kind: pipeline.IngestTranscript, TenantID: b.tenant, SubscriptionID: b.sub.String(), Resource: n.Resource,
			MeetingID: "mtg-1", TranscriptID: "tr-basic-1", ChangeType: "created"}, args.Body)
	})

	t.Run("rich notification is decrypted for the organizer and call", func(t *testing.T) {
		n := b.transcript(t, graphhooktest.TranscriptOptions{TranscriptID: "tr-rich-1", OrganizerID: "org-42", Rich: true})
		rec := b.post(t, b.pub.Body(t, n))
		require.Equal(t, http.StatusAccepted, rec.Code)
		var body Message
		require.NoError(t, b.owner.QueryRow(context.Background(),
			`SELECT args->'body' FROM river_job WHERE args->>'id' = $1`, b.azure.String()+":transcript:tr-rich-1").Scan(&body))
		require.Equal(t, "org-42", body.UserID)
		require.NotEmpty(t, body.CallID)
		require.NotContains(t, b.logs.String(), b.secret)
	})
}

func TestDuplicatesAndReordering(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.transcript(t, graphhooktest.TranscriptOptions{TranscriptID: "tr-a"})
	c := b.transcript(t, graphhooktest.TranscriptOptions{TranscriptID: "tr-c"})
	for _, batch := range [][]graphhook.Notification{{a}, {c, a}, {a}, {a, c}, {a}} {
		require.Equal(t, http.StatusAccepted, b.post(t, b.pub.Body(t, batch...)).Code)
	}
	require.Equal(t, []receipt{
		{Key: b.azure.String() + ":transcript:tr-a", Times: 5, Enqueued: true},
		{Key: b.azure.String() + ":transcript:tr-c", Times: 2, Enqueued: true},
	}, b.receipts(t, b.tenant))
	require.Equal(t, 2, b.jobs(t))
}

// TestOneBatchOfSeveralTenants: a batch mixing two tenants' notifications (their
// subscriptions read, and receipts written, in one pipelined round trip each) records each in
// its own tenant, and an item claiming one tenant with the other's subscription and secret is
// dropped: each tenant's subscriptions are read under its own row-level security.
func TestOneBatchOfSeveralTenants(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, grouped := range []bool{false, true} {
		if grouped {
			b.grouped(t)
		}
		otherAzure, otherSub := uuid.New(), uuid.New()
		other := b.newTenant(t, otherAzure, otherSub, "other-secret")
		suffix := fmt.Sprint(grouped)
		mine := b.transcript(t, graphhooktest.TranscriptOptions{TranscriptID: "tr-mine-" + suffix})
		theirs := b.transcript(t, graphhooktest.TranscriptOptions{TenantID: otherAzure, SubscriptionID: otherSub,
			ClientState: "other-secret", TranscriptID: "tr-theirs-" + suffix})
		forged := b.transcript(t, graphhooktest.TranscriptOptions{SubscriptionID: otherSub, ClientState: "other-secret",
			TranscriptID: "tr-forged-" + suffix})
		before := b.jobs(t)
		rec := b.post(t, b.pub.Body(t, theirs, forged, mine))
		require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
		require.Equal(t, []receipt{{Key: otherAzure.String() + ":transcript:tr-theirs-" + suffix, Times: 1, Enqueued: true}}, b.receipts(t, other))
		require.Contains(t, b.receipts(t, b.tenant), receipt{Key: b.azure.String() + ":transcript:tr-mine-" + suffix, Times: 1, Enqueued: true})
		require.Equal(t, before+2, b.jobs(t), "grouped=%v: one message per valid notification, none for the forged one", grouped)
	}
	for _, r := range b.receipts(t, b.tenant) {
		require.NotContains(t, r.Key, "tr-forged")
	}
}

func TestJunkIsDroppedWithoutRetry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	otherAzure, otherSub := uuid.New(), uuid.New()
	other := b.newTenant(t, otherAzure, otherSub, "other-secret")

	cases := []struct {
		name string
		body func(t *testing.T) []byte
		want int
		// reason is logged for the dropped item ("" for none).
		reason string
	}{
		{"forged clientState", func(t *testing.T) []byte {
			return b.pub.Body(t, b.transcript(t, graphhooktest.TranscriptOptions{ClientState: "guessed"}))
		}, http.StatusAccepted, "client_state_mismatch"},
		{"bad HMAC", func(t *testing.T) []byte {
			n := b.transcript(t, graphhooktest.TranscriptOptions{Rich: true})
			sig, err := base64.StdEncoding.DecodeString(n.EncryptedContent.DataSignature)
			require.NoError(t, err)
			sig[0] ^= 0xff // a well-formed signature that does not match
			n.EncryptedContent.DataSignature = base64.StdEncoding.EncodeToString(sig)
			return b.pub.Body(t, n)
		}, http.StatusAccepted, "decrypt_failed"},
		{"wrong-audience validation token", func(t *testing.T) []byte {
			n := b.transcript(t, graphhooktest.TranscriptOptions{Rich: true})
			tok := b.pub.Token(t, b.azure, &graphhooktest.TokenOptions{Claims: func(c jwt.MapClaims) { c["aud"] = uuid.NewString() }})
			return graphhooktest.BodyWithTokens(t, []string{tok}, n)
		}, http.StatusAccepted, "validation_tokens_invalid"},
		{"expired validation token", func(t *testing.T) []byte {
			n := b.transcript(t, graphhooktest.TranscriptOptions{Rich: true})
			tok := b.pub.Token(t, b.azure, &graphhooktest.TokenOptions{Claims: func(c jwt.MapClaims) {
				c["exp"] = b.pub.Clock.Now().Add(-time.Hour).Unix()
				c["iat"] = b.pub.Clock.Now().Add(-9 * time.Hour).Unix()
				c["nbf"] = c["iat"]
			}})
			return graphhooktest.BodyWithTokens(t, []string{tok}, n)
		}, http.StatusAccepted, "validation_tokens_invalid"},
		{"rich item without a token", func(t *testing.T) []byte {
			return graphhooktest.BodyWithTokens(t, nil, b.transcript(t, graphhooktest.TranscriptOptions{Rich: true}))
		}, http.StatusAccepted, "validation_tokens_invalid"},
		{"unknown subscription", func(t *testing.T) []byte {
			return b.pub.Body(t, b.transcript(t, graphhooktest.TranscriptOptions{SubscriptionID: uuid.New()}))
		}, http.StatusAccepted, "unknown_subscription"},
		{"another tenant's subscription", func(t *testing.T) []byte {
			return b.pub.Body(t, b.transcript(t, graphhooktest.TranscriptOptions{SubscriptionID: otherSub, ClientState: "other-secret"}))
		}, http.StatusAccepted, "unknown_subscription"},
		{"unknown tenant", func(t *testing.T) []byte {
			return b.pub.Body(t, b.transcript(t, graphhooktest.TranscriptOptions{TenantID: uuid.New()}))
		}, http.StatusAccepted, "unknown_tenant"},
		{"unsupported resource", func(t *testing.T) []byte {
			n := b.transcript(t, graphhooktest.TranscriptOptions{})
			n.Resource, n.ResourceData = "users/x/messages/y", nil
			return b.pub.Body(t, n)
		}, http.StatusAccepted, "unsupported_resource"},
		{"lifecycle event on the notification URL", func(t *testing.T) []byte {
			return b.pub.Body(t, b.pub.LifecycleNotification(b.sub, b.azure, b.secret, graphhook.LifecycleReauthorizationRequired))
		}, http.StatusAccepted, "not_a_transcript"},
		{"empty batch", func(t *testing.T) []byte { return []byte(`{"value":[]}`) }, http.StatusAccepted, ""},
		{"malformed JSON", func(t *testing.T) []byte { return []byte(`{"value":[{"subscriptionId":`) }, http.StatusBadRequest, ""},
		{"not a batch", func(t *testing.T) []byte { return []byte(`[1,2,3]`) }, http.StatusBadRequest, ""},
		{"10 MB body", func(t *testing.T) []byte {
			return append([]byte(`{"value":[],"pad":"`), append(bytes.Repeat([]byte("x"), 10<<20), `"}`...)...)
		}, http.StatusRequestEntityTooLarge, ""},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			before := len(b.logs.String())
			rec := b.post(t, tt.body(t))
			require.Equal(t, tt.want, rec.Code, rec.Body.String())
			if tt.reason != "" {
				require.Contains(t, b.logs.String()[before:], `"reason":"`+tt.reason+`"`)
			}
			if tt.want == http.StatusAccepted {
				require.Empty(t, rec.Body.String())
			}
		})
	}
	require.Empty(t, b.receipts(t, b.tenant))
	require.Empty(t, b.receipts(t, other))
	require.Equal(t, 0, b.jobs(t))

	logs := b.logs.String()
	require.Contains(t, logs, `"graph_alert":true`)
	require.Contains(t, logs, `"reason":"client_state_mismatch"`)
	require.Contains(t, logs, `"reason":"unknown_tenant"`)
	for _, secret := range []string{b.secret, "guessed", "other-secret"} {
		require.NotContains(t, logs, secret)
	}
	require.NotContains(t, logs, "eyJ") // no JWT
}

// TestChunkedOversizeBody sends a body with no Content-Length, so the limit applies while
// reading.
func TestChunkedOversizeBody(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := httptest.NewRequest(http.MethodPost, "/api/graph/notifications", struct{ *bytes.Reader }{bytes.NewReader(bytes.Repeat([]byte(" "), 5<<20))})
	req.ContentLength = -1
	rec := httptest.NewRecorder()
	b.serve.ServeHTTP(rec, req)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
}

func TestHandshake(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.down.Store(true) // the handshake needs no database
	b.pool.Reset()
	token := "Validation: Testing client application reachability for subscription Request-Id: " + uuid.NewString()
	req := httptest.NewRequest(http.MethodPost, "/api/graph/notifications?validationToken="+url.QueryEscape(token), strings.NewReader(""))
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	rec := httptest.NewRecorder()
	start := time.Now()
	b.serve.ServeHTTP(rec, req)
	require.Less(t, time.Since(start), time.Second)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/plain; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Equal(t, token, rec.Body.String())
}

func TestNothingLostWhenDependenciesFail(t *testing.T) {
	t.Parallel()

	t.Run("database down answers 5xx and the redelivery is accepted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		body := b.pub.Body(t, b.transcript(t, graphhooktest.TranscriptOptions{TranscriptID: "tr-db"}))
		b.down.Store(true)
		b.pool.Reset()
		rec := b.post(t, body)
		require.GreaterOrEqual(t, rec.Code, 500)
		b.down.Store(false)
		require.Equal(t, http.StatusAccepted, b.post(t, body).Code)
		require.Equal(t, []receipt{{Key: b.azure.String() + ":transcript:tr-db", Times: 1, Enqueued: true}}, b.receipts(t, b.tenant))
		require.Equal(t, 1, b.jobs(t))
	})

	// A stalled database (here: a lock the receipts wait on) must not make Graph wait: the
	// request answers 503 within its budget, well before Graph's 2.9 s "slow" mark, and once
	// the database moves again the redelivery leaves exactly one receipt and one message,
	// whether or not the abandoned transaction committed meanwhile.
	for _, grouped := range []bool{false, true} {
		t.Run(fmt.Sprintf("stalled database answers 503 in time (group commit %v)", grouped), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.configure(func(c *Config) {
				c.AnswerWithin = 300 * time.Millisecond
				if grouped {
					c.GroupCommit = 2
				}
			})
			body := b.pub.Body(t, b.transcript(t, graphhooktest.TranscriptOptions{TranscriptID: "tr-stall"}))
			ctx := context.Background()
			lock, err := b.owner.Begin(ctx)
			require.NoError(t, err)
			_, err = lock.Exec(ctx, `LOCK TABLE notification_receipts IN ACCESS EXCLUSIVE MODE`)
			require.NoError(t, err)
			start := time.Now()
			rec := b.post(t, body)
			took := time.Since(start)
			require.NoError(t, lock.Rollback(ctx))
			require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
			require.Less(t, took, 2*time.Second, "answered long before Graph's 2.9 s mark")
			require.GreaterOrEqual(t, took, 300*time.Millisecond, "it did wait for the database")

			require.Equal(t, http.StatusAccepted, b.post(t, body).Code)
			require.Eventually(t, func() bool { return b.jobs(t) == 1 }, 5*time.Second, 20*time.Millisecond)
			rs := b.receipts(t, b.tenant)
			require.Len(t, rs, 1)
			require.Equal(t, b.azure.String()+":transcript:tr-stall", rs[0].Key)
			require.True(t, rs[0].Enqueued)
		})
	}

	t.Run("queue failure rolls the receipt back", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		body := b.pub.Body(t, b.transcript(t, graphhooktest.TranscriptOptions{TranscriptID: "tr-q"}))
		b.enq.fail.Store(1)
		require.Equal(t, http.StatusInternalServerError, b.post(t, body).Code)
		require.Empty(t, b.receipts(t, b.tenant))
		require.Equal(t, http.StatusAccepted, b.post(t, body).Code)
		require.Equal(t, []receipt{{Key: b.azure.String() + ":transcript:tr-q", Times: 1, Enqueued: true}}, b.receipts(t, b.tenant))
		require.Equal(t, 1, b.jobs(t))
	})

	t.Run("signing keys unavailable answers 503, then accepts", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		body := b.pub.Body(t, b.transcript(t, graphhooktest.TranscriptOptions{TranscriptID: "tr-keys", Rich: true}))
		b.pub.Keys.SetFailing(true)
		require.Equal(t, http.StatusServiceUnavailable, b.post(t, body).Code)
		require.Equal(t, 0, b.jobs(t))
		b.pub.Keys.SetFailing(false)
		b.pub.Clock.Advance(2 * time.Minute) // past the verifier's minimum refresh interval
		require.Equal(t, http.StatusAccepted, b.post(t, body).Code)
		require.Equal(t, 1, b.jobs(t))
	})
}

func BenchmarkNotification(b *testing.B) {
	s := setup(b)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = s.pub.Body(b, s.transcript(b, graphhooktest.TranscriptOptions{}))
	}
	b.ResetTimer()
	for i := range b.N {
		if rec := s.post(b, bodies[i]); rec.Code != http.StatusAccepted {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func TestCallRecordNotificationQueuesCallEnded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	n := graphhook.Notification{SubscriptionID: b.sub, TenantID: b.azure, ClientState: b.secret, ChangeType: "created",
		Resource:     "communications/callRecords/2f1a1100-b174-40a0-aba7-0b405e01ed92",
		ResourceData: &graphhook.ResourceData{ODataType: "#microsoft.graph.callrecord", ID: "2f1a1100-b174-40a0-aba7-0b405e01ed92"}}
	for range 3 { // created, then Graph's redeliveries
		require.Equal(t, http.StatusAccepted, b.post(t, b.pub.Body(t, n)).Code)
	}
	var args struct {
		ID   string  `json:"id"`
		Body Message `json:"body"`
	}
	var raw []byte
	require.NoError(t, b.owner.QueryRow(context.Background(), `SELECT args FROM river_job WHERE kind = 'queue.transcript-ingest'`).Scan(&raw))
	require.NoError(t, json.Unmarshal(raw, &args))
	require.Equal(t, b.azure.String()+":callRecord:2f1a1100-b174-40a0-aba7-0b405e01ed92", args.ID)
	require.Equal(t, Message{Kind: pipeline.IngestCallEnded, TenantID: b.tenant, SubscriptionID: b.sub.String(), Resource: n.Resource,
		ChangeType: "created", CallID: "2f1a1100-b174-40a0-aba7-0b405e01ed92"}, args.Body)
	require.NoError(t, args.Body.Validate())
	require.Equal(t, 1, b.jobs(t))
}

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/graph/graphtest"
	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/identity/entratest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// TestPipelineEndToEnd runs the binary in standalone mode against a fake Graph and Entra: a
// transcript notification is acknowledged, River hands it to TranscriptIngest, which fetches
// the meeting and the WebVTT, keeps the file, records the meeting and transcript and queues
// minutes generation — the whole of "a Teams transcript exists" → "ingested".
func TestPipelineEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	fake := graphtest.New(t)
	entra := entratest.New(t, entratest.Options{})
	azure := uuid.New()
	entra.GrantConsent(azure)

	tn, _, err := tenancy.NewRegistry(db.App).Create(ctx, tenancy.NewTenant{Name: "Contoso", AzureTenantID: &azure})
	require.NoError(t, err)
	sub, secret := uuid.New(), "client-state-"+uuid.NewString()
	hash := graphhook.HashClientState(secret)
	require.NoError(t, tenancy.WithTx(ctx, db.App, tn.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO graph_subscriptions (tenant_id, id, kind, resource, client_state_sha256, expires_at)
			VALUES ($1, $2, 'transcripts', 'communications/onlineMeetings/getAllTranscripts', $3, now() + interval '2 days')`,
			tn.ID, sub.String(), hash[:])
		return err
	}))
	organizer := "a7c3e9d1-52b4-4f08-8e6a-0b9d3c1f2e75"
	meeting := base64.StdEncoding.EncodeToString([]byte("1*" + organizer + "*0**19:meeting_e2e@thread.v2"))
	vtt := []byte("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ada Lovelace>We approve the budget.</v>\n\n" +
		"00:00:04.000 --> 00:00:08.000\n<v Grace Hopper>I will send the deck by Friday.</v>\n")
	fake.AddMeeting(graphtest.Meeting{ID: meeting, Subject: "Budget review", Organizer: graphtest.Person{ID: organizer, Name: "Ada Lovelace", UPN: "ada@contoso.com"},
		Start: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC),
		Transcripts: []graphtest.Transcript{{ID: "tr-e2e", CallID: "call-e2e", VTT: vtt}}})

	blobs := t.TempDir()
	p := start(t, []string{"standalone"}, "DATABASE_URL="+db.AppURL, "BLOB_DIR="+blobs,
		"ENTRA_CLIENT_ID="+entra.ClientID(), "ENTRA_CLIENT_SECRET="+entra.ClientSecret(), "ENTRA_AUTHORITY="+entra.URL,
		"GRAPH_BASE_URL="+fake.URL, "PUBLIC_BASE_URL=http://127.0.0.1:1", "SESSION_KEYS="+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))

	body, err := json.Marshal(map[string]any{"value": []map[string]any{{
		"subscriptionId": sub.String(), "changeType": "created", "clientState": secret, "tenantId": azure.String(),
		"subscriptionExpirationDateTime": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339),
		"resource":                       "communications/onlineMeetings('" + meeting + "')/transcripts('tr-e2e')",
		"resourceData":                   map[string]any{"@odata.type": "#Microsoft.Graph.callTranscript", "id": "tr-e2e"},
	}}})
	require.NoError(t, err)
	for range 3 { // Graph redelivers freely
		res, err := http.Post(p.base+"/api/graph/notifications", "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusAccepted, res.StatusCode)
	}

	var (
		status, blobPath string
		cues             int
	)
	require.Eventually(t, func() bool {
		err := tenancy.WithReadTx(ctx, db.App, tn.ID, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT m.status, t.blob_path, t.cue_count FROM meetings m
				JOIN transcripts t ON t.tenant_id = m.tenant_id AND t.meeting_id = m.id WHERE t.external_id = 'tr-e2e'`).Scan(&status, &blobPath, &cues)
		})
		// The transcript row commits a moment before the meeting's status moves on.
		return err == nil && status == "transcript_received"
	}, 60*time.Second, 200*time.Millisecond, "transcript ingested; stdout: %s\nstderr: %s", p.stdout.String(), p.stderr.String())
	require.Equal(t, "transcript_received", status)
	require.Equal(t, 2, cues)
	stored, err := os.ReadFile(filepath.Join(blobs, filepath.FromSlash(blobPath)))
	require.NoError(t, err)
	require.Equal(t, vtt, stored)

	// The generation is queued right after the status moves on; stop the handler once it is,
	// so nothing more can arrive, then count.
	require.Eventually(t, func() bool {
		var n int
		err := db.App.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'queue.minutes-generate'`).Scan(&n)
		return err == nil && n > 0
	}, 30*time.Second, 100*time.Millisecond, "generation queued")
	require.Equal(t, 0, p.stop(t))
	var generate, ingest int
	require.NoError(t, db.App.QueryRow(ctx, `SELECT count(*) FILTER (WHERE kind = 'queue.minutes-generate'),
		count(*) FILTER (WHERE kind = 'queue.transcript-ingest') FROM river_job`).Scan(&generate, &ingest))
	require.Equal(t, 1, generate, "one generation queued")
	require.Equal(t, 1, ingest, "three deliveries, one message")
	require.NotContains(t, p.stdout.String()+p.stderr.String(), "We approve the budget", "no transcript text in the logs")
}

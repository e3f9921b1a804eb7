package pipeline_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	minutesgenerate "github.com/meetingminutes/minutes/functions/MinutesGenerate"
	minutespublish "github.com/meetingminutes/minutes/functions/MinutesPublish"
	transcriptingest "github.com/meetingminutes/minutes/functions/TranscriptIngest"
	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/emulatortest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/generate"
	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/graph/graphtest"
	"github.com/meetingminutes/minutes/shared/identity/entratest"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/review"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// TestPipelineEndToEnd drives the three queue functions as the queue would — every message
// delivered twice — on real PostgreSQL (River), Azurite and the fake Graph: a Teams transcript
// is ingested, minutes are generated and wait for approval, an approver approves, and the
// publication puts exactly one file in SharePoint and sends exactly one email.
func TestPipelineEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	pool := db.App
	az := emulatortest.Azurite(t)
	blobs, err := blob.NewAzureFromConnectionString(az.ConnectionString, "e2e-"+strings.ToLower(uuid.NewString()[:8]), nil)
	require.NoError(t, err)
	require.NoError(t, blobs.EnsureContainer(ctx))

	reg := tenancy.NewRegistry(pool)
	stores := store.NewManagedResolver(pool)
	azure := uuid.New()
	tn, _, err := reg.Create(ctx, tenancy.NewTenant{Name: "Contoso", AzureTenantID: &azure})
	require.NoError(t, err)
	st, err := stores.For(ctx, tn.ID)
	require.NoError(t, err)
	approver, err := st.CreateUser(ctx, store.UserInput{Email: "approver@contoso.com", DisplayName: "Alan", Role: store.RoleApprover})
	require.NoError(t, err)
	set, err := st.Settings(ctx)
	require.NoError(t, err)
	set.SharePointSiteID, set.SharePointDriveID, set.SharePointFolder = "site-1", "b!drive-e2e", "Meeting Minutes"
	_, err = st.SaveSettings(ctx, set)
	require.NoError(t, err)

	fake := graphtest.New(t)
	organizer := "a7c3e9d1-52b4-4f08-8e6a-0b9d3c1f2e75"
	meetingID := base64.StdEncoding.EncodeToString([]byte("1*" + organizer + "*0**19:meeting_e2e@thread.v2"))
	vtt := []byte("WEBVTT\n\n00:00:01.000 --> 00:00:06.000\n<v Ada Lovelace>We decided to launch the pilot in April.</v>\n\n" +
		"00:00:06.000 --> 00:00:11.000\n<v Grace Hopper>I will send the rollout plan to the team by Friday.</v>\n")
	fake.AddMeeting(graphtest.Meeting{ID: meetingID, Subject: "Pilot planning",
		Start: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 14, 30, 0, 0, time.UTC),
		Organizer:   graphtest.Person{ID: organizer, Name: "Ada Lovelace", UPN: "ada@contoso.com"},
		Attendees:   []graphtest.Person{{ID: uuid.NewString(), Name: "Grace Hopper", UPN: "grace@contoso.com"}},
		Transcripts: []graphtest.Transcript{{ID: "tr-e2e", CallID: "call-e2e", VTT: vtt}}})
	entra := entratest.New(t, entratest.Options{})
	entra.GrantConsent(azure)
	clients := graph.NewClients(graph.ClientsOptions{ClientID: entra.ClientID(), ClientSecret: entra.ClientSecret(),
		BaseURL: fake.URL, Authority: entra.URL, ValidHosts: []string{fake.Host},
		RetryOptions: graph.RetryOptions{MaxRetries: 1, Delay: time.Second}})
	river, err := queue.NewRiver(pool, queue.RiverOptions{})
	require.NoError(t, err)

	ingest := transcriptingest.New(transcriptingest.Deps{Tenants: reg, Stores: stores, Blobs: blobs, Queue: river,
		Graph: func(a uuid.UUID) (transcriptingest.GraphClient, error) { return clients.For(a) }})
	gen := minutesgenerate.New(minutesgenerate.Deps{Tenants: reg, Stores: stores, Blobs: blobs, Queue: river,
		Generator: &generate.Offline{}})
	pub := minutespublish.New(minutespublish.Deps{Tenants: reg, Stores: stores, Ledger: minutespublish.NewLedger(pool),
		Graph:         func(a uuid.UUID) (minutespublish.GraphClient, error) { return clients.For(a) },
		SenderMailbox: "minutes@contoso.com"})

	// deliverAll hands every job of queue q to fn twice, as an at-least-once queue may.
	deliverAll := func(q queue.Name, fn funchost.MessageFunc) int {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT args->>'id', args->'body' FROM river_job WHERE kind = $1 ORDER BY id`, "queue."+string(q))
		require.NoError(t, err)
		type job struct {
			id   string
			body []byte
		}
		var jobs []job
		for rows.Next() {
			var j job
			require.NoError(t, rows.Scan(&j.id, &j.body))
			jobs = append(jobs, j)
		}
		rows.Close()
		for _, j := range jobs {
			for n := 1; n <= 2; n++ {
				require.NoError(t, fn(ctx, funchost.Message{Body: j.body, MessageID: j.id, DeliveryCount: n,
					Properties: map[string]any{queue.PropertyTenantID: tn.ID.String()}}), "%s delivery %d", q, n)
			}
		}
		return len(jobs)
	}

	// 1. The notification's message.
	in := pipeline.IngestMessage{TenantID: tn.ID, MeetingID: meetingID, TranscriptID: "tr-e2e", ChangeType: "created"}
	require.NoError(t, river.Send(ctx, queue.TranscriptIngest, queue.Outgoing{ID: pipeline.TranscriptKey(azure.String(), "tr-e2e"), Body: in, TenantID: tn.ID}))
	require.Equal(t, 1, deliverAll(queue.TranscriptIngest, ingest.Handle))

	// 2. Generation: one message despite the double delivery, one draft waiting for approval.
	require.Equal(t, 1, deliverAll(queue.MinutesGenerate, gen.Handle))
	meetings, err := st.ListMeetings(ctx, store.ListMeetingsParams{})
	require.NoError(t, err)
	require.Len(t, meetings, 1)
	hist, err := st.MinutesHistory(ctx, meetings[0].ID)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	require.Equal(t, store.MinutesPendingApproval, hist[0].Status)
	var content generate.Minutes
	require.NoError(t, json.Unmarshal(hist[0].Content, &content))
	require.NotEmpty(t, content.Decisions)
	require.NotEmpty(t, content.ActionItems)

	// 3. Approval by the approver queues the publication.
	svc := review.New(nil).OnApproved(func(ctx context.Context, tenant tenancy.ID, m store.Minutes) error {
		pm := pipeline.PublishMessage{TenantID: tenant, MinutesID: m.ID}
		return river.Send(ctx, queue.MinutesPublish, queue.Outgoing{ID: pipeline.PublishKey(pm), Body: pm, TenantID: tenant})
	})
	actx := access.WithPrincipal(ctx, access.AsUser(tn, approver, st))
	_, err = svc.Approve(actx, hist[0].ID)
	require.NoError(t, err)

	// 4. Publication, delivered twice: one file, one email.
	require.Equal(t, 1, deliverAll(queue.MinutesPublish, pub.Handle))
	uploads, mails := 0, 0
	for _, r := range fake.Requests() {
		switch {
		case strings.HasSuffix(r.Path, "/sendMail"):
			mails++
		case strings.Contains(r.Path, "/drives/b!drive-e2e/") && r.Method == "PUT":
			uploads++
		}
	}
	require.Equal(t, 1, uploads, "one SharePoint upload")
	require.Equal(t, 1, mails, "one email")
	mt, err := st.Meeting(ctx, meetings[0].ID)
	require.NoError(t, err)
	require.Equal(t, store.MeetingPublished, mt.Status)
	final, err := st.LatestMinutes(ctx, mt.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesPublished, final.Status)
}

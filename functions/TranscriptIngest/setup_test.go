package transcriptingest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"github.com/meetingminutes/minutes/shared/logging/logtest"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/graph/graphtest"
	"github.com/meetingminutes/minutes/shared/identity/entratest"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// The meeting every test starts from: organizer Ada, one transcript of call-1.
const (
	organizerID = "a7c3e9d1-52b4-4f08-8e6a-0b9d3c1f2e75"
	joinURL     = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_YzJi%40thread.v2/0"
	appID       = "11111111-2222-3333-4444-555555555555"
)

func meetingIDOf(org string) string {
	return base64.StdEncoding.EncodeToString([]byte("1*" + org + "*0**19:meeting_YzJi@thread.v2"))
}

type bundle struct {
	t        *testing.T
	ctx      context.Context
	pool     *pgxpool.Pool
	fake     *graphtest.Server
	registry *tenancy.Registry
	stores   store.Resolver
	tenant   tenancy.Tenant
	st       store.Store
	blobs    blob.Store
	blobDir  string
	mailDir  string
	meeting  string
	vtt      []byte
	handler  *Handler
	logs     *logtest.Buffer
	now      time.Time
}

type option func(*Deps)

func setup(t *testing.T, opts ...option) *bundle {
	t.Helper()
	ctx := context.Background()
	db := dbtest.New(t)
	pool := db.App

	b := &bundle{t: t, ctx: ctx, pool: pool, fake: graphtest.New(t), registry: tenancy.NewRegistry(pool),
		stores: store.NewManagedResolver(pool), logs: &logtest.Buffer{}, now: time.Now()}
	var err error
	b.vtt, err = os.ReadFile(filepath.Join("testdata", "standup.vtt"))
	require.NoError(t, err)
	b.tenant = b.newTenant(t, "Contoso")
	b.st, err = b.stores.For(ctx, b.tenant.ID)
	require.NoError(t, err)
	_, err = b.st.CreateUser(ctx, store.UserInput{Email: "admin@contoso.com", DisplayName: "Ada Admin", Role: store.RoleAdmin})
	require.NoError(t, err)

	b.meeting = meetingIDOf(organizerID)
	b.fake.AddMeeting(graphtest.Meeting{
		ID: b.meeting, Subject: "Budget stand-up", JoinURL: joinURL, ThreadID: "19:meeting_YzJi@thread.v2",
		Start: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 14, 30, 0, 0, time.UTC),
		Organizer:   graphtest.Person{ID: organizerID, Name: "Ada Lovelace", UPN: "ada@contoso.com"},
		Attendees:   []graphtest.Person{{ID: "5f4b0d6a-8c6e-4e43-9c2c-2f7f8b1d2a10", Name: "Grace Hopper", UPN: "grace@contoso.com"}},
		Transcripts: []graphtest.Transcript{{ID: "tr-1", CallID: "call-1", Created: time.Date(2026, 3, 10, 14, 1, 0, 0, time.UTC), VTT: b.vtt}},
	})

	b.blobDir = t.TempDir()
	dir, err := blob.NewDir(b.blobDir)
	require.NoError(t, err)
	b.blobs = dir
	b.mailDir = t.TempDir()
	mailer, err := mail.NewDir(b.mailDir, nil)
	require.NoError(t, err)

	entra := entratest.New(t, entratest.Options{})
	entra.GrantConsent(*b.tenant.AzureTenantID)
	clients := graph.NewClients(graph.ClientsOptions{ClientID: entra.ClientID(), ClientSecret: entra.ClientSecret(),
		BaseURL: b.fake.URL, Authority: entra.URL, ValidHosts: []string{b.fake.Host},
		RetryOptions: graph.RetryOptions{MaxRetries: 1, Delay: time.Second}})
	river, err := queue.NewRiver(pool, queue.RiverOptions{})
	require.NoError(t, err)

	d := Deps{
		Tenants: b.registry, Stores: b.stores,
		Graph: func(azure uuid.UUID) (GraphClient, error) { return clients.For(azure) },
		Blobs: dir, Queue: river,
		Notifier: pipeline.MailNotifier{Sender: mailer, From: mail.Address{Email: "no-reply@minutes.example"}},
		AppID:    appID, Now: func() time.Time { return b.now },
		Log: slog.New(logging.NewHandler(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}
	for _, o := range opts {
		o(&d)
	}
	if d.Blobs != nil {
		if s, ok := d.Blobs.(blob.Store); ok {
			b.blobs = s
		}
	}
	b.handler = New(d)
	return b
}

func (b *bundle) newTenant(t *testing.T, name string) tenancy.Tenant {
	t.Helper()
	azure := uuid.New()
	tn, _, err := b.registry.Create(b.ctx, tenancy.NewTenant{Name: name, AzureTenantID: &azure})
	require.NoError(t, err)
	return tn
}

// msg is the transcript message GraphNotifications sends for transcript id of call callID
// ("" when the notification had no resource data).
func (b *bundle) msg(transcriptID, callID string) pipeline.IngestMessage {
	return pipeline.IngestMessage{TenantID: b.tenant.ID, SubscriptionID: uuid.NewString(),
		Resource:  "communications/onlineMeetings('" + b.meeting + "')/transcripts('" + transcriptID + "')",
		MeetingID: b.meeting, TranscriptID: transcriptID, ChangeType: "created", CallID: callID}
}

// deliver hands m to the function as the host would, with delivery count n.
func (b *bundle) deliver(m any, n int) error {
	b.t.Helper()
	body, err := json.Marshal(m)
	require.NoError(b.t, err)
	im, _ := m.(pipeline.IngestMessage)
	props := map[string]any{}
	if !im.TenantID.IsZero() {
		props[queue.PropertyTenantID] = im.TenantID.String()
	}
	return b.handler.Handle(b.ctx, funchost.Message{Body: body, MessageID: "m-" + uuid.NewString(), DeliveryCount: n, Properties: props})
}

// queued is a River job as the queue holds it.
type queued struct {
	ID        string
	Body      json.RawMessage
	Scheduled time.Time
	Created   time.Time
}

func (b *bundle) jobs(q queue.Name) []queued {
	b.t.Helper()
	rows, err := b.pool.Query(b.ctx, `SELECT args->>'id', args->'body', scheduled_at, created_at FROM river_job
		WHERE kind = $1 ORDER BY id`, "queue."+string(q))
	require.NoError(b.t, err)
	defer rows.Close()
	var out []queued
	for rows.Next() {
		var j queued
		require.NoError(b.t, rows.Scan(&j.ID, &j.Body, &j.Scheduled, &j.Created))
		out = append(out, j)
	}
	require.NoError(b.t, rows.Err())
	return out
}

func (b *bundle) meetings() []store.Meeting {
	b.t.Helper()
	ms, err := b.st.ListMeetings(b.ctx, store.ListMeetingsParams{})
	require.NoError(b.t, err)
	return ms
}

func (b *bundle) onlyMeeting() store.Meeting {
	b.t.Helper()
	ms := b.meetings()
	require.Len(b.t, ms, 1)
	return ms[0]
}

func (b *bundle) events(id store.MeetingID) []store.MeetingEvent {
	b.t.Helper()
	ev, err := b.st.MeetingEvents(b.ctx, id)
	require.NoError(b.t, err)
	return ev
}

// contentFetches counts the metered content downloads Graph served or refused.
func (b *bundle) contentFetches() int {
	n := 0
	for _, r := range b.fake.Requests() {
		if strings.HasSuffix(r.Path, "/content") {
			n++
		}
	}
	return n
}

func (b *bundle) mails() []string {
	b.t.Helper()
	var out []string
	entries, err := os.ReadDir(b.mailDir)
	require.NoError(b.t, err)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".eml") {
			raw, err := os.ReadFile(filepath.Join(b.mailDir, e.Name()))
			require.NoError(b.t, err)
			out = append(out, string(raw))
		}
	}
	return out
}

func readAll(t *testing.T, r io.ReadCloser, err error) []byte {
	t.Helper()
	require.NoError(t, err)
	defer r.Close()
	raw, err := io.ReadAll(r)
	require.NoError(t, err)
	return raw
}

package minutespublish

import (
	"context"
	"encoding/json"
	"github.com/meetingminutes/minutes/shared/logging/logtest"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/graph/graphtest"
	"github.com/meetingminutes/minutes/shared/identity/entratest"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

const (
	organizerID = "a7c3e9d1-52b4-4f08-8e6a-0b9d3c1f2e75"
	driveID     = "b!drive-1"
	sender      = "minutes@contoso.com"
)

// sampleContent is approved minutes content with a decision, two action items and text that
// must be escaped.
const sampleContent = `{
  "title": "Budget stand-up",
  "summary": "We agreed the Q3 budget & the hiring freeze ends in May.",
  "decisions": [{"text": "Approve the Q3 budget of 1.2M", "quote": "let's approve the budget", "at": "00:04:10"}],
  "action_items": [
    {"task": "Send the <final> deck to finance", "owner": "Grace Hopper", "owner_email": "grace@contoso.com", "due": "2026-03-13", "quote": "I'll send the deck", "at": "00:07:30"},
    {"task": "Book the offsite", "owner": "", "due": null}
  ],
  "attendees": [{"name": "Ada Lovelace"}, {"name": "Grace Hopper"}],
  "generator": "offline",
  "language": "en"
}`

type bundle struct {
	t        *testing.T
	ctx      context.Context
	pool     *pgxpool.Pool
	owner    *pgxpool.Pool
	fake     *graphtest.Server
	clients  *graph.Clients
	registry *tenancy.Registry
	stores   store.Resolver
	ledger   *PG
	tenant   tenancy.Tenant
	st       store.Store
	approver store.User
	meeting  store.Meeting
	mailDir  string
	outDir   string
	deps     Deps
	handler  *Handler
	logs     *logtest.Buffer
	now      time.Time
}

type option func(*Deps)

// withoutGraph is a self-hosted install: no Graph, mail into a directory, copies into OutputDir.
func withoutGraph(b *bundle) option {
	return func(d *Deps) {
		d.Graph = nil
		mailer, err := mail.NewDir(b.mailDir, &mail.DirOptions{From: mail.Address{Name: "Minutes", Email: "minutes@selfhosted.example"}})
		require.NoError(b.t, err)
		d.Mail = mailer
		d.OutputDir = b.outDir
	}
}

func setup(t *testing.T, opts ...func(*bundle) option) *bundle {
	t.Helper()
	ctx := context.Background()
	db := dbtest.New(t)
	pool, err := pgxpool.New(ctx, db.AppURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	owner, err := pgxpool.New(ctx, db.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)

	b := &bundle{t: t, ctx: ctx, pool: pool, owner: owner, fake: graphtest.New(t), registry: tenancy.NewRegistry(pool),
		stores: store.NewManagedResolver(pool), ledger: NewLedger(pool), logs: &logtest.Buffer{},
		now: time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC), mailDir: t.TempDir(), outDir: t.TempDir()}
	b.tenant = b.newTenant("Contoso")
	b.st, err = b.stores.For(ctx, b.tenant.ID)
	require.NoError(t, err)
	b.approver, err = b.st.CreateUser(ctx, store.UserInput{Email: "ada@contoso.com", DisplayName: "Ada Lovelace", Role: store.RoleAdmin})
	require.NoError(t, err)
	set, err := b.st.Settings(ctx)
	require.NoError(t, err)
	set.SharePointSiteID, set.SharePointDriveID, set.SharePointFolder = "site-1", driveID, "Meeting Minutes/Board"
	set.Distribution = store.Distribution{Attendees: true, Extra: []string{"board@contoso.com", "GRACE@contoso.com"}}
	_, err = b.st.SaveSettings(ctx, set)
	require.NoError(t, err)
	b.meeting = b.newMeeting(b.st, "Budget stand-up")

	entra := entratest.New(t, entratest.Options{})
	entra.GrantConsent(*b.tenant.AzureTenantID)
	b.clients = graph.NewClients(graph.ClientsOptions{ClientID: entra.ClientID(), ClientSecret: entra.ClientSecret(),
		BaseURL: b.fake.URL, Authority: entra.URL, ValidHosts: []string{b.fake.Host},
		RetryOptions: graph.RetryOptions{MaxRetries: 1, Delay: time.Second}})
	portal, _ := url.Parse("https://minutes.example/")
	b.deps = Deps{
		Tenants: b.registry, Stores: b.stores, Ledger: b.ledger,
		Graph:         func(azure uuid.UUID) (GraphClient, error) { return b.clients.For(azure) },
		SenderMailbox: sender,
		PortalURL:     portal,
		Now:           func() time.Time { return b.now },
		Log:           slog.New(logging.NewHandler(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}
	for _, o := range opts {
		o(b)(&b.deps)
	}
	b.handler = New(b.deps)
	return b
}

func (b *bundle) newTenant(name string) tenancy.Tenant {
	b.t.Helper()
	azure := uuid.New()
	tn, _, err := b.registry.Create(b.ctx, tenancy.NewTenant{Name: name, AzureTenantID: &azure})
	require.NoError(b.t, err)
	return tn
}

func (b *bundle) newMeeting(st store.Store, subject string) store.Meeting {
	b.t.Helper()
	start := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	end := start.Add(30 * time.Minute)
	m, _, err := st.UpsertMeeting(b.ctx, store.MeetingInput{
		Source: store.SourceGraph, ExternalID: "meeting-" + uuid.NewString(), CallID: "call-1", Subject: subject,
		OrganizerID: organizerID, OrganizerName: "Ada Lovelace", OrganizerEmail: "ada@contoso.com",
		StartsAt: &start, EndsAt: &end,
		Participants: []store.Participant{
			{Name: "Ada Lovelace", Email: "Ada@Contoso.com"},
			{Name: "Grace Hopper", Email: "grace@contoso.com"},
			{Name: "Guest without address"},
			{Name: "Broken", Email: "not an address"},
		},
	})
	require.NoError(b.t, err)
	return m
}

// minutes adds a version of the meeting's minutes with content and moves it to status
// (approved by the approver when status is approved or published).
func (b *bundle) minutes(st store.Store, meeting store.MeetingID, content string, status store.MinutesStatus) store.Minutes {
	b.t.Helper()
	m, err := st.AddMinutesVersion(b.ctx, store.MinutesInput{MeetingID: meeting, Content: json.RawMessage(content), Generator: "offline"})
	require.NoError(b.t, err)
	at := b.now.Add(-time.Hour)
	approver, _, err := st.UpsertUserByEmail(b.ctx, store.UserInput{Email: "ada@contoso.com", DisplayName: "Ada Lovelace", Role: store.RoleAdmin})
	require.NoError(b.t, err)
	steps := map[store.MinutesStatus][]store.MinutesStatus{
		store.MinutesDraft:           nil,
		store.MinutesPendingApproval: {store.MinutesPendingApproval},
		store.MinutesApproved:        {store.MinutesPendingApproval, store.MinutesApproved},
		store.MinutesRejected:        {store.MinutesPendingApproval, store.MinutesRejected},
		store.MinutesPublished:       {store.MinutesPendingApproval, store.MinutesApproved, store.MinutesPublished},
	}[status]
	for _, s := range steps {
		m, err = st.DecideMinutes(b.ctx, m.ID, store.DecideParams{Status: s, By: approver.ID, Reason: "not accurate", At: at})
		require.NoError(b.t, err)
	}
	return m
}

// deliver hands the publish message of minutes id to the function as the host would.
func (b *bundle) deliver(tenant tenancy.ID, id store.MinutesID) error {
	b.t.Helper()
	pm := PublishMessage{TenantID: tenant, MinutesID: id}
	body, err := json.Marshal(pm)
	require.NoError(b.t, err)
	return b.handler.Handle(b.ctx, funchost.Message{Body: body, MessageID: PublishKey(pm), DeliveryCount: 1,
		Properties: map[string]any{queue.PropertyTenantID: tenant.String()}})
}

// sendMails returns the bodies of the sendMail requests Graph received.
func (b *bundle) sendMails() []sentMail {
	b.t.Helper()
	var out []sentMail
	for _, r := range b.fake.Requests() {
		if r.Method != "POST" || !strings.HasSuffix(r.Path, "/sendMail") {
			continue
		}
		var body struct {
			Message struct {
				Subject string `json:"subject"`
				Body    struct {
					ContentType string `json:"contentType"`
					Content     string `json:"content"`
				} `json:"body"`
				ToRecipients []struct {
					EmailAddress struct{ Address, Name string } `json:"emailAddress"`
				} `json:"toRecipients"`
			} `json:"message"`
		}
		require.NoError(b.t, json.Unmarshal(r.Body, &body))
		m := sentMail{Path: r.Path, Subject: body.Message.Subject, HTML: body.Message.Body.Content, ContentType: body.Message.Body.ContentType}
		for _, rc := range body.Message.ToRecipients {
			m.To = append(m.To, rc.EmailAddress.Address)
		}
		out = append(out, m)
	}
	return out
}

type sentMail struct {
	Path, Subject, HTML, ContentType string
	To                               []string
}

// uploads counts the upload requests (simple PUTs and upload sessions) Graph received.
func (b *bundle) uploads() int {
	n := 0
	for _, r := range b.fake.Requests() {
		if strings.Contains(r.Path, "/drives/") && (strings.HasSuffix(r.Path, ":/content") || strings.HasSuffix(r.Path, ":/createUploadSession")) {
			n++
		}
	}
	return n
}

func (b *bundle) events(id store.MeetingID) []store.MeetingEvent {
	b.t.Helper()
	ev, err := b.st.MeetingEvents(b.ctx, id)
	require.NoError(b.t, err)
	return ev
}

func (b *bundle) publications(id store.MinutesID) map[Channel]Publication {
	b.t.Helper()
	pubs, err := b.ledger.Publications(b.ctx, b.tenant.ID, id)
	require.NoError(b.t, err)
	out := map[Channel]Publication{}
	for _, p := range pubs {
		out[p.Channel] = p
	}
	return out
}

type auditRow struct {
	Action, TargetType, TargetID string
	Details                      map[string]any
}

func (b *bundle) auditLog(tenant tenancy.ID) []auditRow {
	b.t.Helper()
	var out []auditRow
	require.NoError(b.t, tenancy.WithReadTx(b.ctx, b.pool, tenant, func(tx pgx.Tx) error {
		rows, err := tx.Query(b.ctx, `SELECT action, target_type, target_id, details FROM audit_log WHERE tenant_id = $1 ORDER BY seq`, tenant)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r auditRow
			var details []byte
			if err := rows.Scan(&r.Action, &r.TargetType, &r.TargetID, &details); err != nil {
				return err
			}
			if err := json.Unmarshal(details, &r.Details); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	}))
	return out
}

func (b *bundle) files(dir string) map[string][]byte {
	b.t.Helper()
	out := map[string][]byte{}
	require.NoError(b.t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		data, err := os.ReadFile(path)
		out[rel] = data
		return err
	}))
	return out
}

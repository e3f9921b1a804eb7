package minutesgenerate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/generate"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

type bundle struct {
	t        *testing.T
	ctx      context.Context
	pool     *pgxpool.Pool
	registry *tenancy.Registry
	tenant   tenancy.Tenant
	st       store.Store
	blobs    *blob.Dir
	mailDir  string
	handler  *Handler
	meeting  store.Meeting
}

func setup(t *testing.T, opts ...func(*Deps)) *bundle {
	t.Helper()
	ctx := context.Background()
	db := dbtest.New(t)
	pool := db.App
	b := &bundle{t: t, ctx: ctx, pool: pool, registry: tenancy.NewRegistry(pool), mailDir: t.TempDir()}
	azure := uuid.New()
	var err error
	b.tenant, _, err = b.registry.Create(ctx, tenancy.NewTenant{Name: "Contoso", AzureTenantID: &azure})
	require.NoError(t, err)
	stores := store.NewManagedResolver(pool)
	b.st, err = stores.For(ctx, b.tenant.ID)
	require.NoError(t, err)
	_, err = b.st.CreateUser(ctx, store.UserInput{Email: "approver@contoso.com", DisplayName: "Alan Approver", Role: store.RoleApprover})
	require.NoError(t, err)
	b.blobs, err = blob.NewDir(t.TempDir())
	require.NoError(t, err)
	start := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC) // a Tuesday
	b.meeting, _, err = b.st.UpsertMeeting(ctx, store.MeetingInput{Source: store.SourceGraph, ExternalID: "mtg|call-1", CallID: "call-1",
		Subject: "Budget stand-up", OrganizerName: "Ada Lovelace", OrganizerEmail: "ada@contoso.com", StartsAt: &start,
		Participants: []store.Participant{{Name: "Grace Hopper", Email: "grace@contoso.com"}}})
	require.NoError(t, err)
	mailer, err := mail.NewDir(b.mailDir, nil)
	require.NoError(t, err)
	river, err := queue.NewRiver(pool, queue.RiverOptions{})
	require.NoError(t, err)
	d := Deps{Tenants: b.registry, Stores: stores, Blobs: b.blobs, Generator: &generate.Offline{},
		Admitter: billing.NewEntitlements(pool, nil, nil), Queue: river,
		Approvers: pipeline.MailApprovers{Sender: mailer, From: mail.Address{Email: "no-reply@minutes.example"}}}
	for _, o := range opts {
		o(&d)
	}
	b.handler = New(d)
	return b
}

// addTranscript stores testdata/name as the meeting's next transcript.
func (b *bundle) addTranscript(name string) {
	b.t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(b.t, err)
	key := "tenants/" + b.tenant.ID.String() + "/meetings/" + b.meeting.ID.String() + "/transcripts/" + name
	require.NoError(b.t, b.blobs.Put(b.ctx, key, bytes.NewReader(raw), blob.PutOptions{ContentType: "text/vtt"}))
	_, _, err = b.st.AddTranscript(b.ctx, store.TranscriptInput{MeetingID: b.meeting.ID, ExternalID: name, Format: store.FormatVTT,
		BlobPath: key, ContentSHA256: sha256.Sum256(raw), SizeBytes: int64(len(raw))})
	require.NoError(b.t, err)
}

func (b *bundle) deliver(n int) error {
	b.t.Helper()
	body, err := json.Marshal(pipeline.GenerateMessage{TenantID: b.tenant.ID, MeetingID: b.meeting.ID, Transcripts: n})
	require.NoError(b.t, err)
	return b.handler.Handle(b.ctx, funchost.Message{Body: body, MessageID: "g", DeliveryCount: 1,
		Properties: map[string]any{queue.PropertyTenantID: b.tenant.ID.String()}})
}

func (b *bundle) publishJobs() []string {
	b.t.Helper()
	rows, err := b.pool.Query(b.ctx, `SELECT args->>'id' FROM river_job WHERE kind = 'queue.minutes-publish' ORDER BY id`)
	require.NoError(b.t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(b.t, rows.Scan(&s))
		out = append(out, s)
	}
	return out
}

func (b *bundle) mails() []string {
	b.t.Helper()
	es, err := os.ReadDir(b.mailDir)
	require.NoError(b.t, err)
	var out []string
	for _, e := range es {
		if strings.HasSuffix(e.Name(), ".eml") {
			raw, err := os.ReadFile(filepath.Join(b.mailDir, e.Name()))
			require.NoError(b.t, err)
			out = append(out, string(raw))
		}
	}
	return out
}

func TestGenerateDraftWaitsForApproval(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.addTranscript("part1.vtt")
	for range 3 { // redeliveries
		require.NoError(t, b.deliver(1))
	}
	hist, err := b.st.MinutesHistory(b.ctx, b.meeting.ID)
	require.NoError(t, err)
	require.Len(t, hist, 1, "one version despite redeliveries")
	m := hist[0]
	require.Equal(t, store.MinutesPendingApproval, m.Status)
	require.Equal(t, "offline", m.Generator)
	var content generate.Minutes
	require.NoError(t, json.Unmarshal(m.Content, &content))
	require.Equal(t, "Budget stand-up", content.Title)
	require.NotEmpty(t, content.Decisions)
	items, err := b.st.ActionItems(b.ctx, store.ActionItemFilter{MinutesID: m.ID})
	require.NoError(t, err)
	require.NotEmpty(t, items)
	var deck *store.ActionItem
	for i := range items {
		if strings.Contains(items[i].Task, "deck") {
			deck = &items[i]
		}
	}
	require.NotNil(t, deck, "the commitment became an action item: %+v", items)
	require.Equal(t, "grace@contoso.com", deck.OwnerEmail, "owner resolved to the attendee")
	require.NotNil(t, deck.DueDate)
	require.Equal(t, "2026-03-13", deck.DueDate.Format(time.DateOnly), "'by Friday' from a Tuesday meeting")
	require.True(t, deck.Verified)

	mt, err := b.st.Meeting(b.ctx, b.meeting.ID)
	require.NoError(t, err)
	require.Equal(t, store.MeetingPendingApproval, mt.Status)
	require.Empty(t, b.publishJobs(), "nothing is distributed before approval")
	mails := b.mails()
	require.Len(t, mails, 1, "approvers told once")
	require.Contains(t, mails[0], "approver@contoso.com")
	ev, err := b.st.MeetingEvents(b.ctx, b.meeting.ID)
	require.NoError(t, err)
	require.Equal(t, []string{StageGeneration, StageApproval}, []string{ev[0].Stage, ev[1].Stage})
}

func TestGenerateWithoutApprovalQueuesPublishing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	set, err := b.st.Settings(b.ctx)
	require.NoError(t, err)
	set.ApprovalMode = store.ApprovalNone
	_, err = b.st.SaveSettings(b.ctx, set)
	require.NoError(t, err)
	b.addTranscript("part1.vtt")
	require.NoError(t, b.deliver(1))
	require.NoError(t, b.deliver(1))
	m, err := b.st.LatestMinutes(b.ctx, b.meeting.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesApproved, m.Status)
	require.Equal(t, []string{PublishKey(PublishMessage{TenantID: b.tenant.ID, MinutesID: m.ID})}, b.publishJobs(), "one publish message")
	require.Empty(t, b.mails())
}

func TestGenerateMergesTheParts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.addTranscript("part1.vtt")
	require.NoError(t, b.deliver(1)) // the first part alone: still current, so it generates
	b.addTranscript("part2.vtt")
	require.NoError(t, b.deliver(1), "stale: a later message covers two parts")
	hist, err := b.st.MinutesHistory(b.ctx, b.meeting.ID)
	require.NoError(t, err)
	require.Len(t, hist, 1)

	require.NoError(t, b.deliver(2))
	hist, err = b.st.MinutesHistory(b.ctx, b.meeting.ID)
	require.NoError(t, err)
	require.Len(t, hist, 2, "a new version from both parts")
	var content generate.Minutes
	require.NoError(t, json.Unmarshal(hist[0].Content, &content))
	var roadmap *generate.ActionItem
	for i := range content.ActionItems {
		if strings.Contains(content.ActionItems[i].Task, "roadmap") {
			roadmap = &content.ActionItems[i]
		}
	}
	require.NotNil(t, roadmap, "%+v", content.ActionItems)
	require.Equal(t, "00:00:25", roadmap.At, "the second part starts after the first's 20 s")
}

type holdAll struct{}

func (holdAll) Admit(context.Context, tenancy.ID, store.MeetingID) (billing.Decision, error) {
	return billing.Decision{Reason: billing.HoldOverQuota, Plan: tenancy.PlanStarter, Used: 100, Quota: 100,
		PeriodEnd: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}, nil
}

func TestGenerateHeldByThePlan(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) { d.Admitter = holdAll{} })
	b.addTranscript("part1.vtt")
	require.NoError(t, b.deliver(1))
	mt, err := b.st.Meeting(b.ctx, b.meeting.ID)
	require.NoError(t, err)
	require.Equal(t, store.MeetingOverQuota, mt.Status)
	require.Contains(t, mt.StatusDetail, "100 of 100 meetings used")
	_, err = b.st.LatestMinutes(b.ctx, b.meeting.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "kept, not processed")
}

func TestGenerateRejectsBadMessagesAndUnreadableFiles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, body := range []string{`{`, `[]`, `{"tenant_id":"` + b.tenant.ID.String() + `"}`,
		`{"tenant_id":"` + b.tenant.ID.String() + `","meeting_id":"` + b.meeting.ID.String() + `","transcripts":0}`} {
		err := b.handler.Handle(b.ctx, funchost.Message{Body: []byte(body), MessageID: "x", DeliveryCount: 1})
		require.True(t, funchost.IsPoison(err), "%s: %v", body, err)
	}
	other := pipeline.GenerateMessage{TenantID: tenancy.NewID(), MeetingID: b.meeting.ID, Transcripts: 1}
	raw, _ := json.Marshal(other)
	require.NoError(t, b.handler.Handle(b.ctx, funchost.Message{Body: raw, MessageID: "y", DeliveryCount: 1}), "unknown tenant: acknowledged")

	// A stored file that no longer parses fails the meeting with the reason.
	key := "tenants/" + b.tenant.ID.String() + "/meetings/" + b.meeting.ID.String() + "/transcripts/bad.vtt"
	require.NoError(t, b.blobs.Put(b.ctx, key, strings.NewReader("\x00\x01 not a transcript"), blob.PutOptions{}))
	_, _, err := b.st.AddTranscript(b.ctx, store.TranscriptInput{MeetingID: b.meeting.ID, ExternalID: "bad", Format: store.FormatVTT, BlobPath: key})
	require.NoError(t, err)
	require.NoError(t, b.deliver(1))
	mt, err := b.st.Meeting(b.ctx, b.meeting.ID)
	require.NoError(t, err)
	require.Equal(t, store.MeetingFailed, mt.Status)
	require.Contains(t, mt.StatusDetail, "could not be read")
}

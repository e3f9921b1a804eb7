package pipeline_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestSweepRemindsOnceAndRequeuesStuckPublications(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	pool := db.App
	reg := tenancy.NewRegistry(pool)
	az := uuid.New()
	tn, _, err := reg.Create(ctx, tenancy.NewTenant{Name: "Contoso", AzureTenantID: &az})
	require.NoError(t, err)
	stores := store.NewManagedResolver(pool)
	st, err := stores.For(ctx, tn.ID)
	require.NoError(t, err)
	_, err = st.CreateUser(ctx, store.UserInput{Email: "approver@contoso.com", DisplayName: "Alan", Role: store.RoleApprover})
	require.NoError(t, err)

	newMinutes := func(ext string) (store.Meeting, store.Minutes) {
		m, _, err := st.UpsertMeeting(ctx, store.MeetingInput{Source: store.SourceUpload, ExternalID: ext, Subject: "Weekly " + ext})
		require.NoError(t, err)
		mins, err := st.AddMinutesVersion(ctx, store.MinutesInput{MeetingID: m.ID, Content: json.RawMessage(`{"title":"t","summary":"s"}`)})
		require.NoError(t, err)
		return m, mins
	}
	pendingMeeting, pendingMins := newMinutes("pending")
	_, err = st.DecideMinutes(ctx, pendingMins.ID, store.DecideParams{Status: store.MinutesPendingApproval, At: time.Now()})
	require.NoError(t, err)
	_, err = st.SetMeetingStatus(ctx, pendingMeeting.ID, store.MeetingPendingApproval, "")
	require.NoError(t, err)
	approvedMeeting, approvedMins := newMinutes("approved")
	_, err = st.DecideMinutes(ctx, approvedMins.ID, store.DecideParams{Status: store.MinutesApproved, At: time.Now()})
	require.NoError(t, err)
	_, err = st.SetMeetingStatus(ctx, approvedMeeting.ID, store.MeetingApproved, "")
	require.NoError(t, err)

	mailDir := t.TempDir()
	mailer, err := mail.NewDir(mailDir, nil)
	require.NoError(t, err)
	river, err := queue.NewRiver(pool, queue.RiverOptions{})
	require.NoError(t, err)
	clock := time.Now().Add(time.Hour) // the default reminder delay is 24 h: too early
	s := &pipeline.Sweeper{Tenants: reg, Stores: stores, Queue: river,
		Reminder: pipeline.MailApprovers{Sender: mailer, From: mail.Address{Email: "no-reply@minutes.example"}},
		Now:      func() time.Time { return clock }}

	rep, err := s.Run(ctx)
	require.NoError(t, err)
	require.Equal(t, pipeline.SweepReport{Tenants: 1, Requeued: 1}, rep, "only the stuck publication (past its 10 min grace)")
	var jobs int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'queue.minutes-publish' AND args->>'id' = $1`,
		pipeline.PublishKey(pipeline.PublishMessage{TenantID: tn.ID, MinutesID: approvedMins.ID})).Scan(&jobs))
	require.Equal(t, 1, jobs)

	clock = time.Now().Add(25 * time.Hour)
	for range 2 {
		rep, err = s.Run(ctx)
		require.NoError(t, err)
	}
	entries, err := os.ReadDir(mailDir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "reminded once")
	raw, err := os.ReadFile(mailDir + "/" + entries[0].Name())
	require.NoError(t, err)
	require.Contains(t, string(raw), "Reminder: minutes to approve: Weekly pending")
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'queue.minutes-publish'`).Scan(&jobs))
	require.Equal(t, 1, jobs, "requeued under the same key: still one message")
}

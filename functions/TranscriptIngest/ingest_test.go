package transcriptingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/emulatortest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graph/graphtest"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestIngestStoresParsesAndQueuesGeneration(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// A notification without resource data: no call id, no organizer.
	m := b.msg("tr-1", "")
	require.NoError(t, b.deliver(m, 1))

	mt := b.onlyMeeting()
	require.Equal(t, "Budget stand-up", mt.Subject)
	require.Equal(t, b.meeting+"|call-1", mt.ExternalID, "keyed by meeting occurrence (call)")
	require.Equal(t, "call-1", mt.CallID)
	require.Equal(t, organizerID, mt.OrganizerID)
	require.Equal(t, "ada@contoso.com", mt.OrganizerEmail)
	require.Equal(t, []store.Participant{{ExternalID: "5f4b0d6a-8c6e-4e43-9c2c-2f7f8b1d2a10", Name: "Grace Hopper", Email: "grace@contoso.com"}}, mt.Participants)
	require.Equal(t, store.MeetingTranscriptReceived, mt.Status)

	trs, err := b.st.TranscriptsForMeeting(b.ctx, mt.ID)
	require.NoError(t, err)
	require.Len(t, trs, 1)
	tr := trs[0]
	require.Equal(t, "tr-1", tr.ExternalID)
	require.Equal(t, 4, tr.CueCount)
	require.Equal(t, 2, tr.SpeakerCount)
	require.Equal(t, 20*time.Second, tr.Duration)
	require.Equal(t, int64(len(b.vtt)), tr.SizeBytes)
	require.True(t, strings.HasPrefix(tr.BlobPath, "tenants/"+b.tenant.ID.String()+"/meetings/"+mt.ID.String()+"/"), tr.BlobPath)
	r, err := b.blobs.Get(b.ctx, tr.BlobPath)
	require.Equal(t, b.vtt, readAll(t, r, err), "the raw file is kept byte for byte")

	ev := b.events(mt.ID)
	require.Len(t, ev, 1)
	require.Equal(t, StageTranscriptStored, ev[0].Stage)
	require.Contains(t, ev[0].Detail, "4 cues, 2 speakers")

	jobs := b.jobs(queue.MinutesGenerate)
	require.Len(t, jobs, 1)
	var gm pipeline.GenerateMessage
	require.NoError(t, json.Unmarshal(jobs[0].Body, &gm))
	require.Equal(t, pipeline.GenerateMessage{TenantID: b.tenant.ID, MeetingID: mt.ID, Transcripts: 1}, gm)
	require.GreaterOrEqual(t, jobs[0].Scheduled.Sub(jobs[0].Created), DefaultDebounce-time.Second, "debounced")

	// The Graph calls were made with a token of the tenant's own Entra tenant.
	for _, r := range b.fake.Requests() {
		require.Equal(t, b.tenant.AzureTenantID.String(), r.TokenTenant, r.Path)
	}
	require.NotContains(t, b.logs.String(), "within the forecast", "transcript text never reaches the logs")
}

func TestIngestOnAzurite(t *testing.T) {
	t.Parallel()
	az := emulatortest.Azurite(t)
	s, err := blob.NewAzureFromConnectionString(az.ConnectionString, "ingest-"+strings.ToLower(tenancy.NewID().String()[:8]), nil)
	require.NoError(t, err)
	require.NoError(t, s.EnsureContainer(context.Background()))
	b := setup(t, func(d *Deps) { d.Blobs = s })
	require.NoError(t, b.deliver(b.msg("tr-1", "call-1"), 1))
	trs, err := b.st.TranscriptsForMeeting(b.ctx, b.onlyMeeting().ID)
	require.NoError(t, err)
	require.Len(t, trs, 1)
	r, err := s.Get(b.ctx, trs[0].BlobPath)
	require.Equal(t, b.vtt, readAll(t, r, err))
}

func TestIngestIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	m := b.msg("tr-1", "call-1")
	for i := 1; i <= 5; i++ {
		require.NoError(t, b.deliver(m, i))
	}
	mt := b.onlyMeeting()
	trs, err := b.st.TranscriptsForMeeting(b.ctx, mt.ID)
	require.NoError(t, err)
	require.Len(t, trs, 1)
	require.Len(t, b.jobs(queue.MinutesGenerate), 1, "one generate message")
	require.Equal(t, 1, b.contentFetches(), "metered content fetched once")
	require.Len(t, b.events(mt.ID), 1)
}

func TestIngestSeveralTranscriptsOfOneCallAndRecurringOccurrences(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.True(t, b.fake.AddTranscript(organizerID, b.meeting, graphtest.Transcript{ID: "tr-2", CallID: "call-1", VTT: b.vtt}))
	require.True(t, b.fake.AddTranscript(organizerID, b.meeting, graphtest.Transcript{ID: "tr-3", CallID: "call-2", VTT: b.vtt}))
	// Out of order: the second part first.
	require.NoError(t, b.deliver(b.msg("tr-2", "call-1"), 1))
	require.NoError(t, b.deliver(b.msg("tr-1", "call-1"), 1))
	require.NoError(t, b.deliver(b.msg("tr-3", "call-2"), 1))

	ms := b.meetings()
	require.Len(t, ms, 2, "two occurrences of the recurring meeting")
	byCall := map[string]store.Meeting{}
	for _, m := range ms {
		byCall[m.CallID] = m
	}
	trs, err := b.st.TranscriptsForMeeting(b.ctx, byCall["call-1"].ID)
	require.NoError(t, err)
	require.Len(t, trs, 2, "both parts attach to the same occurrence")

	var counts []string
	for _, j := range b.jobs(queue.MinutesGenerate) {
		var gm pipeline.GenerateMessage
		require.NoError(t, json.Unmarshal(j.Body, &gm))
		counts = append(counts, fmt.Sprintf("%s:%d", map[bool]string{true: "call-1", false: "call-2"}[gm.MeetingID == byCall["call-1"].ID], gm.Transcripts))
	}
	// Only the call-1 message with count 2 will generate (MinutesGenerate skips stale counts).
	require.ElementsMatch(t, []string{"call-1:1", "call-1:2", "call-2:1"}, counts)
}

func TestIngestNotAvailableYetRetriesThenGivesUp(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) {
		d.Retry = pipeline.Retry{First: time.Minute, Max: time.Hour, Attempts: 3, MaxAge: 24 * time.Hour}
	})
	b.fake.Fail(graphtest.Fault{Status: 404, Code: "NotFound", Message: "not yet", PathContains: "/content", Times: 10})
	m := b.msg("tr-1", "call-1")
	var waits []time.Duration
	for i := 1; i <= 2; i++ {
		err := b.deliver(m, 1)
		d, ok := funchost.RetryAfter(err)
		require.True(t, ok, "attempt %d: %v", i, err)
		waits = append(waits, d)
		mt := b.onlyMeeting()
		require.Equal(t, store.MeetingAwaitingTranscript, mt.Status)
		require.Contains(t, mt.StatusDetail, "not made the transcript available yet")
	}
	require.Equal(t, []time.Duration{time.Minute, 2 * time.Minute}, waits, "backoff doubles")
	require.Empty(t, b.jobs(queue.MinutesGenerate))

	require.NoError(t, b.deliver(m, 1), "the last attempt acknowledges")
	mt := b.onlyMeeting()
	require.Equal(t, store.MeetingFailed, mt.Status)
	require.Contains(t, mt.StatusDetail, "gave up after 3 attempts")
	require.Contains(t, mt.StatusDetail, "Upload the transcript")
	f, err := b.st.TranscriptFetch(b.ctx, "tr-1")
	require.NoError(t, err)
	require.Equal(t, store.FetchGaveUp, f.Status)
	ev := b.events(mt.ID)
	require.Equal(t, store.OutcomeFailed, ev[len(ev)-1].Outcome)
}

func TestIngestAccessGatesTellTheAdminOnceAndResume(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault graphtest.Fault
		kind  string
		hint  string
	}{
		{"transcript API access off", graphtest.TranscriptAPIDisabled(), pipeline.AlertTranscriptAPI, "EnableGraphTranscriptAccess $true"},
		{"no application access policy", graphtest.AccessPolicyDenied(organizerID), pipeline.AlertAccessPolicy, appID},
		{"other 403", graphtest.OtherForbidden(), pipeline.AlertGraphForbidden, "admin consent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			c.fault.Times = 3
			b.fake.Fail(c.fault)
			m := b.msg("tr-1", "call-1")
			for i := 0; i < 3; i++ {
				_, ok := funchost.RetryAfter(b.deliver(m, 1))
				require.True(t, ok, "retried slowly, so it resumes once the admin acts")
			}
			alerts, err := b.st.OpenAlerts(b.ctx)
			require.NoError(t, err)
			require.Len(t, alerts, 1)
			require.Equal(t, c.kind, alerts[0].Kind)
			require.Contains(t, alerts[0].Detail, c.hint)
			require.Equal(t, 3, alerts[0].Occurrences)
			mails := b.mails()
			require.Len(t, mails, 1, "told once")
			require.Contains(t, mails[0], "admin@contoso.com")

			// The admin fixed it: the next retry goes through and closes the alert.
			require.NoError(t, b.deliver(m, 1))
			require.Equal(t, store.MeetingTranscriptReceived, b.onlyMeeting().Status)
			alerts, err = b.st.OpenAlerts(b.ctx)
			require.NoError(t, err)
			require.Empty(t, alerts)
		})
	}
}

func TestIngestMeteringAndThrottling(t *testing.T) {
	t.Parallel()

	t.Run("402 alerts operators and waits", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.Fail(graphtest.PaymentRequired())
		_, ok := funchost.RetryAfter(b.deliver(b.msg("tr-1", "call-1"), 1))
		require.True(t, ok)
		require.Contains(t, b.logs.String(), `"graph_alert":true`)
		alerts, err := b.st.OpenAlerts(b.ctx)
		require.NoError(t, err)
		require.Equal(t, pipeline.AlertMetering, alerts[0].Kind)
		f, err := b.st.TranscriptFetch(b.ctx, "tr-1")
		require.NoError(t, err)
		require.Equal(t, store.FetchBlocked, f.Status)
	})

	t.Run("429 waits Retry-After without counting an attempt", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		f := graphtest.Throttled("7")
		f.Times = 5
		f.PathContains = "/content"
		b.fake.Fail(f)
		d, ok := funchost.RetryAfter(b.deliver(b.msg("tr-1", "call-1"), 1))
		require.True(t, ok)
		require.Equal(t, 7*time.Second, d)
		_, err := b.st.TranscriptFetch(b.ctx, "tr-1")
		require.ErrorIs(t, err, store.ErrNotFound, "throttling is not an attempt")
	})

	t.Run("500 abandons for redelivery", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		f := graphtest.InternalError()
		f.Times = 5
		b.fake.Fail(f)
		err := b.deliver(b.msg("tr-1", "call-1"), 1)
		require.Error(t, err)
		_, later := funchost.RetryAfter(err)
		require.False(t, later)
		require.False(t, funchost.IsPoison(err))
		require.Empty(t, b.meetings())
	})
}

func TestIngestBadTranscripts(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, vtt, want string }{
		{"not WebVTT", "<html>Sign in</html>", "not readable WebVTT"},
		{"no speech", "WEBVTT\n\nNOTE nothing said\n", "the transcript is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			require.True(t, b.fake.AddTranscript(organizerID, b.meeting, graphtest.Transcript{ID: "bad", CallID: "call-9", VTT: []byte(c.vtt)}))
			require.NoError(t, b.deliver(b.msg("bad", "call-9"), 1), "acknowledged: retrying cannot fix it")
			mt := b.onlyMeeting()
			require.Equal(t, store.MeetingFailed, mt.Status)
			require.Contains(t, mt.StatusDetail, c.want)
			require.Empty(t, b.jobs(queue.MinutesGenerate))
		})
	}
}

func TestIngestRejectsBadMessages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := b.newTenant(t, "Fabrikam")
	good := b.msg("tr-1", "call-1")
	forged := good
	forged.TenantID = other.ID
	cases := []struct {
		name  string
		body  []byte
		props map[string]any
	}{
		{"not JSON", []byte("{nope"), nil},
		{"array", []byte("[1,2]"), nil},
		{"no tenant", mustJSON(t, pipeline.IngestMessage{MeetingID: "m", TranscriptID: "t"}), nil},
		{"no transcript id", mustJSON(t, pipeline.IngestMessage{TenantID: b.tenant.ID, MeetingID: "m"}), nil},
		{"unknown kind", mustJSON(t, pipeline.IngestMessage{Kind: "delete_everything", TenantID: b.tenant.ID}), nil},
		{"oversized id", mustJSON(t, pipeline.IngestMessage{TenantID: b.tenant.ID, MeetingID: strings.Repeat("m", 5000), TranscriptID: "t"}), nil},
		{"tenant property differs from body", mustJSON(t, forged), map[string]any{queue.PropertyTenantID: b.tenant.ID.String()}},
		{"meeting id names no organizer", mustJSON(t, pipeline.IngestMessage{TenantID: b.tenant.ID, MeetingID: "opaque", TranscriptID: "t"}), nil},
	}
	for _, c := range cases {
		err := b.handler.Handle(b.ctx, funchost.Message{Body: c.body, MessageID: "x", DeliveryCount: 1, Properties: c.props})
		require.True(t, funchost.IsPoison(err), "%s: %v", c.name, err)
	}
	require.Empty(t, b.meetings())

	// Unknown and cancelled tenants: acknowledged, nothing done, nothing asked of Graph.
	unknown := good
	unknown.TenantID = tenancy.NewID()
	require.NoError(t, b.deliver(unknown, 1))
	require.NoError(t, b.registry.SetStatus(b.ctx, other.ID, tenancy.StatusCancelled, time.Now()))
	cancelled := good
	cancelled.TenantID = other.ID
	require.NoError(t, b.deliver(cancelled, 1))
	require.Empty(t, b.fake.Requests())
}

func TestIngestIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.deliver(b.msg("tr-1", "call-1"), 1))
	mt := b.onlyMeeting()
	other := b.newTenant(t, "Fabrikam")
	ost, err := b.stores.For(b.ctx, other.ID)
	require.NoError(t, err)
	_, err = ost.Meeting(b.ctx, mt.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = ost.MeetingEvents(b.ctx, mt.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = ost.TranscriptByExternalID(b.ctx, "tr-1")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return raw
}

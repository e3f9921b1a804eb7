package transcriptingest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graph/graphtest"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
)

func (b *bundle) callEnded(callID string) pipeline.IngestMessage {
	return pipeline.IngestMessage{Kind: pipeline.IngestCallEnded, TenantID: b.tenant.ID, CallID: callID,
		Resource: "communications/callRecords/" + callID, ChangeType: "created"}
}

// checkOf returns the scheduled transcript check of call callID.
func (b *bundle) checkOf(callID string) (pipeline.IngestMessage, queued) {
	b.t.Helper()
	for _, j := range b.jobs(queue.TranscriptIngest) {
		if j.ID == pipeline.CheckKey(b.tenant.ID, callID) {
			var m pipeline.IngestMessage
			require.NoError(b.t, json.Unmarshal(j.Body, &m))
			return m, j
		}
	}
	b.t.Fatalf("no transcript check for %s", callID)
	return pipeline.IngestMessage{}, queued{}
}

func TestCallEndedWithoutTranscript(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) { d.TranscriptWait = 30 * time.Minute })
	start, end := time.Date(2026, 3, 10, 14, 3, 0, 0, time.UTC), time.Date(2026, 3, 10, 14, 41, 0, 0, time.UTC)
	b.fake.AddCallRecord(graphtest.CallRecord{ID: "call-7", JoinURL: joinURL, OrganizerID: organizerID, Start: start, End: end})
	require.NoError(t, b.deliver(b.callEnded("call-7"), 1))
	require.NoError(t, b.deliver(b.callEnded("call-7"), 2), "redelivery changes nothing")

	mt := b.onlyMeeting()
	require.Equal(t, b.meeting+"|call-7", mt.ExternalID)
	require.Equal(t, store.MeetingAwaitingTranscript, mt.Status)
	require.Equal(t, "Budget stand-up", mt.Subject)
	require.Equal(t, start, mt.StartsAt.UTC(), "the call's actual times")
	require.Equal(t, end, mt.EndsAt.UTC())
	ev := b.events(mt.ID)
	require.Len(t, ev, 1)
	require.Equal(t, StageMeetingEnded, ev[0].Stage)
	require.Equal(t, store.OutcomeWaiting, ev[0].Outcome)

	check, j := b.checkOf("call-7")
	require.GreaterOrEqual(t, j.Scheduled.Sub(j.Created), 30*time.Minute-time.Second)
	require.Len(t, b.jobs(queue.TranscriptIngest), 1, "one check despite the redelivery")

	// The wait is over and Graph has no transcript of call-7 (only call-1's).
	require.NoError(t, b.deliver(check, 1))
	mt = b.onlyMeeting()
	require.Equal(t, store.MeetingNoTranscript, mt.Status)
	require.Contains(t, mt.StatusDetail, "Turn on transcription")
	require.Contains(t, mt.StatusDetail, "upload a transcript")

	// A transcript of that call turns up after all: it attaches to the same occurrence.
	require.True(t, b.fake.AddTranscript(organizerID, b.meeting, graphtest.Transcript{ID: "tr-late", CallID: "call-7", VTT: b.vtt}))
	require.NoError(t, b.deliver(b.msg("tr-late", "call-7"), 1))
	late := b.onlyMeeting()
	require.Equal(t, mt.ID, late.ID)
	require.Equal(t, store.MeetingTranscriptReceived, late.Status)
	require.Equal(t, start, late.StartsAt.UTC(), "the call's actual times survive the transcript's upsert")
	require.Len(t, b.jobs(queue.MinutesGenerate), 1)
}

func TestCallEndedCheckFindsAMissedTranscript(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.AddCallRecord(graphtest.CallRecord{ID: "call-1", JoinURL: joinURL, OrganizerID: organizerID,
		Start: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 14, 30, 0, 0, time.UTC)})
	require.NoError(t, b.deliver(b.callEnded("call-1"), 1))
	check, _ := b.checkOf("call-1")
	// Graph has tr-1 of call-1, but its notification never came.
	require.NoError(t, b.deliver(check, 1))
	var sent pipeline.IngestMessage
	found := false
	for _, j := range b.jobs(queue.TranscriptIngest) {
		if j.ID == pipeline.TranscriptKey(b.tenant.AzureTenantID.String(), "tr-1") {
			require.NoError(t, json.Unmarshal(j.Body, &sent))
			found = true
		}
	}
	require.True(t, found, "sent under the notification's dedupe key")
	require.NoError(t, b.deliver(sent, 1))
	require.Equal(t, store.MeetingTranscriptReceived, b.onlyMeeting().Status)
}

func TestCallEndedTranscriptFirst(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.deliver(b.msg("tr-1", "call-1"), 1))
	b.fake.AddCallRecord(graphtest.CallRecord{ID: "call-1", JoinURL: joinURL, OrganizerID: organizerID})
	require.NoError(t, b.deliver(b.callEnded("call-1"), 1))
	require.Equal(t, store.MeetingTranscriptReceived, b.onlyMeeting().Status, "the late call record does not step back")
	require.Empty(t, b.jobs(queue.TranscriptIngest), "no check needed")
}

func TestCallEndedIgnoresCallsThatAreNotMeetings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.AddCallRecord(graphtest.CallRecord{ID: "p2p", Type: "peerToPeer", OrganizerID: organizerID})
	b.fake.AddCallRecord(graphtest.CallRecord{ID: "other-link", JoinURL: "https://teams.microsoft.com/l/meetup-join/unknown", OrganizerID: organizerID})
	for _, id := range []string{"p2p", "other-link", "missing"} {
		require.NoError(t, b.deliver(b.callEnded(id), 1), id)
	}
	require.Empty(t, b.meetings())
	require.Empty(t, b.jobs(queue.TranscriptIngest))
}

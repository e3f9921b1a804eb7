package portal_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/store"
)

// TestPipelineProgressIsShown: an open alert is on the meetings list (its steps for admins
// only), and a meeting's timeline is on its page; another tenant sees neither.
func TestPipelineProgressIsShown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	st := b.a.Store
	_, _, err := st.RaiseAlert(ctx, pipeline.AlertFor(pipeline.AlertTranscriptAPI, "app-id"))
	require.NoError(t, err)
	require.NoError(t, st.AddMeetingEvent(ctx, store.MeetingEventInput{MeetingID: b.a.Meeting.ID, Stage: "transcript_fetch",
		Outcome: store.OutcomeRetry, Detail: "Teams has not made the transcript available yet; attempt 1, next in 2m0s"}))
	require.NoError(t, st.AddMeetingEvent(ctx, store.MeetingEventInput{MeetingID: b.a.Meeting.ID, Stage: "transcript_stored",
		Outcome: store.OutcomeOK, Detail: "4 cues, 2 speakers"}))

	admin := b.get(t, b.as(t, b.a, b.a.Admin), "/api/app/meetings").text()
	require.Contains(t, admin, "Turn on Transcript API access in Teams")
	require.Contains(t, admin, "Set-CsTeamsMeetingConfiguration -EnableGraphTranscriptAccess $true")

	member := b.get(t, b.as(t, b.a, b.a.Member), "/api/app/meetings").text()
	require.Contains(t, member, "Turn on Transcript API access in Teams")
	require.Contains(t, member, "An administrator of your organisation has been told")
	require.NotContains(t, member, "Set-CsTeamsMeetingConfiguration")

	page := b.get(t, b.as(t, b.a, b.a.Member), "/api/app/meetings/"+b.a.Meeting.ID.String()).text()
	require.Contains(t, page, "Progress")
	require.Contains(t, page, "Transcript download: will retry")
	require.Contains(t, page, "attempt 1, next in 2m0s")
	require.Contains(t, page, "Transcript received: done")

	other := b.get(t, b.as(t, b.b, b.b.Admin), "/api/app/meetings").text()
	require.NotContains(t, other, "Transcript API access")
	require.Equal(t, 404, b.get(t, b.as(t, b.b, b.b.Admin), "/api/app/meetings/"+b.a.Meeting.ID.String()).StatusCode)
}

package store_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
)

func TestMeetingEvents(t *testing.T) {
	t.Parallel()

	t.Run("timeline in order, long detail cut, not refused", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		m := createMeeting(t, st, nil)
		require.NoError(t, st.AddMeetingEvent(b.ctx, store.MeetingEventInput{MeetingID: m.ID, Stage: "transcript_fetch", Outcome: store.OutcomeRetry, Detail: "not available yet"}))
		require.NoError(t, st.AddMeetingEvent(b.ctx, store.MeetingEventInput{MeetingID: m.ID, Stage: "transcript_stored", Outcome: store.OutcomeOK, Detail: strings.Repeat("é", 5000)}))
		ev, err := st.MeetingEvents(b.ctx, m.ID)
		require.NoError(t, err)
		require.Len(t, ev, 2)
		require.Equal(t, "transcript_fetch", ev[0].Stage)
		require.Equal(t, store.OutcomeRetry, ev[0].Outcome)
		require.Equal(t, "transcript_stored", ev[1].Stage)
		require.Len(t, []rune(ev[1].Detail), 2000)
	})

	t.Run("bad input refused", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		m := createMeeting(t, st, nil)
		for _, in := range []store.MeetingEventInput{
			{MeetingID: m.ID, Stage: "Bad Stage", Outcome: store.OutcomeOK},
			{MeetingID: m.ID, Stage: "ok", Outcome: "maybe"},
			{Stage: "ok", Outcome: store.OutcomeOK},
		} {
			requireErrorIs(t, st.AddMeetingEvent(b.ctx, in), store.ErrInvalid)
		}
	})

	t.Run("another tenant's meeting is not found", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		m := createMeeting(t, st, nil)
		_, other := b.newTenant(t)
		requireErrorIs(t, other.AddMeetingEvent(b.ctx, store.MeetingEventInput{MeetingID: m.ID, Stage: "x", Outcome: store.OutcomeOK}), store.ErrNotFound)
		_, err := other.MeetingEvents(b.ctx, m.ID)
		requireErrorIs(t, err, store.ErrNotFound)
	})
}

func TestTranscriptFetch(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	m := createMeeting(t, st, nil)

	_, err := st.TranscriptFetch(b.ctx, "tr-1")
	requireErrorIs(t, err, store.ErrNotFound)

	f, err := st.NoteTranscriptFetch(b.ctx, store.TranscriptFetchInput{ExternalID: "tr-1", Status: store.FetchRetrying, CountAttempt: true, Error: "404"})
	require.NoError(t, err)
	require.Equal(t, 1, f.Attempts)
	require.True(t, f.MeetingID.IsZero())
	f2, err := st.NoteTranscriptFetch(b.ctx, store.TranscriptFetchInput{ExternalID: "tr-1", MeetingID: m.ID, Status: store.FetchRetrying, CountAttempt: true, Error: "404 again"})
	require.NoError(t, err)
	require.Equal(t, 2, f2.Attempts)
	require.Equal(t, m.ID, f2.MeetingID)
	require.Equal(t, f.FirstAttemptAt, f2.FirstAttemptAt)
	// An outcome without an attempt keeps the count and the meeting, clears the error.
	f3, err := st.NoteTranscriptFetch(b.ctx, store.TranscriptFetchInput{ExternalID: "tr-1", Status: store.FetchStored})
	require.NoError(t, err)
	require.Equal(t, 2, f3.Attempts)
	require.Equal(t, m.ID, f3.MeetingID)
	require.Equal(t, store.FetchStored, f3.Status)
	require.Empty(t, f3.LastError)

	// A meeting id that does not exist is recorded as unknown, not a failure.
	missing, _ := store.ParseMeetingID(uuid.NewString())
	f4, err := st.NoteTranscriptFetch(b.ctx, store.TranscriptFetchInput{ExternalID: "tr-2", MeetingID: missing, Status: store.FetchBlocked, Error: strings.Repeat("x", 9000)})
	require.NoError(t, err)
	require.True(t, f4.MeetingID.IsZero())
	require.Len(t, f4.LastError, 2000+len("…")-1)

	_, other := b.newTenant(t)
	_, err = other.TranscriptFetch(b.ctx, "tr-1")
	requireErrorIs(t, err, store.ErrNotFound)

	_, err = st.NoteTranscriptFetch(b.ctx, store.TranscriptFetchInput{ExternalID: "", Status: store.FetchStored})
	requireErrorIs(t, err, store.ErrInvalid)
	_, err = st.NoteTranscriptFetch(b.ctx, store.TranscriptFetchInput{ExternalID: "x", Status: "done"})
	requireErrorIs(t, err, store.ErrInvalid)
}

func TestTranscriptByExternalID(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	m := createMeeting(t, st, nil)
	tr := createTranscript(t, st, m.ID, &transcriptOpts{ExternalID: "graph-tr"})
	got, err := st.TranscriptByExternalID(b.ctx, "graph-tr")
	require.NoError(t, err)
	require.Equal(t, tr, got)
	_, other := b.newTenant(t)
	_, err = other.TranscriptByExternalID(b.ctx, "graph-tr")
	requireErrorIs(t, err, store.ErrNotFound)
}

func TestAlerts(t *testing.T) {
	t.Parallel()

	t.Run("told once per opening, even when raised concurrently", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		in := store.AlertInput{Kind: "transcript_api_disabled", Title: "Turn on Transcript API access", Detail: "Set-CsTeamsMeetingConfiguration ..."}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			notices int
		)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, notify, err := st.RaiseAlert(b.ctx, in)
				require.NoError(t, err)
				if notify {
					mu.Lock()
					notices++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		require.Equal(t, 1, notices)
		open, err := st.OpenAlerts(b.ctx)
		require.NoError(t, err)
		require.Len(t, open, 1)
		require.Equal(t, 8, open[0].Occurrences)
		require.NotNil(t, open[0].NotifiedAt)

		// Resolved, then broken again: a new opening, told again.
		resolved, err := st.ResolveAlert(b.ctx, in.Kind)
		require.NoError(t, err)
		require.True(t, resolved)
		resolved, err = st.ResolveAlert(b.ctx, in.Kind)
		require.NoError(t, err)
		require.False(t, resolved)
		open, err = st.OpenAlerts(b.ctx)
		require.NoError(t, err)
		require.Empty(t, open)
		a, notify, err := st.RaiseAlert(b.ctx, in)
		require.NoError(t, err)
		require.True(t, notify)
		require.Equal(t, 1, a.Occurrences)
	})

	t.Run("a failed notice is retried by the next raise", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		in := store.AlertInput{Kind: "application_access_policy", Title: "Grant the access policy"}
		_, notify, err := st.RaiseAlert(b.ctx, in)
		require.NoError(t, err)
		require.True(t, notify)
		require.NoError(t, st.AlertNoticeFailed(b.ctx, in.Kind))
		_, notify, err = st.RaiseAlert(b.ctx, in)
		require.NoError(t, err)
		require.True(t, notify)
		_, notify, err = st.RaiseAlert(b.ctx, in)
		require.NoError(t, err)
		require.False(t, notify)
	})

	t.Run("isolated and validated", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		_, _, err := st.RaiseAlert(b.ctx, store.AlertInput{Kind: "k", Title: "t"})
		require.NoError(t, err)
		_, other := b.newTenant(t)
		open, err := other.OpenAlerts(b.ctx)
		require.NoError(t, err)
		require.Empty(t, open)
		resolved, err := other.ResolveAlert(b.ctx, "k")
		require.NoError(t, err)
		require.False(t, resolved)
		_, _, err = st.RaiseAlert(b.ctx, store.AlertInput{Kind: "Bad-Kind", Title: "t"})
		requireErrorIs(t, err, store.ErrInvalid)
		_, _, err = st.RaiseAlert(b.ctx, store.AlertInput{Kind: "k"})
		requireErrorIs(t, err, store.ErrInvalid)
	})
}

func TestMeetingByExternalID(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	m, _, err := st.UpsertMeeting(b.ctx, store.MeetingInput{Source: store.SourceGraph, ExternalID: "mtg|call-1", Subject: "Weekly"})
	require.NoError(t, err)
	got, err := st.MeetingByExternalID(b.ctx, store.SourceGraph, "mtg|call-1")
	require.NoError(t, err)
	require.Equal(t, m.ID, got.ID)
	_, err = st.MeetingByExternalID(b.ctx, store.SourceUpload, "mtg|call-1")
	requireErrorIs(t, err, store.ErrNotFound)
	_, other := b.newTenant(t)
	_, err = other.MeetingByExternalID(b.ctx, store.SourceGraph, "mtg|call-1")
	requireErrorIs(t, err, store.ErrNotFound)
}

package store_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
)

func TestAddTranscript(t *testing.T) {
	t.Parallel()

	t.Run("creates then is idempotent on external id; first write wins", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		m := createMeeting(t, st, nil)
		in := store.TranscriptInput{
			MeetingID: m.ID, ExternalID: "tr-1", Format: store.FormatVTT, BlobPath: "tenants/t/meetings/m/transcript.vtt",
			ContentSHA256: sha256.Sum256([]byte("WEBVTT")), SizeBytes: 6, Language: "en-GB",
			CueCount: 12, SpeakerCount: 3, WordCount: 456, Duration: 42*time.Minute + 1500*time.Millisecond,
		}
		tr, created, err := st.AddTranscript(b.ctx, in)
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, m.ID, tr.MeetingID)
		require.Equal(t, in.ContentSHA256, tr.ContentSHA256)
		require.Equal(t, in.Duration, tr.Duration)
		require.Equal(t, 456, tr.WordCount)
		require.Equal(t, "en-GB", tr.Language)

		in.SizeBytes = 999 // a redelivery with different details
		again, created, err := st.AddTranscript(b.ctx, in)
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, tr, again)

		got, err := st.Transcript(b.ctx, tr.ID)
		require.NoError(t, err)
		require.Equal(t, tr, got)
	})

	t.Run("external id of another meeting is a conflict", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		m1, m2 := createMeeting(t, st, nil), createMeeting(t, st, nil)
		createTranscript(t, st, m1.ID, &transcriptOpts{ExternalID: "shared"})
		_, _, err := st.AddTranscript(b.ctx, store.TranscriptInput{
			MeetingID: m2.ID, ExternalID: "shared", Format: store.FormatVTT, BlobPath: "p",
		})
		requireErrorIs(t, err, store.ErrConflict)
	})

	t.Run("missing meeting is not found", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		missing, _ := store.ParseMeetingID(uuid.NewString())
		_, _, err := st.AddTranscript(b.ctx, store.TranscriptInput{
			MeetingID: missing, ExternalID: "x", Format: store.FormatVTT, BlobPath: "p",
		})
		requireErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("refuses invalid input", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		m := createMeeting(t, st, nil)
		ok := store.TranscriptInput{MeetingID: m.ID, ExternalID: "x", Format: store.FormatTXT, BlobPath: "p"}
		cases := []struct {
			name   string
			modify func(*store.TranscriptInput)
		}{
			{"no meeting", func(in *store.TranscriptInput) { in.MeetingID = store.MeetingID{} }},
			{"no external id", func(in *store.TranscriptInput) { in.ExternalID = "" }},
			{"unknown format", func(in *store.TranscriptInput) { in.Format = "pdf" }},
			{"no blob path", func(in *store.TranscriptInput) { in.BlobPath = "" }},
			{"negative size", func(in *store.TranscriptInput) { in.SizeBytes = -1 }},
		}
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				in := ok
				tt.modify(&in)
				_, _, err := st.AddTranscript(b.ctx, in)
				requireErrorIs(t, err, store.ErrInvalid)
			})
		}
	})
}

func TestTranscriptsForMeeting(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	m, empty, other := createMeeting(t, st, nil), createMeeting(t, st, nil), createMeeting(t, st, nil)
	t1 := createTranscript(t, st, m.ID, nil)
	t2 := createTranscript(t, st, m.ID, nil)
	createTranscript(t, st, other.ID, nil)

	t.Run("lists the meeting's transcripts oldest first", func(t *testing.T) {
		got, err := st.TranscriptsForMeeting(b.ctx, m.ID)
		require.NoError(t, err)
		require.Equal(t, []store.Transcript{t1, t2}, got)
	})
	t.Run("a meeting without transcripts lists none", func(t *testing.T) {
		got, err := st.TranscriptsForMeeting(b.ctx, empty.ID)
		require.NoError(t, err)
		require.NotNil(t, got)
		require.Empty(t, got)
	})
	t.Run("a missing meeting is not found", func(t *testing.T) {
		missing, _ := store.ParseMeetingID(uuid.NewString())
		_, err := st.TranscriptsForMeeting(b.ctx, missing)
		requireErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("a missing transcript is not found", func(t *testing.T) {
		missing, _ := store.ParseTranscriptID(uuid.NewString())
		_, err := st.Transcript(b.ctx, missing)
		requireErrorIs(t, err, store.ErrNotFound)
	})
}

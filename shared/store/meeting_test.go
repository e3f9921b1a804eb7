package store_test

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
)

func TestUpsertMeeting(t *testing.T) {
	t.Parallel()

	t.Run("creates then is idempotent on source and external id", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		in := store.MeetingInput{
			Source: store.SourceGraph, ExternalID: "om-1", CallID: "call-1", Subject: "Standup",
			OrganizerID: "org-1", OrganizerName: "Ada", OrganizerEmail: "ada@example.com",
			StartsAt: ptr(at(0)), EndsAt: ptr(at(30 * time.Minute)),
			Participants: []store.Participant{{ExternalID: "p1", Name: "Ada", Email: "ada@example.com"}, {Name: "Guest"}},
		}
		m, created, err := st.UpsertMeeting(b.ctx, in)
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, store.MeetingEnded, m.Status)
		require.Equal(t, "call-1", m.CallID)
		require.Equal(t, in.Participants, m.Participants)
		require.True(t, m.StartsAt.Equal(at(0)))

		again, created, err := st.UpsertMeeting(b.ctx, in)
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, m, again, "replaying the same input changes nothing, updated_at included")

		got, err := st.Meeting(b.ctx, m.ID)
		require.NoError(t, err)
		require.Equal(t, m, got)
	})

	t.Run("replaces descriptive fields but never the status", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		m := createMeeting(t, st, &meetingOpts{ExternalID: "om-2", Subject: "old"})
		_, err := st.SetMeetingStatus(b.ctx, m.ID, store.MeetingGenerating, "busy")
		require.NoError(t, err)

		up, created, err := st.UpsertMeeting(b.ctx, store.MeetingInput{Source: store.SourceGraph, ExternalID: "om-2", Subject: "new"})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, m.ID, up.ID)
		require.Equal(t, "new", up.Subject)
		require.Equal(t, store.MeetingGenerating, up.Status)
		require.Equal(t, "busy", up.StatusDetail)
		require.True(t, up.UpdatedAt.After(m.UpdatedAt) || up.UpdatedAt.Equal(m.UpdatedAt))
		require.Empty(t, up.Participants)
		require.NotNil(t, up.Participants)
	})

	t.Run("same external id from another source is another meeting", func(t *testing.T) {
		t.Parallel()
		st, _ := setup(t)
		a := createMeeting(t, st, &meetingOpts{Source: store.SourceGraph, ExternalID: "x"})
		u := createMeeting(t, st, &meetingOpts{Source: store.SourceUpload, ExternalID: "x"})
		require.NotEqual(t, a.ID, u.ID)
	})

	t.Run("refuses invalid input", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		cases := []struct {
			name string
			in   store.MeetingInput
		}{
			{"unknown source", store.MeetingInput{Source: "zoom", ExternalID: "x"}},
			{"no external id", store.MeetingInput{Source: store.SourceGraph}},
			{"external id too long", store.MeetingInput{Source: store.SourceGraph, ExternalID: strings.Repeat("x", 1025)}},
			{"subject too long", store.MeetingInput{Source: store.SourceGraph, ExternalID: "y", Subject: strings.Repeat("s", 1001)}},
			{"NUL in subject", store.MeetingInput{Source: store.SourceGraph, ExternalID: "z", Subject: "a\x00b"}},
		}
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := st.UpsertMeeting(b.ctx, tt.in)
				requireErrorIs(t, err, store.ErrInvalid)
			})
		}
	})
}

func TestMeetingGetAndStatus(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	m := createMeeting(t, st, nil)
	missing, err := store.ParseMeetingID(uuid.NewString())
	require.NoError(t, err)

	t.Run("missing meeting is not found", func(t *testing.T) {
		_, err := st.Meeting(b.ctx, missing)
		requireErrorIs(t, err, store.ErrNotFound)
		_, err = st.SetMeetingStatus(b.ctx, missing, store.MeetingFailed, "")
		requireErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("sets status and detail", func(t *testing.T) {
		got, err := st.SetMeetingStatus(b.ctx, m.ID, store.MeetingOverQuota, "100 meetings this month")
		require.NoError(t, err)
		require.Equal(t, store.MeetingOverQuota, got.Status)
		require.Equal(t, "100 meetings this month", got.StatusDetail)
	})
	t.Run("unknown status is invalid", func(t *testing.T) {
		_, err := st.SetMeetingStatus(b.ctx, m.ID, "exploded", "")
		requireErrorIs(t, err, store.ErrInvalid)
	})
}

// uuidLess orders ids as PostgreSQL orders uuid values: byte by byte.
func uuidLess(a, b store.MeetingID) bool {
	x, y := a.UUID(), b.UUID()
	return bytes.Compare(x[:], y[:]) < 0
}

// wantOrder sorts meetings as ListMeetings must: starts_at DESC NULLS LAST, then id.
func wantOrder(ms []store.Meeting) []store.MeetingID {
	ms = append([]store.Meeting(nil), ms...)
	sort.Slice(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		switch {
		case a.StartsAt == nil && b.StartsAt == nil:
			return uuidLess(a.ID, b.ID)
		case a.StartsAt == nil:
			return false
		case b.StartsAt == nil:
			return true
		case !a.StartsAt.Equal(*b.StartsAt):
			return a.StartsAt.After(*b.StartsAt)
		default:
			return uuidLess(a.ID, b.ID)
		}
	})
	ids := make([]store.MeetingID, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}

func ids(ms []store.Meeting) []store.MeetingID {
	out := make([]store.MeetingID, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func TestListMeetings(t *testing.T) {
	t.Parallel()

	t.Run("keyset pages are stable and complete", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		var all []store.Meeting
		// Ties on starts_at (three per instant) and undated meetings exercise every branch of
		// the keyset condition.
		for i := range 18 {
			all = append(all, createMeeting(t, st, &meetingOpts{StartsAt: ptr(at(time.Duration(i/3) * time.Hour))}))
		}
		for range 5 {
			all = append(all, createMeeting(t, st, nil))
		}
		want := wantOrder(all)

		for _, size := range []int{1, 4, 7, 23, 50} {
			var got []store.MeetingID
			var cursor store.MeetingCursor
			for page := 0; ; page++ {
				require.Less(t, page, 30, "pagination does not end")
				ms, err := st.ListMeetings(b.ctx, store.ListMeetingsParams{Limit: size, Before: cursor})
				require.NoError(t, err)
				got = append(got, ids(ms)...)
				if len(ms) < size {
					break
				}
				// Round-trip the cursor through its token, as a page link would.
				cursor, err = store.ParseMeetingCursor(ms[len(ms)-1].Cursor().String())
				require.NoError(t, err)
				if page == 1 {
					// A meeting added mid-way sorts before the cursor: later pages are unchanged.
					all = append(all, createMeeting(t, st, &meetingOpts{StartsAt: ptr(at(48 * time.Hour))}))
				}
			}
			require.Equal(t, want, got, "page size %d", size)
			want = wantOrder(all)
		}
	})

	t.Run("filters by status", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		m1 := createMeeting(t, st, nil)
		createMeeting(t, st, nil)
		_, err := st.SetMeetingStatus(b.ctx, m1.ID, store.MeetingPublished, "")
		require.NoError(t, err)
		ms, err := st.ListMeetings(b.ctx, store.ListMeetingsParams{Status: store.MeetingPublished})
		require.NoError(t, err)
		require.Equal(t, []store.MeetingID{m1.ID}, ids(ms))

		_, err = st.ListMeetings(b.ctx, store.ListMeetingsParams{Status: "nope"})
		requireErrorIs(t, err, store.ErrInvalid)
	})

	t.Run("limit defaults, clamps and refuses negatives", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		// One transaction: 201 separate ones would be slow.
		require.NoError(t, st.Tx(b.ctx, func(tx store.Store) error {
			for range store.MaxLimit + 1 {
				if _, _, err := tx.UpsertMeeting(b.ctx, store.MeetingInput{Source: store.SourceUpload, ExternalID: uuid.NewString()}); err != nil {
					return err
				}
			}
			return nil
		}))
		cases := []struct {
			limit int
			want  int
		}{{0, store.DefaultLimit}, {3, 3}, {store.MaxLimit + 50, store.MaxLimit}}
		for _, tt := range cases {
			ms, err := st.ListMeetings(b.ctx, store.ListMeetingsParams{Limit: tt.limit})
			require.NoError(t, err)
			require.Len(t, ms, tt.want, "limit %d", tt.limit)
		}
		_, err := st.ListMeetings(b.ctx, store.ListMeetingsParams{Limit: -1})
		requireErrorIs(t, err, store.ErrInvalid)
	})

	t.Run("empty tenant lists nothing", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		ms, err := st.ListMeetings(b.ctx, store.ListMeetingsParams{})
		require.NoError(t, err)
		require.NotNil(t, ms)
		require.Empty(t, ms)
	})
}

package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
)

func actionIDs(items []store.ActionItem) []store.ActionItemID {
	out := make([]store.ActionItemID, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func TestReplaceActionItems(t *testing.T) {
	t.Parallel()

	t.Run("replaces a version's items in order", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		owner := createUser(t, st, nil)
		m := createMeeting(t, st, nil)
		mins := createMinutes(t, st, m.ID, nil)
		due := time.Date(2026, 3, 9, 23, 30, 0, 0, time.FixedZone("UTC+5", 5*3600))
		items, err := st.ReplaceActionItems(b.ctx, mins.ID, []store.ActionItemInput{
			{Task: "Write the plan", OwnerUserID: owner.ID, OwnerName: "Ada", DueDate: &due,
				SourceQuote: "I'll write the plan", SourceOffset: ptr(90*time.Second + 250*time.Millisecond), Verified: true},
			{Task: "Book the room", OwnerName: "Bob", OwnerEmail: "bob@example.com"},
		})
		require.NoError(t, err)
		require.Len(t, items, 2)
		first := items[0]
		require.Equal(t, "Write the plan", first.Task)
		require.Equal(t, mins.ID, first.MinutesID)
		require.Equal(t, m.ID, first.MeetingID, "the meeting comes from the minutes, not the caller")
		require.Equal(t, owner.ID, first.OwnerUserID)
		require.Equal(t, store.ActionOpen, first.Status)
		require.Equal(t, "2026-03-09", first.DueDate.Format(time.DateOnly), "the date as the caller saw it")
		require.Equal(t, 90*time.Second+250*time.Millisecond, *first.SourceOffset)
		require.True(t, first.Verified)
		require.Nil(t, items[1].DueDate)
		require.Nil(t, items[1].SourceOffset)
		require.True(t, items[1].OwnerUserID.IsZero())

		got, err := st.ActionItem(b.ctx, first.ID)
		require.NoError(t, err)
		require.Equal(t, first, got)

		again, err := st.ReplaceActionItems(b.ctx, mins.ID, []store.ActionItemInput{{Task: "Only this"}})
		require.NoError(t, err)
		listed, err := st.ActionItems(b.ctx, store.ActionItemFilter{MinutesID: mins.ID})
		require.NoError(t, err)
		require.Equal(t, again, listed)
		_, err = st.ActionItem(b.ctx, first.ID)
		requireErrorIs(t, err, store.ErrNotFound)

		none, err := st.ReplaceActionItems(b.ctx, mins.ID, nil)
		require.NoError(t, err)
		require.Empty(t, none)
	})

	t.Run("only a draft or pending version's items change", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		mins := createMinutes(t, st, createMeeting(t, st, nil).ID, nil)
		kept, err := st.ReplaceActionItems(b.ctx, mins.ID, []store.ActionItemInput{{Task: "keep me"}})
		require.NoError(t, err)
		_, err = st.DecideMinutes(b.ctx, mins.ID, store.DecideParams{Status: store.MinutesApproved, At: at(0)})
		require.NoError(t, err)
		_, err = st.ReplaceActionItems(b.ctx, mins.ID, []store.ActionItemInput{{Task: "sneaky"}})
		requireErrorIs(t, err, store.ErrConflict)
		listed, err := st.ActionItems(b.ctx, store.ActionItemFilter{MinutesID: mins.ID})
		require.NoError(t, err)
		require.Equal(t, kept, listed)
	})

	t.Run("refuses invalid items and leaves the old ones", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		mins := createMinutes(t, st, createMeeting(t, st, nil).ID, nil)
		kept, err := st.ReplaceActionItems(b.ctx, mins.ID, []store.ActionItemInput{{Task: "keep me"}})
		require.NoError(t, err)
		_, other := b.newTenant(t)
		foreign := createUser(t, other, nil)
		cases := []struct {
			name  string
			items []store.ActionItemInput
		}{
			{"empty task", []store.ActionItemInput{{Task: "ok"}, {Task: ""}}},
			{"task too long", []store.ActionItemInput{{Task: strings.Repeat("t", 2001)}}},
			{"negative offset", []store.ActionItemInput{{Task: "t", SourceOffset: ptr(-time.Second)}}},
			{"owner of another tenant", []store.ActionItemInput{{Task: "ok"}, {Task: "t", OwnerUserID: foreign.ID}}},
			{"too many", make([]store.ActionItemInput, 501)},
		}
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				_, err := st.ReplaceActionItems(b.ctx, mins.ID, tt.items)
				requireErrorIs(t, err, store.ErrInvalid)
				listed, err := st.ActionItems(b.ctx, store.ActionItemFilter{MinutesID: mins.ID})
				require.NoError(t, err)
				require.Equal(t, kept, listed)
			})
		}
	})

	t.Run("missing minutes are not found", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		missing, _ := store.ParseMinutesID(uuid.NewString())
		_, err := st.ReplaceActionItems(b.ctx, missing, []store.ActionItemInput{{Task: "t"}})
		requireErrorIs(t, err, store.ErrNotFound)
	})
}

func TestActionItems(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	ada, bob := createUser(t, st, nil), createUser(t, st, nil)
	m1, m2 := createMeeting(t, st, nil), createMeeting(t, st, nil)
	old := createMinutes(t, st, m1.ID, nil)
	oldItems, err := st.ReplaceActionItems(b.ctx, old.ID, []store.ActionItemInput{{Task: "superseded", OwnerUserID: ada.ID}})
	require.NoError(t, err)
	cur := createMinutes(t, st, m1.ID, nil)
	day := func(d int) *time.Time { return ptr(time.Date(2026, 4, d, 0, 0, 0, 0, time.UTC)) }
	curItems, err := st.ReplaceActionItems(b.ctx, cur.ID, []store.ActionItemInput{
		{Task: "ada late", OwnerUserID: ada.ID, DueDate: day(20)},
		{Task: "ada undated", OwnerUserID: ada.ID},
		{Task: "bob early", OwnerUserID: bob.ID, DueDate: day(2)},
	})
	require.NoError(t, err)
	m2Items, err := st.ReplaceActionItems(b.ctx, createMinutes(t, st, m2.ID, nil).ID, []store.ActionItemInput{
		{Task: "ada m2", OwnerUserID: ada.ID, DueDate: day(10)},
	})
	require.NoError(t, err)
	done, err := st.SetActionItemStatus(b.ctx, curItems[0].ID, store.ActionDone)
	require.NoError(t, err)
	curItems[0] = done

	cases := []struct {
		name string
		f    store.ActionItemFilter
		want []store.ActionItem
	}{
		{"all current, by due date then creation", store.ActionItemFilter{},
			[]store.ActionItem{curItems[2], m2Items[0], curItems[0], curItems[1]}},
		{"by owner", store.ActionItemFilter{OwnerUserID: ada.ID}, []store.ActionItem{m2Items[0], curItems[0], curItems[1]}},
		{"by owner and status", store.ActionItemFilter{OwnerUserID: ada.ID, Status: store.ActionOpen}, []store.ActionItem{m2Items[0], curItems[1]}},
		{"by meeting", store.ActionItemFilter{MeetingID: m2.ID}, m2Items},
		{"a superseded version when named", store.ActionItemFilter{MinutesID: old.ID}, oldItems},
		{"limited", store.ActionItemFilter{Limit: 1}, curItems[2:3]},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := st.ActionItems(b.ctx, tt.f)
			require.NoError(t, err)
			require.Equal(t, actionIDs(tt.want), actionIDs(got))
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("refuses a bad status or limit", func(t *testing.T) {
		_, err := st.ActionItems(b.ctx, store.ActionItemFilter{Status: "later"})
		requireErrorIs(t, err, store.ErrInvalid)
		_, err = st.ActionItems(b.ctx, store.ActionItemFilter{Limit: -5})
		requireErrorIs(t, err, store.ErrInvalid)
	})
}

func TestSetActionItemStatus(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	mins := createMinutes(t, st, createMeeting(t, st, nil).ID, nil)
	items, err := st.ReplaceActionItems(b.ctx, mins.ID, []store.ActionItemInput{{Task: "t"}})
	require.NoError(t, err)
	id := items[0].ID

	done, err := st.SetActionItemStatus(b.ctx, id, store.ActionDone)
	require.NoError(t, err)
	require.Equal(t, store.ActionDone, done.Status)
	require.NotNil(t, done.CompletedAt)
	again, err := st.SetActionItemStatus(b.ctx, id, store.ActionDone)
	require.NoError(t, err)
	require.Equal(t, done.CompletedAt, again.CompletedAt, "done again keeps the first completion")
	reopened, err := st.SetActionItemStatus(b.ctx, id, store.ActionOpen)
	require.NoError(t, err)
	require.Nil(t, reopened.CompletedAt)

	_, err = st.SetActionItemStatus(b.ctx, id, "someday")
	requireErrorIs(t, err, store.ErrInvalid)
	missing, _ := store.ParseActionItemID(uuid.NewString())
	_, err = st.SetActionItemStatus(b.ctx, missing, store.ActionDone)
	requireErrorIs(t, err, store.ErrNotFound)
}

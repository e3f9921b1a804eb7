package store_test

import (
	"encoding/json"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
)

func TestCanTransition(t *testing.T) {
	t.Parallel()
	all := []store.MinutesStatus{store.MinutesDraft, store.MinutesPendingApproval, store.MinutesApproved,
		store.MinutesRejected, store.MinutesPublished, store.MinutesFailed}
	allowed := map[[2]store.MinutesStatus]bool{
		{store.MinutesDraft, store.MinutesPendingApproval}:    true,
		{store.MinutesDraft, store.MinutesApproved}:           true,
		{store.MinutesDraft, store.MinutesRejected}:           true,
		{store.MinutesDraft, store.MinutesPublished}:          true,
		{store.MinutesDraft, store.MinutesFailed}:             true,
		{store.MinutesPendingApproval, store.MinutesApproved}: true,
		{store.MinutesPendingApproval, store.MinutesRejected}: true,
		{store.MinutesApproved, store.MinutesPublished}:       true,
	}
	for _, from := range append(all, "bogus") {
		for _, to := range append(all, "bogus") {
			t.Run(string(from)+"→"+string(to), func(t *testing.T) {
				require.Equal(t, allowed[[2]store.MinutesStatus{from, to}], store.CanTransition(from, to))
			})
		}
	}
}

func TestAddMinutesVersion(t *testing.T) {
	t.Parallel()

	t.Run("numbers versions per meeting from 1", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		m, other := createMeeting(t, st, nil), createMeeting(t, st, nil)
		tr := createTranscript(t, st, m.ID, nil)
		tpl := createTemplate(t, st, nil)
		u := createUser(t, st, nil)

		content := json.RawMessage(`{"title": "Standup", "decisions": [{"text": "ship it"}]}`)
		v1, err := st.AddMinutesVersion(b.ctx, store.MinutesInput{
			MeetingID: m.ID, TranscriptID: tr.ID, Content: content, Generator: "offline", TemplateID: tpl.ID,
		})
		require.NoError(t, err)
		require.Equal(t, 1, v1.Version)
		require.Equal(t, store.MinutesDraft, v1.Status)
		require.JSONEq(t, string(content), string(v1.Content))
		require.Equal(t, tr.ID, v1.TranscriptID)
		require.Equal(t, tpl.ID, v1.TemplateID)
		require.True(t, v1.CreatedBy.IsZero())
		require.Nil(t, v1.DecidedAt)

		v2 := createMinutes(t, st, m.ID, &minutesOpts{Creator: u.ID, Status: store.MinutesPendingApproval})
		require.Equal(t, 2, v2.Version)
		require.Equal(t, u.ID, v2.CreatedBy)
		require.Equal(t, 1, createMinutes(t, st, other.ID, nil).Version, "versions count per meeting")

		latest, err := st.LatestMinutes(b.ctx, m.ID)
		require.NoError(t, err)
		require.Equal(t, v2, latest)
		got, err := st.Minutes(b.ctx, v1.ID)
		require.NoError(t, err)
		require.Equal(t, v1, got)
		history, err := st.MinutesHistory(b.ctx, m.ID)
		require.NoError(t, err)
		require.Equal(t, []store.Minutes{v2, v1}, history)
	})

	t.Run("concurrent adds get distinct versions 1 to 10", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		m := createMeeting(t, st, nil)
		// A pool of its own, so all ten really run at once.
		cfg, err := pgxpool.ParseConfig(b.db.AppURL)
		require.NoError(t, err)
		cfg.MaxConns = 10
		pool, err := pgxpool.NewWithConfig(b.ctx, cfg)
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		st, err = store.NewManagedResolver(pool).For(b.ctx, b.tenant)
		require.NoError(t, err)

		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			versions []int
			errs     []error
			start    = make(chan struct{})
		)
		for range 10 {
			wg.Go(func() {
				<-start
				v, err := st.AddMinutesVersion(b.ctx, store.MinutesInput{MeetingID: m.ID, Content: json.RawMessage(`{}`)})
				mu.Lock()
				defer mu.Unlock()
				errs = append(errs, err)
				versions = append(versions, v.Version)
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		sort.Ints(versions)
		require.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, versions)
	})

	t.Run("refuses invalid input", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		m := createMeeting(t, st, nil)
		_, other := b.newTenant(t)
		foreignUser := createUser(t, other, nil)
		elsewhere := createTranscript(t, st, createMeeting(t, st, nil).ID, nil)
		cases := []struct {
			name string
			in   store.MinutesInput
		}{
			{"no meeting", store.MinutesInput{Content: json.RawMessage(`{}`)}},
			{"content not JSON", store.MinutesInput{MeetingID: m.ID, Content: json.RawMessage(`{`)}},
			{"content an array", store.MinutesInput{MeetingID: m.ID, Content: json.RawMessage(`[]`)}},
			{"content missing", store.MinutesInput{MeetingID: m.ID}},
			{"initial status approved", store.MinutesInput{MeetingID: m.ID, Content: json.RawMessage(`{}`), Status: store.MinutesApproved}},
			{"transcript of another meeting", store.MinutesInput{MeetingID: m.ID, Content: json.RawMessage(`{}`), TranscriptID: elsewhere.ID}},
			{"author of another tenant", store.MinutesInput{MeetingID: m.ID, Content: json.RawMessage(`{}`), CreatedBy: foreignUser.ID}},
		}
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				_, err := st.AddMinutesVersion(b.ctx, tt.in)
				requireErrorIs(t, err, store.ErrInvalid)
			})
		}
	})

	t.Run("missing meeting is not found; meeting without minutes has no latest", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		missing, _ := store.ParseMeetingID(uuid.NewString())
		_, err := st.AddMinutesVersion(b.ctx, store.MinutesInput{MeetingID: missing, Content: json.RawMessage(`{}`)})
		requireErrorIs(t, err, store.ErrNotFound)
		_, err = st.MinutesHistory(b.ctx, missing)
		requireErrorIs(t, err, store.ErrNotFound)

		m := createMeeting(t, st, nil)
		_, err = st.LatestMinutes(b.ctx, m.ID)
		requireErrorIs(t, err, store.ErrNotFound)
		history, err := st.MinutesHistory(b.ctx, m.ID)
		require.NoError(t, err)
		require.Empty(t, history)
	})
}

func TestDecideMinutes(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	approver := createUser(t, st, &userOpts{Role: store.RoleApprover})

	// reach returns minutes of a fresh meeting moved along path.
	reach := func(t *testing.T, path ...store.MinutesStatus) store.Minutes {
		t.Helper()
		mins := createMinutes(t, st, createMeeting(t, st, nil).ID, nil)
		for i, s := range path {
			var err error
			mins, err = st.DecideMinutes(b.ctx, mins.ID, store.DecideParams{Status: s, By: approver.ID, At: at(time.Duration(i) * time.Minute)})
			require.NoError(t, err)
		}
		return mins
	}

	cases := []struct {
		name string
		path []store.MinutesStatus
		to   store.MinutesStatus
		want error
	}{
		{"approve a draft", nil, store.MinutesApproved, nil},
		{"submit a draft", nil, store.MinutesPendingApproval, nil},
		{"approve pending", []store.MinutesStatus{store.MinutesPendingApproval}, store.MinutesApproved, nil},
		{"reject pending", []store.MinutesStatus{store.MinutesPendingApproval}, store.MinutesRejected, nil},
		{"publish approved", []store.MinutesStatus{store.MinutesApproved}, store.MinutesPublished, nil},
		{"publish a draft (no approval required)", nil, store.MinutesPublished, nil},
		{"fail a draft", nil, store.MinutesFailed, nil},
		{"approve rejected", []store.MinutesStatus{store.MinutesRejected}, store.MinutesApproved, store.ErrConflict},
		{"approve published", []store.MinutesStatus{store.MinutesApproved, store.MinutesPublished}, store.MinutesApproved, store.ErrConflict},
		{"approve approved", []store.MinutesStatus{store.MinutesApproved}, store.MinutesApproved, store.ErrConflict},
		{"publish published", []store.MinutesStatus{store.MinutesPublished}, store.MinutesPublished, store.ErrConflict},
		{"publish rejected", []store.MinutesStatus{store.MinutesRejected}, store.MinutesPublished, store.ErrConflict},
		{"publish pending", []store.MinutesStatus{store.MinutesPendingApproval}, store.MinutesPublished, store.ErrConflict},
		{"back to draft", []store.MinutesStatus{store.MinutesPendingApproval}, store.MinutesDraft, store.ErrConflict},
		{"revive failed", []store.MinutesStatus{store.MinutesFailed}, store.MinutesApproved, store.ErrConflict},
		{"unknown status", nil, "shredded", store.ErrInvalid},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := reach(t, tt.path...)
			decidedAt := at(time.Hour)
			got, err := st.DecideMinutes(b.ctx, before.ID, store.DecideParams{Status: tt.to, By: approver.ID, Reason: "because", At: decidedAt})
			if tt.want != nil {
				requireErrorIs(t, err, tt.want)
				after, err := st.Minutes(b.ctx, before.ID)
				require.NoError(t, err)
				require.Equal(t, before, after, "a refused decision changes nothing")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.to, got.Status)
			switch tt.to {
			case store.MinutesApproved, store.MinutesRejected:
				require.Equal(t, approver.ID, got.DecidedBy)
				require.True(t, got.DecidedAt.Equal(decidedAt))
			case store.MinutesPublished:
				require.True(t, got.PublishedAt.Equal(decidedAt))
			}
			if tt.to == store.MinutesRejected || tt.to == store.MinutesFailed {
				require.Equal(t, "because", got.DecisionReason)
			} else {
				require.Empty(t, got.DecisionReason)
			}
		})
	}

	t.Run("only the latest version can be decided", func(t *testing.T) {
		t.Parallel()
		m := createMeeting(t, st, nil)
		v1 := createMinutes(t, st, m.ID, nil)
		v2 := createMinutes(t, st, m.ID, nil)
		_, err := st.DecideMinutes(b.ctx, v1.ID, store.DecideParams{Status: store.MinutesApproved, At: at(0)})
		requireErrorIs(t, err, store.ErrConflict)
		got, err := st.DecideMinutes(b.ctx, v2.ID, store.DecideParams{Status: store.MinutesApproved, At: at(0)})
		require.NoError(t, err)
		require.True(t, got.DecidedBy.IsZero(), "the system approved")
	})

	t.Run("refuses a decision without a time or by another tenant's user", func(t *testing.T) {
		t.Parallel()
		mins := reach(t)
		_, err := st.DecideMinutes(b.ctx, mins.ID, store.DecideParams{Status: store.MinutesApproved})
		requireErrorIs(t, err, store.ErrInvalid)
		_, other := b.newTenant(t)
		foreign := createUser(t, other, nil)
		_, err = st.DecideMinutes(b.ctx, mins.ID, store.DecideParams{Status: store.MinutesApproved, By: foreign.ID, At: at(0)})
		requireErrorIs(t, err, store.ErrInvalid)
	})

	t.Run("missing minutes are not found", func(t *testing.T) {
		t.Parallel()
		missing, _ := store.ParseMinutesID(uuid.NewString())
		_, err := st.DecideMinutes(b.ctx, missing, store.DecideParams{Status: store.MinutesApproved, At: at(0)})
		requireErrorIs(t, err, store.ErrNotFound)
		_, err = st.Minutes(b.ctx, missing)
		requireErrorIs(t, err, store.ErrNotFound)
	})
}

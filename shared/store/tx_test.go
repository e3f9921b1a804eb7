package store_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestTx(t *testing.T) {
	t.Parallel()

	t.Run("commits several operations together", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		var mins store.Minutes
		err := st.Tx(b.ctx, func(tx store.Store) error {
			m, _, err := tx.UpsertMeeting(b.ctx, store.MeetingInput{Source: store.SourceUpload, ExternalID: "u1"})
			if err != nil {
				return err
			}
			if mins, err = tx.AddMinutesVersion(b.ctx, store.MinutesInput{MeetingID: m.ID, Content: json.RawMessage(`{}`)}); err != nil {
				return err
			}
			_, err = tx.ReplaceActionItems(b.ctx, mins.ID, []store.ActionItemInput{{Task: "t"}})
			return err
		})
		require.NoError(t, err)
		items, err := st.ActionItems(b.ctx, store.ActionItemFilter{MinutesID: mins.ID})
		require.NoError(t, err)
		require.Len(t, items, 1)
	})

	t.Run("rolls everything back on error and returns it unchanged", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		boom := errors.New("boom")
		err := st.Tx(b.ctx, func(tx store.Store) error {
			createMeeting(t, tx, nil)
			createUser(t, tx, nil)
			return boom
		})
		require.Same(t, boom, err)
		ms, err := st.ListMeetings(b.ctx, store.ListMeetingsParams{})
		require.NoError(t, err)
		require.Empty(t, ms)
		us, err := st.ListUsers(b.ctx, store.ListUsersParams{})
		require.NoError(t, err)
		require.Empty(t, us)
	})

	t.Run("a failed operation inside does not poison the transaction", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		existing := createUser(t, st, &userOpts{Email: "dup@example.com"})
		var u store.User
		err := st.Tx(b.ctx, func(tx store.Store) error {
			_, err := tx.CreateUser(b.ctx, store.UserInput{Email: "dup@example.com"})
			if !errors.Is(err, store.ErrConflict) {
				return errors.Join(errors.New("want a conflict"), err)
			}
			_, err = tx.UserByEmail(b.ctx, "nul\x00@example.com") // a read failing in PostgreSQL
			if !errors.Is(err, store.ErrInvalid) {
				return errors.Join(errors.New("want invalid"), err)
			}
			u, err = tx.UserByEmail(b.ctx, "dup@example.com") // the transaction goes on
			if err != nil {
				return err
			}
			_, err = tx.CreateUser(b.ctx, store.UserInput{Email: "new@example.com"})
			return err
		})
		require.NoError(t, err)
		require.Equal(t, existing, u)
		_, err = st.UserByEmail(b.ctx, "new@example.com")
		require.NoError(t, err)
	})

	t.Run("nested Tx rolls back only its own work", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		boom := errors.New("boom")
		err := st.Tx(b.ctx, func(tx store.Store) error {
			createMeeting(t, tx, &meetingOpts{ExternalID: "outer"})
			inner := tx.Tx(b.ctx, func(tx store.Store) error {
				createMeeting(t, tx, &meetingOpts{ExternalID: "inner"})
				return boom
			})
			require.Same(t, boom, inner)
			return nil
		})
		require.NoError(t, err)
		ms, err := st.ListMeetings(b.ctx, store.ListMeetingsParams{})
		require.NoError(t, err)
		require.Len(t, ms, 1)
		require.Equal(t, "outer", ms[0].ExternalID)
	})

	t.Run("the zero tenant is refused", func(t *testing.T) {
		t.Parallel()
		_, b := setup(t)
		_, err := b.resolver.For(b.ctx, tenancy.ID{})
		require.ErrorIs(t, err, tenancy.ErrNoTenant)
	})
}

package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/store"
)

func TestAuditCommitsAndRollsBackWithTheChange(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	entry := func(action string) audit.Entry {
		return audit.Entry{At: at, Actor: audit.Actor{Type: audit.ActorSystem, ID: "test"}, Action: action}
	}

	rec, err := st.Audit(ctx, entry("settings.viewed"))
	require.NoError(t, err)
	require.Equal(t, int64(1), rec.Seq)

	boom := errors.New("later step failed")
	err = st.Tx(ctx, func(tx store.Store) error {
		_, err := tx.Audit(ctx, entry("user.invited"))
		require.NoError(t, err)
		return boom
	})
	require.ErrorIs(t, err, boom)

	require.NoError(t, st.Tx(ctx, func(tx store.Store) error {
		_, err := tx.Audit(ctx, entry("user.invited"))
		return err
	}))
	res, err := audit.Verify(ctx, b.db.App, b.tenant)
	require.NoError(t, err)
	require.True(t, res.OK, res.Reason)
	require.Equal(t, 2, res.Entries, "the rolled-back entry left no trace and no gap")
}

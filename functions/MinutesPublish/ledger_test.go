package minutespublish

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
)

func TestLedger(t *testing.T) {
	t.Parallel()
	b := setup(t)
	m := b.minutes(b.st, b.meeting.ID, sampleContent, store.MinutesApproved)
	k := Key{Tenant: b.tenant.ID, Minutes: m.ID, Channel: ChannelEmail}
	t0 := time.Date(2026, 3, 11, 9, 0, 0, 123456789, time.UTC)

	// A new claim is owned.
	c, err := b.ledger.Claim(b.ctx, k, t0, t0.Add(-time.Hour))
	require.NoError(t, err)
	require.True(t, c.Owned)
	require.False(t, c.TookOver)
	require.Equal(t, StateClaimed, c.State)
	require.True(t, c.ClaimedAt.Equal(t0.Truncate(time.Microsecond)))

	// A fresh claim is not taken over; a stale one is.
	again, err := b.ledger.Claim(b.ctx, k, t0.Add(time.Minute), t0.Add(-time.Second))
	require.NoError(t, err)
	require.False(t, again.Owned)
	require.True(t, again.ClaimedAt.Equal(c.ClaimedAt))
	took, err := b.ledger.Claim(b.ctx, k, t0.Add(time.Minute), t0)
	require.NoError(t, err)
	require.True(t, took.Owned)
	require.True(t, took.TookOver)

	// The old claim can no longer settle; the new one can, once.
	ok, err := b.ledger.Settle(b.ctx, k, c.ClaimedAt, StateDone, "late", t0.Add(2*time.Minute))
	require.NoError(t, err)
	require.False(t, ok)
	ok, err = b.ledger.Settle(b.ctx, k, took.ClaimedAt, StateDone, "sent to 3 recipients", t0.Add(2*time.Minute))
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = b.ledger.Settle(b.ctx, k, took.ClaimedAt, StateFailed, "again", t0.Add(3*time.Minute))
	require.NoError(t, err)
	require.False(t, ok, "a settled publication stays settled")

	// Settled is never claimed again, however old.
	done, err := b.ledger.Claim(b.ctx, k, t0.Add(time.Hour), t0.Add(time.Hour))
	require.NoError(t, err)
	require.False(t, done.Owned)
	require.Equal(t, StateDone, done.State)
	require.Equal(t, "sent to 3 recipients", done.Detail)
	require.NotNil(t, done.DoneAt)

	// Releasing deletes the claim so the next attempt starts afresh.
	sk := Key{Tenant: b.tenant.ID, Minutes: m.ID, Channel: ChannelSharePoint}
	sc, err := b.ledger.Claim(b.ctx, sk, t0, t0)
	require.NoError(t, err)
	ok, err = b.ledger.Settle(b.ctx, sk, sc.ClaimedAt, "", "", t0)
	require.NoError(t, err)
	require.True(t, ok)
	pubs, err := b.ledger.Publications(b.ctx, b.tenant.ID, m.ID)
	require.NoError(t, err)
	require.Len(t, pubs, 1)
	require.Equal(t, ChannelEmail, pubs[0].Channel)

	_, err = b.ledger.Settle(b.ctx, k, took.ClaimedAt, "bogus", "", t0)
	require.Error(t, err)

	t.Run("another tenant sees and claims nothing of it", func(t *testing.T) {
		other := b.newTenant("Fabrikam")
		pubs, err := b.ledger.Publications(b.ctx, other.ID, m.ID)
		require.NoError(t, err)
		require.Empty(t, pubs)
		// Its transaction cannot reference the minutes (foreign key within its tenant).
		_, err = b.ledger.Claim(b.ctx, Key{Tenant: other.ID, Minutes: m.ID, Channel: ChannelEmail}, t0, t0)
		require.Error(t, err)
		ok, err := b.ledger.Settle(b.ctx, Key{Tenant: other.ID, Minutes: m.ID, Channel: ChannelEmail}, took.ClaimedAt, StateFailed, "x", t0)
		require.NoError(t, err)
		require.False(t, ok)
	})
}

package store_test

import (
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
)

func TestInvitationState(t *testing.T) {
	t.Parallel()
	now := at(0)
	cases := []struct {
		name string
		inv  store.Invitation
		want store.InvitationState
	}{
		{"pending", store.Invitation{ExpiresAt: now.Add(time.Second)}, store.InvitationPending},
		{"expired at the instant", store.Invitation{ExpiresAt: now}, store.InvitationExpired},
		{"expired", store.Invitation{ExpiresAt: now.Add(-time.Hour)}, store.InvitationExpired},
		{"accepted wins over expiry", store.Invitation{ExpiresAt: now.Add(-time.Hour), AcceptedAt: ptr(now)}, store.InvitationAccepted},
		{"revoked wins over expiry", store.Invitation{ExpiresAt: now.Add(-time.Hour), RevokedAt: ptr(now)}, store.InvitationRevoked},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.inv.State(now))
		})
	}
}

func TestCreateInvitation(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	admin := createUser(t, st, &userOpts{Role: store.RoleAdmin})
	inv, token := createInvitation(t, st, &invitationOpts{Token: "secret", Role: store.RoleApprover, InvitedBy: admin.ID})
	require.Equal(t, store.RoleApprover, inv.Role)
	require.Equal(t, admin.ID, inv.InvitedBy)
	require.Equal(t, store.InvitationPending, inv.State(at(0)))

	t.Run("found by token hash", func(t *testing.T) {
		got, err := st.InvitationByToken(b.ctx, token)
		require.NoError(t, err)
		require.Equal(t, inv, got)
		_, err = st.InvitationByToken(b.ctx, sha256.Sum256([]byte("guess")))
		requireErrorIs(t, err, store.ErrNotFound)
	})

	_, foreignStore := b.newTenant(t)
	foreign := createUser(t, foreignStore, nil)
	valid := store.InvitationInput{Email: "x@example.com", Role: store.RoleMember, TokenSHA256: sha256.Sum256([]byte("t2")), ExpiresAt: at(time.Hour)}
	cases := []struct {
		name   string
		modify func(*store.InvitationInput)
		want   error
	}{
		{"token taken", func(in *store.InvitationInput) { in.TokenSHA256 = token }, store.ErrConflict},
		{"no email", func(in *store.InvitationInput) { in.Email = "" }, store.ErrInvalid},
		{"unknown role", func(in *store.InvitationInput) { in.Role = "owner" }, store.ErrInvalid},
		{"no expiry", func(in *store.InvitationInput) { in.ExpiresAt = time.Time{} }, store.ErrInvalid},
		{"no token", func(in *store.InvitationInput) { in.TokenSHA256 = [32]byte{} }, store.ErrInvalid},
		{"inviter of another tenant", func(in *store.InvitationInput) { in.InvitedBy = foreign.ID }, store.ErrInvalid},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			in := valid
			tt.modify(&in)
			_, err := st.CreateInvitation(b.ctx, in)
			requireErrorIs(t, err, tt.want)
		})
	}
}

func TestAcceptInvitation(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	u1, u2 := createUser(t, st, nil), createUser(t, st, nil)

	t.Run("single use", func(t *testing.T) {
		t.Parallel()
		inv, token := createInvitation(t, st, nil)
		got, err := st.AcceptInvitation(b.ctx, inv.ID, u1.ID, at(time.Minute))
		require.NoError(t, err)
		require.Equal(t, u1.ID, got.AcceptedBy)
		require.True(t, got.AcceptedAt.Equal(at(time.Minute)))
		require.Equal(t, store.InvitationAccepted, got.State(at(time.Hour)))

		_, err = st.AcceptInvitation(b.ctx, inv.ID, u1.ID, at(2*time.Minute))
		requireErrorIs(t, err, store.ErrConflict)
		_, err = st.AcceptInvitation(b.ctx, inv.ID, u2.ID, at(2*time.Minute))
		requireErrorIs(t, err, store.ErrConflict)
		after, err := st.InvitationByToken(b.ctx, token)
		require.NoError(t, err)
		require.Equal(t, got, after, "the first acceptance stands")
	})

	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		inv, _ := createInvitation(t, st, &invitationOpts{ExpiresIn: time.Hour})
		_, err := st.AcceptInvitation(b.ctx, inv.ID, u1.ID, at(time.Hour))
		requireErrorIs(t, err, store.ErrExpired)
		_, err = st.AcceptInvitation(b.ctx, inv.ID, u1.ID, at(59*time.Minute))
		require.NoError(t, err, "still valid a minute before")
	})

	t.Run("revoked", func(t *testing.T) {
		t.Parallel()
		inv, _ := createInvitation(t, st, nil)
		revoked, err := st.RevokeInvitation(b.ctx, inv.ID, at(0))
		require.NoError(t, err)
		require.Equal(t, store.InvitationRevoked, revoked.State(at(0)))
		again, err := st.RevokeInvitation(b.ctx, inv.ID, at(time.Hour))
		require.NoError(t, err)
		require.Equal(t, revoked, again, "revoking again changes nothing")
		_, err = st.AcceptInvitation(b.ctx, inv.ID, u1.ID, at(time.Minute))
		requireErrorIs(t, err, store.ErrConflict)
	})

	t.Run("an accepted invitation cannot be revoked", func(t *testing.T) {
		t.Parallel()
		inv, _ := createInvitation(t, st, nil)
		_, err := st.AcceptInvitation(b.ctx, inv.ID, u1.ID, at(0))
		require.NoError(t, err)
		_, err = st.RevokeInvitation(b.ctx, inv.ID, at(time.Minute))
		requireErrorIs(t, err, store.ErrConflict)
	})

	t.Run("concurrent accepts: exactly one wins", func(t *testing.T) {
		t.Parallel()
		inv, _ := createInvitation(t, st, nil)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { _, errs[i] = st.AcceptInvitation(b.ctx, inv.ID, u2.ID, at(0)) })
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
				continue
			}
			requireErrorIs(t, err, store.ErrConflict)
		}
		require.Equal(t, 1, wins)
	})

	t.Run("refuses a missing invitation, user or time", func(t *testing.T) {
		t.Parallel()
		inv, _ := createInvitation(t, st, nil)
		missing, _ := store.ParseInvitationID(uuid.NewString())
		_, err := st.AcceptInvitation(b.ctx, missing, u1.ID, at(0))
		requireErrorIs(t, err, store.ErrNotFound)
		_, err = st.RevokeInvitation(b.ctx, missing, at(0))
		requireErrorIs(t, err, store.ErrNotFound)
		_, err = st.AcceptInvitation(b.ctx, inv.ID, store.UserID{}, at(0))
		requireErrorIs(t, err, store.ErrInvalid)
		_, err = st.AcceptInvitation(b.ctx, inv.ID, u1.ID, time.Time{})
		requireErrorIs(t, err, store.ErrInvalid)
		ghost, _ := store.ParseUserID(uuid.NewString())
		_, err = st.AcceptInvitation(b.ctx, inv.ID, ghost, at(0))
		requireErrorIs(t, err, store.ErrInvalid)
	})
}

func TestListInvitations(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	u := createUser(t, st, nil)
	expired, _ := createInvitation(t, st, &invitationOpts{ExpiresIn: time.Minute})
	accepted, _ := createInvitation(t, st, nil)
	_, err := st.AcceptInvitation(b.ctx, accepted.ID, u.ID, at(0))
	require.NoError(t, err)
	revoked, _ := createInvitation(t, st, nil)
	_, err = st.RevokeInvitation(b.ctx, revoked.ID, at(0))
	require.NoError(t, err)
	pending, _ := createInvitation(t, st, nil)

	all, err := st.ListInvitations(b.ctx, store.ListInvitationsParams{})
	require.NoError(t, err)
	got := map[store.InvitationID]bool{}
	for _, i := range all {
		got[i.ID] = true
	}
	require.Equal(t, map[store.InvitationID]bool{expired.ID: true, accepted.ID: true, revoked.ID: true, pending.ID: true}, got)

	open, err := st.ListInvitations(b.ctx, store.ListInvitationsParams{PendingAt: at(time.Hour)})
	require.NoError(t, err)
	require.Len(t, open, 1)
	require.Equal(t, pending.ID, open[0].ID)
}

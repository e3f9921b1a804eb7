package store_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestCreateUser(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	entra := uuid.New()
	u, err := st.CreateUser(b.ctx, store.UserInput{Email: "Ada@Example.com", DisplayName: "Ada", EntraObjectID: entra, Role: store.RoleAdmin})
	require.NoError(t, err)
	require.Equal(t, "Ada@Example.com", u.Email)
	require.Equal(t, store.RoleAdmin, u.Role)
	require.Equal(t, store.UserActive, u.Status)
	require.Equal(t, entra, u.EntraObjectID)
	require.Nil(t, u.LastSeenAt)

	plain := createUser(t, st, nil)
	require.Equal(t, store.RoleMember, plain.Role, "member by default")
	require.Equal(t, uuid.Nil, plain.EntraObjectID)

	cases := []struct {
		name string
		in   store.UserInput
		want error
	}{
		{"email taken in another case", store.UserInput{Email: "ADA@example.COM"}, store.ErrConflict},
		{"entra id taken", store.UserInput{Email: "other@example.com", EntraObjectID: entra}, store.ErrConflict},
		{"no email", store.UserInput{Email: " "}, store.ErrInvalid},
		{"email too short", store.UserInput{Email: "a@"}, store.ErrInvalid},
		{"display name too long", store.UserInput{Email: "long@example.com", DisplayName: strings.Repeat("n", 201)}, store.ErrInvalid},
		{"unknown role", store.UserInput{Email: "r@example.com", Role: "owner"}, store.ErrInvalid},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := st.CreateUser(b.ctx, tt.in)
			requireErrorIs(t, err, tt.want)
		})
	}
}

func TestUserLookups(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	entra := uuid.New()
	u := createUser(t, st, &userOpts{Email: "Grace@Example.com", Entra: entra})

	t.Run("by id", func(t *testing.T) {
		got, err := st.User(b.ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, u, got)
	})
	t.Run("by email in any case", func(t *testing.T) {
		got, err := st.UserByEmail(b.ctx, "grace@EXAMPLE.com")
		require.NoError(t, err)
		require.Equal(t, u, got)
	})
	t.Run("by entra object id", func(t *testing.T) {
		got, err := st.UserByEntraID(b.ctx, entra)
		require.NoError(t, err)
		require.Equal(t, u, got)
	})
	t.Run("missing is not found", func(t *testing.T) {
		missing, _ := store.ParseUserID(uuid.NewString())
		_, err := st.User(b.ctx, missing)
		requireErrorIs(t, err, store.ErrNotFound)
		_, err = st.UserByEmail(b.ctx, "nobody@example.com")
		requireErrorIs(t, err, store.ErrNotFound)
		_, err = st.UserByEntraID(b.ctx, uuid.New())
		requireErrorIs(t, err, store.ErrNotFound)
		_, err = st.UserByEntraID(b.ctx, uuid.Nil)
		requireErrorIs(t, err, store.ErrNotFound)
	})
}

func TestUpsertUserByEmail(t *testing.T) {
	t.Parallel()

	t.Run("creates, then finds in any case and fills in what is missing", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		u, created, err := st.UpsertUserByEmail(b.ctx, store.UserInput{Email: "Lin@example.com", Role: store.RoleApprover})
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, store.RoleApprover, u.Role)
		require.Empty(t, u.DisplayName)

		entra := uuid.New()
		again, created, err := st.UpsertUserByEmail(b.ctx, store.UserInput{Email: "LIN@example.com", DisplayName: "Lin", EntraObjectID: entra, Role: store.RoleAdmin})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, u.ID, again.ID)
		require.Equal(t, "Lin@example.com", again.Email, "the email keeps its first spelling")
		require.Equal(t, "Lin", again.DisplayName)
		require.Equal(t, entra, again.EntraObjectID)
		require.Equal(t, store.RoleApprover, again.Role, "an upsert never changes the role")

		same, created, err := st.UpsertUserByEmail(b.ctx, store.UserInput{Email: "lin@example.com"})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, again, same, "empty fields keep what is stored")

		_, _, err = st.UpsertUserByEmail(b.ctx, store.UserInput{Email: "lin@example.com", EntraObjectID: uuid.New()})
		requireErrorIs(t, err, store.ErrConflict)
	})

	t.Run("concurrent upserts of one email make one user", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			users = map[store.UserID]int{}
			made  int
			errs  []error
		)
		for range 6 {
			wg.Go(func() {
				u, created, err := st.UpsertUserByEmail(b.ctx, store.UserInput{Email: "race@example.com"})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				users[u.ID]++
				if created {
					made++
				}
			})
		}
		wg.Wait()
		require.Empty(t, errs)
		require.Len(t, users, 1)
		require.Equal(t, 1, made)
	})
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	var want []store.User
	for _, e := range []string{"d@example.com", "B@example.com", "a@example.com", "C@example.com", "e@example.com"} {
		want = append(want, createUser(t, st, &userOpts{Email: e}))
	}
	want = []store.User{want[2], want[1], want[3], want[0], want[4]} // by lower-case email
	admin := createUser(t, st, &userOpts{Email: "z-admin@example.com", Role: store.RoleAdmin})

	var got []store.User
	after := ""
	for {
		page, err := st.ListUsers(b.ctx, store.ListUsersParams{Limit: 2, AfterEmail: after, Role: store.RoleMember})
		require.NoError(t, err)
		got = append(got, page...)
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].Email
	}
	require.Equal(t, want, got)

	admins, err := st.ListUsers(b.ctx, store.ListUsersParams{Role: store.RoleAdmin})
	require.NoError(t, err)
	require.Equal(t, []store.User{admin}, admins)
	_, err = st.ListUsers(b.ctx, store.ListUsersParams{Role: "root"})
	requireErrorIs(t, err, store.ErrInvalid)
}

func TestSetUserRole(t *testing.T) {
	t.Parallel()

	t.Run("changes roles but keeps an admin", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		first := createUser(t, st, &userOpts{Role: store.RoleAdmin})
		member := createUser(t, st, nil)

		_, err := st.SetUserRole(b.ctx, first.ID, store.RoleMember)
		requireErrorIs(t, err, store.ErrConflict)

		promoted, err := st.SetUserRole(b.ctx, member.ID, store.RoleAdmin)
		require.NoError(t, err)
		require.Equal(t, store.RoleAdmin, promoted.Role)
		demoted, err := st.SetUserRole(b.ctx, first.ID, store.RoleApprover)
		require.NoError(t, err)
		require.Equal(t, store.RoleApprover, demoted.Role)

		_, err = st.SetUserRole(b.ctx, member.ID, "root")
		requireErrorIs(t, err, store.ErrInvalid)
		missing, _ := store.ParseUserID(uuid.NewString())
		_, err = st.SetUserRole(b.ctx, missing, store.RoleMember)
		requireErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("two admins demoting each other at once leave one admin", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		a1 := createUser(t, st, &userOpts{Role: store.RoleAdmin})
		a2 := createUser(t, st, &userOpts{Role: store.RoleAdmin})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []store.UserID{a1.ID, a2.ID} {
			wg.Go(func() { _, errs[i] = st.SetUserRole(b.ctx, id, store.RoleMember) })
		}
		wg.Wait()
		admins, err := st.ListUsers(b.ctx, store.ListUsersParams{Role: store.RoleAdmin})
		require.NoError(t, err)
		require.Len(t, admins, 1)
		require.True(t, (errs[0] == nil) != (errs[1] == nil), "exactly one demotion succeeds: %v", errs)
	})
}

func TestTouchUser(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	u, err := st.CreateUser(b.ctx, store.UserInput{Email: "touch@example.com"})
	require.NoError(t, err)
	require.Nil(t, u.LastSeenAt)
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	require.NoError(t, st.TouchUser(b.ctx, u.ID, at))
	got, err := st.User(b.ctx, u.ID)
	require.NoError(t, err)
	require.NotNil(t, got.LastSeenAt)
	require.True(t, got.LastSeenAt.Equal(at))
	_, other := b.newTenant(t)
	requireErrorIs(t, other.TouchUser(b.ctx, u.ID, at), store.ErrNotFound)
}

// TestCountActiveUsers: every active user counts, across more than one page; a disabled one
// and another tenant's do not.
func TestCountActiveUsers(t *testing.T) {
	t.Parallel()
	st, b := setup(t)
	for range store.MaxLimit + 3 {
		createUser(t, st, nil)
	}
	disabled := createUser(t, st, nil)
	_, other := b.newTenant(t)
	createUser(t, other, nil)
	require.NoError(t, tenancy.WithTx(b.ctx, b.db.App, b.tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(b.ctx, `UPDATE users SET status = 'disabled' WHERE id = $1`, disabled.ID)
		return err
	}))
	n, err := store.CountActiveUsers(b.ctx, st)
	require.NoError(t, err)
	require.Equal(t, store.MaxLimit+3, n)
}

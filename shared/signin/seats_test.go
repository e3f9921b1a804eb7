package signin_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// seats is a scripted seat gate: the billing package's real one is tested there.
type seats struct {
	warning string
	err     error
	calls   int
	tenant  tenancy.ID
}

func (s *seats) Check(_ context.Context, tenant tenancy.ID, _ store.Store) (string, error) {
	s.calls++
	s.tenant = tenant
	return s.warning, s.err
}

func TestInvitationsRespectSeats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := newBrowser(t)
	signUp(t, b, admin)
	ctx := context.Background()
	tenant, err := b.reg.ByAzureTenant(ctx, b.admin.TenantID)
	require.NoError(t, err)
	st, err := b.stores.For(ctx, tenant.ID)
	require.NoError(t, err)
	admins, err := st.ListUsers(ctx, store.ListUsersParams{Role: store.RoleAdmin})
	require.NoError(t, err)

	gate := &seats{err: funchost.Status(http.StatusConflict, "all 5 paid seats are in use: add seats in Billing")}
	b.invites.WithSeats(gate)
	_, err = inviteAs(t, b, tenant.ID, admins[0], "sixth@contoso.example")
	require.Error(t, err)
	require.Equal(t, http.StatusConflict, funchost.StatusOf(err))
	require.Equal(t, tenant.ID, gate.tenant)
	pending, err := st.ListInvitations(ctx, store.ListInvitationsParams{})
	require.NoError(t, err)
	require.Empty(t, pending, "nothing is created when the seats are used up")

	gate.err, gate.warning = nil, "beyond your 5 seats: your account manager will adjust the invoice"
	sent, err := inviteAs(t, b, tenant.ID, admins[0], "sixth@contoso.example")
	require.NoError(t, err)
	require.Equal(t, gate.warning, sent.Warning)
	require.Equal(t, 2, gate.calls)
}

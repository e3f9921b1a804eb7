package portal_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

type starter struct{}

func (starter) Allows(context.Context, tenancy.ID, string) (bool, error) { return false, nil }

func TestStarterCannotChooseNamedApprovers(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOptions{features: starter{}})
	admin := b.as(t, b.a, b.a.Admin)
	f := b.get(t, admin, "/api/app/settings").formTo(t, "/api/app/settings")
	f.fields.Set("approval_mode", "named")
	f.fields.Set("approvers", b.a.Approver.ID.String())
	res := b.post(t, admin, "/api/app/settings", f.fields)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, res.text(), "Named approvers are part of the Pro plan")
	s, err := b.a.Store.Settings(context.Background())
	require.NoError(t, err)
	require.NotEqual(t, store.ApprovalNamed, s.ApprovalMode, "nothing saved")
}

package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	api "github.com/meetingminutes/minutes/functions/Api"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// starterPlan allows nothing beyond the basics, as billing.Allows answers for Starter.
type starterPlan struct{ asked []string }

func (s *starterPlan) Allows(_ context.Context, _ tenancy.ID, feature string) (bool, error) {
	s.asked = append(s.asked, feature)
	return false, nil
}

func TestPlanGatesNamedApproversAndCustomTemplates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plan := &starterPlan{}
	b.srv = mount(b.env, api.New(api.Deps{Now: func() time.Time { return clock }, Features: plan}))
	tn := b.a
	admin := b.as(t, tn, tn.Admin)

	rec := b.do(t, admin, "PUT", "/api/v1/settings", obj{"approval_mode": "named", "approver_ids": []string{tn.Approver.ID.String()}})
	require.Equal(t, http.StatusPaymentRequired, rec.Code, rec.Body.String())
	require.Contains(t, errorOf(t, rec), "Pro plan")
	rec = b.do(t, admin, "GET", "/api/v1/settings", nil)
	require.Equal(t, "any", decode[obj](t, rec)["approval_mode"], "nothing saved")

	rec = b.do(t, admin, "POST", "/api/v1/templates", obj{"name": "Board", "sections": []string{"summary"}})
	require.Equal(t, http.StatusPaymentRequired, rec.Code, rec.Body.String())

	// Other settings stay open to every plan.
	rec = b.do(t, admin, "PUT", "/api/v1/settings", obj{"retention_days": 90})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, []string{"named_approvers", "custom_templates"}, plan.asked)
}

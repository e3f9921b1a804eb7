package review_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/review/reviewtest"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestOnApprovedQueuesPublishingAfterTheCommit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.env.NewTenant(t, "Contoso")
	var got []store.Minutes
	fail := false
	b.svc.OnApproved(func(ctx context.Context, tenant tenancy.ID, m store.Minutes) error {
		require.Equal(t, tn.ID, tenant)
		// The approval is committed when the hook runs: another reader sees it.
		cur, err := tn.Store.Minutes(ctx, m.ID)
		require.NoError(t, err)
		require.Equal(t, store.MinutesApproved, cur.Status)
		got = append(got, m)
		if fail {
			return errors.New("queue down")
		}
		return nil
	})
	m, err := b.svc.Approve(b.env.Context(t, tn, tn.Approver), tn.Minutes.ID)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, m.ID, got[0].ID)

	// A rejection never publishes.
	_, m2, _ := tn.AddMeeting(t, reviewtest.MeetingOptions{})
	_, err = b.svc.Reject(b.env.Context(t, tn, tn.Approver), m2.ID, "wrong attendees")
	require.NoError(t, err)
	require.Len(t, got, 1)

	// The queue is down: the approver is told (503), the approval stands.
	_, m3, _ := tn.AddMeeting(t, reviewtest.MeetingOptions{})
	fail = true
	_, err = b.svc.Approve(b.env.Context(t, tn, tn.Approver), m3.ID)
	require.Error(t, err)
	require.Equal(t, http.StatusServiceUnavailable, funchost.StatusOf(err))
	cur, err := tn.Store.Minutes(context.Background(), m3.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesApproved, cur.Status)
}

package review

import (
	"context"
	"time"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Audit actions the operations record.
const (
	// ActionEdited records an edit: a new minutes version.
	ActionEdited = "minutes.edited"
	// ActionApproved records an approval.
	ActionApproved = "minutes.approved"
	// ActionRejected records a rejection.
	ActionRejected = "minutes.rejected"
	// ActionViewed records that someone read a minutes version's content.
	ActionViewed = "minutes.viewed"
	// ActionItemStatus records an action item's status change.
	ActionItemStatus = "action_item.status"
)

// Audit target types the operations use.
const (
	// TargetMinutes is a minutes version; the target id is its store.MinutesID.
	TargetMinutes = "minutes"
	// TargetActionItem is an action item; the target id is its store.ActionItemID.
	TargetActionItem = "action_item"
)

// GeneratorEdit is the Generator of a version made by an edit.
const GeneratorEdit = "edit"

// Service runs the review operations for the caller on ctx. It holds no per-request state and
// is safe for concurrent use.
type Service struct {
	now        func() time.Time
	onApproved func(ctx context.Context, tenant tenancy.ID, m store.Minutes) error
}

// OnApproved sets what happens once an approval has committed: the pipeline queues the
// minutes for publishing. An error is reported to the approver as a 503 (the approval stands;
// approving again is refused, so the queueing must be idempotent and retried by its owner).
func (s *Service) OnApproved(fn func(ctx context.Context, tenant tenancy.ID, m store.Minutes) error) *Service {
	s.onApproved = fn
	return s
}

// New returns a Service deciding with clock now (decision and audit times); nil means
// time.Now.
func New(now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{now: now}
}

// caller is access.Caller, named for the handlers' brevity.
func caller(ctx context.Context, role store.Role, write bool) (access.Principal, store.Store, error) {
	return access.Caller(ctx, role, write)
}

// entry is an audit entry for an action of p, now.
func (s *Service) entry(p access.Principal, action, targetType, targetID string, details map[string]any) audit.Entry {
	return audit.ByUser(s.now(), p.User.String(), action, targetType, targetID, details)
}

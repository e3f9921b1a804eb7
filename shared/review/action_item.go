package review

import (
	"context"
	"fmt"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/store"
)

// SetActionItemStatus moves action item id to status (open, done or cancelled; else 400).
// Members may change only the items they own (ErrNotOwner, 403); approvers and admins any
// item of their tenant. The tenant must be active. Recorded as "action_item.status" with
// the old and new status; setting the status an item already has changes and records
// nothing.
func (s *Service) SetActionItemStatus(ctx context.Context, id store.ActionItemID, status store.ActionItemStatus) (store.ActionItem, error) {
	p, st, err := caller(ctx, store.RoleMember, true)
	if err != nil {
		return store.ActionItem{}, fmt.Errorf("set status of action item %s: %w", id, err)
	}
	if !status.Valid() {
		return store.ActionItem{}, fmt.Errorf("set status of action item %s: %w", id,
			invalidf("status must be one of %s, %s, %s", store.ActionOpen, store.ActionDone, store.ActionCancelled))
	}
	var out store.ActionItem
	err = st.Tx(ctx, func(tx store.Store) error {
		cur, err := tx.ActionItem(ctx, id)
		if err != nil {
			return err
		}
		if !canChangeItem(p, cur) {
			return ErrNotOwner
		}
		if cur.Status == status {
			out = cur
			return nil
		}
		if out, err = tx.SetActionItemStatus(ctx, id, status); err != nil {
			return err
		}
		_, err = tx.Audit(ctx, s.entry(p, ActionItemStatus, TargetActionItem, id.String(), map[string]any{
			"meeting_id": cur.MeetingID.String(),
			"minutes_id": cur.MinutesID.String(),
			"from":       string(cur.Status),
			"to":         string(status),
		}))
		return err
	})
	if err != nil {
		return store.ActionItem{}, fmt.Errorf("set status of action item %s: %w", id, err)
	}
	return out, nil
}

// canChangeItem reports whether p may change item a: its owner, or an approver or admin.
func canChangeItem(p access.Principal, a store.ActionItem) bool {
	return p.AtLeast(store.RoleApprover) || (!a.OwnerUserID.IsZero() && a.OwnerUserID == p.User)
}

package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/store"
)

// Edit replaces the minutes of version id's meeting with content, as a new version: version
// N+1 gets content, the status of N (draft or pending_approval; any other status is
// store.ErrConflict, as is N not being the latest version), and the action items listed in
// content.action_items. Version N and its action items stay as they were. The caller must be
// an approver or admin of an active tenant. The edit is recorded as "minutes.edited" with the
// two versions and the names of the top-level members that changed.
func (s *Service) Edit(ctx context.Context, id store.MinutesID, content json.RawMessage) (store.Minutes, error) {
	p, st, err := caller(ctx, store.RoleApprover, true)
	if err != nil {
		return store.Minutes{}, fmt.Errorf("edit minutes %s: %w", id, err)
	}
	c, err := parseContent(content)
	if err != nil {
		return store.Minutes{}, fmt.Errorf("edit minutes %s: %w", id, err)
	}
	var out store.Minutes
	err = st.Tx(ctx, func(tx store.Store) error {
		cur, err := tx.Minutes(ctx, id)
		if err != nil {
			return err
		}
		if cur.Status != store.MinutesDraft && cur.Status != store.MinutesPendingApproval {
			return conflictf("minutes version %d is %s: only draft or pending minutes can be edited", cur.Version, cur.Status)
		}
		if err := mustBeLatest(ctx, tx, cur); err != nil {
			return err
		}
		inputs, err := itemInputs(ctx, tx, c.items)
		if err != nil {
			return err
		}
		prev, err := tx.ActionItems(ctx, store.ActionItemFilter{MinutesID: cur.ID, Limit: store.MaxLimit})
		if err != nil {
			return err
		}
		verified := map[string]bool{}
		for _, a := range prev {
			if a.Verified && a.SourceQuote != "" {
				verified[a.SourceQuote] = true
			}
		}
		for i := range inputs {
			inputs[i].Verified = verified[inputs[i].SourceQuote]
		}
		out, err = tx.AddMinutesVersion(ctx, store.MinutesInput{
			MeetingID: cur.MeetingID, TranscriptID: cur.TranscriptID, Status: cur.Status, Content: content,
			Generator: GeneratorEdit, TemplateID: cur.TemplateID, CreatedBy: p.User,
		})
		if err != nil {
			return err
		}
		items, err := tx.ReplaceActionItems(ctx, out.ID, inputs)
		if err != nil {
			return err
		}
		if err := carryStatuses(ctx, tx, prev, items); err != nil {
			return err
		}
		known, other := changedFields(cur.Content, out.Content)
		_, err = tx.Audit(ctx, s.entry(p, ActionEdited, TargetMinutes, out.ID.String(), map[string]any{
			"meeting_id":           out.MeetingID.String(),
			"from_minutes_id":      cur.ID.String(),
			"from_version":         cur.Version,
			"to_version":           out.Version,
			"status":               string(out.Status),
			"changed_fields":       known,
			"other_fields_changed": other,
			"action_items":         len(items),
		}))
		return err
	})
	if err != nil {
		return store.Minutes{}, fmt.Errorf("edit minutes %s: %w", id, err)
	}
	return out, nil
}

// mustBeLatest refuses a change to a version that a later one has superseded.
func mustBeLatest(ctx context.Context, tx store.Store, m store.Minutes) error {
	latest, err := tx.LatestMinutes(ctx, m.MeetingID)
	if err != nil {
		return err
	}
	if latest.ID != m.ID {
		return conflictf("minutes version %d has been superseded by version %d", m.Version, latest.Version)
	}
	return nil
}

// itemInputs turns the content's action items into the store's inputs, checking that each
// named owner is a user of the tenant (another tenant's user is not found).
func itemInputs(ctx context.Context, tx store.Store, items []contentItem) ([]store.ActionItemInput, error) {
	inputs := make([]store.ActionItemInput, 0, len(items))
	for i, it := range items {
		in, owner, err := it.input(i)
		if err != nil {
			return nil, err
		}
		if !owner.IsZero() {
			if _, err := tx.User(ctx, owner); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return nil, notFoundf("content.action_items[%d].owner_user_id: user not found", i)
				}
				return nil, err
			}
		}
		inputs = append(inputs, in)
	}
	return inputs, nil
}

// itemKey identifies "the same" action item across versions: its task and owner.
func itemKey(task string, owner store.UserID, ownerName string) string {
	return task + "\x00" + owner.String() + "\x00" + strings.ToLower(ownerName)
}

// carryStatuses gives each new item the status of the previous version's item with the same
// task and owner, when that was not open, so an edit does not reopen finished work.
func carryStatuses(ctx context.Context, tx store.Store, prev, items []store.ActionItem) error {
	was := make(map[string]store.ActionItemStatus, len(prev))
	for _, a := range prev {
		if a.Status != store.ActionOpen {
			was[itemKey(a.Task, a.OwnerUserID, a.OwnerName)] = a.Status
		}
	}
	for i, a := range items {
		st, ok := was[itemKey(a.Task, a.OwnerUserID, a.OwnerName)]
		if !ok {
			continue
		}
		updated, err := tx.SetActionItemStatus(ctx, a.ID, st)
		if err != nil {
			return err
		}
		items[i] = updated
	}
	return nil
}

// Approve approves minutes version id, which must be its meeting's latest and be draft or
// pending approval (else store.ErrConflict), and marks the meeting approved. The caller must
// be an approver or admin of an active tenant and, when the tenant's approval mode is
// "named", one of the named approvers (else ErrNotNamedApprover, 403). Recorded as
// "minutes.approved".
func (s *Service) Approve(ctx context.Context, id store.MinutesID) (store.Minutes, error) {
	p, st, err := caller(ctx, store.RoleApprover, true)
	if err != nil {
		return store.Minutes{}, fmt.Errorf("approve minutes %s: %w", id, err)
	}
	var out store.Minutes
	err = st.Tx(ctx, func(tx store.Store) error {
		cur, err := tx.Minutes(ctx, id)
		if err != nil {
			return err
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		if set.ApprovalMode == store.ApprovalNamed && !slices.Contains(set.ApproverIDs, p.User) {
			return ErrNotNamedApprover
		}
		if out, err = s.decide(ctx, tx, cur, store.DecideParams{Status: store.MinutesApproved, By: p.User}); err != nil {
			return err
		}
		if _, err := tx.SetMeetingStatus(ctx, out.MeetingID, store.MeetingApproved, ""); err != nil {
			return err
		}
		_, err = tx.Audit(ctx, s.entry(p, ActionApproved, TargetMinutes, out.ID.String(), map[string]any{
			"meeting_id":    out.MeetingID.String(),
			"version":       out.Version,
			"from_status":   string(cur.Status),
			"approval_mode": string(set.ApprovalMode),
		}))
		return err
	})
	if err != nil {
		return store.Minutes{}, fmt.Errorf("approve minutes %s: %w", id, err)
	}
	if s.onApproved != nil {
		if err := s.onApproved(ctx, p.Tenant, out); err != nil {
			return out, fmt.Errorf("approve minutes %s: approved, but publishing could not be queued: %w", id,
				funchost.Unavailable("the minutes are approved; publishing could not be queued yet"))
		}
	}
	return out, nil
}

// Reject rejects minutes version id with reason (1 to MaxReasonLength characters, not only
// spaces; else ErrReasonRequired, 400), which must be its meeting's latest and be draft or
// pending approval (else store.ErrConflict), and marks the meeting rejected. The caller must
// be an approver or admin of an active tenant. Recorded as "minutes.rejected" (the reason is
// kept on the version, not in the audit log). Unlike approval, rejection is open to every
// approver in "named" mode too: sending minutes back publishes nothing.
func (s *Service) Reject(ctx context.Context, id store.MinutesID, reason string) (store.Minutes, error) {
	p, st, err := caller(ctx, store.RoleApprover, true)
	if err != nil {
		return store.Minutes{}, fmt.Errorf("reject minutes %s: %w", id, err)
	}
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n == 0 || n > MaxReasonLength || !utf8.ValidString(reason) {
		return store.Minutes{}, fmt.Errorf("reject minutes %s: %w", id, ErrReasonRequired)
	}
	var out store.Minutes
	err = st.Tx(ctx, func(tx store.Store) error {
		cur, err := tx.Minutes(ctx, id)
		if err != nil {
			return err
		}
		params := store.DecideParams{Status: store.MinutesRejected, By: p.User, Reason: reason}
		if out, err = s.decide(ctx, tx, cur, params); err != nil {
			return err
		}
		if _, err := tx.SetMeetingStatus(ctx, out.MeetingID, store.MeetingRejected, ""); err != nil {
			return err
		}
		_, err = tx.Audit(ctx, s.entry(p, ActionRejected, TargetMinutes, out.ID.String(), map[string]any{
			"meeting_id":    out.MeetingID.String(),
			"version":       out.Version,
			"from_status":   string(cur.Status),
			"reason_length": utf8.RuneCountInString(reason),
		}))
		return err
	})
	if err != nil {
		return store.Minutes{}, fmt.Errorf("reject minutes %s: %w", id, err)
	}
	return out, nil
}

// decide checks that cur may take p's status and is the latest version (with messages the
// caller can act on), then records the decision at the service's time. The store checks both
// again under its lock.
func (s *Service) decide(ctx context.Context, tx store.Store, cur store.Minutes, p store.DecideParams) (store.Minutes, error) {
	if !store.CanTransition(cur.Status, p.Status) {
		return store.Minutes{}, conflictf("minutes version %d is %s and cannot be %s", cur.Version, cur.Status, p.Status)
	}
	if err := mustBeLatest(ctx, tx, cur); err != nil {
		return store.Minutes{}, err
	}
	p.At = s.now()
	return tx.DecideMinutes(ctx, cur.ID, p)
}

// History returns every version of a meeting's minutes, newest first (store.ErrNotFound when
// the tenant has no such meeting). The caller must be a member of the tenant.
func (s *Service) History(ctx context.Context, meetingID store.MeetingID) ([]store.Minutes, error) {
	_, st, err := caller(ctx, store.RoleMember, false)
	if err != nil {
		return nil, fmt.Errorf("minutes history of meeting %s: %w", meetingID, err)
	}
	ms, err := st.MinutesHistory(ctx, meetingID)
	if err != nil {
		return nil, fmt.Errorf("minutes history of meeting %s: %w", meetingID, err)
	}
	return ms, nil
}

// View returns minutes version id with its content and records the read as "minutes.viewed"
// (who read which meeting's minutes is part of the audit trail). The caller must be a member
// of the tenant; a suspended tenant may still read.
func (s *Service) View(ctx context.Context, id store.MinutesID) (store.Minutes, error) {
	p, st, err := caller(ctx, store.RoleMember, false)
	if err != nil {
		return store.Minutes{}, fmt.Errorf("view minutes %s: %w", id, err)
	}
	var out store.Minutes
	err = st.Tx(ctx, func(tx store.Store) error {
		var err error
		if out, err = tx.Minutes(ctx, id); err != nil {
			return err
		}
		_, err = tx.Audit(ctx, s.entry(p, ActionViewed, TargetMinutes, out.ID.String(), map[string]any{
			"meeting_id": out.MeetingID.String(),
			"version":    out.Version,
		}))
		return err
	})
	if err != nil {
		return store.Minutes{}, fmt.Errorf("view minutes %s: %w", id, err)
	}
	return out, nil
}

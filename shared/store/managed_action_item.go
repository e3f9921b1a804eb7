package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// maxActionItems bounds the items of one minutes version.
const maxActionItems = 500

// actionItemColumns reads table alias a.
const actionItemColumns = `a.id, a.minutes_id, a.meeting_id, a.task, a.owner_user_id, a.owner_name, a.owner_email,
       a.due_date, a.status, a.source_quote, a.source_offset_ms, a.verified, a.created_at, a.updated_at,
       a.completed_at`

func scanActionItem(row pgx.CollectableRow) (ActionItem, error) {
	var (
		a        ActionItem
		offsetMS *int64
	)
	err := row.Scan(&a.ID, &a.MinutesID, &a.MeetingID, &a.Task, &a.OwnerUserID, &a.OwnerName, &a.OwnerEmail,
		&a.DueDate, &a.Status, &a.SourceQuote, &offsetMS, &a.Verified, &a.CreatedAt, &a.UpdatedAt,
		&a.CompletedAt)
	if offsetMS != nil {
		d := time.Duration(*offsetMS) * time.Millisecond
		a.SourceOffset = &d
	}
	return a, err
}

const (
	// lockMinutesForItemsSQL reads (and locks, so a decision waits) the version whose items
	// are replaced.
	lockMinutesForItemsSQL = `SELECT meeting_id, status FROM meeting_minutes WHERE tenant_id = $1 AND id = $2 FOR UPDATE`

	deleteActionItemsSQL = `DELETE FROM action_items WHERE tenant_id = $1 AND minutes_id = $2`

	insertActionItemSQL = `
INSERT INTO action_items AS a (tenant_id, minutes_id, meeting_id, task, owner_user_id, owner_name, owner_email,
                               due_date, source_quote, source_offset_ms, verified)
VALUES ($1, $2, $3, $4, $5::uuid, $6, $7, $8::date, $9, $10::bigint, $11)
RETURNING ` + actionItemColumns
)

// ReplaceActionItems implements Store. The delete and the inserts go in one batch after the
// version is locked and checked.
func (s *Managed) ReplaceActionItems(ctx context.Context, minutesID MinutesID, items []ActionItemInput) ([]ActionItem, error) {
	if len(items) > maxActionItems {
		return nil, fmt.Errorf("replace action items of minutes %s: %w", minutesID, invalid("%d items, at most %d", len(items), maxActionItems))
	}
	for i, it := range items {
		if it.Task == "" {
			return nil, fmt.Errorf("replace action items of minutes %s: %w", minutesID, invalid("item %d has no task", i))
		}
		if it.SourceOffset != nil && *it.SourceOffset < 0 {
			return nil, fmt.Errorf("replace action items of minutes %s: %w", minutesID, invalid("item %d has a negative offset", i))
		}
	}
	var out []ActionItem
	err := s.write(ctx, func(q querier) error {
		var (
			meetingID MeetingID
			status    MinutesStatus
		)
		if err := q.QueryRow(ctx, lockMinutesForItemsSQL, s.tenant, minutesID).Scan(&meetingID, &status); err != nil {
			return err
		}
		if status != MinutesDraft && status != MinutesPendingApproval {
			return fmt.Errorf("%w: minutes are %s", ErrConflict, status)
		}
		b := &pgx.Batch{}
		b.Queue(deleteActionItemsSQL, s.tenant, minutesID)
		for _, it := range items {
			b.Queue(insertActionItemSQL, s.tenant, minutesID, meetingID, it.Task, it.OwnerUserID, it.OwnerName,
				it.OwnerEmail, dateOnly(it.DueDate), it.SourceQuote, milliseconds(it.SourceOffset), it.Verified)
		}
		br := q.SendBatch(ctx, b)
		var err error
		out, err = readReplaceBatch(br, len(items))
		return errors.Join(err, br.Close())
	})
	if err != nil {
		return nil, fmt.Errorf("replace action items of minutes %s: %w", minutesID, translate(err))
	}
	return out, nil
}

// readReplaceBatch reads the delete's result, then each insert's row.
func readReplaceBatch(br pgx.BatchResults, n int) ([]ActionItem, error) {
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	out := make([]ActionItem, 0, n)
	for range n {
		rows, err := br.Query()
		if err != nil {
			return nil, err
		}
		a, err := pgx.CollectExactlyOneRow(rows, scanActionItem)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// dateOnly keeps the calendar date of t (in t's location), as midnight UTC.
func dateOnly(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return &d
}

// milliseconds converts an optional duration to whole milliseconds.
func milliseconds(d *time.Duration) *int64 {
	if d == nil {
		return nil
	}
	ms := d.Milliseconds()
	return &ms
}

// actionItemsSQL filters on each optional criterion ($2..$5, where NULL or the empty string
// means "any") and, unless a version is named, leaves out items whose meeting has a later
// minutes version.
const actionItemsSQL = `
SELECT ` + actionItemColumns + `
  FROM action_items a
  JOIN meeting_minutes mm ON mm.tenant_id = a.tenant_id AND mm.id = a.minutes_id
 WHERE a.tenant_id = $1
   AND ($2::uuid IS NULL OR a.owner_user_id = $2::uuid)
   AND ($3::text = '' OR a.status = $3::text)
   AND ($4::uuid IS NULL OR a.meeting_id = $4::uuid)
   AND CASE WHEN $5::uuid IS NULL
            THEN NOT EXISTS (SELECT 1 FROM meeting_minutes n
                              WHERE n.tenant_id = a.tenant_id AND n.meeting_id = a.meeting_id
                                AND n.version > mm.version)
            ELSE a.minutes_id = $5::uuid END
 ORDER BY a.due_date NULLS LAST, a.created_at, a.id
 LIMIT $6`

// ActionItems implements Store.
func (s *Managed) ActionItems(ctx context.Context, f ActionItemFilter) ([]ActionItem, error) {
	n, err := limit(f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list action items: %w", err)
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, fmt.Errorf("list action items: %w", invalid("status %q", f.Status))
	}
	var items []ActionItem
	err = s.read(ctx, func(q querier) (err error) {
		items, err = all(ctx, q, scanActionItem, actionItemsSQL,
			s.tenant, f.OwnerUserID, string(f.Status), f.MeetingID, f.MinutesID, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list action items: %w", translate(err))
	}
	return items, nil
}

const getActionItemSQL = `SELECT ` + actionItemColumns + ` FROM action_items a WHERE a.tenant_id = $1 AND a.id = $2`

// ActionItem implements Store.
func (s *Managed) ActionItem(ctx context.Context, id ActionItemID) (ActionItem, error) {
	var a ActionItem
	err := s.read(ctx, func(q querier) (err error) {
		a, err = one(ctx, q, scanActionItem, getActionItemSQL, s.tenant, id)
		return err
	})
	if err != nil {
		return ActionItem{}, fmt.Errorf("get action item %s: %w", id, translate(err))
	}
	return a, nil
}

const setActionItemStatusSQL = `
UPDATE action_items a
   SET status = $3::text,
       updated_at = now(),
       completed_at = CASE WHEN $3::text = 'done' THEN coalesce(a.completed_at, now()) END
 WHERE a.tenant_id = $1 AND a.id = $2
RETURNING ` + actionItemColumns

// SetActionItemStatus implements Store. Marking a done item done again keeps its CompletedAt.
func (s *Managed) SetActionItemStatus(ctx context.Context, id ActionItemID, status ActionItemStatus) (ActionItem, error) {
	if !status.Valid() {
		return ActionItem{}, fmt.Errorf("set status of action item %s: %w", id, invalid("status %q", status))
	}
	var a ActionItem
	err := s.write(ctx, func(q querier) (err error) {
		a, err = one(ctx, q, scanActionItem, setActionItemStatusSQL, s.tenant, id, status)
		return err
	})
	if err != nil {
		return ActionItem{}, fmt.Errorf("set status of action item %s: %w", id, translate(err))
	}
	return a, nil
}

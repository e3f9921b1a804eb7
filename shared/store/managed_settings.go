package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

const settingsColumns = `approval_mode, approver_ids, reminder_after, sharepoint_site_id, sharepoint_drive_id,
       sharepoint_folder, distribution, retention_days, default_template_id, setup_completed_at, updated_at`

func scanSettings(row pgx.CollectableRow) (Settings, error) {
	var (
		st        Settings
		approvers []uuid.UUID
	)
	err := row.Scan(&st.ApprovalMode, &approvers, &st.ReminderAfter, &st.SharePointSiteID, &st.SharePointDriveID,
		&st.SharePointFolder, &st.Distribution, &st.RetentionDays, &st.DefaultTemplateID, &st.SetupCompletedAt,
		&st.UpdatedAt)
	st.ApproverIDs = make([]UserID, len(approvers))
	for i, u := range approvers {
		st.ApproverIDs[i] = UserID{uid{u}}
	}
	return st, err
}

const getSettingsSQL = `SELECT ` + settingsColumns + ` FROM tenant_settings WHERE tenant_id = $1`

// Settings implements Store.
func (s *Managed) Settings(ctx context.Context) (Settings, error) {
	var st Settings
	err := s.read(ctx, func(q querier) (err error) {
		st, err = one(ctx, q, scanSettings, getSettingsSQL, s.tenant)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultSettings(), nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("get settings: %w", translate(err))
	}
	return st, nil
}

const (
	// countUsersSQL counts which of the given ids are users of the tenant (approver_ids has no
	// foreign key, so the store checks it).
	countUsersSQL = `SELECT count(*) FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[])`

	saveSettingsSQL = `
INSERT INTO tenant_settings AS t (tenant_id, approval_mode, approver_ids, reminder_after, sharepoint_site_id,
                                  sharepoint_drive_id, sharepoint_folder, distribution, retention_days,
                                  default_template_id, setup_completed_at)
VALUES ($1, $2, $3::uuid[], $4::interval, $5, $6, $7, $8::jsonb, $9, $10::uuid, $11::timestamptz)
ON CONFLICT (tenant_id) DO UPDATE
   SET approval_mode = EXCLUDED.approval_mode, approver_ids = EXCLUDED.approver_ids,
       reminder_after = EXCLUDED.reminder_after, sharepoint_site_id = EXCLUDED.sharepoint_site_id,
       sharepoint_drive_id = EXCLUDED.sharepoint_drive_id, sharepoint_folder = EXCLUDED.sharepoint_folder,
       distribution = EXCLUDED.distribution, retention_days = EXCLUDED.retention_days,
       default_template_id = EXCLUDED.default_template_id, setup_completed_at = EXCLUDED.setup_completed_at,
       updated_at = now()`
)

// SaveSettings implements Store. Approvers must be users of the tenant, and ApprovalNamed needs
// at least one. The settings row is written first (its foreign key checks the template), then
// the template flags follow it.
func (s *Managed) SaveSettings(ctx context.Context, st Settings) (Settings, error) {
	switch {
	case !st.ApprovalMode.Valid():
		return Settings{}, fmt.Errorf("save settings: %w", invalid("approval mode %q", st.ApprovalMode))
	case st.ApprovalMode == ApprovalNamed && len(st.ApproverIDs) == 0:
		return Settings{}, fmt.Errorf("save settings: %w", invalid("named approval without approvers"))
	case st.ReminderAfter < 0:
		return Settings{}, fmt.Errorf("save settings: %w", invalid("negative reminder delay"))
	}
	approvers := make([]uuid.UUID, 0, len(st.ApproverIDs))
	seen := make(map[UserID]bool, len(st.ApproverIDs))
	for _, id := range st.ApproverIDs {
		if id.IsZero() {
			return Settings{}, fmt.Errorf("save settings: %w", invalid("zero approver id"))
		}
		if !seen[id] {
			seen[id] = true
			approvers = append(approvers, id.UUID())
		}
	}
	var out Settings
	err := retryUnique(templatesOneDefault, func() error {
		return s.write(ctx, func(q querier) error {
			var n int
			if err := q.QueryRow(ctx, countUsersSQL, s.tenant, approvers).Scan(&n); err != nil {
				return err
			}
			if n != len(approvers) {
				return invalid("%d of %d approvers are not users of the tenant", len(approvers)-n, len(approvers))
			}
			if _, err := q.Exec(ctx, saveSettingsSQL, s.tenant, st.ApprovalMode, approvers, st.ReminderAfter,
				st.SharePointSiteID, st.SharePointDriveID, st.SharePointFolder, st.Distribution, st.RetentionDays,
				st.DefaultTemplateID, st.SetupCompletedAt); err != nil {
				return err
			}
			if err := s.setDefault(ctx, q, st.DefaultTemplateID); err != nil {
				return err
			}
			var err error
			out, err = one(ctx, q, scanSettings, getSettingsSQL, s.tenant)
			return err
		})
	})
	if err != nil {
		return Settings{}, fmt.Errorf("save settings: %w", translate(err))
	}
	return out, nil
}

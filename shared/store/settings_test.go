package store_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestSettings(t *testing.T) {
	t.Parallel()

	t.Run("defaults before the first save are the column defaults", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		got, err := st.Settings(b.ctx)
		require.NoError(t, err)
		require.Equal(t, store.DefaultSettings(), got)

		require.NoError(t, tenancy.WithTx(b.ctx, b.db.App, b.tenant, func(tx pgx.Tx) error {
			_, err := tx.Exec(b.ctx, `INSERT INTO tenant_settings (tenant_id) VALUES ($1)`, b.tenant)
			return err
		}))
		raw, err := st.Settings(b.ctx)
		require.NoError(t, err)
		require.False(t, raw.UpdatedAt.IsZero())
		raw.UpdatedAt = time.Time{}
		require.Equal(t, store.DefaultSettings(), raw)
	})

	t.Run("saves every field and upserts", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		ap := createUser(t, st, &userOpts{Role: store.RoleApprover})
		tpl := createTemplate(t, st, nil)
		want := store.Settings{
			ApprovalMode:      store.ApprovalNamed,
			ApproverIDs:       []store.UserID{ap.ID, ap.ID},
			ReminderAfter:     90 * time.Minute,
			SharePointSiteID:  "site",
			SharePointDriveID: "drive",
			SharePointFolder:  "Minutes/2026",
			Distribution:      store.Distribution{Attendees: true, Extra: []string{"board@example.com"}},
			RetentionDays:     30,
			DefaultTemplateID: tpl.ID,
			SetupCompletedAt:  ptr(at(0)),
		}
		got, err := st.SaveSettings(b.ctx, want)
		require.NoError(t, err)
		require.False(t, got.UpdatedAt.IsZero())
		want.ApproverIDs = []store.UserID{ap.ID} // duplicates dropped
		got.UpdatedAt = time.Time{}
		require.True(t, got.SetupCompletedAt.Equal(*want.SetupCompletedAt))
		got.SetupCompletedAt = want.SetupCompletedAt
		require.Equal(t, want, got)

		def, err := st.DefaultTemplate(b.ctx)
		require.NoError(t, err)
		require.Equal(t, tpl.ID, def.ID, "the settings' default template is the flagged one")

		want.ApprovalMode, want.ApproverIDs, want.DefaultTemplateID = store.ApprovalNone, []store.UserID{}, store.TemplateID{}
		got, err = st.SaveSettings(b.ctx, want)
		require.NoError(t, err)
		require.Equal(t, store.ApprovalNone, got.ApprovalMode)
		require.Empty(t, got.ApproverIDs)
		_, err = st.DefaultTemplate(b.ctx)
		requireErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("refuses invalid settings", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		_, other := b.newTenant(t)
		foreignUser := createUser(t, other, nil)
		foreignTemplate := createTemplate(t, other, nil)
		ghost, _ := store.ParseUserID(uuid.NewString())
		cases := []struct {
			name   string
			modify func(*store.Settings)
		}{
			{"unknown approval mode", func(s *store.Settings) { s.ApprovalMode = "vote" }},
			{"named without approvers", func(s *store.Settings) { s.ApprovalMode = store.ApprovalNamed }},
			{"approver of another tenant", func(s *store.Settings) { s.ApproverIDs = []store.UserID{foreignUser.ID} }},
			{"approver who does not exist", func(s *store.Settings) { s.ApproverIDs = []store.UserID{ghost} }},
			{"zero approver", func(s *store.Settings) { s.ApproverIDs = []store.UserID{{}} }},
			{"negative reminder", func(s *store.Settings) { s.ReminderAfter = -time.Second }},
			{"retention out of range", func(s *store.Settings) { s.RetentionDays = 0 }},
			{"template of another tenant", func(s *store.Settings) { s.DefaultTemplateID = foreignTemplate.ID }},
		}
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				s := store.DefaultSettings()
				tt.modify(&s)
				_, err := st.SaveSettings(b.ctx, s)
				requireErrorIs(t, err, store.ErrInvalid)
				got, err := st.Settings(b.ctx)
				require.NoError(t, err)
				require.Equal(t, store.DefaultSettings(), got, "nothing saved")
			})
		}
	})
}

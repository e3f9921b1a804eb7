package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
)

// tenantA is a tenant with one row of everything.
type tenantA struct {
	st         store.Store
	meeting    store.Meeting
	transcript store.Transcript
	minutes    store.Minutes
	item       store.ActionItem
	user       store.User
	invitation store.Invitation
	token      [32]byte
	template   store.Template
}

func seedTenantA(t *testing.T, st store.Store) *tenantA {
	t.Helper()
	ctx := context.Background()
	a := &tenantA{st: st}
	a.user = createUser(t, st, &userOpts{Email: "ada@a.example", Role: store.RoleAdmin, Entra: uuid.New()})
	a.meeting = createMeeting(t, st, &meetingOpts{ExternalID: "shared-external-id", StartsAt: ptr(at(0))})
	a.transcript = createTranscript(t, st, a.meeting.ID, &transcriptOpts{ExternalID: "shared-transcript-id"})
	a.template = createTemplate(t, st, &templateOpts{Name: "Shared name"})
	_, err := st.SetDefaultTemplate(ctx, a.template.ID)
	require.NoError(t, err)
	a.minutes = createMinutes(t, st, a.meeting.ID, nil)
	items, err := st.ReplaceActionItems(ctx, a.minutes.ID, []store.ActionItemInput{{Task: "A's task", OwnerUserID: a.user.ID}})
	require.NoError(t, err)
	a.item = items[0]
	a.invitation, a.token = createInvitation(t, st, &invitationOpts{Token: "shared-token", InvitedBy: a.user.ID})
	s := store.DefaultSettings()
	s.ApprovalMode, s.ApproverIDs, s.DefaultTemplateID = store.ApprovalNamed, []store.UserID{a.user.ID}, a.template.ID
	_, err = st.SaveSettings(ctx, s)
	require.NoError(t, err)
	return a
}

// snapshot reads everything of A through A's store.
func (a *tenantA) snapshot(t *testing.T) map[string]any {
	t.Helper()
	ctx := context.Background()
	snap := map[string]any{}
	get := func(name string, v any, err error) {
		require.NoError(t, err, name)
		snap[name] = v
	}
	m, err := a.st.Meeting(ctx, a.meeting.ID)
	get("meeting", m, err)
	tr, err := a.st.TranscriptsForMeeting(ctx, a.meeting.ID)
	get("transcripts", tr, err)
	mh, err := a.st.MinutesHistory(ctx, a.meeting.ID)
	get("minutes", mh, err)
	ai, err := a.st.ActionItems(ctx, store.ActionItemFilter{})
	get("action items", ai, err)
	us, err := a.st.ListUsers(ctx, store.ListUsersParams{})
	get("users", us, err)
	is, err := a.st.ListInvitations(ctx, store.ListInvitationsParams{})
	get("invitations", is, err)
	ts, err := a.st.ListTemplates(ctx)
	get("templates", ts, err)
	s, err := a.st.Settings(ctx)
	get("settings", s, err)
	ms, err := a.st.ListMeetings(ctx, store.ListMeetingsParams{})
	get("meetings", ms, err)
	return snap
}

func TestIsolation(t *testing.T) {
	t.Parallel()
	stA, b := setup(t)
	a := seedTenantA(t, stA)
	before := a.snapshot(t)
	_, stB := b.newTenant(t)
	userB := createUser(t, stB, &userOpts{Email: "bob@b.example", Role: store.RoleAdmin})
	meetingB := createMeeting(t, stB, nil)
	minutesB := createMinutes(t, stB, meetingB.ID, nil)
	invitationB, _ := createInvitation(t, stB, nil)
	ctx := b.ctx

	t.Run("B gets not found for A's ids", func(t *testing.T) {
		cases := []struct {
			name string
			call func(st store.Store) error
		}{
			{"Meeting", func(st store.Store) error { _, err := st.Meeting(ctx, a.meeting.ID); return err }},
			{"SetMeetingStatus", func(st store.Store) error {
				_, err := st.SetMeetingStatus(ctx, a.meeting.ID, store.MeetingFailed, "x")
				return err
			}},
			{"AddTranscript", func(st store.Store) error {
				_, _, err := st.AddTranscript(ctx, store.TranscriptInput{MeetingID: a.meeting.ID, ExternalID: "new", Format: store.FormatVTT, BlobPath: "p"})
				return err
			}},
			{"Transcript", func(st store.Store) error { _, err := st.Transcript(ctx, a.transcript.ID); return err }},
			{"TranscriptsForMeeting", func(st store.Store) error { _, err := st.TranscriptsForMeeting(ctx, a.meeting.ID); return err }},
			{"AddMinutesVersion", func(st store.Store) error {
				_, err := st.AddMinutesVersion(ctx, store.MinutesInput{MeetingID: a.meeting.ID, Content: json.RawMessage(`{}`)})
				return err
			}},
			{"Minutes", func(st store.Store) error { _, err := st.Minutes(ctx, a.minutes.ID); return err }},
			{"LatestMinutes", func(st store.Store) error { _, err := st.LatestMinutes(ctx, a.meeting.ID); return err }},
			{"MinutesHistory", func(st store.Store) error { _, err := st.MinutesHistory(ctx, a.meeting.ID); return err }},
			{"DecideMinutes", func(st store.Store) error {
				_, err := st.DecideMinutes(ctx, a.minutes.ID, store.DecideParams{Status: store.MinutesRejected, By: userB.ID, At: at(0)})
				return err
			}},
			{"ReplaceActionItems", func(st store.Store) error {
				_, err := st.ReplaceActionItems(ctx, a.minutes.ID, []store.ActionItemInput{{Task: "B's"}})
				return err
			}},
			{"ReplaceActionItems with none", func(st store.Store) error { _, err := st.ReplaceActionItems(ctx, a.minutes.ID, nil); return err }},
			{"ActionItem", func(st store.Store) error { _, err := st.ActionItem(ctx, a.item.ID); return err }},
			{"SetActionItemStatus", func(st store.Store) error {
				_, err := st.SetActionItemStatus(ctx, a.item.ID, store.ActionCancelled)
				return err
			}},
			{"User", func(st store.Store) error { _, err := st.User(ctx, a.user.ID); return err }},
			{"UserByEntraID", func(st store.Store) error { _, err := st.UserByEntraID(ctx, a.user.EntraObjectID); return err }},
			{"UserByEmail", func(st store.Store) error { _, err := st.UserByEmail(ctx, a.user.Email); return err }},
			{"SetUserRole", func(st store.Store) error { _, err := st.SetUserRole(ctx, a.user.ID, store.RoleMember); return err }},
			{"InvitationByToken", func(st store.Store) error { _, err := st.InvitationByToken(ctx, a.token); return err }},
			{"AcceptInvitation", func(st store.Store) error {
				_, err := st.AcceptInvitation(ctx, a.invitation.ID, userB.ID, at(0))
				return err
			}},
			{"RevokeInvitation", func(st store.Store) error { _, err := st.RevokeInvitation(ctx, a.invitation.ID, at(0)); return err }},
			{"Template", func(st store.Store) error { _, err := st.Template(ctx, a.template.ID); return err }},
			{"SetDefaultTemplate", func(st store.Store) error { _, err := st.SetDefaultTemplate(ctx, a.template.ID); return err }},
			{"DefaultTemplate", func(st store.Store) error { _, err := st.DefaultTemplate(ctx); return err }},
		}
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				requireErrorIs(t, tt.call(stB), store.ErrNotFound)
				// The same call inside a transaction of B behaves alike.
				requireErrorIs(t, stB.Tx(ctx, func(tx store.Store) error { return tt.call(tx) }), store.ErrNotFound)
			})
		}
	})

	t.Run("B cannot reference A's rows in its own", func(t *testing.T) {
		cases := []struct {
			name string
			call func() error
		}{
			{"minutes from A's transcript", func() error {
				_, err := stB.AddMinutesVersion(ctx, store.MinutesInput{MeetingID: meetingB.ID, TranscriptID: a.transcript.ID, Content: json.RawMessage(`{}`)})
				return err
			}},
			{"minutes with A's template", func() error {
				_, err := stB.AddMinutesVersion(ctx, store.MinutesInput{MeetingID: meetingB.ID, TemplateID: a.template.ID, Content: json.RawMessage(`{}`)})
				return err
			}},
			{"minutes by A's user", func() error {
				_, err := stB.AddMinutesVersion(ctx, store.MinutesInput{MeetingID: meetingB.ID, CreatedBy: a.user.ID, Content: json.RawMessage(`{}`)})
				return err
			}},
			{"decision by A's user", func() error {
				_, err := stB.DecideMinutes(ctx, minutesB.ID, store.DecideParams{Status: store.MinutesApproved, By: a.user.ID, At: at(0)})
				return err
			}},
			{"action item owned by A's user", func() error {
				_, err := stB.ReplaceActionItems(ctx, minutesB.ID, []store.ActionItemInput{{Task: "t", OwnerUserID: a.user.ID}})
				return err
			}},
			{"invitation by A's user", func() error {
				_, err := stB.CreateInvitation(ctx, store.InvitationInput{Email: "e@b.example", Role: store.RoleMember, TokenSHA256: [32]byte{1}, InvitedBy: a.user.ID, ExpiresAt: at(time.Hour)})
				return err
			}},
			{"invitation accepted by A's user", func() error {
				_, err := stB.AcceptInvitation(ctx, invitationB.ID, a.user.ID, at(0))
				return err
			}},
			{"A's user as approver", func() error {
				s := store.DefaultSettings()
				s.ApprovalMode, s.ApproverIDs = store.ApprovalNamed, []store.UserID{a.user.ID}
				_, err := stB.SaveSettings(ctx, s)
				return err
			}},
			{"A's template as default", func() error {
				s := store.DefaultSettings()
				s.DefaultTemplateID = a.template.ID
				_, err := stB.SaveSettings(ctx, s)
				return err
			}},
		}
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				requireErrorIs(t, tt.call(), store.ErrInvalid)
			})
		}
	})

	t.Run("B lists none of A's rows", func(t *testing.T) {
		ms, err := stB.ListMeetings(ctx, store.ListMeetingsParams{})
		require.NoError(t, err)
		require.Equal(t, []store.MeetingID{meetingB.ID}, ids(ms))
		for _, f := range []store.ActionItemFilter{{}, {MeetingID: a.meeting.ID}, {MinutesID: a.minutes.ID}, {OwnerUserID: a.user.ID}} {
			items, err := stB.ActionItems(ctx, f)
			require.NoError(t, err)
			require.Empty(t, items, "%+v", f)
		}
		us, err := stB.ListUsers(ctx, store.ListUsersParams{})
		require.NoError(t, err)
		require.Equal(t, []store.User{userB}, us)
		is, err := stB.ListInvitations(ctx, store.ListInvitationsParams{})
		require.NoError(t, err)
		require.Len(t, is, 1)
		require.Equal(t, invitationB.ID, is[0].ID)
		ts, err := stB.ListTemplates(ctx)
		require.NoError(t, err)
		require.Empty(t, ts)
		s, err := stB.Settings(ctx)
		require.NoError(t, err)
		require.Equal(t, store.DefaultSettings(), s)
	})

	t.Run("uniqueness is per tenant and leaks nothing", func(t *testing.T) {
		m, created, err := stB.UpsertMeeting(ctx, store.MeetingInput{Source: a.meeting.Source, ExternalID: a.meeting.ExternalID, Subject: "B's"})
		require.NoError(t, err)
		require.True(t, created, "A's external id makes a new meeting in B")
		require.NotEqual(t, a.meeting.ID, m.ID)

		tr, created, err := stB.AddTranscript(ctx, store.TranscriptInput{MeetingID: m.ID, ExternalID: a.transcript.ExternalID, Format: store.FormatVTT, BlobPath: "p"})
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, m.ID, tr.MeetingID)

		_, err = stB.CreateUser(ctx, store.UserInput{Email: a.user.Email, EntraObjectID: a.user.EntraObjectID})
		require.NoError(t, err, "A's email and Entra id are free in B")
		u, created, err := stB.UpsertUserByEmail(ctx, store.UserInput{Email: "ADA@a.example"})
		require.NoError(t, err)
		require.False(t, created, "found B's own user, not A's")
		require.NotEqual(t, a.user.ID, u.ID)

		_, err = stB.CreateInvitation(ctx, store.InvitationInput{Email: "x@b.example", Role: store.RoleMember, TokenSHA256: a.token, ExpiresAt: at(time.Hour)})
		require.NoError(t, err, "A's token hash is free in B")
		tpl, err := stB.CreateTemplate(ctx, store.TemplateInput{Name: a.template.Name})
		require.NoError(t, err)
		_, err = stB.SetDefaultTemplate(ctx, tpl.ID)
		require.NoError(t, err, "B's default does not clash with A's")
		mins, err := stB.AddMinutesVersion(ctx, store.MinutesInput{MeetingID: m.ID, Content: json.RawMessage(`{}`)})
		require.NoError(t, err)
		require.Equal(t, 1, mins.Version, "versions count per tenant's meeting")
	})

	t.Run("A's data is unchanged", func(t *testing.T) {
		require.Equal(t, before, a.snapshot(t))
	})
}

package review_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/review"
	"github.com/meetingminutes/minutes/shared/review/reviewtest"
	"github.com/meetingminutes/minutes/shared/store"
)

// clock is the service's fixed time.
var clock = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

type testBundle struct {
	env *reviewtest.Env
	svc *review.Service
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	return &testBundle{env: reviewtest.New(t), svc: review.New(func() time.Time { return clock })}
}

// status is the HTTP status err means (200 for nil).
func status(err error) int { return funchost.StatusOf(err) }

func edited(title string, items ...map[string]any) json.RawMessage {
	return reviewtest.Content(title, "Edited summary", items...)
}

func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	type who int
	const (
		anon who = iota
		member
		approver
		admin
		suspendedAdmin
	)
	ops := []struct {
		name string
		run  func(ctx context.Context, tn *reviewtest.Tenant) error
		want map[who]int
	}{
		{"edit", func(ctx context.Context, tn *reviewtest.Tenant) error {
			_, err := b.svc.Edit(ctx, tn.Minutes.ID, edited("New title"))
			return err
		}, map[who]int{anon: 401, member: 403, approver: 200, admin: 200, suspendedAdmin: 403}},
		{"approve", func(ctx context.Context, tn *reviewtest.Tenant) error {
			_, err := b.svc.Approve(ctx, tn.Minutes.ID)
			return err
		}, map[who]int{anon: 401, member: 403, approver: 200, admin: 200, suspendedAdmin: 403}},
		{"reject", func(ctx context.Context, tn *reviewtest.Tenant) error {
			_, err := b.svc.Reject(ctx, tn.Minutes.ID, "numbers are wrong")
			return err
		}, map[who]int{anon: 401, member: 403, approver: 200, admin: 200, suspendedAdmin: 403}},
		{"status of own item", func(ctx context.Context, tn *reviewtest.Tenant) error {
			_, err := b.svc.SetActionItemStatus(ctx, tn.Items[0].ID, store.ActionDone)
			return err
		}, map[who]int{anon: 401, member: 200, approver: 200, admin: 200, suspendedAdmin: 403}},
		{"status of someone else's item", func(ctx context.Context, tn *reviewtest.Tenant) error {
			_, err := b.svc.SetActionItemStatus(ctx, tn.Items[1].ID, store.ActionDone)
			return err
		}, map[who]int{anon: 401, member: 403, approver: 200, admin: 200, suspendedAdmin: 403}},
		{"status of an unowned item", func(ctx context.Context, tn *reviewtest.Tenant) error {
			_, err := b.svc.SetActionItemStatus(ctx, tn.Items[2].ID, store.ActionCancelled)
			return err
		}, map[who]int{anon: 401, member: 403, approver: 200, admin: 200, suspendedAdmin: 403}},
		{"history", func(ctx context.Context, tn *reviewtest.Tenant) error {
			_, err := b.svc.History(ctx, tn.Meeting.ID)
			return err
		}, map[who]int{anon: 401, member: 200, approver: 200, admin: 200, suspendedAdmin: 200}},
		{"view", func(ctx context.Context, tn *reviewtest.Tenant) error {
			_, err := b.svc.View(ctx, tn.Minutes.ID)
			return err
		}, map[who]int{anon: 401, member: 200, approver: 200, admin: 200, suspendedAdmin: 200}},
	}
	names := map[who]string{anon: "anonymous", member: "member", approver: "approver", admin: "admin", suspendedAdmin: "admin of a suspended tenant"}
	for _, op := range ops {
		for _, w := range []who{anon, member, approver, admin, suspendedAdmin} {
			t.Run(op.name+"/"+names[w], func(t *testing.T) {
				t.Parallel()
				tn := b.env.NewTenant(t, "T")
				ctx := reviewtest.Anonymous()
				switch w {
				case member:
					ctx = b.env.Context(t, tn, tn.Member)
				case approver:
					ctx = b.env.Context(t, tn, tn.Approver)
				case admin:
					ctx = b.env.Context(t, tn, tn.Admin)
				case suspendedAdmin:
					b.env.Suspend(t, tn)
					ctx = b.env.Context(t, tn, tn.Admin)
				}
				err := op.run(ctx, tn)
				require.Equal(t, op.want[w], status(err), "error: %v", err)
				switch {
				case op.want[w] == http.StatusUnauthorized:
					require.ErrorIs(t, err, access.ErrUnauthorized)
				case w == suspendedAdmin && op.want[w] == http.StatusForbidden:
					require.ErrorIs(t, err, access.ErrReadOnly)
				case op.want[w] == http.StatusForbidden:
					require.ErrorIs(t, err, access.ErrForbidden)
				}
			})
		}
	}
}

func TestNamedApprovers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	tn := b.env.NewTenant(t, "Named")
	second, err := tn.Store.CreateUser(ctx, store.UserInput{Email: "second@named.example", Role: store.RoleApprover})
	require.NoError(t, err)
	set, err := tn.Store.Settings(ctx)
	require.NoError(t, err)
	set.ApprovalMode, set.ApproverIDs = store.ApprovalNamed, []store.UserID{tn.Approver.ID}
	_, err = tn.Store.SaveSettings(ctx, set)
	require.NoError(t, err)

	for _, u := range []store.User{tn.Admin, second} {
		_, err := b.svc.Approve(b.env.Context(t, tn, u), tn.Minutes.ID)
		require.Equal(t, http.StatusForbidden, status(err), "%s is not named", u.Email)
		require.ErrorIs(t, err, review.ErrNotNamedApprover)
		require.ErrorIs(t, err, access.ErrForbidden)
		require.Contains(t, funchost.PublicMessage(err), "named", "the message says why")
	}
	cur, err := tn.Store.Minutes(ctx, tn.Minutes.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesPendingApproval, cur.Status, "a refused approval changes nothing")

	m, err := b.svc.Approve(b.env.Context(t, tn, tn.Approver), tn.Minutes.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesApproved, m.Status)
	require.Equal(t, tn.Approver.ID, m.DecidedBy)
	require.True(t, m.DecidedAt.Equal(clock), "decided at the service's clock")
	mt, err := tn.Store.Meeting(ctx, tn.Meeting.ID)
	require.NoError(t, err)
	require.Equal(t, store.MeetingApproved, mt.Status)

	// Rejection is not limited to named approvers: any approver may send minutes back.
	_, m2, _ := tn.AddMeeting(t, reviewtest.MeetingOptions{})
	_, err = b.svc.Reject(b.env.Context(t, tn, second), m2.ID, "wrong attendees")
	require.NoError(t, err)
}

func TestApproveOnlyTheLatestUndecidedVersion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.env.NewTenant(t, "Latest")
	ctx := b.env.Context(t, tn, tn.Approver)

	v2, err := b.svc.Edit(ctx, tn.Minutes.ID, edited("v2"))
	require.NoError(t, err)
	_, err = b.svc.Approve(ctx, tn.Minutes.ID)
	require.ErrorIs(t, err, store.ErrConflict, "version 1 was superseded")
	require.Contains(t, funchost.PublicMessage(err), "superseded")

	_, err = b.svc.Approve(ctx, v2.ID)
	require.NoError(t, err)
	_, err = b.svc.Approve(ctx, v2.ID)
	require.ErrorIs(t, err, store.ErrConflict, "approving twice")
	_, err = b.svc.Reject(ctx, v2.ID, "too late")
	require.ErrorIs(t, err, store.ErrConflict, "approved minutes cannot be rejected")
}

func TestRejectNeedsAReason(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.env.NewTenant(t, "Reasons")
	ctx := b.env.Context(t, tn, tn.Approver)
	for _, reason := range []string{"", "   \n\t", strings.Repeat("x", review.MaxReasonLength+1), "\xff\xfe"} {
		_, err := b.svc.Reject(ctx, tn.Minutes.ID, reason)
		require.Equal(t, http.StatusBadRequest, status(err), "reason %.10q", reason)
		require.ErrorIs(t, err, review.ErrReasonRequired)
		require.ErrorIs(t, err, store.ErrInvalid)
	}
	cur, err := tn.Store.Minutes(context.Background(), tn.Minutes.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesPendingApproval, cur.Status)

	long := strings.Repeat("é", review.MaxReasonLength) // characters, not bytes
	m, err := b.svc.Reject(ctx, tn.Minutes.ID, "  "+long+"  ")
	require.NoError(t, err)
	require.Equal(t, store.MinutesRejected, m.Status)
	require.Equal(t, long, m.DecisionReason, "kept trimmed")
	mt, err := tn.Store.Meeting(context.Background(), tn.Meeting.ID)
	require.NoError(t, err)
	require.Equal(t, store.MeetingRejected, mt.Status)
}

func TestEditAddsAVersionAndKeepsTheOld(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bg := context.Background()
	tn := b.env.NewTenant(t, "Edits")
	ctx := b.env.Context(t, tn, tn.Approver)

	// The member finished their item before the edit: the edit must not reopen it.
	_, err := b.svc.SetActionItemStatus(b.env.Context(t, tn, tn.Member), tn.Items[0].ID, store.ActionDone)
	require.NoError(t, err)

	content := edited("Board meeting, corrected",
		map[string]any{"task": "Send the deck", "owner": tn.Member.DisplayName, "owner_user_id": tn.Member.ID.String(),
			"quote": "I'll send the deck", "at": "01:02:03.5", "due": "2026-03-20"},
		map[string]any{"task": "Draft the budget", "owner": "Someone", "owner_email": "someone@outside.example",
			"quote": "I can draft it", "at": 75.25, "due": nil, "confidence": 0.9},
	)
	v2, err := b.svc.Edit(ctx, tn.Minutes.ID, content)
	require.NoError(t, err)
	require.Equal(t, 2, v2.Version)
	require.Equal(t, store.MinutesPendingApproval, v2.Status, "same status as version 1")
	require.Equal(t, tn.Approver.ID, v2.CreatedBy)
	require.Equal(t, review.GeneratorEdit, v2.Generator)
	require.JSONEq(t, string(content), string(v2.Content))

	v1, err := tn.Store.Minutes(bg, tn.Minutes.ID)
	require.NoError(t, err)
	require.JSONEq(t, string(tn.Minutes.Content), string(v1.Content), "version 1 is kept as it was")
	require.Equal(t, store.MinutesPendingApproval, v1.Status)
	hist, err := b.svc.History(b.env.Context(t, tn, tn.Member), tn.Meeting.ID)
	require.NoError(t, err)
	require.Len(t, hist, 2)
	require.Equal(t, []int{2, 1}, []int{hist[0].Version, hist[1].Version}, "newest first")

	old, err := tn.Store.ActionItems(bg, store.ActionItemFilter{MinutesID: v1.ID})
	require.NoError(t, err)
	require.Len(t, old, 3, "version 1's items are kept")
	items, err := tn.Store.ActionItems(bg, store.ActionItemFilter{MeetingID: tn.Meeting.ID})
	require.NoError(t, err)
	require.Len(t, items, 2, "the current items are version 2's")
	byTask := map[string]store.ActionItem{}
	for _, a := range items {
		require.Equal(t, v2.ID, a.MinutesID)
		byTask[a.Task] = a
	}
	deck, budget := byTask["Send the deck"], byTask["Draft the budget"]
	require.Equal(t, store.ActionDone, deck.Status, "status carried over from the same task and owner")
	require.Equal(t, tn.Member.ID, deck.OwnerUserID)
	require.True(t, deck.Verified, "the same quote was verified before")
	require.Equal(t, time.Hour+2*time.Minute+3500*time.Millisecond, *deck.SourceOffset)
	require.Equal(t, "2026-03-20", deck.DueDate.Format(time.DateOnly))
	require.Equal(t, store.ActionOpen, budget.Status)
	require.False(t, budget.Verified, "an editor cannot vouch for a new quote")
	require.Equal(t, 75250*time.Millisecond, *budget.SourceOffset)
	require.Nil(t, budget.DueDate)
	require.Equal(t, "someone@outside.example", budget.OwnerEmail)

	_, err = b.svc.Edit(ctx, tn.Minutes.ID, edited("stale"))
	require.ErrorIs(t, err, store.ErrConflict, "version 1 is no longer the latest")

	// A draft stays a draft.
	_, draft, _ := tn.AddMeeting(t, reviewtest.MeetingOptions{Status: store.MinutesDraft})
	d2, err := b.svc.Edit(ctx, draft.ID, edited("draft edit"))
	require.NoError(t, err)
	require.Equal(t, store.MinutesDraft, d2.Status)
	require.Equal(t, 2, d2.Version)
	empty, err := tn.Store.ActionItems(bg, store.ActionItemFilter{MinutesID: d2.ID})
	require.NoError(t, err)
	require.Empty(t, empty, "no action_items: no items")
}

func TestEditRefusesDecidedMinutes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.env.NewTenant(t, "Decided")
	ctx := b.env.Context(t, tn, tn.Admin)
	for _, st := range []store.MinutesStatus{store.MinutesApproved, store.MinutesRejected, store.MinutesPublished, store.MinutesFailed} {
		mt, m, _ := tn.AddMeeting(t, reviewtest.MeetingOptions{Status: st})
		_, err := b.svc.Edit(ctx, m.ID, edited("late edit"))
		require.Equal(t, http.StatusConflict, status(err), "%s: %v", st, err)
		require.ErrorIs(t, err, store.ErrConflict)
		require.Contains(t, funchost.PublicMessage(err), string(st))
		hist, err := tn.Store.MinutesHistory(context.Background(), mt.ID)
		require.NoError(t, err)
		require.Len(t, hist, 1, "%s: no version added", st)
	}
}

func TestEditChecksTheContent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.env.NewTenant(t, "Shapes")
	other := b.env.NewTenant(t, "Elsewhere")
	ctx := b.env.Context(t, tn, tn.Approver)
	item := func(kv ...any) json.RawMessage {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return reviewtest.Content("t", "s", m)
	}
	cases := []struct {
		name    string
		content string
		status  int
		msg     string
	}{
		{"not JSON", `{"title":`, 400, "JSON object"},
		{"an array", `[1,2]`, 400, "JSON object"},
		{"a string", `"minutes"`, 400, "JSON object"},
		{"empty", ``, 400, "JSON object"},
		{"no title", `{"summary":"s"}`, 400, "content.title is required"},
		{"title not a string", `{"title":5,"summary":"s"}`, 400, "content.title must be a string"},
		{"summary null", `{"title":"t","summary":null}`, 400, "content.summary must be a string"},
		{"decisions not an array", `{"title":"t","summary":"s","decisions":{}}`, 400, "content.decisions must be an array"},
		{"action items not an array", `{"title":"t","summary":"s","action_items":"do it"}`, 400, "content.action_items must be an array"},
		{"item not an object", `{"title":"t","summary":"s","action_items":["do it"]}`, 400, "content.action_items[0] must be an object"},
		{"item without task", string(item("owner", "x")), 400, "content.action_items[0].task is required"},
		{"task not a string", string(item("task", 7)), 400, "content.action_items[0].task must be a string"},
		{"task too long", string(item("task", strings.Repeat("t", review.MaxTaskLength+1))), 400, "more than"},
		{"bad due date", string(item("task", "x", "due", "next week")), 400, "due must be a date"},
		{"bad offset", string(item("task", "x", "at", "1:2:3:4")), 400, "at must be an offset"},
		{"negative offset", string(item("task", "x", "at", -3)), 400, "at must be an offset"},
		{"title too long", `{"title":"` + strings.Repeat("t", review.MaxTitleLength+1) + `","summary":"s"}`, 400, "content.title"},
		{"owner id malformed", string(item("task", "x", "owner_user_id", "nobody")), 404, "user not found"},
		{"owner of another tenant", string(item("task", "x", "owner_user_id", other.Member.ID.String())), 404, "user not found"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.svc.Edit(ctx, tn.Minutes.ID, json.RawMessage(tt.content))
			require.Equal(t, tt.status, status(err), "%v", err)
			require.Contains(t, funchost.PublicMessage(err), tt.msg)
		})
	}
	hist, err := tn.Store.MinutesHistory(context.Background(), tn.Meeting.ID)
	require.NoError(t, err)
	require.Len(t, hist, 1, "no refused edit added a version")
}

func TestAuditEntriesHoldNoMinutesText(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bg := context.Background()
	tn := b.env.NewTenant(t, "Audited")
	ctx := b.env.Context(t, tn, tn.Approver)

	v2, err := b.svc.Edit(ctx, tn.Minutes.ID, reviewtest.Content("Confidential title", "Secret summary text, changed",
		map[string]any{"task": "Fire Bob quietly", "owner": "Bob Jones", "owner_email": "bob@audited.example"}))
	require.NoError(t, err)
	_, err = b.svc.View(b.env.Context(t, tn, tn.Member), v2.ID)
	require.NoError(t, err)
	_, err = b.svc.Approve(ctx, v2.ID)
	require.NoError(t, err)
	_, err = b.svc.SetActionItemStatus(b.env.Context(t, tn, tn.Member), tn.Items[0].ID, store.ActionDone)
	require.NoError(t, err)
	_, m2, _ := tn.AddMeeting(t, reviewtest.MeetingOptions{})
	_, err = b.svc.Reject(ctx, m2.ID, "The summary misquotes the CFO about layoffs")
	require.NoError(t, err)

	recs, err := audit.List(bg, b.env.DB.App, tn.ID, audit.ListParams{})
	require.NoError(t, err)
	byAction := map[string]audit.Record{}
	for _, r := range recs {
		byAction[r.Action] = r
		require.Equal(t, audit.ActorUser, r.Actor.Type)
		require.True(t, r.At.Equal(clock))
		raw, err := json.Marshal(r.Details)
		require.NoError(t, err)
		for _, secret := range []string{"Confidential", "Secret summary", "Fire Bob", "Bob Jones", "bob@", "CFO",
			"Send the deck", tn.Member.Email, tn.Member.DisplayName, tn.Approver.Email} {
			require.NotContains(t, string(raw), secret, "%s details leak text", r.Action)
		}
	}
	require.Len(t, byAction, 5)

	e := byAction[review.ActionEdited]
	require.Equal(t, tn.Approver.ID.String(), e.Actor.ID)
	require.Equal(t, audit.Target{Type: review.TargetMinutes, ID: v2.ID.String()}, e.Target)
	require.EqualValues(t, "1", e.Details["from_version"].(json.Number).String())
	require.EqualValues(t, "2", e.Details["to_version"].(json.Number).String())
	require.Equal(t, tn.Minutes.ID.String(), e.Details["from_minutes_id"])
	require.ElementsMatch(t, []any{"action_items", "summary", "title"}, e.Details["changed_fields"],
		"decisions and language did not change")

	a := byAction[review.ActionApproved]
	require.Equal(t, v2.ID.String(), a.Target.ID)
	require.Equal(t, "pending_approval", a.Details["from_status"])

	r := byAction[review.ActionRejected]
	require.Equal(t, m2.ID.String(), r.Target.ID)
	require.Contains(t, r.Details, "reason_length")

	s := byAction[review.ActionItemStatus]
	require.Equal(t, tn.Member.ID.String(), s.Actor.ID)
	require.Equal(t, audit.Target{Type: review.TargetActionItem, ID: tn.Items[0].ID.String()}, s.Target)
	require.Equal(t, "open", s.Details["from"])
	require.Equal(t, "done", s.Details["to"])

	v := byAction[review.ActionViewed]
	require.Equal(t, tn.Member.ID.String(), v.Actor.ID)

	// The edit's diff names only known members; others are counted, never named.
	tn2 := b.env.NewTenant(t, "Odd keys")
	_, err = b.svc.Edit(b.env.Context(t, tn2, tn2.Approver), tn2.Minutes.ID,
		json.RawMessage(`{"title":"Minutes of Weekly sync","summary":"Secret summary text","decisions":[{"text":"Ship it"}],
			"action_items":[],"language":"en","Alice Smith salary":"90000"}`))
	require.NoError(t, err)
	recs, err = audit.List(bg, b.env.DB.App, tn2.ID, audit.ListParams{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	raw, _ := json.Marshal(recs[0].Details)
	require.NotContains(t, string(raw), "Alice")
	require.Equal(t, "1", recs[0].Details["other_fields_changed"].(json.Number).String())
	require.ElementsMatch(t, []any{"action_items"}, recs[0].Details["changed_fields"])
}

func TestAnotherTenantsIDsAreNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bg := context.Background()
	a, victim := b.env.NewTenant(t, "A"), b.env.NewTenant(t, "B")
	ctx := b.env.Context(t, a, a.Admin) // the highest role of tenant A
	ops := map[string]func() error{
		"edit":    func() error { _, err := b.svc.Edit(ctx, victim.Minutes.ID, edited("pwned")); return err },
		"approve": func() error { _, err := b.svc.Approve(ctx, victim.Minutes.ID); return err },
		"reject": func() error {
			_, err := b.svc.Reject(ctx, victim.Minutes.ID, "pwned")
			return err
		},
		"status": func() error {
			_, err := b.svc.SetActionItemStatus(ctx, victim.Items[0].ID, store.ActionDone)
			return err
		},
		"history": func() error { _, err := b.svc.History(ctx, victim.Meeting.ID); return err },
		"view":    func() error { _, err := b.svc.View(ctx, victim.Minutes.ID); return err },
	}
	for name, op := range ops {
		err := op()
		require.ErrorIs(t, err, store.ErrNotFound, name)
		require.Equal(t, http.StatusNotFound, status(err), name)
	}
	hist, err := victim.Store.MinutesHistory(bg, victim.Meeting.ID)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	require.Equal(t, store.MinutesPendingApproval, hist[0].Status)
	items, err := victim.Store.ActionItems(bg, store.ActionItemFilter{})
	require.NoError(t, err)
	for _, it := range items {
		require.Equal(t, store.ActionOpen, it.Status)
	}
	recs, err := audit.List(bg, b.env.DB.App, victim.ID, audit.ListParams{})
	require.NoError(t, err)
	require.Empty(t, recs, "nothing was done in B")
	recs, err = audit.List(bg, b.env.DB.App, a.ID, audit.ListParams{})
	require.NoError(t, err)
	require.Empty(t, recs, "nor recorded in A")
}

func TestSetActionItemStatus(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bg := context.Background()
	tn := b.env.NewTenant(t, "Items")
	ctx := b.env.Context(t, tn, tn.Member)

	_, err := b.svc.SetActionItemStatus(ctx, tn.Items[0].ID, "finished")
	require.Equal(t, http.StatusBadRequest, status(err))
	require.ErrorIs(t, err, store.ErrInvalid)

	a, err := b.svc.SetActionItemStatus(ctx, tn.Items[0].ID, store.ActionDone)
	require.NoError(t, err)
	require.Equal(t, store.ActionDone, a.Status)
	require.NotNil(t, a.CompletedAt)
	again, err := b.svc.SetActionItemStatus(ctx, tn.Items[0].ID, store.ActionDone)
	require.NoError(t, err)
	require.Equal(t, a.CompletedAt, again.CompletedAt)
	recs, err := audit.List(bg, b.env.DB.App, tn.ID, audit.ListParams{})
	require.NoError(t, err)
	require.Len(t, recs, 1, "an unchanged status is not recorded again")

	_, err = b.svc.SetActionItemStatus(ctx, tn.Items[1].ID, store.ActionDone)
	require.ErrorIs(t, err, review.ErrNotOwner)
	require.Contains(t, funchost.PublicMessage(err), "own")
	it, err := tn.Store.ActionItem(bg, tn.Items[1].ID)
	require.NoError(t, err)
	require.Equal(t, store.ActionOpen, it.Status)
}

func TestErrorsMatchTheirSentinels(t *testing.T) {
	t.Parallel()
	wrapped := errors.Join(errors.New("context"), review.ErrNotOwner)
	require.ErrorIs(t, wrapped, access.ErrForbidden)
	require.Equal(t, http.StatusForbidden, status(wrapped))
	require.Equal(t, http.StatusBadRequest, status(review.ErrReasonRequired))
	require.Contains(t, funchost.PublicMessage(review.ErrReasonRequired), "reason")
}

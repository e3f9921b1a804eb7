package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	api "github.com/meetingminutes/minutes/functions/Api"
	"github.com/meetingminutes/minutes/shared/review/reviewtest"
	"github.com/meetingminutes/minutes/shared/store"
)

func TestMe(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := b.do(t, b.as(t, b.a, b.a.Approver), "GET", "/api/v1/me", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, obj{
		"tenant_id": b.a.ID.String(), "user_id": b.a.Approver.ID.String(), "role": "approver",
		"name": b.a.Approver.DisplayName, "email": b.a.Approver.Email, "tenant_status": "active",
	}, decode[obj](t, rec))
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
}

func TestMeetings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.a
	member := b.as(t, tn, tn.Member)
	want := []string{}
	for i := range 4 { // newest first; the fixture's meeting has no start and comes last
		at := time.Date(2026, 3, 10-i, 9, 0, 0, 0, time.UTC)
		m, _, _ := tn.AddMeeting(t, reviewtest.MeetingOptions{Subject: fmt.Sprintf("Sync %d", i), StartsAt: &at, NoMinutes: i%2 == 1})
		want = append(want, m.ID.String())
	}
	want = append(want, tn.Meeting.ID.String())

	t.Run("pages follow the cursor", func(t *testing.T) {
		var got []string
		path := "/api/v1/meetings?limit=2"
		for range 10 {
			rec := b.do(t, member, "GET", path, nil)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			p := decode[struct {
				Items []obj `json:"items"`
				Next  string
			}](t, rec)
			for _, m := range p.Items {
				got = append(got, m["id"].(string))
				for _, internal := range []string{"external_id", "call_id", "organizer_id", "ExternalID"} {
					require.NotContains(t, m, internal)
				}
			}
			if p.Next == "" {
				break
			}
			path = "/api/v1/meetings?limit=2&before=" + p.Next
		}
		require.Equal(t, want, got)
	})
	t.Run("status filter", func(t *testing.T) {
		_, err := tn.Store.SetMeetingStatus(context.Background(), tn.Meeting.ID, store.MeetingPendingApproval, "")
		require.NoError(t, err)
		rec := b.do(t, member, "GET", "/api/v1/meetings?status=pending_approval", nil)
		require.Equal(t, http.StatusOK, rec.Code)
		items := decode[obj](t, rec)["items"].([]any)
		require.Len(t, items, 1)
		require.Equal(t, tn.Meeting.ID.String(), items[0].(obj)["id"])
		require.Equal(t, "", decode[obj](t, rec)["next"])
	})
	t.Run("bad parameters", func(t *testing.T) {
		for _, q := range []string{"status=bogus", "limit=0", "limit=-1", "limit=ten", "before=!!"} {
			rec := b.do(t, member, "GET", "/api/v1/meetings?"+q, nil)
			require.Equal(t, http.StatusBadRequest, rec.Code, q)
			errorOf(t, rec)
		}
		rec := b.do(t, member, "GET", "/api/v1/meetings?limit=100000", nil)
		require.Equal(t, http.StatusOK, rec.Code, "a large limit is clamped")
	})
	t.Run("one meeting with its latest minutes", func(t *testing.T) {
		rec := b.do(t, member, "GET", "/api/v1/meetings/"+tn.Meeting.ID.String(), nil)
		require.Equal(t, http.StatusOK, rec.Code)
		m := decode[obj](t, rec)
		require.Equal(t, "Weekly sync", m["subject"])
		require.Equal(t, obj{"name": tn.Admin.DisplayName, "email": tn.Admin.Email}, m["organizer"])
		latest := m["latest_minutes"].(obj)
		require.Equal(t, tn.Minutes.ID.String(), latest["id"])
		require.NotContains(t, latest, "content", "the summary has no content")
		rec = b.do(t, member, "GET", "/api/v1/meetings/"+want[1], nil)
		require.NotContains(t, decode[obj](t, rec), "latest_minutes", "a meeting without minutes")
	})
}

func TestMinutesWorkflow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.a
	member, approver := b.as(t, tn, tn.Member), b.as(t, tn, tn.Approver)
	v1 := "/api/v1/minutes/" + tn.Minutes.ID.String()

	rec := b.do(t, member, "GET", v1, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	m := decode[obj](t, rec)
	require.Equal(t, "Secret summary text", m["content"].(obj)["summary"])
	require.EqualValues(t, 1, m["version"])
	require.Nil(t, m["created_by"])
	require.NotContains(t, m, "transcript_id")

	content := reviewtest.Content("Corrected", "Better summary",
		map[string]any{"task": "Send the deck", "owner_user_id": tn.Member.ID.String(), "owner": tn.Member.DisplayName, "due": "2026-03-20", "at": "00:01:02"})
	rec = b.do(t, approver, "PUT", v1, obj{"content": content})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	v2 := decode[obj](t, rec)
	require.EqualValues(t, 2, v2["version"])
	require.Equal(t, "pending_approval", v2["status"])
	require.Equal(t, tn.Approver.ID.String(), v2["created_by"])
	require.Equal(t, "/api/v1/minutes/"+v2["id"].(string), rec.Header().Get("Location"))
	require.JSONEq(t, string(content), mustJSON(t, v2["content"]))

	rec = b.do(t, member, "GET", v1, nil)
	require.Equal(t, "Secret summary text", decode[obj](t, rec)["content"].(obj)["summary"], "version 1 is kept")

	rec = b.do(t, member, "GET", "/api/v1/meetings/"+tn.Meeting.ID.String()+"/minutes", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	hist := decode[obj](t, rec)["items"].([]any)
	require.Len(t, hist, 2)
	require.EqualValues(t, 2, hist[0].(obj)["version"])
	require.NotContains(t, hist[0].(obj), "content")

	rec = b.do(t, approver, "POST", v1+"/approve", nil)
	require.Equal(t, http.StatusConflict, rec.Code, "version 1 was superseded")
	require.Contains(t, errorOf(t, rec), "superseded")

	rec = b.do(t, approver, "POST", "/api/v1/minutes/"+v2["id"].(string)+"/approve", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	approved := decode[obj](t, rec)
	require.Equal(t, "approved", approved["status"])
	require.Equal(t, tn.Approver.ID.String(), approved["decided_by"])
	require.Equal(t, clock.Format(time.RFC3339), approved["decided_at"])

	rec = b.do(t, approver, "PUT", "/api/v1/minutes/"+v2["id"].(string), obj{"content": content})
	require.Equal(t, http.StatusConflict, rec.Code, "approved minutes are not edited")
	require.Contains(t, errorOf(t, rec), "approved")

	_, other, _ := tn.AddMeeting(t, reviewtest.MeetingOptions{Subject: "Other"})
	reject := "/api/v1/minutes/" + other.ID.String() + "/reject"
	for _, body := range []any{obj{}, obj{"reason": ""}, obj{"reason": "   "}} {
		rec = b.do(t, approver, "POST", reject, body)
		require.Equal(t, http.StatusBadRequest, rec.Code)
		require.Contains(t, errorOf(t, rec), "reason")
	}
	rec = b.do(t, approver, "POST", reject, obj{"reason": "Wrong attendees"})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "rejected", decode[obj](t, rec)["status"])
	require.Equal(t, "Wrong attendees", decode[obj](t, rec)["decision_reason"])

	require.Equal(t, []string{"minutes.viewed", "minutes.edited", "minutes.viewed", "minutes.approved", "minutes.rejected"},
		b.auditActions(t, tn))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

func TestActionItems(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.a
	member := b.as(t, tn, tn.Member)
	due := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	off := 83*time.Second + 250*time.Millisecond
	mt, _, _ := tn.AddMeeting(t, reviewtest.MeetingOptions{Subject: "Planning", Items: []store.ActionItemInput{
		{Task: "Plan Q2", OwnerUserID: tn.Member.ID, OwnerName: tn.Member.DisplayName, DueDate: &due, SourceQuote: "let's plan", SourceOffset: &off},
	}})

	list := func(q string) []obj {
		t.Helper()
		rec := b.do(t, member, "GET", "/api/v1/action-items"+q, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var out []obj
		for _, it := range decode[obj](t, rec)["items"].([]any) {
			out = append(out, it.(obj))
		}
		return out
	}
	require.Len(t, list(""), 4)
	mine := list("?owner=me")
	require.Len(t, mine, 2)
	require.Equal(t, "Plan Q2", mine[0]["task"], "by due date")
	require.Equal(t, "2026-04-01", mine[0]["due"])
	require.Equal(t, obj{"quote": "let's plan", "at": "00:01:23.250", "at_ms": float64(83250), "verified": false}, mine[0]["source"])
	require.Equal(t, tn.Member.ID.String(), mine[0]["owner"].(obj)["user_id"])
	require.Len(t, list("?owner="+tn.Other.ID.String()), 1)
	require.Len(t, list("?meeting="+mt.ID.String()), 1)
	require.Len(t, list("?limit=1"), 1)

	rec := b.do(t, member, "PATCH", "/api/v1/action-items/"+tn.Items[0].ID.String(), obj{"status": "done"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	done := decode[obj](t, rec)
	require.Equal(t, "done", done["status"])
	require.NotNil(t, done["completed_at"])
	require.Len(t, list("?status=done"), 1)
	require.Len(t, list("?status=open&owner=me"), 1)

	rec = b.do(t, member, "PATCH", "/api/v1/action-items/"+tn.Items[1].ID.String(), obj{"status": "done"})
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Contains(t, errorOf(t, rec), "own")
	rec = b.do(t, member, "PATCH", "/api/v1/action-items/"+tn.Items[0].ID.String(), obj{"status": "finished"})
	require.Equal(t, http.StatusBadRequest, rec.Code)
	rec = b.do(t, member, "GET", "/api/v1/action-items?status=finished", nil)
	require.Equal(t, http.StatusBadRequest, rec.Code)
	errorOf(t, rec)
}

func TestSettings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.a
	admin := b.as(t, tn, tn.Admin)

	rec := b.do(t, admin, "GET", "/api/v1/settings", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	s := decode[obj](t, rec)
	require.Equal(t, "any", s["approval_mode"])
	require.Equal(t, []any{}, s["approver_ids"])
	require.EqualValues(t, 86400, s["reminder_after_seconds"])

	rec = b.do(t, admin, "PUT", "/api/v1/settings", obj{
		"approval_mode": "named", "approver_ids": []string{tn.Approver.ID.String(), tn.Approver.ID.String()},
		"reminder_after_seconds": 3600, "sharepoint_folder": "Minutes/2026", "retention_days": 90,
		"distribution":        obj{"attendees": false, "extra": []string{"board@contoso.example"}},
		"default_template_id": tn.Template.ID.String(),
	})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	s = decode[obj](t, rec)
	require.Equal(t, "named", s["approval_mode"])
	require.Equal(t, []any{tn.Approver.ID.String()}, s["approver_ids"], "deduplicated")
	require.EqualValues(t, 3600, s["reminder_after_seconds"])
	require.Equal(t, "Minutes/2026", s["sharepoint_folder"])
	require.EqualValues(t, 90, s["retention_days"])
	require.Equal(t, obj{"attendees": false, "extra": []any{"board@contoso.example"}, "organizer_only": false}, s["distribution"])
	require.Equal(t, tn.Template.ID.String(), s["default_template_id"])

	rec = b.do(t, admin, "PUT", "/api/v1/settings", obj{"retention_days": 30})
	require.Equal(t, http.StatusOK, rec.Code)
	s = decode[obj](t, rec)
	require.EqualValues(t, 30, s["retention_days"])
	require.Equal(t, "named", s["approval_mode"], "absent fields are unchanged")

	// Named approvers now apply to the API's approvals too.
	rec = b.do(t, admin, "POST", "/api/v1/minutes/"+tn.Minutes.ID.String()+"/approve", nil)
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Contains(t, errorOf(t, rec), "named")

	for _, tt := range []struct {
		body obj
		msg  string
	}{
		{obj{"approval_mode": "everyone"}, "approval_mode"},
		{obj{"approver_ids": []string{tn.Member.ID.String()}}, "approver_ids[0] is not an active approver"},
		{obj{"approval_mode": "named", "approver_ids": []string{}}, "at least one"},
		{obj{"reminder_after_seconds": -1}, "reminder_after_seconds"},
		{obj{"retention_days": 0}, "retention_days"},
		{obj{"retention_days": 36501}, "retention_days"},
		{obj{"sharepoint_folder": "../../other"}, "segment"},
		{obj{"sharepoint_folder": "a:b"}, "sharepoint_folder"},
		{obj{"sharepoint_folder": ""}, "sharepoint_folder"},
		{obj{"distribution": obj{"extra": []string{"Bob <bob@x.example>"}}}, "distribution.extra[0]"},
		{obj{"distribution": obj{"extra": []string{"not an address"}}}, "distribution.extra[0]"},
		{obj{"sharepoint_site_id": "other-site"}, `unknown field "sharepoint_site_id"`},
		{obj{"tenant_id": b.b.ID.String()}, `unknown field "tenant_id"`},
		{obj{"updated_at": "2020-01-01T00:00:00Z"}, `unknown field "updated_at"`},
		{obj{"distribution": obj{"attendees": true, "bcc": "x"}}, `unknown field "bcc"`},
		{obj{"retention_days": "30"}, `field "retention_days" must be an integer`},
		{obj{"approver_ids": "x"}, `field "approver_ids" must be an array`},
	} {
		rec := b.do(t, admin, "PUT", "/api/v1/settings", tt.body)
		require.Equal(t, http.StatusBadRequest, rec.Code, "%v: %s", tt.body, rec.Body.String())
		require.Contains(t, errorOf(t, rec), tt.msg)
	}
	require.Equal(t, []string{"settings.updated", "settings.updated"}, b.auditActions(t, tn), "refused updates record nothing")
}

func TestUsers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.a
	admin := b.as(t, tn, tn.Admin)

	var emails []string
	path := "/api/v1/users?limit=3"
	for path != "" {
		rec := b.do(t, admin, "GET", path, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		p := decode[obj](t, rec)
		for _, u := range p["items"].([]any) {
			emails = append(emails, u.(obj)["email"].(string))
			require.NotContains(t, u.(obj), "entra_object_id")
		}
		path = ""
		if next := p["next"].(string); next != "" {
			path = "/api/v1/users?limit=3&after=" + next
		}
	}
	require.Equal(t, []string{tn.Admin.Email, tn.Approver.Email, tn.Member.Email, tn.Other.Email}, emails)
	rec := b.do(t, admin, "GET", "/api/v1/users?role=approver", nil)
	require.Len(t, decode[obj](t, rec)["items"], 1)

	rec = b.do(t, admin, "PATCH", "/api/v1/users/"+tn.Member.ID.String(), obj{"role": "approver"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "approver", decode[obj](t, rec)["role"])

	rec = b.do(t, admin, "PATCH", "/api/v1/users/"+tn.Admin.ID.String(), obj{"role": "member"})
	require.Equal(t, http.StatusConflict, rec.Code, "the last admin")
	require.Contains(t, errorOf(t, rec), "last admin")

	for _, body := range []obj{{"role": "owner"}, {}, {"role": "admin", "tenant_id": b.b.ID.String()}, {"role": "admin", "status": "active"}} {
		rec = b.do(t, admin, "PATCH", "/api/v1/users/"+tn.Other.ID.String(), body)
		require.Equal(t, http.StatusBadRequest, rec.Code, "%v", body)
	}
	u, err := tn.Store.User(context.Background(), tn.Other.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleMember, u.Role)
	require.Equal(t, []string{"user.role_changed"}, b.auditActions(t, tn))
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.a
	admin := b.as(t, tn, tn.Admin)

	rec := b.do(t, admin, "POST", "/api/v1/templates", obj{"name": "Retro", "sections": []string{"summary", "next_steps"}, "tone": "friendly", "language": "pt-BR"})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	tpl := decode[obj](t, rec)
	require.Equal(t, obj{"name": "Retro", "sections": []any{"summary", "next_steps"}, "tone": "friendly", "language": "pt-BR", "is_default": false},
		obj{"name": tpl["name"], "sections": tpl["sections"], "tone": tpl["tone"], "language": tpl["language"], "is_default": tpl["is_default"]})

	rec = b.do(t, b.as(t, tn, tn.Member), "GET", "/api/v1/templates", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, decode[obj](t, rec)["items"], 2)

	rec = b.do(t, admin, "POST", "/api/v1/templates", obj{"name": "Retro"})
	require.Equal(t, http.StatusConflict, rec.Code)
	require.Contains(t, errorOf(t, rec), "name exists")

	for _, body := range []obj{{"name": ""}, {"name": "x", "tone": "angry"}, {"name": "x", "sections": []string{"Bad Section"}},
		{"name": "x", "sections": []string{}}, {"name": "x", "language": "e"}, {"name": "x", "is_default": true}} {
		rec = b.do(t, admin, "POST", "/api/v1/templates", body)
		require.Equal(t, http.StatusBadRequest, rec.Code, "%v", body)
		errorOf(t, rec)
	}
	require.Equal(t, []string{"template.created"}, b.auditActions(t, tn))
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.a
	admin := b.as(t, tn, tn.Admin)
	for range 3 {
		require.Equal(t, http.StatusOK, b.do(t, admin, "GET", "/api/v1/minutes/"+tn.Minutes.ID.String(), nil).Code)
	}
	rec := b.do(t, admin, "GET", "/api/v1/audit?limit=2", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	p := decode[obj](t, rec)
	items := p["items"].([]any)
	require.Len(t, items, 2)
	first := items[0].(obj)
	require.EqualValues(t, 3, first["seq"])
	require.Equal(t, "minutes.viewed", first["action"])
	require.Equal(t, obj{"type": "user", "id": tn.Admin.ID.String()}, first["actor"])
	require.Len(t, first["hash"], 64)
	require.Equal(t, "2", p["next"])

	rec = b.do(t, admin, "GET", "/api/v1/audit?limit=2&before=2", nil)
	p = decode[obj](t, rec)
	require.Len(t, p["items"], 1)
	require.Equal(t, "", p["next"])

	for _, q := range []string{"before=0", "before=x", "limit=x"} {
		require.Equal(t, http.StatusBadRequest, b.do(t, admin, "GET", "/api/v1/audit?"+q, nil).Code, q)
	}

	// Without an audit log reader the route says so.
	bare := &testBundle{env: b.env, srv: mount(b.env, api.New(api.Deps{}))}
	rec = bare.do(t, admin, "GET", "/api/v1/audit", nil)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
}

package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/review/reviewtest"
	"github.com/meetingminutes/minutes/shared/store"
)

func TestApproveThroughTheForm(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	approver := b.as(t, b.a, b.a.Approver)
	meetingPath := "/api/app/meetings/" + b.a.Meeting.ID.String()

	page := b.get(t, approver, meetingPath)
	f := page.formTo(t, "/api/app/minutes/"+b.a.Minutes.ID.String()+"/approve")
	res := b.post(t, approver, f.action, f.fields)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.body)
	require.Equal(t, meetingPath+"?done=approved", res.Header.Get("Location"))

	m, err := b.a.Store.Minutes(ctx, b.a.Minutes.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesApproved, m.Status)
	require.Equal(t, b.a.Approver.ID, m.DecidedBy)

	after := b.get(t, approver, meetingPath+"?done=approved")
	require.Contains(t, after.text(), "Minutes approved.")
	require.False(t, after.hasFormTo(f.action), "approved minutes offer no second approval")

	edit := b.get(t, approver, "/api/app/minutes/"+b.a.Minutes.ID.String()+"/edit")
	require.Equal(t, http.StatusSeeOther, edit.StatusCode, "decided minutes cannot be edited")
	require.Equal(t, meetingPath+"?error=not_editable", edit.Header.Get("Location"))

	again := b.post(t, approver, f.action, f.fields)
	require.Equal(t, http.StatusSeeOther, again.StatusCode)
	require.Equal(t, meetingPath+"?error=conflict", again.Header.Get("Location"), "a stale form explains itself")
	require.Contains(t, b.get(t, approver, meetingPath+"?error=conflict").text(), "changed since you opened them")

	bogus := b.get(t, approver, meetingPath+"?done=%3Cscript%3E&error=whatever")
	require.NotContains(t, bogus.body, "<script>", "flash codes never echo the URL")
}

func TestRejectNeedsAReason(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	approver := b.as(t, b.a, b.a.Approver)
	action := "/api/app/minutes/" + b.a.Minutes.ID.String() + "/reject"

	res := b.post(t, approver, action, url.Values{"reason": {"   "}})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, res.text(), "Say why these minutes are rejected")
	require.True(t, res.hasFormTo(action), "the form is shown again")
	m, err := b.a.Store.Minutes(ctx, b.a.Minutes.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesPendingApproval, m.Status)

	res = b.post(t, approver, action, url.Values{"reason": {"The budget figure is wrong"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.body)
	require.Equal(t, "/api/app/meetings/"+b.a.Meeting.ID.String()+"?done=rejected", res.Header.Get("Location"))
	m, err = b.a.Store.Minutes(ctx, b.a.Minutes.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesRejected, m.Status)
	require.Equal(t, "The budget figure is wrong", m.DecisionReason)

	page := b.get(t, approver, res.Header.Get("Location"))
	require.Contains(t, page.text(), "Minutes rejected.")
	require.Contains(t, page.text(), "The budget figure is wrong")
	require.NotContains(t, page.body, "/edit\"", "rejected minutes cannot be edited")
}

func TestEditThroughTheForm(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	approver := b.as(t, b.a, b.a.Approver)
	editPath := "/api/app/minutes/" + b.a.Minutes.ID.String() + "/edit"

	// Member's item is done: an edit that keeps it must not reopen it.
	_, err := b.a.Store.SetActionItemStatus(ctx, b.a.Items[0].ID, store.ActionDone)
	require.NoError(t, err)

	page := b.get(t, approver, editPath)
	require.Equal(t, http.StatusOK, page.StatusCode)
	f := page.formTo(t, editPath)
	fields := f.fields
	fields.Set("title", "Board minutes, corrected")
	fields.Set("summary", "We agreed to ship.")
	fields.Set("decision-0-text", "Ship it on Friday")
	fields.Set("decision-1-text", "Hire a designer") // a blank row, now a new decision
	idx := map[string]string{}
	for i := 0; i < 5; i++ {
		idx[fields.Get("item-"+itoa(i)+"-task")] = itoa(i)
	}
	fields.Set("item-"+idx["Ask legal"]+"-remove", "1")
	fields.Set("item-"+idx["Book the room"]+"-due", "2026-03-20")
	fields.Set("item-3-task", "Write the press release")
	fields.Set("item-3-owner", "Dana")

	res := b.post(t, approver, editPath, fields)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.body)
	require.Equal(t, "/api/app/meetings/"+b.a.Meeting.ID.String()+"?done=edited", res.Header.Get("Location"))

	latest, err := b.a.Store.LatestMinutes(ctx, b.a.Meeting.ID)
	require.NoError(t, err)
	require.Equal(t, 2, latest.Version)
	var c struct {
		Title       string                   `json:"title"`
		Summary     string                   `json:"summary"`
		Decisions   []map[string]any         `json:"decisions"`
		ActionItems []map[string]any         `json:"action_items"`
		Language    string                   `json:"language"`
		Other       []map[string]interface{} `json:"other"`
	}
	require.NoError(t, json.Unmarshal(latest.Content, &c))
	require.Equal(t, "Board minutes, corrected", c.Title)
	require.Equal(t, "We agreed to ship.", c.Summary)
	require.Equal(t, "en", c.Language, "members the form does not show are kept")
	require.Len(t, c.Decisions, 2)
	require.Equal(t, "Ship it on Friday", c.Decisions[0]["text"])
	require.Equal(t, "Hire a designer", c.Decisions[1]["text"])
	require.Len(t, c.ActionItems, 3)

	items, err := b.a.Store.ActionItems(ctx, store.ActionItemFilter{MinutesID: latest.ID})
	require.NoError(t, err)
	byTask := map[string]store.ActionItem{}
	for _, it := range items {
		byTask[it.Task] = it
	}
	require.NotContains(t, byTask, "Ask legal")
	deck := byTask["Send the deck"]
	require.Equal(t, "I'll send the deck", deck.SourceQuote, "the evidence stays with the item")
	require.Equal(t, b.a.Member.ID, deck.OwnerUserID, "the resolved owner is kept")
	require.Equal(t, store.ActionDone, deck.Status, "done work is not reopened by an edit")
	require.NotNil(t, byTask["Book the room"].DueDate)
	require.Equal(t, "2026-03-20", byTask["Book the room"].DueDate.Format(time.DateOnly))
	require.Equal(t, "Dana", byTask["Write the press release"].OwnerName)
	require.Empty(t, byTask["Write the press release"].SourceQuote)

	view := b.get(t, approver, "/api/app/meetings/"+b.a.Meeting.ID.String()+"?done=edited")
	require.Contains(t, view.text(), "Your changes were saved as a new version.")
	require.Contains(t, view.text(), "Version 2")
	require.Contains(t, view.text(), "Write the press release")

	old := b.get(t, approver, "/api/app/minutes/"+b.a.Minutes.ID.String())
	require.Contains(t, old.text(), "This is an older version")
	require.Contains(t, old.text(), "Ask legal", "the old version is kept as it was")
	require.Empty(t, old.forms()[1:], "an old version has no forms but sign-out")
}

func TestEditValidationKeepsTheInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	approver := b.as(t, b.a, b.a.Approver)
	editPath := "/api/app/minutes/" + b.a.Minutes.ID.String() + "/edit"
	f := b.get(t, approver, editPath).formTo(t, editPath)
	f.fields.Set("title", "")
	f.fields.Set("item-0-due", "next week")
	f.fields.Set("summary", "Kept summary")
	res := b.post(t, approver, editPath, f.fields)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	text := res.text()
	require.Contains(t, text, "Give the minutes a title.")
	require.Contains(t, text, "The due date must be a date")
	again := res.formTo(t, editPath)
	require.Equal(t, "Kept summary", again.fields.Get("summary"))
	require.Equal(t, "next week", again.fields.Get("item-0-due"))
	hist, err := b.a.Store.MinutesHistory(context.Background(), b.a.Meeting.ID)
	require.NoError(t, err)
	require.Len(t, hist, 1, "nothing was saved")
}

func TestActionItemStatusButtons(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	member := b.as(t, b.a, b.a.Member)

	mine := b.get(t, member, "/api/app/action-items")
	require.Contains(t, mine.text(), "Send the deck")
	require.NotContains(t, mine.text(), "Book the room", "owner=me is the default")
	f := mine.formTo(t, "/api/app/action-items/"+b.a.Items[0].ID.String()+"/status")
	res := b.post(t, member, f.action, f.fields)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.body)
	require.Equal(t, "/api/app/action-items?done=item_done&owner=me&status=open", res.Header.Get("Location"))
	it, err := b.a.Store.ActionItem(ctx, b.a.Items[0].ID)
	require.NoError(t, err)
	require.Equal(t, store.ActionDone, it.Status)
	back := b.get(t, member, res.Header.Get("Location"))
	require.Contains(t, back.text(), "Action item marked done.")
	require.NotContains(t, back.text(), "Send the deck", "done items leave the open list")

	done := b.get(t, member, "/api/app/action-items?status=done")
	f = done.formTo(t, "/api/app/action-items/"+b.a.Items[0].ID.String()+"/status")
	require.Equal(t, "open", f.fields.Get("status"))
	require.Contains(t, done.text(), "Reopen")

	all := b.get(t, member, "/api/app/action-items?owner=all&status=all")
	require.Contains(t, all.text(), "Book the room")
	require.False(t, all.hasFormTo("/api/app/action-items/"+b.a.Items[1].ID.String()+"/status"), "no button on someone else's item")
	res = b.post(t, member, "/api/app/action-items/"+b.a.Items[1].ID.String()+"/status", url.Values{"status": {"done"}})
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	require.Contains(t, res.text(), "Members may change only the action items they own.")

	csv := ""
	for n := range all.doc.Descendants() {
		if n.Data == "a" && attr(n, "download") == "" && hasAttr(n, "download") {
			csv = attr(n, "href")
		}
	}
	require.Equal(t, "/api/v1/action-items.csv?owner=all&status=all", csv)

	res = b.post(t, member, "/api/app/action-items/"+b.a.Items[0].ID.String()+"/status",
		url.Values{"status": {"open"}, "back": {"https://evil.example/"}})
	require.Equal(t, "/api/app/meetings/"+b.a.Meeting.ID.String()+"?done=item_open", res.Header.Get("Location"), "no open redirect")
}

func TestSuspendedTenantIsReadOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.Suspend(t, b.a)
	approver := b.as(t, b.a, b.a.Approver)
	page := b.get(t, approver, "/api/app/meetings/"+b.a.Meeting.ID.String())
	require.Equal(t, http.StatusOK, page.StatusCode)
	require.Contains(t, page.text(), "This account is suspended.")
	require.Len(t, page.forms(), 1, "no mutating form, only sign-out")

	res := b.post(t, approver, "/api/app/minutes/"+b.a.Minutes.ID.String()+"/approve", nil)
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	require.Contains(t, res.text(), "Your account is read-only")
	m, err := b.a.Store.Minutes(context.Background(), b.a.Minutes.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesPendingApproval, m.Status)

	admin := b.as(t, b.a, b.a.Admin)
	for _, path := range []string{"/api/app/settings", "/api/app/users", "/api/app/action-items?owner=all"} {
		p := b.get(t, admin, path)
		require.Equal(t, http.StatusOK, p.StatusCode, path)
		require.Len(t, p.forms(), 1+countGetForms(p), path)
	}
	billing := b.get(t, admin, "/api/app/billing")
	require.True(t, billing.hasFormTo("/api/app/billing/portal"), "billing stays open: paying is how a tenant gets back")
}

// countGetForms counts the page's GET forms (filters), which change nothing.
func countGetForms(r response) int {
	n := 0
	for _, f := range r.forms() {
		if f.method == "get" {
			n++
		}
	}
	return n
}

func TestMeetingsListPagesAndExplainsStatuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for i := range 27 {
		at := base.Add(time.Duration(i) * time.Hour)
		b.a.AddMeeting(t, reviewtest.MeetingOptions{Subject: "Standup " + itoa(i), StartsAt: &at, NoMinutes: true})
	}
	last := base.Add(100 * time.Hour)
	quiet, _, _ := b.a.AddMeeting(t, reviewtest.MeetingOptions{Subject: "Quiet meeting", StartsAt: &last, NoMinutes: true})
	_, err := b.a.Store.SetMeetingStatus(ctx, quiet.ID, store.MeetingNoTranscript, "")
	require.NoError(t, err)
	over, _, _ := b.a.AddMeeting(t, reviewtest.MeetingOptions{Subject: "Busy month", StartsAt: &last, NoMinutes: true})
	_, err = b.a.Store.SetMeetingStatus(ctx, over.ID, store.MeetingOverQuota, "100 of 100 meetings used this month")
	require.NoError(t, err)
	bad, _, _ := b.a.AddMeeting(t, reviewtest.MeetingOptions{Subject: "Broken", StartsAt: &last, NoMinutes: true})
	_, err = b.a.Store.SetMeetingStatus(ctx, bad.ID, store.MeetingFailed, "the transcript could not be parsed")
	require.NoError(t, err)

	member := b.as(t, b.a, b.a.Member)
	first := b.get(t, member, "/api/app/meetings")
	text := first.text()
	require.Contains(t, text, "Ended without a transcript — turn on transcription or upload one")
	require.Contains(t, text, "Over the monthly meeting quota")
	require.Contains(t, text, "100 of 100 meetings used this month")
	require.Contains(t, text, "Failed")
	require.Contains(t, text, "the transcript could not be parsed")
	require.Contains(t, text, "Standup 26")
	require.NotContains(t, text, "Standup 0 ")

	older := ""
	for n := range first.doc.Descendants() {
		if n.Data == "a" && attr(n, "rel") == "next" {
			older = attr(n, "href")
		}
	}
	require.NotEmpty(t, older, "an Older link")
	second := b.get(t, member, older)
	require.Equal(t, http.StatusOK, second.StatusCode)
	require.Contains(t, second.text(), "Standup 0")
	require.NotContains(t, second.text(), "Standup 26")

	damaged := b.get(t, member, "/api/app/meetings?before=%21%21")
	require.Equal(t, http.StatusOK, damaged.StatusCode, "a damaged cursor starts at the top")
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

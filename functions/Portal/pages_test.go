package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/review/reviewtest"
	"github.com/meetingminutes/minutes/shared/store"
)

// page is one GET page with who may see it and what they see.
type page struct {
	name string
	path func(b *bundle) string
	who  func(t *testing.T, b *bundle) caller
	want []string
}

func pages() []page {
	admin := func(t *testing.T, b *bundle) caller { return b.as(t, b.a, b.a.Admin) }
	approver := func(t *testing.T, b *bundle) caller { return b.as(t, b.a, b.a.Approver) }
	member := func(t *testing.T, b *bundle) caller { return b.as(t, b.a, b.a.Member) }
	fixed := func(p string) func(*bundle) string { return func(*bundle) string { return p } }
	return []page{
		{"landing", fixed("/api/app/"), func(*testing.T, *bundle) caller { return anonymous },
			[]string{"Sign up with Microsoft", "Sign in", "Starter", "$5 per user / month", "100 meetings per month", "Pro", "$12 per user / month",
				"Unlimited meetings", "Enterprise", "Custom pricing", "BYOI", "Developer sign-in"}},
		{"meetings", fixed("/api/app/meetings"), member, []string{"Meetings", "Weekly sync", "Ended", "admin of Contoso"}},
		{"meeting", func(b *bundle) string { return "/api/app/meetings/" + b.a.Meeting.ID.String() }, member,
			[]string{"Weekly sync", "Minutes of Weekly sync", "Secret summary text", "Ship it", "Send the deck", "I'll send the deck",
				"unverified", "Version history", "Version 1"}},
		{"meeting as approver", func(b *bundle) string { return "/api/app/meetings/" + b.a.Meeting.ID.String() }, approver,
			[]string{"Approve", "Reject", "Reason for rejecting", "Edit"}},
		{"minutes version", func(b *bundle) string { return "/api/app/minutes/" + b.a.Minutes.ID.String() }, member,
			[]string{"version 1", "This is the latest version", "Send the deck"}},
		{"edit", func(b *bundle) string { return "/api/app/minutes/" + b.a.Minutes.ID.String() + "/edit" }, approver,
			[]string{"Edit minutes", "Title", "Summary", "Decisions", "New decision", "Action items", "New action item", "Save as new version"}},
		{"action items", fixed("/api/app/action-items"), member, []string{"Action items", "Send the deck", "Export CSV", "Mark done"}},
		{"action items of everyone", fixed("/api/app/action-items?owner=all&status=all"), member, []string{"Book the room", "Ask legal"}},
		{"settings", fixed("/api/app/settings"), admin, []string{"Settings", "Minutes template", "Approval", "Publishing to SharePoint",
			"Distribution by email", "Named approvers", "approver of Contoso", "Save settings"}},
		{"setup template", fixed("/api/app/setup"), admin, []string{"Set up Meeting Minutes", "Minutes template", "Save and continue"}},
		{"setup approval", fixed("/api/app/setup?step=approval"), admin, []string{"Who approves minutes"}},
		{"setup publishing", fixed("/api/app/setup?step=publishing"), admin, []string{"Site id", "Folder"}},
		{"setup distribution", fixed("/api/app/setup?step=distribution"), admin, []string{"Email approved minutes to every attendee"}},
		{"setup invite", fixed("/api/app/setup?step=invite"), admin, []string{"Invite your team", "Send invitation", "Continue"}},
		{"setup done", fixed("/api/app/setup?step=done"), admin, []string{"Ready to go", "Finish setup"}},
		{"users", fixed("/api/app/users"), admin, []string{"Users and invitations", "member@", "Approver", "Pending invitations", "Invite someone"}},
		{"billing", fixed("/api/app/billing"), admin, []string{"Billing", "Contoso", "Current plan", "Starter", "Seats in use", "4 active users",
			"Choose Pro", "Manage billing in Stripe"}},
		{"health", fixed("/api/app/health"), admin, []string{"Health", "Ready", "database", "queue", "not configured", "1.2.3"}},
		{"data location", fixed("/api/app/connection"), admin, []string{"Data location", "Managed by Meeting Minutes", "bring your own infrastructure"}},
		{"invitation", fixed("/api/app/invitations/accept?token=good"), func(*testing.T, *bundle) caller { return anonymous },
			[]string{"Join Contoso", "Ada <Admin> invited", "new@contoso.example", "Approver", "Sign in to accept"}},
		{"operator", fixed("/api/app/operator"), func(t *testing.T, b *bundle) caller { return b.asOperator(t) },
			[]string{"Operator console", "Contoso", "Fabrikam", "Suspend", "Migration runs", "Tenant health"}},
		{"operator migrations", fixed("/api/app/operator/migrations"), func(t *testing.T, b *bundle) caller { return b.asOperator(t) },
			[]string{"Migration runs", "No migration run has been recorded yet"}},
		{"operator health", fixed("/api/app/operator/health"), func(t *testing.T, b *bundle) caller { return b.asOperator(t) },
			[]string{"Tenant health", "Platform", "Ready", "database", "Contoso", "Fabrikam", "managed"}},
	}
}

func TestPagesRenderForTheirRole(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, p := range pages() {
		t.Run(p.name, func(t *testing.T) {
			res := b.get(t, p.who(t, b), p.path(b))
			require.Equal(t, http.StatusOK, res.StatusCode, res.body)
			require.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
			require.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			require.Contains(t, res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
			text := res.text()
			for _, w := range p.want {
				require.Contains(t, text, w)
			}
			require.Contains(t, res.body, `<main id="main"`, "one main landmark")
		})
	}
}

func TestSignedInLandingGoesToMeetings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.get(t, b.as(t, b.a, b.a.Member), "/api/app/")
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/api/app/meetings", res.Header.Get("Location"))
	res = b.get(t, b.asOperator(t), "/api/app/")
	require.Equal(t, "/api/app/operator", res.Header.Get("Location"))
	res = b.get(t, anonymous, "/api/app")
	require.Equal(t, http.StatusMovedPermanently, res.StatusCode)
	require.Equal(t, "/api/app/", res.Header.Get("Location"))
}

func TestAnonymousCallersAreSentToSignIn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, p := range pages() {
		if p.name == "landing" || p.name == "invitation" || strings.HasPrefix(p.name, "operator") {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			path := p.path(b)
			res := b.get(t, anonymous, path)
			require.Equal(t, http.StatusSeeOther, res.StatusCode)
			require.Equal(t, "/api/app/auth/login?return_to="+url.QueryEscape(path), res.Header.Get("Location"))
		})
	}
}

func TestRoleFailuresGetTheForbiddenPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	member := b.as(t, b.a, b.a.Member)
	approver := b.as(t, b.a, b.a.Approver)
	for _, path := range []string{"/api/app/settings", "/api/app/setup", "/api/app/users", "/api/app/billing", "/api/app/health", "/api/app/connection"} {
		res := b.get(t, approver, path)
		require.Equal(t, http.StatusForbidden, res.StatusCode, path)
		require.Contains(t, res.text(), "Not allowed")
		require.Contains(t, res.text(), "Your role does not allow this.")
	}

	meeting := b.get(t, member, "/api/app/meetings/"+b.a.Meeting.ID.String())
	require.Equal(t, http.StatusOK, meeting.StatusCode)
	require.False(t, meeting.hasFormTo("/api/app/minutes/"+b.a.Minutes.ID.String()+"/approve"), "a member sees no Approve button")
	require.False(t, meeting.hasFormTo("/api/app/minutes/"+b.a.Minutes.ID.String()+"/reject"))
	require.NotContains(t, meeting.body, "/edit\"")

	for _, action := range []string{"approve", "reject", "edit"} {
		res := b.post(t, member, "/api/app/minutes/"+b.a.Minutes.ID.String()+"/"+action, url.Values{"reason": {"no"}, "title": {"x"}})
		require.Equal(t, http.StatusForbidden, res.StatusCode, action)
		require.Contains(t, res.text(), "Not allowed")
	}
	m, err := b.a.Store.Minutes(context.Background(), b.a.Minutes.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesPendingApproval, m.Status, "nothing changed")
	hist, err := b.a.Store.MinutesHistory(context.Background(), b.a.Meeting.ID)
	require.NoError(t, err)
	require.Len(t, hist, 1)

	res := b.post(t, member, "/api/app/settings", url.Values{"retention_days": {"5"}})
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	res = b.post(t, b.as(t, b.a, b.a.Approver), "/api/app/users/"+b.a.Member.ID.String()+"/role", url.Values{"role": {"admin"}})
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	u, err := b.a.Store.User(context.Background(), b.a.Member.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleMember, u.Role)
}

func TestUserContentIsEscaped(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const evil = `<script>alert(1)</script>`
	start := clock.Add(-time.Hour)
	m, _, _ := b.a.AddMeeting(t, reviewtest.MeetingOptions{Subject: evil, StartsAt: &start, Items: []store.ActionItemInput{
		{Task: `<img src=x onerror=alert(2)>`, OwnerName: `"><b>owner</b>`}}})
	member := b.as(t, b.a, b.a.Member)
	for _, path := range []string{"/api/app/meetings", "/api/app/meetings/" + m.ID.String(), "/api/app/action-items?owner=all"} {
		res := b.get(t, member, path)
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		require.NotContains(t, res.body, evil, path)
		require.NotContains(t, res.body, "<img src=x", path)
		require.NotContains(t, res.body, "<b>owner</b>", path)
		require.Contains(t, res.text(), evil[:8], "the text is shown, escaped")
	}
	res := b.get(t, member, "/api/app/meetings/"+m.ID.String())
	require.Contains(t, res.body, "&lt;script&gt;alert(1)&lt;/script&gt;")
}

package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestSettingsSaveAndValidate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	admin := b.as(t, b.a, b.a.Admin)

	f := b.get(t, admin, "/api/app/settings").formTo(t, "/api/app/settings")
	f.fields.Set("approval_mode", "named")
	f.fields.Del("approvers")
	f.fields.Set("retention_days", "0")
	f.fields.Set("sharepoint_folder", "Minutes/2026")
	f.fields.Set("distribution_extra", "board@contoso.example\nnot an address")
	res := b.post(t, admin, "/api/app/settings", f.fields)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	text := res.text()
	require.Contains(t, text, "nothing was saved")
	require.Contains(t, text, "Choose at least one approver")
	require.Contains(t, text, "Enter a number of days from 1 to 36500.")
	require.Contains(t, text, `"not an address" is not an email address.`)
	again := res.formTo(t, "/api/app/settings")
	require.Equal(t, "Minutes/2026", again.fields.Get("sharepoint_folder"), "the input is kept")
	require.Equal(t, "named", again.fields.Get("approval_mode"))
	require.Equal(t, "0", again.fields.Get("retention_days"))
	s, err := b.a.Store.Settings(ctx)
	require.NoError(t, err)
	require.Equal(t, store.DefaultSettings().RetentionDays, s.RetentionDays, "nothing was saved")

	f.fields.Set("approvers", b.a.Approver.ID.String())
	f.fields.Set("retention_days", "90")
	f.fields.Set("reminder_hours", "6")
	f.fields.Set("distribution_extra", "board@contoso.example, Chair <chair@contoso.example>")
	f.fields.Del("distribution_attendees")
	f.fields.Set("sharepoint_site_id", "contoso.sharepoint.com,1b2c,3d4e")
	f.fields.Set("sharepoint_drive_id", "b!abc")
	f.fields["sections"] = []string{"summary", "action_items"}
	f.fields.Set("tone", "formal")
	f.fields.Set("language", "de")
	res = b.post(t, admin, "/api/app/settings", f.fields)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.text())
	require.Equal(t, "/api/app/settings?done=settings", res.Header.Get("Location"))

	s, err = b.a.Store.Settings(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ApprovalNamed, s.ApprovalMode)
	require.Equal(t, []store.UserID{b.a.Approver.ID}, s.ApproverIDs)
	require.Equal(t, 90, s.RetentionDays)
	require.Equal(t, 6*time.Hour, s.ReminderAfter)
	require.Equal(t, "Minutes/2026", s.SharePointFolder)
	require.Equal(t, "b!abc", s.SharePointDriveID)
	require.False(t, s.Distribution.Attendees)
	require.Equal(t, []string{"board@contoso.example", "chair@contoso.example"}, s.Distribution.Extra)
	tpl, err := b.a.Store.DefaultTemplate(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"summary", "action_items"}, tpl.Sections)
	require.Equal(t, store.ToneFormal, tpl.Tone)
	require.Equal(t, "de", tpl.Language)

	page := b.get(t, admin, "/api/app/settings?done=settings")
	require.Contains(t, page.text(), "Settings saved.")
	kept := page.formTo(t, "/api/app/settings")
	require.Equal(t, "de", kept.fields.Get("language"))
	require.Equal(t, []string{"summary", "action_items"}, kept.fields["sections"])

	// Saving again without a change keeps the same default template.
	res = b.post(t, admin, "/api/app/settings", kept.fields)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	same, err := b.a.Store.DefaultTemplate(ctx)
	require.NoError(t, err)
	require.Equal(t, tpl.ID, same.ID)

	// Named approval now hides Approve from an approver who is not named… (the admin is not)
	meeting := b.get(t, admin, "/api/app/meetings/"+b.a.Meeting.ID.String())
	require.False(t, meeting.hasFormTo("/api/app/minutes/"+b.a.Minutes.ID.String()+"/approve"))
	require.True(t, meeting.hasFormTo("/api/app/minutes/"+b.a.Minutes.ID.String()+"/reject"), "anyone may send minutes back")
	require.Contains(t, meeting.text(), "Only the approvers named in the settings can approve")
	// …and shows it to the named one.
	named := b.get(t, b.as(t, b.a, b.a.Approver), "/api/app/meetings/"+b.a.Meeting.ID.String())
	require.True(t, named.hasFormTo("/api/app/minutes/"+b.a.Minutes.ID.String()+"/approve"))
}

func TestSetupWizardSavesEachStep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	admin := b.as(t, b.a, b.a.Admin)

	meetings := b.get(t, admin, "/api/app/meetings")
	require.Contains(t, meetings.text(), "Setup is not finished yet.")

	steps := []struct {
		step, next string
		change     url.Values
	}{
		{"template", "approval", url.Values{"tone": {"concise"}}},
		{"approval", "publishing", url.Values{"approval_mode": {"none"}}},
		{"publishing", "distribution", url.Values{"sharepoint_folder": {"Board"}, "retention_days": {"30"}}},
		{"distribution", "invite", url.Values{"distribution_extra": {"ceo@contoso.example"}}},
	}
	for _, s := range steps {
		action := "/api/app/setup?step=" + s.step
		f := b.get(t, admin, action).formTo(t, action)
		for k, v := range s.change {
			f.fields[k] = v
		}
		res := b.post(t, admin, action, f.fields)
		require.Equal(t, http.StatusSeeOther, res.StatusCode, s.step+": "+res.text())
		require.Equal(t, "/api/app/setup?step="+s.next+"&done=step", res.Header.Get("Location"))
	}
	bad := b.post(t, admin, "/api/app/setup?step=publishing", url.Values{"sharepoint_folder": {"a:b"}, "retention_days": {"30"}})
	require.Equal(t, http.StatusUnprocessableEntity, bad.StatusCode)
	require.Contains(t, bad.text(), "Folder names cannot contain")

	set, err := b.a.Store.Settings(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ApprovalNone, set.ApprovalMode)
	require.Equal(t, "Board", set.SharePointFolder)
	require.Equal(t, 30, set.RetentionDays)
	require.Equal(t, []string{"ceo@contoso.example"}, set.Distribution.Extra)
	require.Nil(t, set.SetupCompletedAt)
	tpl, err := b.a.Store.DefaultTemplate(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ToneConcise, tpl.Tone)

	invite := b.get(t, admin, "/api/app/setup?step=invite")
	f := invite.formTo(t, "/api/app/invitations")
	f.fields.Set("email", "new.hire@contoso.example")
	res := b.post(t, admin, f.action, f.fields)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.text())
	require.Equal(t, "/api/app/setup?done=invited&step=invite", res.Header.Get("Location"))
	require.Contains(t, b.get(t, admin, res.Header.Get("Location")).text(), "new.hire@contoso.example")

	done := b.get(t, admin, "/api/app/setup?step=done")
	f = done.formTo(t, "/api/app/setup?step=done")
	res = b.post(t, admin, f.action, f.fields)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/api/app/meetings?done=setup", res.Header.Get("Location"))
	set, err = b.a.Store.Settings(ctx)
	require.NoError(t, err)
	require.NotNil(t, set.SetupCompletedAt)
	require.True(t, set.SetupCompletedAt.Equal(clock))
	after := b.get(t, admin, "/api/app/meetings?done=setup")
	require.Contains(t, after.text(), "Setup complete.")
	require.NotContains(t, after.text(), "Setup is not finished yet.")
}

func TestUsersRolesAndInvitations(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	admin := b.as(t, b.a, b.a.Admin)

	page := b.get(t, admin, "/api/app/users")
	f := page.formTo(t, "/api/app/users/"+b.a.Member.ID.String()+"/role")
	require.Equal(t, "member", f.fields.Get("role"))
	f.fields.Set("role", "approver")
	res := b.post(t, admin, f.action, f.fields)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/api/app/users?done=role", res.Header.Get("Location"))
	u, err := b.a.Store.User(ctx, b.a.Member.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleApprover, u.Role)

	res = b.post(t, admin, "/api/app/users/"+b.a.Admin.ID.String()+"/role", url.Values{"role": {"member"}})
	require.Equal(t, "/api/app/users?error=last_admin", res.Header.Get("Location"))
	require.Contains(t, b.get(t, admin, "/api/app/users?error=last_admin").text(), "without an administrator")

	res = b.post(t, admin, "/api/app/invitations", url.Values{"email": {"not-an-address"}, "role": {"approver"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Contains(t, res.text(), "Enter one email address")
	kept := res.formTo(t, "/api/app/invitations")
	require.Equal(t, "not-an-address", kept.fields.Get("email"))
	require.Equal(t, "approver", kept.fields.Get("role"))

	res = b.post(t, admin, "/api/app/invitations", url.Values{"email": {"taken@example.com"}, "role": {"member"}})
	require.Equal(t, http.StatusConflict, res.StatusCode)
	require.Contains(t, res.text(), "The invitation was not sent: conflict.")

	res = b.post(t, admin, "/api/app/invitations", url.Values{"email": {"carol@contoso.example"}, "role": {"approver"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.text())
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/api/app/users", loc.Path)
	require.Equal(t, "invited", loc.Query().Get("done"))
	shown := b.get(t, admin, loc.RequestURI())
	require.Contains(t, shown.text(), "carol@contoso.example is invited as Approver")

	invID := loc.Query().Get("invitation")
	revoke := shown.formTo(t, "/api/app/invitations/"+invID+"/revoke")
	res = b.post(t, admin, revoke.action, revoke.fields)
	require.Equal(t, "/api/app/users?done=revoked", res.Header.Get("Location"))
	list, err := b.a.Store.ListInvitations(ctx, store.ListInvitationsParams{})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.NotNil(t, list[0].RevokedAt)
	require.NotContains(t, b.get(t, admin, "/api/app/users").text(), "carol@contoso.example", "no longer pending")
}

func TestInvitationAcceptance(t *testing.T) {
	t.Parallel()
	b := setup(t)
	page := b.get(t, anonymous, "/api/app/invitations/accept?token=good")
	require.Equal(t, http.StatusOK, page.StatusCode)
	var cookie *http.Cookie
	for _, c := range page.Cookies() {
		if c.Name == b.env.Sessions.CookieName() {
			cookie = c
		}
	}
	require.NotNil(t, cookie, "a first-time visitor gets a session, so the form passes the CSRF check")
	f := page.formTo(t, "/api/app/invitations/accept")
	require.Equal(t, "good", f.fields.Get("token"))
	res := b.post(t, caller{cookie: cookie}, f.action, f.fields)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, res.body)
	require.Equal(t, "/api/app/auth/login?return_to=%2Fapi%2Fapp%2Fmeetings", res.Header.Get("Location"))
	require.Equal(t, []string{"good"}, b.invites.accepted)

	expired := b.get(t, anonymous, "/api/app/invitations/accept?token=old")
	require.Equal(t, http.StatusGone, expired.StatusCode)
	require.Contains(t, expired.text(), "This link has expired")
	unknown := b.get(t, anonymous, "/api/app/invitations/accept?token=forged")
	require.Equal(t, http.StatusNotFound, unknown.StatusCode)
	require.Contains(t, unknown.text(), "Page not found")
}

func TestBilling(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.as(t, b.a, b.a.Admin)
	page := b.get(t, admin, "/api/app/billing")
	f := page.formTo(t, "/api/app/billing/checkout")
	require.Equal(t, "starter", f.fields.Get("plan"))
	res := b.post(t, admin, "/api/app/billing/checkout", url.Values{"plan": {"pro"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "https://checkout.stripe.test/c/pro", res.Header.Get("Location"))
	res = b.post(t, admin, "/api/app/billing/checkout", url.Values{"plan": {"enterprise"}})
	require.Equal(t, http.StatusBadRequest, res.StatusCode, "enterprise is sold by people")
	res = b.post(t, admin, "/api/app/billing/portal", nil)
	require.Equal(t, "https://billing.stripe.test/p/session", res.Header.Get("Location"))
	require.Equal(t, []string{"pro"}, b.billing.plans)

	none := setup(t, setupOptions{noBilling: true})
	admin = none.as(t, none.a, none.a.Admin)
	page = none.get(t, admin, "/api/app/billing")
	require.Equal(t, http.StatusServiceUnavailable, page.StatusCode)
	require.Contains(t, page.text(), "Billing is not configured")
	require.Contains(t, page.text(), "Seats in use")
	require.False(t, page.hasFormTo("/api/app/billing/checkout"))
	res = none.post(t, admin, "/api/app/billing/checkout", url.Values{"plan": {"pro"}})
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	require.Contains(t, res.text(), "Billing is not configured")
}

func TestOperatorConsole(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for name, c := range map[string]caller{"anonymous": anonymous, "tenant admin": b.as(t, b.a, b.a.Admin)} {
		for _, path := range []string{"/api/app/operator", "/api/app/operator/migrations", "/api/app/operator/health"} {
			res := b.get(t, c, path)
			require.Equal(t, http.StatusNotFound, res.StatusCode, name+" "+path)
			require.Contains(t, res.text(), "Page not found")
		}
		res := b.post(t, c, "/api/app/operator/tenants/"+b.b.ID.String()+"/status", url.Values{"status": {"suspended"}})
		require.Contains(t, []int{http.StatusNotFound, http.StatusForbidden}, res.StatusCode, name)
	}
	got, err := b.env.Registry.Get(ctx, b.b.ID)
	require.NoError(t, err)
	require.Equal(t, tenancy.StatusActive, got.Status)

	op := b.asOperator(t)
	page := b.get(t, op, "/api/app/operator")
	f := page.formTo(t, "/api/app/operator/tenants/"+b.b.ID.String()+"/status")
	require.Equal(t, "suspended", f.fields.Get("status"))
	res := b.post(t, op, f.action, f.fields)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	got, err = b.env.Registry.Get(ctx, b.b.ID)
	require.NoError(t, err)
	require.Equal(t, tenancy.StatusSuspended, got.Status)
	page = b.get(t, op, "/api/app/operator?done=tenant_status")
	require.Contains(t, page.text(), "Tenant status changed.")
	f = page.formTo(t, "/api/app/operator/tenants/"+b.b.ID.String()+"/status")
	require.Equal(t, "active", f.fields.Get("status"), "a suspended tenant can be resumed")

	res = b.post(t, op, "/api/app/operator/tenants/"+tenancy.NewID().String()+"/status", url.Values{"status": {"suspended"}})
	require.Equal(t, http.StatusNotFound, res.StatusCode)
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	page := b.get(t, anonymous, "/api/app/")
	var css, js string
	for n := range page.doc.Descendants() {
		switch {
		case n.Data == "link" && attr(n, "rel") == "stylesheet":
			css = attr(n, "href")
		case n.Data == "script":
			js = attr(n, "src")
		}
	}
	require.Regexp(t, `^/api/app/static/app\.[0-9a-f]{12}\.css$`, css)
	require.Regexp(t, `^/api/app/static/app\.[0-9a-f]{12}\.js$`, js)
	for _, path := range []string{css, js} {
		res := b.get(t, anonymous, path)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"))
		require.NotEmpty(t, res.body)
		again := b.do(t, anonymous, withHeader(path, "If-None-Match", res.Header.Get("ETag")))
		require.Equal(t, http.StatusNotModified, again.StatusCode)
	}
	res := b.get(t, anonymous, css)
	require.Contains(t, res.Header.Get("Content-Type"), "text/css")
	plain := b.get(t, anonymous, "/api/app/static/app.css")
	require.Equal(t, http.StatusOK, plain.StatusCode, "pages that cannot know the hash use the plain name")
	require.Equal(t, "public, max-age=300, must-revalidate", plain.Header.Get("Cache-Control"))
	require.Equal(t, http.StatusNotFound, b.get(t, anonymous, "/api/app/static/nope.css").StatusCode)
}

func withHeader(path, key, value string) *http.Request {
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	req.Header.Set(key, value)
	return req
}

func TestHealthPageShowsTheRawReport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.get(t, b.as(t, b.a, b.a.Admin), "/api/app/health")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, res.text(), "dependencies")
	require.Contains(t, res.body, "&#34;version&#34;: &#34;1.2.3&#34;", "the raw report is shown, escaped")
}

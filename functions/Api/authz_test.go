package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	api "github.com/meetingminutes/minutes/functions/Api"
	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/review/reviewtest"
	"github.com/meetingminutes/minutes/shared/store"
)

// routeCase is one call of a route on a fixture tenant.
type routeCase struct {
	name    string
	pattern string // the route it exercises, as Routes spells it
	method  string
	path    func(tn *reviewtest.Tenant) string
	body    func(tn *reviewtest.Tenant) any
	min     store.Role // lowest role allowed
	ok      int        // status when allowed
}

func (c routeCase) write() bool { return c.method != http.MethodGet }

func fixed(p string) func(*reviewtest.Tenant) string {
	return func(*reviewtest.Tenant) string { return p }
}

// routeCases calls every route once, with a body that succeeds for a caller with the role.
func routeCases() []routeCase {
	content := func(tn *reviewtest.Tenant) any {
		return map[string]any{"content": reviewtest.Content("Edited", "Edited summary", map[string]any{"task": "New task"})}
	}
	return []routeCase{
		{"me", "GET /api/v1/me", "GET", fixed("/api/v1/me"), nil, store.RoleMember, 200},
		{"list meetings", "GET /api/v1/meetings", "GET", fixed("/api/v1/meetings"), nil, store.RoleMember, 200},
		// The setup configures no Uploads: a member gets through the role check to the 503.
		{"upload transcript", "POST /api/v1/transcripts", "POST", fixed("/api/v1/transcripts"), nil, store.RoleMember, 503},
		{"get meeting", "GET /api/v1/meetings/{id}", "GET", func(tn *reviewtest.Tenant) string {
			return "/api/v1/meetings/" + tn.Meeting.ID.String()
		}, nil, store.RoleMember, 200},
		{"minutes history", "GET /api/v1/meetings/{id}/minutes", "GET", func(tn *reviewtest.Tenant) string {
			return "/api/v1/meetings/" + tn.Meeting.ID.String() + "/minutes"
		}, nil, store.RoleMember, 200},
		{"get minutes", "GET /api/v1/minutes/{id}", "GET", func(tn *reviewtest.Tenant) string {
			return "/api/v1/minutes/" + tn.Minutes.ID.String()
		}, nil, store.RoleMember, 200},
		{"edit minutes", "PUT /api/v1/minutes/{id}", "PUT", func(tn *reviewtest.Tenant) string {
			return "/api/v1/minutes/" + tn.Minutes.ID.String()
		}, content, store.RoleApprover, 201},
		{"approve minutes", "POST /api/v1/minutes/{id}/approve", "POST", func(tn *reviewtest.Tenant) string {
			return "/api/v1/minutes/" + tn.Minutes.ID.String() + "/approve"
		}, nil, store.RoleApprover, 200},
		{"reject minutes", "POST /api/v1/minutes/{id}/reject", "POST", func(tn *reviewtest.Tenant) string {
			return "/api/v1/minutes/" + tn.Minutes.ID.String() + "/reject"
		}, func(*reviewtest.Tenant) any { return map[string]any{"reason": "wrong numbers"} }, store.RoleApprover, 200},
		{"list action items", "GET /api/v1/action-items", "GET", fixed("/api/v1/action-items?owner=me"), nil, store.RoleMember, 200},
		{"export action items", "GET /api/v1/action-items.csv", "GET", fixed("/api/v1/action-items.csv"), nil, store.RoleMember, 200},
		{"status of own action item", "PATCH /api/v1/action-items/{id}", "PATCH", func(tn *reviewtest.Tenant) string {
			return "/api/v1/action-items/" + tn.Items[0].ID.String() // owned by tn.Member
		}, func(*reviewtest.Tenant) any { return map[string]any{"status": "done"} }, store.RoleMember, 200},
		{"status of someone else's action item", "PATCH /api/v1/action-items/{id}", "PATCH", func(tn *reviewtest.Tenant) string {
			return "/api/v1/action-items/" + tn.Items[1].ID.String() // owned by tn.Other
		}, func(*reviewtest.Tenant) any { return map[string]any{"status": "done"} }, store.RoleApprover, 200},
		{"get settings", "GET /api/v1/settings", "GET", fixed("/api/v1/settings"), nil, store.RoleAdmin, 200},
		{"put settings", "PUT /api/v1/settings", "PUT", fixed("/api/v1/settings"),
			func(*reviewtest.Tenant) any { return map[string]any{"retention_days": 30} }, store.RoleAdmin, 200},
		{"list users", "GET /api/v1/users", "GET", fixed("/api/v1/users"), nil, store.RoleAdmin, 200},
		{"set user role", "PATCH /api/v1/users/{id}", "PATCH", func(tn *reviewtest.Tenant) string {
			return "/api/v1/users/" + tn.Other.ID.String()
		}, func(*reviewtest.Tenant) any { return map[string]any{"role": "approver"} }, store.RoleAdmin, 200},
		{"list templates", "GET /api/v1/templates", "GET", fixed("/api/v1/templates"), nil, store.RoleMember, 200},
		{"create template", "POST /api/v1/templates", "POST", fixed("/api/v1/templates"),
			func(*reviewtest.Tenant) any { return map[string]any{"name": "Retro"} }, store.RoleAdmin, 201},
		{"list audit log", "GET /api/v1/audit", "GET", fixed("/api/v1/audit"), nil, store.RoleAdmin, 200},
	}
}

func TestEveryRouteHasARoleCase(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, c := range routeCases() {
		covered[c.pattern] = true
	}
	for _, rt := range api.New(api.Deps{}).Routes() {
		require.True(t, covered[rt.Pattern], "no role case for %s", rt.Pattern)
		require.True(t, strings.Contains(rt.Pattern, " /api/v1/"), "%s: a method and a path under /api/v1/", rt.Pattern)
	}
	require.Len(t, covered, len(api.New(api.Deps{}).Routes()))
}

func rank(r store.Role) int {
	return map[store.Role]int{store.RoleMember: 1, store.RoleApprover: 2, store.RoleAdmin: 3}[r]
}

func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	callers := []struct {
		name      string
		role      store.Role // "" for anonymous
		suspended bool
	}{
		{"anonymous", "", false},
		{"member", store.RoleMember, false},
		{"approver", store.RoleApprover, false},
		{"admin", store.RoleAdmin, false},
		{"admin of a suspended tenant", store.RoleAdmin, true},
	}
	for _, c := range routeCases() {
		for _, who := range callers {
			t.Run(c.name+"/"+who.name, func(t *testing.T) {
				t.Parallel()
				tn := b.env.NewTenant(t, "Matrix")
				caller := anonymous
				switch who.role {
				case store.RoleMember:
					caller = b.as(t, tn, tn.Member)
				case store.RoleApprover:
					caller = b.as(t, tn, tn.Approver)
				case store.RoleAdmin:
					caller = b.as(t, tn, tn.Admin)
				}
				if who.suspended {
					b.env.Suspend(t, tn)
				}
				want := c.ok
				switch {
				case who.role == "":
					want = http.StatusUnauthorized
				case rank(who.role) < rank(c.min):
					want = http.StatusForbidden
				case who.suspended && c.write():
					want = http.StatusForbidden
				}
				var body any
				if c.body != nil {
					body = c.body(tn)
				}
				rec := b.do(t, caller, c.method, c.path(tn), body)
				require.Equal(t, want, rec.Code, rec.Body.String())
				if want >= 400 {
					msg := errorOf(t, rec)
					if who.suspended {
						require.Contains(t, msg, "suspended")
					}
				}
			})
		}
	}
}

// snapshot is everything a tenant's data looks like, to prove a request changed nothing.
func snapshot(t *testing.T, b *testBundle, tn *reviewtest.Tenant) string {
	t.Helper()
	ctx := context.Background()
	st := tn.Store
	hist, err := st.MinutesHistory(ctx, tn.Meeting.ID)
	require.NoError(t, err)
	items, err := st.ActionItems(ctx, store.ActionItemFilter{Limit: store.MaxLimit})
	require.NoError(t, err)
	users, err := st.ListUsers(ctx, store.ListUsersParams{Limit: store.MaxLimit})
	require.NoError(t, err)
	set, err := st.Settings(ctx)
	require.NoError(t, err)
	tpls, err := st.ListTemplates(ctx)
	require.NoError(t, err)
	meetings, err := st.ListMeetings(ctx, store.ListMeetingsParams{Limit: store.MaxLimit})
	require.NoError(t, err)
	recs, err := audit.List(ctx, b.env.DB.App, tn.ID, audit.ListParams{Limit: 500})
	require.NoError(t, err)
	raw, err := json.Marshal([]any{hist, items, users, set, tpls, meetings, len(recs)})
	require.NoError(t, err)
	return string(raw)
}

func TestAnotherTenantsIDsAreNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, v := b.a, b.b // tenant A's admin attacks tenant B (the victim)
	attacker := b.as(t, a, a.Admin)
	beforeA, beforeB := snapshot(t, b, a), snapshot(t, b, v)
	content := func(item map[string]any) any {
		return map[string]any{"content": reviewtest.Content("pwned", "pwned", item)}
	}
	cases := []struct {
		name, method, path string
		body               any
	}{
		{"meeting", "GET", "/api/v1/meetings/" + v.Meeting.ID.String(), nil},
		{"meeting's minutes", "GET", "/api/v1/meetings/" + v.Meeting.ID.String() + "/minutes", nil},
		{"minutes", "GET", "/api/v1/minutes/" + v.Minutes.ID.String(), nil},
		{"edit minutes", "PUT", "/api/v1/minutes/" + v.Minutes.ID.String(), content(map[string]any{"task": "x"})},
		{"approve minutes", "POST", "/api/v1/minutes/" + v.Minutes.ID.String() + "/approve", nil},
		{"reject minutes", "POST", "/api/v1/minutes/" + v.Minutes.ID.String() + "/reject", obj{"reason": "pwned"}},
		{"action item status", "PATCH", "/api/v1/action-items/" + v.Items[0].ID.String(), obj{"status": "done"}},
		{"user role: demote their admin", "PATCH", "/api/v1/users/" + v.Admin.ID.String(), obj{"role": "member"}},
		{"user role: promote their member", "PATCH", "/api/v1/users/" + v.Member.ID.String(), obj{"role": "admin"}},
		{"action items of their meeting", "GET", "/api/v1/action-items?meeting=" + v.Meeting.ID.String(), nil},
		{"action items of their user", "GET", "/api/v1/action-items?owner=" + v.Member.ID.String(), nil},
		{"export of their meeting", "GET", "/api/v1/action-items.csv?meeting=" + v.Meeting.ID.String(), nil},
		{"export of their user", "GET", "/api/v1/action-items.csv?owner=" + v.Member.ID.String() + "&status=open", nil},
		{"their user as our approver", "PUT", "/api/v1/settings", obj{"approval_mode": "named", "approver_ids": []string{v.Approver.ID.String()}}},
		{"our and their users as approvers", "PUT", "/api/v1/settings", obj{"approver_ids": []string{a.Approver.ID.String(), v.Admin.ID.String()}}},
		{"their template as our default", "PUT", "/api/v1/settings", obj{"default_template_id": v.Template.ID.String()}},
		{"their user as our item's owner", "PUT", "/api/v1/minutes/" + a.Minutes.ID.String(),
			content(map[string]any{"task": "x", "owner_user_id": v.Member.ID.String()})},
		// Malformed ids answer exactly like foreign ones.
		{"malformed meeting id", "GET", "/api/v1/meetings/not-an-id", nil},
		{"nil minutes id", "GET", "/api/v1/minutes/00000000-0000-0000-0000-000000000000", nil},
		{"malformed minutes id", "POST", "/api/v1/minutes/123/approve", nil},
		{"malformed action item id", "PATCH", "/api/v1/action-items/x", obj{"status": "done"}},
		{"malformed user id", "PATCH", "/api/v1/users/%20", obj{"role": "member"}},
		{"malformed meeting filter", "GET", "/api/v1/action-items?meeting=zzz", nil},
		{"malformed owner filter", "GET", "/api/v1/action-items.csv?owner=zzz", nil},
		{"malformed approver id", "PUT", "/api/v1/settings", obj{"approver_ids": []string{"zzz"}}},
		{"malformed template id", "PUT", "/api/v1/settings", obj{"default_template_id": "zzz"}},
		{"malformed owner id in content", "PUT", "/api/v1/minutes/" + a.Minutes.ID.String(),
			content(map[string]any{"task": "x", "owner_user_id": "zzz"})},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			rec := b.do(t, attacker, tt.method, tt.path, tt.body)
			require.Equal(t, http.StatusNotFound, rec.Code, rec.Body.String())
			require.NotContains(t, rec.Body.String(), v.Name, "nothing of B in the answer")
			errorOf(t, rec)
		})
	}
	require.Equal(t, beforeB, snapshot(t, b, v), "B is unchanged")
	require.Equal(t, beforeA, snapshot(t, b, a), "A is unchanged (and nothing was recorded)")

	// Lists never show B's objects either.
	for _, path := range []string{"/api/v1/meetings?limit=200", "/api/v1/action-items?limit=200", "/api/v1/users?limit=200",
		"/api/v1/templates", "/api/v1/audit?limit=500", "/api/v1/action-items.csv"} {
		rec := b.do(t, attacker, "GET", path, nil)
		require.Equal(t, http.StatusOK, rec.Code, path)
		for _, id := range []fmt.Stringer{v.Meeting.ID, v.Minutes.ID, v.Items[0].ID, v.Admin.ID, v.Template.ID} {
			require.NotContains(t, rec.Body.String(), id.String(), path)
		}
		require.NotContains(t, rec.Body.String(), v.Admin.Email, path)
		require.NotContains(t, rec.Body.String(), v.ID.String(), path)
	}
}

func TestSuspendedTenantReadsButDoesNotWrite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.Suspend(t, b.a)
	admin := b.as(t, b.a, b.a.Admin)
	rec := b.do(t, admin, "GET", "/api/v1/me", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "suspended", decode[obj](t, rec)["tenant_status"])
	rec = b.do(t, admin, "POST", "/api/v1/minutes/"+b.a.Minutes.ID.String()+"/approve", nil)
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Contains(t, errorOf(t, rec), "suspended")
	m, err := b.a.Store.Minutes(context.Background(), b.a.Minutes.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesPendingApproval, m.Status)
}

func TestDemotedUsersLoseRightsAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	approver := b.as(t, b.a, b.a.Approver)
	_, err := b.a.Store.SetUserRole(context.Background(), b.a.Approver.ID, store.RoleMember)
	require.NoError(t, err)
	rec := b.do(t, approver, "POST", "/api/v1/minutes/"+b.a.Minutes.ID.String()+"/approve", nil)
	require.Equal(t, http.StatusForbidden, rec.Code, "the cookie still says approver; the user row does not")
}

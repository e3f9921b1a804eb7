package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/meetingminutes/minutes/shared/store"
)

// TestAnotherTenantsIDsAreNotFound runs every route with an id, as tenant A's admin (whose
// role passes every check), with tenant B's ids, malformed ids and unknown ids: each gets the
// same 404 page, and B's data does not change.
func TestAnotherTenantsIDsAreNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	var tok [32]byte
	tok[0] = 7
	inv, err := b.b.Store.CreateInvitation(ctx, store.InvitationInput{Email: "x@fabrikam.example", Role: store.RoleMember,
		TokenSHA256: tok, ExpiresAt: clock.Add(24 * 3600e9)})
	require.NoError(t, err)

	routes := []struct {
		method, pattern, foreign string
		form                     url.Values
	}{
		{"GET", "/api/app/meetings/%s", b.b.Meeting.ID.String(), nil},
		{"GET", "/api/app/minutes/%s", b.b.Minutes.ID.String(), nil},
		{"GET", "/api/app/minutes/%s/edit", b.b.Minutes.ID.String(), nil},
		{"POST", "/api/app/minutes/%s/edit", b.b.Minutes.ID.String(), url.Values{"title": {"Hijacked"}, "summary": {"x"}}},
		{"POST", "/api/app/minutes/%s/approve", b.b.Minutes.ID.String(), nil},
		{"POST", "/api/app/minutes/%s/reject", b.b.Minutes.ID.String(), url.Values{"reason": {"because"}}},
		{"POST", "/api/app/action-items/%s/status", b.b.Items[0].ID.String(), url.Values{"status": {"done"}}},
		{"POST", "/api/app/users/%s/role", b.b.Member.ID.String(), url.Values{"role": {"admin"}}},
		{"POST", "/api/app/invitations/%s/revoke", inv.ID.String(), nil},
	}
	admin := b.as(t, b.a, b.a.Admin)
	var reference string
	for _, rt := range routes {
		for _, id := range []string{rt.foreign, "not-a-uuid", uuid.NewString(), strings.ToUpper(rt.foreign)} {
			path := strings.Replace(rt.pattern, "%s", id, 1)
			t.Run(rt.method+" "+path, func(t *testing.T) {
				var res response
				if rt.method == "GET" {
					res = b.get(t, admin, path)
				} else {
					res = b.post(t, admin, path, rt.form)
				}
				require.Equal(t, http.StatusNotFound, res.StatusCode, res.text())
				text := res.text()
				require.Contains(t, text, "Page not found")
				if reference == "" {
					reference = text
				}
				require.Equal(t, reference, text, "one page for every kind of unknown id")
				require.NotContains(t, res.body, "Fabrikam")
			})
		}
	}

	m, err := b.b.Store.Minutes(ctx, b.b.Minutes.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesPendingApproval, m.Status)
	hist, err := b.b.Store.MinutesHistory(ctx, b.b.Meeting.ID)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	it, err := b.b.Store.ActionItem(ctx, b.b.Items[0].ID)
	require.NoError(t, err)
	require.Equal(t, store.ActionOpen, it.Status)
	u, err := b.b.Store.User(ctx, b.b.Member.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleMember, u.Role)
	got, err := b.b.Store.ListInvitations(ctx, store.ListInvitationsParams{})
	require.NoError(t, err)
	require.Nil(t, got[0].RevokedAt)
}

// crawl renders every page as the callers that see the most forms.
func crawl(t *testing.T, b *bundle) map[string]response {
	t.Helper()
	out := map[string]response{}
	for _, p := range pages() {
		res := b.get(t, p.who(t, b), p.path(b))
		require.Equal(t, http.StatusOK, res.StatusCode, p.name)
		out[p.name] = res
	}
	out["meeting as admin"] = b.get(t, b.as(t, b.a, b.a.Admin), "/api/app/meetings/"+b.a.Meeting.ID.String())
	out["not found"] = b.get(t, b.as(t, b.a, b.a.Admin), "/api/app/meetings/nope")
	return out
}

func TestEveryPostFormCarriesTheCSRFToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	posts := 0
	for name, res := range crawl(t, b) {
		for _, f := range res.forms() {
			switch f.method {
			case "post":
				posts++
				require.Len(t, f.hidden["csrf_token"], 1, "%s: form to %s", name, f.action)
				require.NotEmpty(t, f.hidden.Get("csrf_token"), "%s: form to %s", name, f.action)
				require.True(t, strings.HasPrefix(f.action, "/api/app/"), "%s: form to %s", name, f.action)
			case "get":
				require.Empty(t, f.hidden["csrf_token"], "%s: a GET form must not leak the token into URLs", name)
			default:
				t.Fatalf("%s: form to %s has method %q", name, f.action, f.method)
			}
		}
	}
	require.Greater(t, posts, 30)

	// And the token is what lets a POST through: without it the CSRF middleware refuses.
	approver := b.as(t, b.a, b.a.Approver)
	res := b.post(t, approver, "/api/app/minutes/"+b.a.Minutes.ID.String()+"/approve", url.Values{"csrf_token": {""}})
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	m, err := b.a.Store.Minutes(context.Background(), b.a.Minutes.ID)
	require.NoError(t, err)
	require.Equal(t, store.MinutesPendingApproval, m.Status)
}

// TestPagesAreAccessible checks the basics on every page: a language, one h1, one main
// landmark, and a label for every control.
func TestPagesAreAccessible(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for name, res := range crawl(t, b) {
		labels := map[string]bool{}
		var h1, mains int
		var controls []*html.Node
		for n := range res.doc.Descendants() {
			if n.Type != html.ElementNode {
				continue
			}
			switch n.Data {
			case "html":
				require.Equal(t, "en", attr(n, "lang"), name)
			case "h1":
				h1++
			case "main":
				mains++
			case "label":
				if f := attr(n, "for"); f != "" {
					labels[f] = true
				}
			case "input", "select", "textarea":
				if attr(n, "type") != "hidden" {
					controls = append(controls, n)
				}
			}
		}
		require.Equal(t, 1, h1, "%s: one h1", name)
		require.Equal(t, 1, mains, "%s: one main", name)
		for _, c := range controls {
			wrapped := false
			for p := c.Parent; p != nil; p = p.Parent {
				wrapped = wrapped || (p.Type == html.ElementNode && p.Data == "label")
			}
			require.True(t, wrapped || labels[attr(c, "id")], "%s: %s %q has no label", name, c.Data, attr(c, "name"))
		}
	}
}

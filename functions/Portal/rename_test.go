package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdminRenamesTheOrganisation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.as(t, b.a, b.a.Admin)
	page := b.get(t, admin, "/api/app/settings")
	require.True(t, page.hasFormTo("/api/app/settings/organisation"), "the settings page offers the rename")

	res := b.post(t, admin, "/api/app/settings/organisation", url.Values{"name": {"Contoso Ltd"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	after := b.get(t, admin, "/api/app/settings?done=renamed")
	require.Contains(t, after.text(), "Organisation renamed.")
	tn, err := b.env.Registry.Get(context.Background(), b.a.ID)
	require.NoError(t, err)
	require.Equal(t, "Contoso Ltd", tn.Name)

	bad := b.post(t, admin, "/api/app/settings/organisation", url.Values{"name": {strings.Repeat("x", 300)}})
	require.Equal(t, http.StatusBadRequest, bad.StatusCode)

	approver := b.as(t, b.a, b.a.Approver)
	denied := b.post(t, approver, "/api/app/settings/organisation", url.Values{"name": {"Hijacked"}})
	require.Equal(t, http.StatusForbidden, denied.StatusCode)
	other, err := b.env.Registry.Get(context.Background(), b.b.ID)
	require.NoError(t, err)
	require.Equal(t, "Fabrikam", other.Name, "another tenant is never renamed")
}

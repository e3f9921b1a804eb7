package identity_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/identity"
	"github.com/meetingminutes/minutes/shared/identity/entratest"
)

// Callback query strings from the reference fixtures (graph.md §7.6).
const (
	fixtureSuccess          = "admin_consent=True&tenant=5f1c9a0e-3b7d-4c2a-9e61-7d2b8c4f0a13&scope=https%3a%2f%2fgraph.microsoft.com%2f.default&state=q7Vt2pKf9xR4mW1zN8cJ3bL6hD0sA5eY"
	fixtureDeclinedNoTenant = "error=access_denied&error_description=AADSTS65004%3a+User+declined+to+consent+to+access+the+app.%0d%0aTrace+ID%3a+7a1c3e5f-2b4d-4f6a-8c9e-0d1f3a5b7c9e%0d%0aCorrelation+ID%3a+e2d4f6a8-1c3e-4b5d-9f7a-2c4e6a8b0d1f%0d%0aTimestamp%3a+2026-03-09+10%3a41%3a07Z&error_uri=https%3a%2f%2flogin.microsoftonline.com%2ferror%3fcode%3d65004&admin_consent=True&state=q7Vt2pKf9xR4mW1zN8cJ3bL6hD0sA5eY"
	fixtureDocumentedError  = "admin_consent=True&error=consent_required&error_description=AADSTS65004%3a+The+resource+owner+or+authorization+server+denied+the+request.%0d%0aTrace+ID%3a+4b6d8f0a-2c4e-4a6c-8e0a-3b5d7f9a1c2e%0d%0aCorrelation+ID%3a+9c1e3a5b-7d9f-4b1d-a3c5-e7f9b1d3f5a7%0d%0aTimestamp%3a+2026-03-09+10%3a42%3a55Z&state=q7Vt2pKf9xR4mW1zN8cJ3bL6hD0sA5eY"
	fixtureForgedState      = "admin_consent=True&tenant=00000000-1111-2222-3333-444444444444&scope=https%3a%2f%2fgraph.microsoft.com%2f.default&state=attacker-chosen-value"
)

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	q, err := url.ParseQuery(raw)
	require.NoError(t, err)
	return q
}

func TestParseConsentCallback(t *testing.T) {
	t.Parallel()
	tenant := uuid.MustParse("5f1c9a0e-3b7d-4c2a-9e61-7d2b8c4f0a13")
	cases := []struct {
		name     string
		query    string
		want     identity.ConsentResult
		consent  *identity.ConsentError // want a *ConsentError with this Code
		aadsts   int
		callback bool // want ErrConsentCallback
	}{
		{name: "success", query: fixtureSuccess, want: identity.ConsentResult{TenantID: tenant, Scope: "https://graph.microsoft.com/.default"}},
		{name: "success with unknown params ignored", query: fixtureSuccess + "&session_state=abc&foo=bar&error_subcode=",
			want: identity.ConsentResult{TenantID: tenant, Scope: "https://graph.microsoft.com/.default"}},
		{name: "success without scope", query: "admin_consent=True&tenant=" + tenant.String(), want: identity.ConsentResult{TenantID: tenant}},
		{name: "lower-case true", query: "admin_consent=true&tenant=" + tenant.String(), want: identity.ConsentResult{TenantID: tenant}},
		{name: "documented failure with admin_consent=True and error", query: fixtureDocumentedError, consent: &identity.ConsentError{Code: "consent_required"}, aadsts: 65004},
		{name: "observed AADSTS65004 without tenant", query: fixtureDeclinedNoTenant, consent: &identity.ConsentError{Code: "access_denied"}, aadsts: 65004},
		{name: "error wins over a tenant", query: fixtureSuccess + "&error=access_denied", consent: &identity.ConsentError{Code: "access_denied"}},
		{name: "v1 permission_denied", query: "error=permission_denied&error_description=The+admin+canceled+the+request", consent: &identity.ConsentError{Code: "permission_denied"}},
		{name: "AADSTS50020 other directory", query: "error=access_denied&error_description=AADSTS50020%3a+User+account+from+identity+provider+does+not+exist+in+tenant&admin_consent=True",
			consent: &identity.ConsentError{Code: "access_denied"}, aadsts: 50020},
		{name: "tenant missing", query: "admin_consent=True&state=x", callback: true},
		{name: "tenant not a GUID", query: "admin_consent=True&tenant=contoso.onmicrosoft.com", callback: true},
		{name: "tenant in braces", query: "admin_consent=True&tenant={" + tenant.String() + "}", callback: true},
		{name: "tenant nil GUID", query: "admin_consent=True&tenant=00000000-0000-0000-0000-000000000000", callback: true},
		{name: "tenant repeated", query: "admin_consent=True&tenant=" + tenant.String() + "&tenant=" + uuid.NewString(), callback: true},
		{name: "admin_consent missing", query: "tenant=" + tenant.String(), callback: true},
		{name: "admin_consent False", query: "admin_consent=False&tenant=" + tenant.String(), callback: true},
		{name: "error_description without error", query: "admin_consent=True&tenant=" + tenant.String() + "&error_description=x", callback: true},
		{name: "empty", query: "", callback: true},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.ParseConsentCallback(mustQuery(t, tt.query))
			switch {
			case tt.consent != nil:
				var ce *identity.ConsentError
				require.ErrorAs(t, err, &ce)
				require.Equal(t, tt.consent.Code, ce.Code)
				require.Equal(t, tt.aadsts, ce.AADSTS())
				require.NotEmpty(t, ce.UserMessage())
				require.NotContains(t, ce.UserMessage(), "Trace ID")
				require.NotContains(t, err.Error(), "\n")
				require.Zero(t, got)
			case tt.callback:
				require.ErrorIs(t, err, identity.ErrConsentCallback)
				require.Zero(t, got)
			default:
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
			}
		})
	}
}

func TestConsentCallbackStateIsTheCallersFirstCheck(t *testing.T) {
	t.Parallel()
	codec := identity.StateCodec{Key: []byte(strings.Repeat("k", 32))}
	for _, raw := range []string{fixtureForgedState, "admin_consent=True&tenant=" + uuid.NewString()} {
		q := mustQuery(t, raw)
		// The caller decodes state before looking at anything else; a forged or missing
		// state stops the flow before ParseConsentCallback sees the tenant.
		_, err := codec.Decode(q.Get("state"), identity.PurposeConsent, "session-hash")
		require.ErrorIs(t, err, identity.ErrStateInvalid)
	}
}

func TestConsentErrorIsSafeToLog(t *testing.T) {
	t.Parallel()
	q := url.Values{"error": {"access_denied\r\nINJECTED log line"}, "error_description": {"AADSTS65004: <script>alert(1)</script>"}}
	_, err := identity.ParseConsentCallback(q)
	var ce *identity.ConsentError
	require.ErrorAs(t, err, &ce)
	require.NotContains(t, err.Error(), "\n")
	require.NotContains(t, err.Error(), "<script>")
	require.NotContains(t, ce.UserMessage(), "<script>")
}

func TestAdminConsentURL(t *testing.T) {
	t.Parallel()
	p, b := setup(t)
	tid := uuid.New()
	cases := []struct {
		name, hint, tenantSegment string
	}{
		{"tenant from sign-in", tid.String(), tid.String()},
		{"domain", "contoso.onmicrosoft.com", "contoso.onmicrosoft.com"},
		{"no hint", "", "organizations"},
		{"common is never used", "common", "organizations"},
		{"consumers is never used", "consumers", "organizations"},
		{"path injection", "../evil/x", "organizations"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(p.AdminConsentURL(tt.hint, "st"))
			require.NoError(t, err)
			require.Equal(t, b.entra.URL+"/"+tt.tenantSegment+"/v2.0/adminconsent", (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String())
			require.Equal(t, url.Values{
				"client_id":    {b.entra.ClientID()},
				"scope":        {"https://graph.microsoft.com/.default"},
				"redirect_uri": {consentRedirectURL},
				"state":        {"st"},
			}, u.Query())
		})
	}
}

func TestAdminConsentFlow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("admin consents, callback parsed, consent confirmed", func(t *testing.T) {
		t.Parallel()
		p, b := setup(t)
		loc := follow(t, b.entra.Client(), p.AdminConsentURL(b.tenant.String(), "st"))
		require.Equal(t, consentRedirectURL, (&url.URL{Scheme: loc.Scheme, Host: loc.Host, Path: loc.Path}).String())
		require.Equal(t, "st", loc.Query().Get("state"))
		res, err := identity.ParseConsentCallback(loc.Query())
		require.NoError(t, err)
		require.Equal(t, b.tenant, res.TenantID)
		require.Equal(t, identity.GraphDefaultScope, res.Scope)

		roles, err := p.ConfirmConsent(ctx, res.TenantID, []string{"OnlineMeetingTranscript.Read.All", "OnlineMeetings.Read.All"}, identity.ConfirmOptions{Sleep: func(d time.Duration) {}})
		require.NoError(t, err)
		require.ElementsMatch(t, entratest.DefaultGrantedRoles, roles)
	})

	t.Run("admin declines", func(t *testing.T) {
		t.Parallel()
		p, b := setup(t)
		b.entra.DeclineNextConsent()
		loc := follow(t, b.entra.Client(), p.AdminConsentURL("", "st"))
		q := loc.Query()
		require.Equal(t, "True", q.Get("admin_consent"))
		require.Empty(t, q.Get("tenant"))
		_, err := identity.ParseConsentCallback(q)
		var ce *identity.ConsentError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "access_denied", ce.Code)
		require.Equal(t, 65004, ce.AADSTS())
		require.False(t, b.entra.Consented(b.tenant))
	})

	t.Run("non-admin cannot consent", func(t *testing.T) {
		t.Parallel()
		p, b := setup(t)
		u := b.entra.AddUser(entratest.User{TenantID: b.tenant, Email: "bob@contoso.example"})
		b.entra.SetNextUser(u.Email)
		loc := follow(t, b.entra.Client(), p.AdminConsentURL(b.tenant.String(), "st"))
		_, err := identity.ParseConsentCallback(loc.Query())
		var ce *identity.ConsentError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, 90094, ce.AADSTS())
	})
}

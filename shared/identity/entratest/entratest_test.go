package entratest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/identity/entratest"
)

const callback = "https://app.example/api/app/auth/callback"

func setup(t *testing.T) (*entratest.Server, entratest.User) {
	t.Helper()
	s := entratest.New(t, entratest.Options{RedirectURIs: []string{callback}})
	u := s.AddUser(entratest.User{Name: "Ada", Email: "ada@contoso.example", Admin: true})
	s.SetNextUser(u.Email)
	return s, u
}

func getJSON(t *testing.T, s *entratest.Server, path string) map[string]any {
	t.Helper()
	resp, err := s.Client().Get(s.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return m
}

// get GETs without following redirects.
func get(t *testing.T, s *entratest.Server, u string) *http.Response {
	t.Helper()
	c := *s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(u)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func postToken(t *testing.T, s *entratest.Server, tenant string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().PostForm(s.URL+"/"+tenant+"/oauth2/v2.0/token", form)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return resp.StatusCode, m
}

func authorizeQuery(s *entratest.Server, challenge string) url.Values {
	return url.Values{
		"client_id": {s.ClientID()}, "response_type": {"code"}, "redirect_uri": {callback},
		"response_mode": {"query"}, "scope": {"openid profile email offline_access"},
		"state": {"st"}, "nonce": {"nn"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
}

func challengeOf(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestDiscoveryAndKeys(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	d := getJSON(t, s, "/organizations/v2.0/.well-known/openid-configuration")
	require.Equal(t, s.URL+"/{tenantid}/v2.0", d["issuer"])
	require.Equal(t, s.URL+"/organizations/discovery/v2.0/keys", d["jwks_uri"])
	require.Equal(t, s.URL+"/organizations/oauth2/v2.0/authorize", d["authorization_endpoint"])
	require.Equal(t, s.URL+"/organizations/oauth2/v2.0/token", d["token_endpoint"])
	require.Equal(t, []any{"RS256"}, d["id_token_signing_alg_values_supported"])

	tid := uuid.New()
	d = getJSON(t, s, "/"+tid.String()+"/v2.0/.well-known/openid-configuration")
	require.Equal(t, s.Issuer(tid), d["issuer"])

	keys := getJSON(t, s, "/organizations/discovery/v2.0/keys")["keys"].([]any)
	require.Len(t, keys, 1)
	k := keys[0].(map[string]any)
	require.Equal(t, "RSA", k["kty"])
	require.Equal(t, "sig", k["use"])
	require.Equal(t, s.CurrentKID(), k["kid"])
	require.Equal(t, k["kid"], k["x5t"])
	require.Equal(t, "AQAB", k["e"])
	require.NotEmpty(t, k["n"])
	require.Len(t, k["x5c"], 1)
	require.Equal(t, s.URL+"/{tenantid}/v2.0", k["issuer"])
	require.Equal(t, 1, s.KeyFetches())

	old := s.CurrentKID()
	newKID := s.RotateKey()
	keys = getJSON(t, s, "/common/discovery/v2.0/keys")["keys"].([]any)
	require.Len(t, keys, 2)
	s.RetireOldKeys()
	keys = getJSON(t, s, "/common/discovery/v2.0/keys")["keys"].([]any)
	require.Len(t, keys, 1)
	require.Equal(t, newKID, keys[0].(map[string]any)["kid"])
	require.NotEqual(t, old, newKID)
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	s, u := setup(t)
	verifier := strings.Repeat("v", 43)

	t.Run("success redirects with code and state", func(t *testing.T) {
		resp := get(t, s, s.URL+"/organizations/oauth2/v2.0/authorize?"+authorizeQuery(s, challengeOf(verifier)).Encode())
		require.Equal(t, http.StatusFound, resp.StatusCode)
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(loc.String(), callback+"?"))
		require.Equal(t, "st", loc.Query().Get("state"))
		code := loc.Query().Get("code")
		require.NotEmpty(t, code)

		form := url.Values{"client_id": {s.ClientID()}, "client_secret": {s.ClientSecret()}, "grant_type": {"authorization_code"},
			"code": {code}, "redirect_uri": {callback}, "code_verifier": {verifier}}
		status, body := postToken(t, s, "organizations", form)
		require.Equal(t, http.StatusOK, status, body)
		claims := jwt.MapClaims{}
		_, _, err = jwt.NewParser().ParseUnverified(body["id_token"].(string), claims)
		require.NoError(t, err)
		require.Equal(t, u.TenantID.String(), claims["tid"])
		require.Equal(t, u.ObjectID.String(), claims["oid"])
		require.Equal(t, s.Issuer(u.TenantID), claims["iss"])
		require.Equal(t, s.ClientID(), claims["aud"])
		require.Equal(t, "nn", claims["nonce"])
		require.Equal(t, "2.0", claims["ver"])
		refresh, _ := body["refresh_token"].(string)
		require.NotEmpty(t, refresh)

		status, body = postToken(t, s, "organizations", form)
		require.Equal(t, http.StatusBadRequest, status)
		require.Equal(t, "invalid_grant", body["error"])
		require.Equal(t, []any{float64(54005)}, body["error_codes"])
		require.True(t, strings.HasPrefix(body["error_description"].(string), "AADSTS54005: "))

		rf := url.Values{"client_id": {s.ClientID()}, "client_secret": {s.ClientSecret()}, "grant_type": {"refresh_token"}, "refresh_token": {refresh}}
		status, body = postToken(t, s, "organizations", rf)
		require.Equal(t, http.StatusOK, status, body)
		require.NotEmpty(t, body["id_token"])
		rf.Set("refresh_token", refresh+"x")
		status, _ = postToken(t, s, "organizations", rf)
		require.Equal(t, http.StatusBadRequest, status)
	})

	pageCases := []struct {
		name string
		edit func(url.Values)
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", uuid.NewString()) }},
		{"unregistered redirect", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }},
	}
	for _, tt := range pageCases {
		t.Run(tt.name+" shows an error page and never redirects", func(t *testing.T) {
			q := authorizeQuery(s, challengeOf(verifier))
			tt.edit(q)
			resp := get(t, s, s.URL+"/organizations/oauth2/v2.0/authorize?"+q.Encode())
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
			require.Empty(t, resp.Header.Get("Location"))
		})
	}

	redirectCases := []struct {
		name, error string
		edit        func(url.Values)
	}{
		{"implicit flow", "unsupported_response_type", func(q url.Values) { q.Set("response_type", "id_token") }},
		{"plain PKCE", "invalid_request", func(q url.Values) { q.Set("code_challenge_method", "plain") }},
		{"no PKCE", "invalid_request", func(q url.Values) { q.Del("code_challenge") }},
		{"no openid", "invalid_request", func(q url.Values) { q.Set("scope", "profile") }},
	}
	for _, tt := range redirectCases {
		t.Run(tt.name+" redirects with an error", func(t *testing.T) {
			q := authorizeQuery(s, challengeOf(verifier))
			tt.edit(q)
			resp := get(t, s, s.URL+"/organizations/oauth2/v2.0/authorize?"+q.Encode())
			require.Equal(t, http.StatusFound, resp.StatusCode)
			loc, err := url.Parse(resp.Header.Get("Location"))
			require.NoError(t, err)
			require.Equal(t, tt.error, loc.Query().Get("error"))
			require.Equal(t, "st", loc.Query().Get("state"))
			require.Empty(t, loc.Query().Get("code"))
		})
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	cases := []struct {
		name   string
		form   url.Values
		status int
		error  string
		code   float64
	}{
		{"bad secret", url.Values{"client_id": {s.ClientID()}, "client_secret": {"nope"}, "grant_type": {"client_credentials"}}, 401, "invalid_client", 7000215},
		{"no secret", url.Values{"client_id": {s.ClientID()}, "grant_type": {"client_credentials"}}, 401, "invalid_client", 7000218},
		{"unknown client", url.Values{"client_id": {uuid.NewString()}, "client_secret": {s.ClientSecret()}, "grant_type": {"client_credentials"}}, 400, "unauthorized_client", 700016},
		{"unsupported grant", url.Values{"client_id": {s.ClientID()}, "client_secret": {s.ClientSecret()}, "grant_type": {"password"}}, 400, "unsupported_grant_type", 70003},
		{"unknown code", url.Values{"client_id": {s.ClientID()}, "client_secret": {s.ClientSecret()}, "grant_type": {"authorization_code"}, "code": {"x"}}, 400, "invalid_grant", 9002313},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postToken(t, s, "organizations", tt.form)
			require.Equal(t, tt.status, status)
			require.Equal(t, tt.error, body["error"])
			require.Equal(t, []any{tt.code}, body["error_codes"])
			require.NotEmpty(t, body["trace_id"])
			require.NotEmpty(t, body["correlation_id"])
		})
	}
}

func TestAdminConsentAndClientCredentials(t *testing.T) {
	t.Parallel()
	consentCB := "https://app.example/api/consent/callback"
	s2 := entratest.New(t, entratest.Options{RedirectURIs: []string{consentCB}, MissingRoleCalls: 1})
	admin := s2.AddUser(entratest.User{Email: "admin@fabrikam.example", Admin: true})

	cc := url.Values{"client_id": {s2.ClientID()}, "client_secret": {s2.ClientSecret()}, "grant_type": {"client_credentials"}, "scope": {entratest.GraphDefaultScope}}
	status, body := postToken(t, s2, admin.TenantID.String(), cc)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, []any{float64(700016)}, body["error_codes"])

	q := url.Values{"client_id": {s2.ClientID()}, "scope": {entratest.GraphDefaultScope}, "redirect_uri": {consentCB}, "state": {"st"}}
	t.Run("common is refused", func(t *testing.T) {
		loc, _ := url.Parse(get(t, s2, s2.URL+"/common/v2.0/adminconsent?"+q.Encode()).Header.Get("Location"))
		require.Equal(t, "invalid_request", loc.Query().Get("error"))
		require.Equal(t, "True", loc.Query().Get("admin_consent"))
	})
	t.Run("scope must be .default", func(t *testing.T) {
		bad := url.Values{"client_id": {s2.ClientID()}, "scope": {"User.Read"}, "redirect_uri": {consentCB}, "state": {"st"}}
		loc, _ := url.Parse(get(t, s2, s2.URL+"/organizations/v2.0/adminconsent?"+bad.Encode()).Header.Get("Location"))
		require.Equal(t, "invalid_request", loc.Query().Get("error"))
	})
	t.Run("unregistered redirect", func(t *testing.T) {
		bad := url.Values{"client_id": {s2.ClientID()}, "scope": {entratest.GraphDefaultScope}, "redirect_uri": {"https://evil.example/"}, "state": {"st"}}
		resp := get(t, s2, s2.URL+"/organizations/v2.0/adminconsent?"+bad.Encode())
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Empty(t, resp.Header.Get("Location"))
	})

	// The only user signs in implicitly.
	resp := get(t, s2, s2.URL+"/organizations/v2.0/adminconsent?"+q.Encode())
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	require.Equal(t, url.Values{"admin_consent": {"True"}, "tenant": {admin.TenantID.String()}, "scope": {entratest.GraphDefaultScope}, "state": {"st"}}, loc.Query())
	require.True(t, s2.Consented(admin.TenantID))

	readRoles := func() (map[string]any, bool) {
		status, body := postToken(t, s2, admin.TenantID.String(), cc)
		require.Equal(t, http.StatusOK, status, body)
		claims := jwt.MapClaims{}
		tok, _, err := jwt.NewParser().ParseUnverified(body["access_token"].(string), claims)
		require.NoError(t, err)
		require.Equal(t, "RS256", tok.Header["alg"])
		require.Equal(t, admin.TenantID.String(), claims["tid"])
		_, has := claims["roles"]
		return claims, has
	}
	_, has := readRoles()
	require.False(t, has, "first token after consent lacks roles (MissingRoleCalls: 1)")
	claims, has := readRoles()
	require.True(t, has)
	require.Len(t, claims["roles"], len(entratest.DefaultGrantedRoles))
}

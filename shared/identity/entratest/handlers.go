package entratest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// entraTime is the timestamp layout of Entra error documents.
const entraTime = "2006-01-02 15:04:05Z"

// pseudoTenant reports the tenant-independent path segments.
func pseudoTenant(t string) bool {
	switch strings.ToLower(t) {
	case "common", "organizations", "consumers":
		return true
	}
	return false
}

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	issuer := s.URL + "/{tenantid}/v2.0"
	if !pseudoTenant(tenant) {
		tid, err := uuid.Parse(tenant)
		if err != nil {
			writeOAuthError(w, http.StatusBadRequest, "invalid_tenant", 90002,
				fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
			return
		}
		issuer = s.Issuer(tid)
	}
	base := s.URL + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                issuer,
		"request_uri_parameter_supported":       false,
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nonce", "preferred_username", "name", "tid", "ver", "oid", "email"},
		"tenant_region_scope":                   nil,
		"cloud_instance_name":                   "microsoftonline.com",
	})
}

func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.keyFetches++
	keys := make([]map[string]any, 0, len(s.keys))
	for _, k := range s.keys {
		keys = append(keys, s.jwk(k))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

// redirectAllowed reports whether uri is a registered redirect URI.
func (s *Server) redirectAllowed(uri string) bool {
	if len(s.opts.RedirectURIs) == 0 {
		u, err := url.Parse(uri)
		return err == nil && u.IsAbs() && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https")
	}
	return slices.Contains(s.opts.RedirectURIs, uri)
}

// errorPage is what Entra shows when it cannot redirect: the request is bad before a redirect
// target is trusted.
func errorPage(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "<!doctype html><title>Sign in to your account</title><p>AADSTS%d: %s</p>", code, html.EscapeString(msg))
}

// redirect sends the browser to redirectURI with params added to its query.
func redirect(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values) {
	u, _ := url.Parse(redirectURI)
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func aadstsDescription(code int, msg string) string {
	return aadstsDescriptionIDs(code, msg, uuid.NewString(), uuid.NewString())
}

func aadstsDescriptionIDs(code int, msg, traceID, corrID string) string {
	return fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
		code, msg, traceID, corrID, time.Now().UTC().Format(entraTime))
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tenant := r.PathValue("tenant")
	if q.Get("client_id") != s.opts.ClientID {
		errorPage(w, 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory.", q.Get("client_id")))
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !s.redirectAllowed(redirectURI) {
		errorPage(w, 50011, fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'.", redirectURI, s.opts.ClientID))
		return
	}
	state := q.Get("state")
	fail := func(errCode string, aadsts int, msg string) {
		p := url.Values{"error": {errCode}, "error_description": {aadstsDescription(aadsts, msg)}}
		if state != "" {
			p.Set("state", state)
		}
		redirect(w, r, redirectURI, p)
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", 700054, "response_type '"+q.Get("response_type")+"' is not supported by this fake; use code.")
		return
	case q.Get("response_mode") != "" && q.Get("response_mode") != "query":
		fail("invalid_request", 900144, "entratest supports response_mode=query only.")
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		fail("invalid_request", 900144, "The request body must contain the following parameter: 'scope' with openid.")
		return
	case q.Get("code_challenge") == "":
		fail("invalid_request", 9002325, "Proof Key for Code Exchange is required.")
		return
	case q.Get("code_challenge_method") != "S256":
		fail("invalid_request", 50149, "Invalid Code_Challenge_method parameter.")
		return
	}

	s.mu.Lock()
	if s.denyNext {
		s.denyNext = false
		s.mu.Unlock()
		fail("access_denied", 65004, "User declined to consent to access the app.")
		return
	}
	user, ok := s.signedInUser(q.Get("login_hint"))
	if !ok {
		s.mu.Unlock()
		fail("login_required", 50058, "No user is signed in to entratest: call SetNextUser.")
		return
	}
	if !pseudoTenant(tenant) && !strings.EqualFold(tenant, user.TenantID.String()) {
		s.mu.Unlock()
		fail("access_denied", 50020, fmt.Sprintf("User account '%s' from identity provider does not exist in tenant '%s'.", user.Email, tenant))
		return
	}
	code := randomID(48)
	s.codes[code] = &authCode{
		user:        user,
		redirectURI: redirectURI,
		challenge:   q.Get("code_challenge"),
		nonce:       q.Get("nonce"),
		scope:       q.Get("scope"),
		issued:      s.now(),
	}
	s.mu.Unlock()
	p := url.Values{"code": {code}, "session_state": {uuid.NewString()}}
	if state != "" {
		p.Set("state", state)
	}
	redirect(w, r, redirectURI, p)
}

// signedInUser picks the user: the one set by SetNextUser, else the login_hint, else the only
// user. s.mu is held.
func (s *Server) signedInUser(hint string) (User, bool) {
	if s.current != "" {
		return s.findUser(s.current)
	}
	if hint != "" {
		if u, ok := s.findUser(hint); ok {
			return u, true
		}
	}
	if len(s.users) == 1 {
		return s.users[0], true
	}
	return User{}, false
}

func (s *Server) handleAdminConsent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tenant := r.PathValue("tenant")
	if q.Get("client_id") != s.opts.ClientID {
		errorPage(w, 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory.", q.Get("client_id")))
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !s.redirectAllowed(redirectURI) {
		errorPage(w, 50011, fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'.", redirectURI, s.opts.ClientID))
		return
	}
	state := q.Get("state")
	fail := func(errCode string, aadsts int, msg string) {
		p := url.Values{
			"error":             {errCode},
			"error_description": {aadstsDescription(aadsts, msg)},
			"error_uri":         {fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", aadsts)},
			"admin_consent":     {"True"},
		}
		if state != "" {
			p.Set("state", state)
		}
		redirect(w, r, redirectURI, p)
	}
	scope := q.Get("scope")
	switch {
	case strings.EqualFold(tenant, "common") || strings.EqualFold(tenant, "consumers"):
		fail("invalid_request", 90130, "Application does not support personal accounts for admin consent; use organizations or a tenant.")
		return
	case scope == "" || !strings.HasSuffix(scope, "/.default"):
		fail("invalid_request", 70011, "The provided value for the input parameter 'scope' is not valid. Application permissions require /.default.")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.declineNext {
		s.declineNext = false
		fail("access_denied", 65004, "User declined to consent to access the app.")
		return
	}
	var tid uuid.UUID
	if user, ok := s.signedInUser(""); ok {
		if !pseudoTenant(tenant) && !strings.EqualFold(tenant, user.TenantID.String()) {
			fail("access_denied", 50020, fmt.Sprintf("User account '%s' from identity provider does not exist in tenant '%s'.", user.Email, tenant))
			return
		}
		if !user.Admin {
			fail("consent_required", 90094, "Admin consent is required for the permissions requested by this application.")
			return
		}
		tid = user.TenantID
	} else {
		parsed, err := uuid.Parse(tenant)
		if err != nil {
			fail("login_required", 50058, "No user is signed in to entratest: call SetNextUser.")
			return
		}
		tid = parsed
	}
	s.grantLocked(tid)
	p := url.Values{"admin_consent": {"True"}, "tenant": {tid.String()}, "scope": {GraphDefaultScope}}
	if state != "" {
		p.Set("state", state)
	}
	redirect(w, r, redirectURI, p)
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenRequests++
	s.mu.Unlock()
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	clientID, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if id, sec, ok := r.BasicAuth(); ok {
		clientID, secret = id, sec
	}
	tenant := r.PathValue("tenant")
	if clientID != s.opts.ClientID {
		writeOAuthError(w, http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", clientID, tenant))
		return
	}
	switch {
	case secret == "":
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	case subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) != 1:
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", 7000215,
			"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "authorization_code":
		s.redeemCode(w, r)
	case "refresh_token":
		s.redeemRefresh(w, r)
	case "client_credentials":
		s.clientCredentials(w, r, tenant)
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", 70003,
			fmt.Sprintf("The app requested an unsupported grant type '%s'.", gt))
	}
}

func (s *Server) redeemCode(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	s.mu.Lock()
	c, ok := s.codes[f.Get("code")]
	var redeemed bool
	if ok {
		redeemed = c.redeemed
		c.redeemed = true // any redemption attempt uses the code up
	}
	s.mu.Unlock()
	switch {
	case !ok:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid: the code is not valid.")
		return
	case redeemed:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", 54005,
			"OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
		return
	case s.now().Sub(c.issued) > codeLifetime:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", 70008,
			"The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
		return
	case f.Get("redirect_uri") != c.redirectURI:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", 50011,
			"The redirect URI specified in the token request does not match the one the authorization code was issued for.")
		return
	case f.Get("code_verifier") == "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", 501481,
			"The Code_Verifier does not match the code_challenge supplied in the authorization request.")
		return
	}
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(c.challenge)) != 1 {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", 501481,
			"The Code_Verifier does not match the code_challenge supplied in the authorization request.")
		return
	}
	s.writeUserTokens(w, c.user, c.nonce, c.scope)
}

func (s *Server) redeemRefresh(w http.ResponseWriter, r *http.Request) {
	rt := r.PostForm.Get("refresh_token")
	s.mu.Lock()
	u, ok := s.refreshTokens[rt]
	s.mu.Unlock()
	if !ok {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid: the refresh token is not valid.")
		return
	}
	s.writeUserTokens(w, u, "", r.PostForm.Get("scope"))
}

// writeUserTokens answers a delegated token request: an ID token, a Graph access token and,
// with offline_access, a refresh token.
func (s *Server) writeUserTokens(w http.ResponseWriter, u User, nonce, scope string) {
	idToken, err := s.sign(s.IDTokenClaims(u, nonce))
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", 50000, "entratest: sign ID token: "+err.Error())
		return
	}
	now := s.now()
	access, err := s.sign(map[string]any{
		"aud":         "00000003-0000-0000-c000-000000000000",
		"iss":         "https://sts.windows.net/" + u.TenantID.String() + "/",
		"iat":         now.Unix(),
		"nbf":         now.Unix(),
		"exp":         now.Add(s.opts.TokenLifetime).Unix(),
		"appid":       s.opts.ClientID,
		"idtyp":       "user",
		"name":        u.Name,
		"oid":         u.ObjectID.String(),
		"scp":         "email openid profile User.Read",
		"sub":         pairwiseSub("graph", u.ObjectID),
		"tid":         u.TenantID.String(),
		"unique_name": u.Email,
		"upn":         u.Email,
		"ver":         "1.0",
	})
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", 50000, "entratest: sign access token: "+err.Error())
		return
	}
	resp := map[string]any{
		"token_type":     "Bearer",
		"scope":          "email openid profile https://graph.microsoft.com/User.Read",
		"expires_in":     int(s.opts.TokenLifetime.Seconds()),
		"ext_expires_in": int(s.opts.TokenLifetime.Seconds()),
		"access_token":   access,
		"id_token":       idToken,
	}
	if scope == "" || slices.Contains(strings.Fields(scope), "offline_access") {
		rt := randomID(64)
		s.mu.Lock()
		s.refreshTokens[rt] = u
		s.mu.Unlock()
		resp["refresh_token"] = rt
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) clientCredentials(w http.ResponseWriter, r *http.Request, tenant string) {
	scope := r.PostForm.Get("scope")
	if !strings.HasSuffix(scope, "/.default") {
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", 1002012,
			fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope))
		return
	}
	tid, err := uuid.Parse(tenant)
	if err != nil || pseudoTenant(tenant) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", 90002,
			fmt.Sprintf("Tenant '%s' not found. Client credentials need a specific tenant.", tenant))
		return
	}
	s.mu.Lock()
	c, consented := s.consents[tid]
	notReplicated, withRoles := false, false
	if consented {
		switch {
		case c.errorCalls > 0:
			c.errorCalls--
			notReplicated = true
		case c.missingRoleCalls > 0:
			c.missingRoleCalls--
		default:
			withRoles = true
		}
	}
	s.mu.Unlock()
	switch {
	case !consented:
		writeOAuthError(w, http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", s.opts.ClientID, tenant))
		return
	case notReplicated:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", 65001,
			fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s'. Send an interactive authorization request for this user and resource.", s.opts.ClientID))
		return
	}
	now := s.now()
	claims := map[string]any{
		"aud":             "https://graph.microsoft.com",
		"iss":             "https://sts.windows.net/" + tid.String() + "/",
		"iat":             now.Unix(),
		"nbf":             now.Unix(),
		"exp":             now.Add(s.opts.TokenLifetime).Unix(),
		"app_displayname": "Meeting Minutes",
		"appid":           s.opts.ClientID,
		"appidacr":        "1",
		"idp":             "https://sts.windows.net/" + tid.String() + "/",
		"idtyp":           "app",
		"oid":             uuid.NewSHA1(tid, []byte(s.opts.ClientID)).String(),
		"sub":             uuid.NewSHA1(tid, []byte(s.opts.ClientID)).String(),
		"tid":             tid.String(),
		"ver":             "1.0",
	}
	if withRoles {
		claims["roles"] = s.opts.GrantedRoles
	}
	access, err := s.sign(claims)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", 50000, "entratest: sign access token: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     int(s.opts.TokenLifetime.Seconds()),
		"ext_expires_in": int(s.opts.TokenLifetime.Seconds()),
		"access_token":   access,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeOAuthError writes an Entra token-endpoint error document.
func writeOAuthError(w http.ResponseWriter, status int, code string, aadsts int, msg string) {
	traceID, corrID := uuid.NewString(), uuid.NewString()
	writeJSON(w, status, map[string]any{
		"error":             code,
		"error_description": aadstsDescriptionIDs(aadsts, msg, traceID, corrID),
		"error_codes":       []int{aadsts},
		"timestamp":         time.Now().UTC().Format(entraTime),
		"trace_id":          traceID,
		"correlation_id":    corrID,
		"error_uri":         fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", aadsts),
	})
}

package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/uuid"
)

// loopbackCredential performs the OAuth 2.0 client-credentials grant against an Entra-shaped
// token endpoint ({authority}/{tenant}/oauth2/v2.0/token) over plain http. It exists because
// azidentity refuses non-https authorities, and the fake Entra (entratest) is an
// httptest.Server on 127.0.0.1. newCredential selects it only for http loopback authorities,
// so production never uses it. It caches the token until 5 minutes before expiry.
type loopbackCredential struct {
	tokenURL     string
	clientID     string
	clientSecret string
	http         *http.Client

	mu    sync.Mutex
	token azcore.AccessToken
}

var _ azcore.TokenCredential = (*loopbackCredential)(nil)

func newLoopbackCredential(authority string, tenant uuid.UUID, clientID, secret string, hc *http.Client) *loopbackCredential {
	return &loopbackCredential{
		tokenURL:     strings.TrimRight(authority, "/") + "/" + tenant.String() + "/oauth2/v2.0/token",
		clientID:     clientID,
		clientSecret: secret,
		http:         hc,
	}
}

// GetToken implements azcore.TokenCredential.
func (c *loopbackCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token.Token != "" && time.Until(c.token.ExpiresOn) > 5*time.Minute {
		return c.token, nil
	}
	scope := graphScope
	if len(opts.Scopes) > 0 {
		scope = strings.Join(opts.Scopes, " ")
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.clientID},
		"client_secret": {c.clientSecret},
		"scope":         {scope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("read token response: %w", err)
	}
	var tr struct {
		AccessToken      string `json:"access_token"`
		ExpiresIn        int64  `json:"expires_in"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return azcore.AccessToken{}, fmt.Errorf("token response status %d: decode: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		if tr.Error == "" {
			tr.Error = "no access_token"
		}
		// The error description is Entra's text, never a token.
		return azcore.AccessToken{}, fmt.Errorf("token response status %d: %s: %s", resp.StatusCode, tr.Error, tr.ErrorDescription)
	}
	if tr.ExpiresIn <= 0 {
		return azcore.AccessToken{}, errors.New("token response: expires_in missing")
	}
	c.token = azcore.AccessToken{Token: tr.AccessToken, ExpiresOn: time.Now().Add(time.Duration(tr.ExpiresIn) * time.Second)}
	return c.token, nil
}

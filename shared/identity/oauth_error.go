package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxResponseBytes bounds every response body read from the authority.
const maxResponseBytes = 1 << 20

// OAuthError is an error response from the token endpoint, e.g.
// {"error":"invalid_grant","error_description":"AADSTS54005: ...","error_codes":[54005]}.
// Branch on Code and HasCode, not on the message text.
type OAuthError struct {
	// Code is the OAuth error code ("invalid_grant", "invalid_client", ...); empty when the
	// body was not an OAuth error document.
	Code string
	// Description is error_description as sent (AADSTS message, trace and correlation IDs).
	Description string
	// Status is the HTTP status code.
	Status int
	// Codes are the AADSTS numbers from error_codes.
	Codes []int
}

// Error names the status, the OAuth code and the first line of the description.
func (e *OAuthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "token endpoint returned status %d", e.Status)
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if d := firstLine(e.Description); d != "" {
		b.WriteString(": ")
		b.WriteString(d)
	}
	return b.String()
}

// HasCode reports whether the error carries AADSTS number n, in error_codes or as the
// "AADSTSn:" prefix of the description.
func (e *OAuthError) HasCode(n int) bool {
	for _, c := range e.Codes {
		if c == n {
			return true
		}
	}
	return strings.Contains(e.Description, "AADSTS"+strconv.Itoa(n)+":")
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	const max = 300
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// tokenResponse is a successful token endpoint response.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// postToken posts form (which carries the client secret) to a token endpoint. Errors name
// the endpoint but never the form.
func (p *Provider) postToken(ctx context.Context, endpoint *url.URL, form url.Values) (*tokenResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("build token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post %s: %w", endpoint.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read response from %s: %w", endpoint.Redacted(), err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("read response from %s: body exceeds %d bytes", endpoint.Redacted(), maxResponseBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, parseOAuthError(resp.StatusCode, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return nil, fmt.Errorf("decode token response from %s: %w", endpoint.Redacted(), err)
	}
	if tr.AccessToken == "" {
		return nil, fmt.Errorf("decode token response from %s: no access_token", endpoint.Redacted())
	}
	return &tr, nil
}

func parseOAuthError(status int, body []byte) *OAuthError {
	var doc struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Codes       []int  `json:"error_codes"`
	}
	e := &OAuthError{Status: status}
	if json.Unmarshal(body, &doc) == nil {
		e.Code, e.Description, e.Codes = doc.Error, doc.Description, doc.Codes
	}
	return e
}

// errorsAsOAuth is errors.As for *OAuthError.
func errorsAsOAuth(err error) (*OAuthError, bool) {
	var oe *OAuthError
	ok := errors.As(err, &oe)
	return oe, ok
}

var _ error = (*OAuthError)(nil)

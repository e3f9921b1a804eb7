package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

const (
	// DefaultConfirmMaxWait is how long ConfirmConsent keeps trying by default.
	DefaultConfirmMaxWait = 2 * time.Minute
	// confirmFirstBackoff and confirmMaxBackoff shape the retry schedule: 1 s, 2 s, 4 s, 8 s,
	// 16 s, 16 s, ...
	confirmFirstBackoff = time.Second
	confirmMaxBackoff   = 16 * time.Second
)

// ConfirmOptions tunes ConfirmConsent.
type ConfirmOptions struct {
	// MaxWait is the total time slept between attempts before giving up. Default 2 min.
	MaxWait time.Duration
	// Sleep waits between attempts; tests pass a fake. Default: a timer that also returns
	// when ctx is done.
	Sleep func(time.Duration)
}

// ConsentNotConfirmedError reports that consent could not be confirmed within MaxWait.
type ConsentNotConfirmedError struct {
	// TenantID is the tenant being confirmed.
	TenantID uuid.UUID
	// Missing are the wanted roles absent from the last token; all of them when no token was
	// obtained.
	Missing []string
	// Attempts is the number of token requests made.
	Attempts int
	// Last is the last token-endpoint error, or nil if the last attempt got a token.
	Last error
}

// Error names the tenant and the missing roles.
func (e *ConsentNotConfirmedError) Error() string {
	msg := fmt.Sprintf("consent for tenant %s not confirmed after %d attempts: missing roles %s",
		e.TenantID, e.Attempts, strings.Join(e.Missing, ", "))
	if e.Last != nil {
		msg += ": last error: " + e.Last.Error()
	}
	return msg
}

// Unwrap returns the last token-endpoint error.
func (e *ConsentNotConfirmedError) Unwrap() error { return e.Last }

// ErrTenantMismatch reports an app-only token issued for a tenant other than the one asked
// for.
var ErrTenantMismatch = errors.New("token issued for another tenant")

// ConfirmConsent proves that tenant has consented: it requests an app-only Graph token with
// client credentials from {authority}/{tenant}/oauth2/v2.0/token, decodes the access token
// without verifying it (it came straight from the token endpoint over TLS; Graph tokens are
// not for clients to validate), and requires tid == tenant and every role of wantRoles in
// roles. Consent takes seconds to minutes to replicate, so AADSTS65001, AADSTS700016, 401,
// 403, 429, 5xx, transport errors and missing roles are retried with backoff until
// MaxWait, then a *ConsentNotConfirmedError names the missing roles. It returns the token's
// roles.
func (p *Provider) ConfirmConsent(ctx context.Context, tenant uuid.UUID, wantRoles []string, opts ConfirmOptions) ([]string, error) {
	if tenant == uuid.Nil {
		return nil, errors.New("confirm consent: tenant is the nil GUID")
	}
	maxWait := opts.MaxWait
	if maxWait <= 0 {
		maxWait = DefaultConfirmMaxWait
	}
	sleep := opts.Sleep
	if sleep == nil {
		sleep = func(d time.Duration) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}
	}
	endpoint := p.endpoint(tenant.String(), "oauth2", "v2.0", "token")
	form := url.Values{
		"client_id":     {p.clientID},
		"client_secret": {p.clientSecret},
		"scope":         {GraphDefaultScope},
		"grant_type":    {"client_credentials"},
	}

	var waited time.Duration
	backoff := confirmFirstBackoff
	for attempt := 1; ; attempt++ {
		roles, missing, err := p.tryConsent(ctx, endpoint, form, tenant, wantRoles)
		if err == nil && len(missing) == 0 {
			return roles, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("confirm consent for tenant %s: %w", tenant, ctx.Err())
		}
		if err != nil && !retryableConsentError(err) {
			return nil, fmt.Errorf("confirm consent for tenant %s: %w", tenant, err)
		}
		if waited+backoff > maxWait {
			if err != nil {
				missing = slices.Clone(wantRoles)
			}
			return nil, &ConsentNotConfirmedError{TenantID: tenant, Missing: missing, Attempts: attempt, Last: err}
		}
		sleep(backoff)
		waited += backoff
		backoff = min(2*backoff, confirmMaxBackoff)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("confirm consent for tenant %s: %w", tenant, ctx.Err())
		}
	}
}

// appTokenClaims are the claims read from an app-only access token.
type appTokenClaims struct {
	jwt.RegisteredClaims
	TenantID string   `json:"tid"`
	Roles    []string `json:"roles"`
}

// tryConsent makes one token request and returns the token's roles and the wanted roles it
// lacks.
func (p *Provider) tryConsent(ctx context.Context, endpoint *url.URL, form url.Values, tenant uuid.UUID, want []string) (roles, missing []string, err error) {
	tr, err := p.postToken(ctx, endpoint, form)
	if err != nil {
		return nil, nil, fmt.Errorf("request app-only token: %w", err)
	}
	if len(tr.AccessToken) > maxIDTokenBytes {
		return nil, nil, fmt.Errorf("%w: token too long", errAppToken)
	}
	var c appTokenClaims
	// Deliberately unverified: see ConfirmConsent.
	if _, _, err := jwt.NewParser().ParseUnverified(tr.AccessToken, &c); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errAppToken, err)
	}
	if tid, ok := parseGUID(c.TenantID); !ok || tid != tenant {
		return nil, nil, fmt.Errorf("decode app-only token: %w", ErrTenantMismatch)
	}
	for _, r := range want {
		if !slices.Contains(c.Roles, r) {
			missing = append(missing, r)
		}
	}
	return c.Roles, missing, nil
}

// errAppToken reports an app-only token that cannot be read; retrying will not help.
var errAppToken = errors.New("decode app-only token")

// retryableConsentError reports whether err may clear up as consent replicates.
func retryableConsentError(err error) bool {
	if errors.Is(err, ErrTenantMismatch) || errors.Is(err, errAppToken) {
		return false
	}
	oe, ok := errorsAsOAuth(err)
	if !ok {
		// Transport failures and undecodable token responses: try again.
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch {
	case oe.HasCode(7000215), oe.HasCode(7000222), oe.HasCode(7000218):
		// Invalid, expired or missing client secret: waiting will not help.
		return false
	case oe.HasCode(65001), oe.HasCode(700016):
		return true
	}
	switch oe.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests:
		return true
	}
	return oe.Status >= 500
}

var _ error = (*ConsentNotConfirmedError)(nil)

package identity

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// ErrInvalidToken is matched (errors.Is) by every error for an ID token that was judged and
// rejected. The wrapped message names the reason, never the token. A failure to fetch keys
// is not an ErrInvalidToken: the token was not judged.
var ErrInvalidToken = errors.New("invalid ID token")

// maxIDTokenBytes bounds the raw token before any parsing; Entra ID tokens are a few KB.
const maxIDTokenBytes = 16 << 10

func invalid(reason string) error { return fmt.Errorf("%w: %s", ErrInvalidToken, reason) }

// Claims are the verified claims of an ID token. Key users by (TenantID, ObjectID), never by
// Email or PreferredUsername: those are display-only and can be changed by tenant admins or
// users.
type Claims struct {
	// TenantID is tid: the user's home tenant (for a guest, the tenant signed in to).
	TenantID uuid.UUID
	// ObjectID is oid: the user's immutable ID within the tenant.
	ObjectID uuid.UUID
	// Name is the display name (may be empty).
	Name string
	// Email is the email claim, or preferred_username when email is absent — for display
	// only; it is not verified ownership of an address.
	Email string
	// PreferredUsername is preferred_username (usually the UPN) — for display only.
	PreferredUsername string
	// Roles are the app roles assigned to the user in their tenant.
	Roles []string
	// IssuedAt is iat, in UTC.
	IssuedAt time.Time
	// ExpiresAt is exp, in UTC.
	ExpiresAt time.Time
}

// idTokenClaims is the wire form of an Entra v2 ID token's claims.
type idTokenClaims struct {
	jwt.RegisteredClaims
	TenantID          string   `json:"tid"`
	ObjectID          string   `json:"oid"`
	Name              string   `json:"name"`
	Email             string   `json:"email"`
	PreferredUsername string   `json:"preferred_username"`
	Roles             []string `json:"roles"`
	Nonce             string   `json:"nonce"`
	Version           string   `json:"ver"`
}

// VerifyIDToken verifies raw, an ID token from Exchange, and returns its claims. nonce is the
// value sent in AuthRequest.Nonce. See the package invariants for every check made. A
// rejected token yields an error matching ErrInvalidToken.
func (p *Provider) VerifyIDToken(ctx context.Context, raw, nonce string) (Claims, error) {
	c, err := p.verifyIDToken(ctx, raw, nonce)
	if err != nil {
		return Claims{}, fmt.Errorf("verify ID token: %w", err)
	}
	return c, nil
}

func (p *Provider) verifyIDToken(ctx context.Context, raw, nonce string) (Claims, error) {
	if nonce == "" {
		return Claims{}, invalid("no expected nonce given")
	}
	if raw == "" {
		return Claims{}, invalid("token is empty")
	}
	if len(raw) > maxIDTokenBytes {
		return Claims{}, invalid(fmt.Sprintf("token is longer than %d bytes", maxIDTokenBytes))
	}
	if strings.Count(raw, ".") != 2 {
		return Claims{}, invalid("token is not a signed JWT")
	}

	var (
		key     *signingKey
		set     *keySet
		keyErr  error
		keyfunc = func(t *jwt.Token) (any, error) {
			key, set, keyErr = p.tokenKey(ctx, t)
			if keyErr != nil {
				return nil, keyErr
			}
			return key.pub, nil
		}
	)
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithAudience(p.clientID),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(p.leeway),
		jwt.WithTimeFunc(p.now),
		jwt.WithStrictDecoding(),
	)
	var tc idTokenClaims
	if _, err := parser.ParseWithClaims(raw, &tc, keyfunc); err != nil {
		if keyErr != nil {
			return Claims{}, keyErr
		}
		return Claims{}, jwtReason(err)
	}

	// Signature, alg, aud, exp, nbf and iat hold; now the Entra-specific checks.
	if len(tc.Audience) != 1 {
		return Claims{}, invalid("token has more than one audience")
	}
	if tc.Version != "2.0" {
		return Claims{}, invalid(`token version is not "2.0"`)
	}
	tid, ok := parseGUID(tc.TenantID)
	if !ok {
		return Claims{}, invalid("tid is missing or not a GUID")
	}
	wantIss := strings.ReplaceAll(set.issuerTemplate, tenantPlaceholder, tc.TenantID)
	if tc.Issuer != wantIss {
		return Claims{}, invalid("issuer does not match the token's tenant")
	}
	if key.issuer != "" && strings.ReplaceAll(key.issuer, tenantPlaceholder, tc.TenantID) != tc.Issuer {
		return Claims{}, invalid("signing key's issuer does not match the token's issuer")
	}
	oid, ok := parseGUID(tc.ObjectID)
	if !ok {
		return Claims{}, invalid("oid is missing or not a GUID")
	}
	if tc.IssuedAt == nil {
		return Claims{}, invalid("token has no iat")
	}
	if subtle.ConstantTimeCompare([]byte(tc.Nonce), []byte(nonce)) != 1 {
		return Claims{}, invalid("nonce does not match")
	}

	email := tc.Email
	if email == "" {
		email = tc.PreferredUsername
	}
	return Claims{
		TenantID:          tid,
		ObjectID:          oid,
		Name:              tc.Name,
		Email:             email,
		PreferredUsername: tc.PreferredUsername,
		Roles:             tc.Roles,
		IssuedAt:          tc.IssuedAt.UTC(),
		ExpiresAt:         tc.ExpiresAt.UTC(),
	}, nil
}

// tokenKey is the key function: RS256 only, a kid is required, and the key must be usable.
func (p *Provider) tokenKey(ctx context.Context, t *jwt.Token) (*signingKey, *keySet, error) {
	if m, ok := t.Method.(*jwt.SigningMethodRSA); !ok || m.Alg() != "RS256" {
		return nil, nil, invalid("signing method is not RS256")
	}
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, nil, invalid("token has no kid")
	}
	k, set, err := p.keys.lookup(ctx, kid)
	if err != nil {
		return nil, nil, err
	}
	if k.rejected != "" {
		return nil, nil, invalid(k.rejected)
	}
	return k, set, nil
}

// jwtSentinels are golang-jwt's error sentinels, most specific first. Only the sentinel is
// kept: golang-jwt's full messages can quote claim values, which come from the token.
var jwtSentinels = []error{
	jwt.ErrTokenMalformed,
	jwt.ErrTokenSignatureInvalid,
	jwt.ErrTokenExpired,
	jwt.ErrTokenNotValidYet,
	jwt.ErrTokenUsedBeforeIssued,
	jwt.ErrTokenInvalidAudience,
	jwt.ErrTokenRequiredClaimMissing,
	jwt.ErrTokenUnverifiable,
}

// jwtReason turns a golang-jwt parse error into an ErrInvalidToken that also matches the
// golang-jwt sentinel (errors.Is(err, jwt.ErrTokenExpired)) but never quotes the token.
func jwtReason(err error) error {
	for _, s := range jwtSentinels {
		if errors.Is(err, s) {
			return fmt.Errorf("%w: %w", ErrInvalidToken, s)
		}
	}
	return invalid("token is invalid")
}

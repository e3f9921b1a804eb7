package graphhook

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// PublisherAppID is the application id of Microsoft Graph's change-notification publisher. A
// validation token's appid (or, failing that, azp) must equal it: that is what proves Graph
// minted the token.
const PublisherAppID = "0bf30f3b-4a52-48df-9a82-234910c4a086"

// DefaultDiscoveryURL is the OpenID configuration the rich-notifications documentation points
// to. Its jwks_uri is https://login.microsoftonline.com/common/discovery/keys, the v1 key set,
// which signs the v1 validation tokens.
const DefaultDiscoveryURL = "https://login.microsoftonline.com/common/.well-known/openid-configuration"

// Defaults for the TokenVerifier fields left zero.
const (
	// DefaultLeeway is the clock skew allowed on exp and nbf.
	DefaultLeeway = 2 * time.Minute
	// DefaultKeysTTL is how long a fetched key set is used before it is fetched again.
	DefaultKeysTTL = time.Hour
	// DefaultMinRefreshInterval is the least time between two key-set fetches, so tokens with
	// made-up kids cannot make us hammer the identity platform.
	DefaultMinRefreshInterval = time.Minute
	// DefaultHTTPTimeout is the timeout of the HTTP client used when HTTPClient is nil.
	DefaultHTTPTimeout = 10 * time.Second
)

// maxTokenBytes bounds one validation token before it is parsed; Graph's are about 1.5 KiB.
const maxTokenBytes = 16 << 10

// v1Issuer is the issuer prefix of v1 tokens: https://sts.windows.net/{tenantId}/.
const v1Issuer = "https://sts.windows.net/"

// Sentinels for validation-token failures, reached through *TokenError with errors.Is.
var (
	// ErrKeysUnavailable: the signing keys could not be fetched. Transient: keep the batch and
	// verify it again later rather than treating it as forged.
	ErrKeysUnavailable = errors.New("graphhook: signing keys unavailable")
	// ErrUnknownKey: the token's kid is not in the key set, even after one refetch.
	ErrUnknownKey = errors.New("graphhook: unknown signing key")
	// ErrMalformedToken: not a parseable JWT (or too long).
	ErrMalformedToken = errors.New("graphhook: malformed validation token")
	// ErrTokenSignature: the algorithm is not RS256 or the signature does not verify.
	ErrTokenSignature = errors.New("graphhook: bad validation token signature")
	// ErrWrongAudience: aud is missing or is not our application id.
	ErrWrongAudience = errors.New("graphhook: validation token audience is not our app")
	// ErrWrongIssuer: iss is not https://sts.windows.net/{tenantId}/ for a tenant in the
	// batch, or tid disagrees with it.
	ErrWrongIssuer = errors.New("graphhook: validation token issuer is not a tenant in the batch")
	// ErrWrongPublisher: appid (or azp) is not PublisherAppID.
	ErrWrongPublisher = errors.New("graphhook: validation token not minted by the Graph notification publisher")
	// ErrTokenExpired: exp is missing or past, or nbf is in the future (beyond the leeway).
	ErrTokenExpired = errors.New("graphhook: validation token expired or not yet valid")
	// ErrMissingToken: a tenant that needs a token has no valid one in the batch.
	ErrMissingToken = errors.New("graphhook: no valid validation token for tenant")
)

// TokenError describes one failed validation token, or a tenant left without one.
type TokenError struct {
	// Index is the token's position in validationTokens, or -1 for ErrMissingToken.
	Index int
	// TenantID is the tenant the token names, or the tenant without a token; uuid.Nil if
	// unknown.
	TenantID uuid.UUID
	// Reason is one of the token sentinels (ErrWrongAudience, ErrMissingToken, ...).
	Reason error
	// Err is the underlying cause, or nil.
	Err error
}

func (e *TokenError) Error() string {
	var b strings.Builder
	if e.Index >= 0 {
		fmt.Fprintf(&b, "validation token %d", e.Index)
	} else {
		b.WriteString("validation tokens")
	}
	if e.TenantID != uuid.Nil {
		fmt.Fprintf(&b, " (tenant %s)", e.TenantID)
	}
	fmt.Fprintf(&b, ": %v", e.Reason)
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns Reason and Err, so errors.Is matches either.
func (e *TokenError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

// TokenVerifier checks the validationTokens of rich notifications. Fill the exported fields
// before first use and do not copy it afterwards; it caches the signing keys and is safe for
// concurrent use.
type TokenVerifier struct {
	// AppID is our application (client) id: the required audience. Required.
	AppID string
	// KeysURL is the JWKS to fetch signing keys from. Empty means: read jwks_uri from
	// DiscoveryURL (which must be on the same scheme and host).
	KeysURL string
	// DiscoveryURL is the OpenID configuration used when KeysURL is empty; default
	// DefaultDiscoveryURL.
	DiscoveryURL string
	// HTTPClient fetches the configuration and keys; nil means a client with
	// DefaultHTTPTimeout.
	HTTPClient *http.Client
	// Now is the clock for token lifetimes and the key cache; nil means time.Now.
	Now func() time.Time
	// Leeway is the clock skew allowed on exp and nbf; zero means DefaultLeeway, negative
	// means none.
	Leeway time.Duration
	// KeysTTL is how long fetched keys are used before refetching; zero means DefaultKeysTTL.
	KeysTTL time.Duration
	// MinRefreshInterval is the least time between fetches (an unknown kid triggers at most
	// one refetch per interval); zero means DefaultMinRefreshInterval.
	MinRefreshInterval time.Duration

	mu          sync.Mutex
	keys        map[string]*rsa.PublicKey
	fetchedAt   time.Time // last successful fetch
	attemptedAt time.Time // last fetch attempt, successful or not
	semOnce     sync.Once
	sem         chan struct{} // serializes fetches without ignoring ctx
}

// Verify checks tokens against tenantIDs: every token must be a valid RS256 JWT with a known
// kid, aud == AppID, iss == https://sts.windows.net/{tenantId}/ (and tid == tenantId) for one
// of tenantIDs, appid (or azp) == PublisherAppID and a current lifetime; and each of tenantIDs
// must be covered by at least one valid token. Any failure fails the whole call: the
// documentation asks to treat the batch as suspicious if any token fails. The error joins one
// *TokenError per problem; errors.Is(err, ErrKeysUnavailable) marks a transient failure.
func (v *TokenVerifier) Verify(ctx context.Context, tokens []string, tenantIDs []uuid.UUID) error {
	return v.verify(ctx, tokens, tenantIDs, tenantIDs)
}

// VerifyBatch verifies b's validation tokens the way Graph issues them: tokens may name any
// tenant with items in b, and every tenant with encrypted items needs one. A batch with neither
// tokens nor encrypted content needs no verification and returns nil without any I/O.
func (v *TokenVerifier) VerifyBatch(ctx context.Context, b Batch) error {
	if !b.NeedsTokenVerification() {
		return nil
	}
	return v.verify(ctx, b.ValidationTokens, b.TenantIDs(), b.RichTenantIDs())
}

func (v *TokenVerifier) verify(ctx context.Context, tokens []string, allowed, required []uuid.UUID) error {
	if v.AppID == "" {
		return errors.New("verify validation tokens: TokenVerifier.AppID is empty")
	}
	allowedSet := make(map[uuid.UUID]bool, len(allowed))
	for _, t := range allowed {
		allowedSet[t] = true
	}
	covered := make(map[uuid.UUID]bool)
	var errs []error
	refreshed := false // at most one fetch per call
	for i, raw := range tokens {
		tenant, err := v.verifyOne(ctx, raw, allowedSet, &refreshed)
		if err != nil {
			err.Index = i
			errs = append(errs, err)
			continue
		}
		covered[tenant] = true
	}
	for _, t := range required {
		if !covered[t] {
			errs = append(errs, &TokenError{Index: -1, TenantID: t, Reason: ErrMissingToken})
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("verify validation tokens: %w", errors.Join(errs...))
	}
	return nil
}

// tokenClaims are the claims of a v1 validation token that we check.
type tokenClaims struct {
	jwt.RegisteredClaims
	AppID    string `json:"appid,omitempty"`
	AZP      string `json:"azp,omitempty"`
	TenantID string `json:"tid,omitempty"`
}

// verifyOne verifies one token and returns the tenant it covers.
func (v *TokenVerifier) verifyOne(ctx context.Context, raw string, allowed map[uuid.UUID]bool, refreshed *bool) (uuid.UUID, *TokenError) {
	if len(raw) > maxTokenBytes {
		return uuid.Nil, &TokenError{Reason: ErrMalformedToken, Err: fmt.Errorf("token of %d bytes", len(raw))}
	}
	leeway := v.Leeway
	switch {
	case leeway == 0:
		leeway = DefaultLeeway
	case leeway < 0:
		leeway = 0
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithAudience(v.AppID),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(v.now),
	)
	var claims tokenClaims
	_, err := parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, fmt.Errorf("no kid in header: %w", ErrUnknownKey)
		}
		return v.key(ctx, kid, refreshed)
	})
	if err != nil {
		return uuid.Nil, &TokenError{Reason: tokenReason(err, &claims), Err: err}
	}

	tenant, ok := issuerTenant(claims.Issuer)
	if !ok || !allowed[tenant] {
		return uuid.Nil, &TokenError{TenantID: tenant, Reason: ErrWrongIssuer}
	}
	if tid, err := uuid.Parse(claims.TenantID); err != nil || tid != tenant {
		return uuid.Nil, &TokenError{TenantID: tenant, Reason: ErrWrongIssuer, Err: errors.New("tid does not match iss")}
	}
	// The documentation specifies appid (v1); azp is its v2 equivalent. Each one present must
	// name the publisher, and at least one must be present.
	if (claims.AppID == "" && claims.AZP == "") ||
		(claims.AppID != "" && claims.AppID != PublisherAppID) ||
		(claims.AZP != "" && claims.AZP != PublisherAppID) {
		return uuid.Nil, &TokenError{TenantID: tenant, Reason: ErrWrongPublisher}
	}
	return tenant, nil
}

// issuerTenant returns the tenant of a v1 issuer https://sts.windows.net/{tenantId}/, which must
// be exactly that shape with a hyphenated GUID.
func issuerTenant(iss string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(iss, v1Issuer)
	if !ok {
		return uuid.Nil, false
	}
	id, ok := strings.CutSuffix(rest, "/")
	if !ok || len(id) != 36 {
		return uuid.Nil, false
	}
	t, err := uuid.Parse(id)
	if err != nil || t == uuid.Nil {
		return uuid.Nil, false
	}
	return t, true
}

// tokenReason maps a golang-jwt error to our sentinel.
func tokenReason(err error, claims *tokenClaims) error {
	switch {
	case errors.Is(err, ErrKeysUnavailable):
		return ErrKeysUnavailable
	case errors.Is(err, ErrUnknownKey):
		return ErrUnknownKey
	case errors.Is(err, jwt.ErrTokenMalformed):
		return ErrMalformedToken
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return ErrTokenSignature
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return ErrWrongAudience
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet):
		return ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		if claims.ExpiresAt == nil {
			return ErrTokenExpired
		}
		return ErrWrongAudience
	default:
		return ErrMalformedToken
	}
}

func (v *TokenVerifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

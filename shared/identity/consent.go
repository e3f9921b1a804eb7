package identity

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// GraphDefaultScope asks for every permission configured on the app registration; it is the
// only way to request application permissions.
const GraphDefaultScope = "https://graph.microsoft.com/.default"

// AdminConsentURL returns the v2 admin-consent URL to send a customer admin to:
// {authority}/{tenant}/v2.0/adminconsent?client_id&scope=https://graph.microsoft.com/.default&redirect_uri&state.
// tenantHint should be the tid from the admin's verified sign-in; when it is empty or not a
// GUID or domain name, "organizations" is used. "common" is never used: personal accounts
// cannot consent.
func (p *Provider) AdminConsentURL(tenantHint, state string) string {
	tenant := "organizations"
	if validTenantHint(tenantHint) {
		tenant = strings.ToLower(tenantHint)
	}
	u := p.endpoint(tenant, "v2.0", "adminconsent")
	u.RawQuery = url.Values{
		"client_id":    {p.clientID},
		"scope":        {GraphDefaultScope},
		"redirect_uri": {p.consentRedirectURL},
		"state":        {state},
	}.Encode()
	return u.String()
}

var domainRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)

// validTenantHint accepts a canonical GUID or a DNS domain name (contoso.onmicrosoft.com).
func validTenantHint(s string) bool {
	if _, ok := parseGUID(s); ok {
		return true
	}
	return len(s) <= 253 && domainRE.MatchString(s)
}

// ConsentResult is a successful admin-consent callback. TenantID is a hint about which tenant
// consented, not proof: confirm it with ConfirmConsent and bind it to the signed-in admin's
// verified tid.
type ConsentResult struct {
	// TenantID is the tenant parameter.
	TenantID uuid.UUID
	// Scope is the scope parameter (the granted scope, https://graph.microsoft.com/.default).
	Scope string
}

// ErrConsentCallback reports an admin-consent callback that is neither a documented success
// nor a documented error.
var ErrConsentCallback = errors.New("malformed admin-consent callback")

// ConsentError is an admin-consent callback carrying error: the admin declined, or could not
// consent. Code and Description come from the query string, which anyone can forge: show
// UserMessage, not Description, to users.
type ConsentError struct {
	// Code is the OAuth error ("access_denied", "consent_required", ...).
	Code string
	// Description is error_description as received (AADSTS message, trace IDs).
	Description string
}

// Error names the code and the AADSTS number, if any.
func (e *ConsentError) Error() string {
	msg := "admin consent failed: " + sanitizeCode(e.Code)
	if n := e.AADSTS(); n != 0 {
		msg += " (AADSTS" + strconv.Itoa(n) + ")"
	}
	return msg
}

var aadstsRE = regexp.MustCompile(`^AADSTS(\d{1,9}):`)

// AADSTS returns the AADSTS number that starts Description, or 0.
func (e *ConsentError) AADSTS() int {
	m := aadstsRE.FindStringSubmatch(e.Description)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// UserMessage is a fixed, user-facing explanation chosen by code; it never echoes the
// (forgeable) description.
func (e *ConsentError) UserMessage() string {
	switch n := e.AADSTS(); {
	case n == 65004 || e.Code == "access_denied" || e.Code == "permission_denied":
		return "Consent was declined, so Meeting Minutes was not added to your organization. An administrator can try again at any time."
	case n == 50020:
		return "The account you signed in with belongs to another directory. Sign in with an administrator account of your own organization and try again."
	case n == 90094 || n == 90099 || e.Code == "consent_required":
		return "Only an administrator who can grant tenant-wide consent can add Meeting Minutes. Ask a Global Administrator or Privileged Role Administrator to try again."
	default:
		return "Microsoft did not grant consent for Meeting Minutes. Please try again, or contact support if this keeps happening."
	}
}

// sanitizeCode keeps an attacker-supplied error code printable and short for logs.
func sanitizeCode(s string) string {
	const max = 64
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= max {
			b.WriteString("…")
			break
		}
		if r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteRune('?')
		}
	}
	if b.Len() == 0 {
		return "(empty)"
	}
	return b.String()
}

// ParseConsentCallback reads the query of an admin-consent redirect. The caller has already
// verified state (StateCodec.Decode); this checks error first — the error redirect also
// carries admin_consent=True and usually no tenant — returning a *ConsentError, then requires
// admin_consent=True and a GUID tenant. Unknown parameters are ignored; a repeated
// parameter is an ErrConsentCallback.
func ParseConsentCallback(q url.Values) (ConsentResult, error) {
	errCode, err := single(q, "error")
	if err != nil {
		return ConsentResult{}, err
	}
	desc, err := single(q, "error_description")
	if err != nil {
		return ConsentResult{}, err
	}
	if errCode != "" {
		return ConsentResult{}, &ConsentError{Code: errCode, Description: desc}
	}
	if desc != "" {
		return ConsentResult{}, fmt.Errorf("%w: error_description without error", ErrConsentCallback)
	}
	granted, err := single(q, "admin_consent")
	if err != nil {
		return ConsentResult{}, err
	}
	if !strings.EqualFold(granted, "true") {
		return ConsentResult{}, fmt.Errorf("%w: admin_consent is not True", ErrConsentCallback)
	}
	tenant, err := single(q, "tenant")
	if err != nil {
		return ConsentResult{}, err
	}
	tid, ok := parseGUID(tenant)
	if !ok {
		return ConsentResult{}, fmt.Errorf("%w: tenant is missing or not a GUID", ErrConsentCallback)
	}
	scope, err := single(q, "scope")
	if err != nil {
		return ConsentResult{}, err
	}
	return ConsentResult{TenantID: tid, Scope: scope}, nil
}

// single returns the only value of name, "" if absent, or an error if repeated.
func single(q url.Values, name string) (string, error) {
	switch v := q[name]; len(v) {
	case 0:
		return "", nil
	case 1:
		return v[0], nil
	default:
		return "", fmt.Errorf("%w: %s is repeated", ErrConsentCallback, name)
	}
}

var _ error = (*ConsentError)(nil)

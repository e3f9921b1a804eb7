package license

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Issuer is the iss of every license (contract).
const Issuer = "meeting-minutes-licensing"

// Limits on the claims: a license outside them is [ErrInvalid], and [Issue] refuses to sign it.
const (
	// MaxSeats is the most seats one license may grant.
	MaxSeats = 1_000_000
	// MaxGracePeriod is the longest offline grace period: one year.
	MaxGracePeriod = 365 * 24 * time.Hour
	// MaxFeatures is the most features one license may list.
	MaxFeatures = 64
	maxCustomer = 200
	maxID       = 128
	maxFeature  = 64
)

// Edition is a license's product edition.
type Edition string

// Editions, smallest first. The Marketplace plans (plans.json) map onto these.
const (
	EditionStandard     Edition = "standard"
	EditionProfessional Edition = "professional"
	EditionEnterprise   Edition = "enterprise"
)

// Editions lists every edition, smallest first.
func Editions() []Edition {
	return []Edition{EditionStandard, EditionProfessional, EditionEnterprise}
}

// Valid reports whether e is a known edition.
func (e Edition) Valid() bool {
	switch e {
	case EditionStandard, EditionProfessional, EditionEnterprise:
		return true
	}
	return false
}

// ParseEdition returns the edition named s (case-insensitive), or an error listing them.
func ParseEdition(s string) (Edition, error) {
	e := Edition(strings.ToLower(strings.TrimSpace(s)))
	if !e.Valid() {
		return "", fmt.Errorf("unknown edition %q (want %s)", clip(s), editionList())
	}
	return e, nil
}

func editionList() string {
	names := make([]string, 0, 3)
	for _, e := range Editions() {
		names = append(names, string(e))
	}
	return strings.Join(names, ", ")
}

// Claims are what a license grants.
type Claims struct {
	// Customer is who the license is for (sub).
	Customer string
	// Edition is the product edition.
	Edition Edition
	// Seats is how many users the install may have (active users plus open invitations); at
	// least 1.
	Seats int
	// Features are extra capabilities, lower-case names such as "byoi"; may be empty.
	Features []string
	// ID is the license's unique id (jti), the key of revocation.
	ID string
	// IssuedAt (iat), NotBefore (nbf) and ExpiresAt (exp) bound the license; all required in a
	// token. ExpiresAt is zero for a Marketplace plan, which does not expire.
	IssuedAt, NotBefore, ExpiresAt time.Time
	// OfflineGracePeriod is how long after ExpiresAt the license still lets the product start,
	// with notices; 0 for none, at most [MaxGracePeriod].
	OfflineGracePeriod time.Duration
	// PhoneHomeRequired asks the install to check in with the licensing service. This build
	// has no licensing service to call: the flag is shown, not enforced.
	PhoneHomeRequired bool
}

// Has reports whether the license lists feature f.
func (c Claims) Has(f string) bool { return slices.Contains(c.Features, f) }

// validate checks the claims' shape and sanity; times only against each other (the clock is
// the verifier's business). The reasons quote only verified or caller-given values.
func (c Claims) validate() error {
	switch {
	case strings.TrimSpace(c.Customer) == "":
		return fmt.Errorf("no customer (sub)")
	case len(c.Customer) > maxCustomer || strings.ContainsFunc(c.Customer, unicode.IsControl):
		return fmt.Errorf("customer is longer than %d characters or holds control characters", maxCustomer)
	case !c.Edition.Valid():
		return fmt.Errorf("unknown edition %q (want %s)", clip(string(c.Edition)), editionList())
	case c.Seats < 1 || c.Seats > MaxSeats:
		return fmt.Errorf("seats %d not between 1 and %d", c.Seats, MaxSeats)
	case len(c.Features) > MaxFeatures:
		return fmt.Errorf("more than %d features", MaxFeatures)
	case c.ID == "" || len(c.ID) > maxID || strings.ContainsFunc(c.ID, unicode.IsControl):
		return fmt.Errorf("no license id (jti), or one longer than %d characters", maxID)
	case c.IssuedAt.IsZero():
		return fmt.Errorf("no issue time (iat)")
	case c.NotBefore.IsZero():
		return fmt.Errorf("no start time (nbf)")
	case c.ExpiresAt.IsZero():
		return fmt.Errorf("no expiry (exp)")
	case !c.ExpiresAt.After(c.NotBefore) || !c.ExpiresAt.After(c.IssuedAt):
		return fmt.Errorf("expiry %s is not after its start", day(c.ExpiresAt))
	case c.OfflineGracePeriod < 0 || c.OfflineGracePeriod > MaxGracePeriod:
		return fmt.Errorf("offline grace period not between 0 and %s", FormatDuration(MaxGracePeriod))
	}
	return validFeatures(c.Features)
}

func validFeatures(fs []string) error {
	for i, f := range fs {
		if !validFeature(f) {
			return fmt.Errorf("feature %d is not a lower-case name (a-z, 0-9, _ . -; at most %d)", i+1, maxFeature)
		}
		if slices.Contains(fs[:i], f) {
			return fmt.Errorf("feature %q listed twice", f)
		}
	}
	return nil
}

func validFeature(f string) bool {
	if f == "" || len(f) > maxFeature || f[0] < 'a' || f[0] > 'z' {
		return false
	}
	for _, r := range f {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// ParseDuration reads a grace period: whole days ("14d") or a Go duration ("36h", "90m").
// "0" is no grace.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > int(MaxGracePeriod/(24*time.Hour)) {
			return 0, fmt.Errorf("not a number of days like 14d: %q", clip(s))
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("not a duration like 14d or 36h: %q", clip(s))
	}
	return d, nil
}

// FormatDuration writes d as [ParseDuration] reads it: whole days as "14d", else Go's form.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// day formats t for messages: the date, and the time when it is not midnight UTC.
func day(t time.Time) string {
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// clip shortens s for a message and drops control characters.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

package templatecheck

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// APIPolicy is arm-ttk's "apiVersions Should Be Recent": a resource's API version must not be a
// preview and must be at most MaxAgeDays old on Today, unless it is the newest stable version
// of its type (Newest), which arm-ttk accepts however old it is.
type APIPolicy struct {
	// Today is the date versions are aged against.
	Today time.Time
	// MaxAgeDays is the allowed age. Default 730.
	MaxAgeDays int
	// Newest maps a lower-case resource type to its newest stable API version, for types
	// whose newest stable version is older than MaxAgeDays. Default [NewestStable].
	Newest map[string]string
}

// NewestStable lists resource types whose newest non-preview API version is older than two
// years or close to it (checked against Azure/bicep-types-az, 2026): arm-ttk accepts the
// newest version of a type whatever its age.
var NewestStable = map[string]string{
	"microsoft.insights/components":                    "2020-02-02",
	"microsoft.authorization/roleassignments":          "2022-04-01",
	"microsoft.managedidentity/userassignedidentities": "2024-11-30",
}

var apiVersionRE = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(-[A-Za-z]+)?$`)

// Check returns why version is not acceptable for resourceType, or nil.
func (p APIPolicy) Check(resourceType, version string) error {
	m := apiVersionRE.FindStringSubmatch(version)
	if m == nil {
		return fmt.Errorf("%s: API version %q is not a date", resourceType, version)
	}
	if m[4] != "" {
		return fmt.Errorf("%s: API version %s is a preview", resourceType, version)
	}
	date, err := time.Parse("2006-01-02", version)
	if err != nil {
		return fmt.Errorf("%s: API version %q is not a date", resourceType, version)
	}
	maxAge := p.MaxAgeDays
	if maxAge == 0 {
		maxAge = 730
	}
	newest := p.Newest
	if newest == nil {
		newest = NewestStable
	}
	age := int(p.Today.Sub(date).Hours() / 24)
	if age > maxAge && newest[strings.ToLower(resourceType)] != version {
		return fmt.Errorf("%s: API version %s is %d days old (limit %d) and not the newest stable version", resourceType, version, age, maxAge)
	}
	return nil
}

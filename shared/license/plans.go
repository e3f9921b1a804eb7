package license

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Plan is one Marketplace plan and the license it grants.
type Plan struct {
	// ID is the Partner Center plan id (MARKETPLACE_PLAN_ID).
	ID       string   `json:"id"`
	Edition  Edition  `json:"edition"`
	Seats    int      `json:"seats"`
	Features []string `json:"features"`
}

//go:embed plans.json
var plansJSON []byte

// planID is what infra/marketplace/pack accepts as a plan id.
var planID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,49}$`)

// plans parses the embedded table once; it is checked by the package's tests, so an error
// here means a broken build.
var plans = sync.OnceValues(func() ([]Plan, error) { return parsePlans(plansJSON) })

// Plans returns the Marketplace plans in table order.
func Plans() ([]Plan, error) {
	ps, err := plans()
	return slices.Clone(ps), err
}

func parsePlans(b []byte) ([]Plan, error) {
	var doc struct {
		Description string `json:"description"`
		Plans       []Plan `json:"plans"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("plans.json: %w", err)
	}
	if len(doc.Plans) == 0 {
		return nil, fmt.Errorf("plans.json: no plans")
	}
	seen := map[string]bool{}
	for _, p := range doc.Plans {
		switch {
		case !planID.MatchString(p.ID):
			return nil, fmt.Errorf("plans.json: %q is not a plan id", p.ID)
		case seen[p.ID]:
			return nil, fmt.Errorf("plans.json: plan %s listed twice", p.ID)
		case !p.Edition.Valid():
			return nil, fmt.Errorf("plans.json: plan %s: unknown edition %q", p.ID, p.Edition)
		case p.Seats < 1 || p.Seats > MaxSeats:
			return nil, fmt.Errorf("plans.json: plan %s: seats %d not between 1 and %d", p.ID, p.Seats, MaxSeats)
		}
		if err := validFeatures(p.Features); err != nil {
			return nil, fmt.Errorf("plans.json: plan %s: %w", p.ID, err)
		}
		seen[p.ID] = true
	}
	return doc.Plans, nil
}

// FromPlan returns the license of a Marketplace managed-application install of plan id: its
// edition, seats and features, no expiry (the Marketplace bills it). The error wraps
// [ErrUnknownPlan] for an id not in the table.
func FromPlan(id string) (License, error) {
	ps, err := plans()
	if err != nil {
		return License{}, err
	}
	for _, p := range ps {
		if p.ID == id {
			return License{Claims: Claims{Edition: p.Edition, Seats: p.Seats,
				Features: slices.Clone(p.Features), ID: "marketplace:" + p.ID}, Source: SourceMarketplace, PlanID: p.ID}, nil
		}
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return License{}, fmt.Errorf("%w %q (this build knows %s)", ErrUnknownPlan, clip(id), strings.Join(ids, ", "))
}

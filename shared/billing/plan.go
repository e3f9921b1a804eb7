package billing

import (
	"fmt"
	"math"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// PriceName names one price of our price list; STRIPE_PRICES maps each to a Stripe price.
type PriceName string

// Price names (the keys of STRIPE_PRICES).
const (
	// PriceStarter, PricePro and PriceEnterprise are the plans' per-user monthly prices.
	PriceStarter    PriceName = "starter"
	PricePro        PriceName = "pro"
	PriceEnterprise PriceName = "enterprise"
	// PriceBYOIUser is the per-user price of bring-your-own-infrastructure installs.
	PriceBYOIUser PriceName = "byoi_user"
	// PriceBYOIPlatform is BYOI's flat monthly data-plane management fee (quantity 1).
	PriceBYOIPlatform PriceName = "byoi_platform"
	// PricePremiumSupport is the optional premium support add-on (quantity 1).
	PricePremiumSupport PriceName = "premium_support"
)

// PriceID is a Stripe price id (price_...).
type PriceID string

// Prices maps our price list to Stripe prices.
type Prices map[PriceName]PriceID

// PricesFrom converts STRIPE_PRICES (config.Stripe.Prices).
func PricesFrom(m map[string]string) Prices {
	p := Prices{}
	for k, v := range m {
		p[PriceName(k)] = PriceID(v)
	}
	return p
}

// seatPrice is the per-user price of plan for a deployment model.
func (p Prices) seatPrice(plan tenancy.Plan, d tenancy.Deployment) (PriceID, error) {
	name := PriceName(plan)
	if d == tenancy.DeploymentBYOI {
		name = PriceBYOIUser
	}
	id := p[name]
	if id == "" {
		return "", fmt.Errorf("price for %s: %w", name, ErrPlanNotForSale)
	}
	return id, nil
}

// Plan returns the plan a subscription item's price stands for: a plan's own price, or the
// BYOI per-user price (an Enterprise entitlement). ok is false for add-ons and prices we do
// not know.
func (p Prices) Plan(id PriceID) (plan tenancy.Plan, ok bool) {
	if id == "" {
		return "", false
	}
	switch id {
	case p[PriceStarter]:
		return tenancy.PlanStarter, true
	case p[PricePro]:
		return tenancy.PlanPro, true
	case p[PriceEnterprise], p[PriceBYOIUser]:
		return tenancy.PlanEnterprise, true
	}
	return "", false
}

// Unlimited is the quota of plans without a meeting limit.
const Unlimited = math.MaxInt

// StarterQuota is the Starter plan's meetings per billing period.
const StarterQuota = 100

// Quota returns the meetings a plan may process per billing period.
func Quota(plan tenancy.Plan) int {
	switch plan {
	case tenancy.PlanStarter:
		return StarterQuota
	case tenancy.PlanPro, tenancy.PlanEnterprise:
		return Unlimited
	}
	return StarterQuota // an unknown plan gets the smallest entitlement
}

// Feature is a capability gated by plan.
type Feature string

// Features gated by plan.
const (
	// FeatureMinutes is the core: summary, decisions, action items, approval, publishing.
	FeatureMinutes Feature = "minutes"
	// FeatureCustomTemplates is custom templates, tone and language (Pro and up).
	FeatureCustomTemplates Feature = "custom_templates"
	// FeatureNamedApprovers is named approvers and reminders (Pro and up).
	FeatureNamedApprovers Feature = "named_approvers"
	// FeatureBYOI is bring-your-own-infrastructure (Enterprise).
	FeatureBYOI Feature = "byoi"
	// FeaturePrioritySupport is priority support (Enterprise).
	FeaturePrioritySupport Feature = "priority_support"
)

// Allows reports whether plan includes feature.
func Allows(plan tenancy.Plan, f Feature) bool {
	switch f {
	case FeatureMinutes:
		return true
	case FeatureCustomTemplates, FeatureNamedApprovers:
		return plan == tenancy.PlanPro || plan == tenancy.PlanEnterprise
	case FeatureBYOI, FeaturePrioritySupport:
		return plan == tenancy.PlanEnterprise
	}
	return false
}

package billing

import (
	"context"
	"time"

	"github.com/meetingminutes/minutes/shared/access"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// PortalPages serves the portal's billing page (functions/Portal's Billing interface and
// its optional overview) for the caller on the request's context, an admin of one tenant.
type PortalPages struct {
	Sessions     *Sessions
	Entitlements *Entitlements
	// Now is the clock of seat counts; default time.Now.
	Now func() time.Time
}

func (p PortalPages) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// CheckoutURL opens Checkout for plan, with the tenant's seats in use (active users and
// pending invitations, at least 1) as the starting quantity.
func (p PortalPages) CheckoutURL(ctx context.Context, plan string) (string, error) {
	who, st, err := access.Caller(ctx, store.RoleAdmin, false)
	if err != nil {
		return "", err
	}
	seats, err := SeatsInUse(ctx, st, p.now())
	if err != nil {
		return "", err
	}
	return p.Sessions.Checkout(ctx, who.Tenant, CheckoutRequest{Plan: tenancy.Plan(plan), Seats: seats, Email: who.Email})
}

// PortalURL opens the Customer Portal of the caller's tenant.
func (p PortalPages) PortalURL(ctx context.Context) (string, error) {
	who, err := access.Require(ctx, store.RoleAdmin)
	if err != nil {
		return "", err
	}
	return p.Sessions.Portal(ctx, who.Tenant)
}

// Overview describes the caller's subscription for the billing page.
func (p PortalPages) Overview(ctx context.Context) (Overview, error) {
	who, err := access.Require(ctx, store.RoleAdmin)
	if err != nil {
		return Overview{}, err
	}
	return p.Entitlements.Overview(ctx, who.Tenant)
}

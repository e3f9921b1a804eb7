package billing

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	stripe "github.com/stripe/stripe-go/v76"

	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// TrialDays is the length of a new tenant's trial (onboarding.TrialDays is the same 14).
const TrialDays = 14

// minTrialLeft is the least trial Stripe Checkout accepts (trial_end at least 48 h ahead):
// a shorter remainder is dropped and the subscription starts paid.
const minTrialLeft = 48 * time.Hour

// BillingPath is the portal page Checkout and the Customer Portal return to.
const BillingPath = "/api/app/billing"

// Sessions creates Stripe customers and opens Checkout and Customer Portal sessions.
type Sessions struct {
	db     tenancy.Beginner
	client *Client
	now    func() time.Time
}

// NewSessions returns the session opener over the control-plane pool; now nil is time.Now.
func NewSessions(db tenancy.Beginner, c *Client, now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{db: db, client: c, now: now}
}

// EnsureCustomer returns the tenant's Stripe customer, creating it (idempotency key: the
// tenant id) and storing its id on first use. Provisioning calls it; Checkout calls it for
// tenants provisioned before billing was configured.
func (s *Sessions) EnsureCustomer(ctx context.Context, t tenancy.Tenant, email string) (CustomerID, error) {
	if t.BillingCustomerID != "" {
		return CustomerID(t.BillingCustomerID), nil
	}
	a, err := s.account(ctx, t.ID)
	if err != nil {
		return "", err
	}
	if a.Customer != "" {
		return CustomerID(a.Customer), nil
	}
	if t.Name == "" {
		t.Name = a.Name
	}
	id, err := s.client.CreateCustomer(ctx, t, email)
	if err != nil {
		return "", err
	}
	var stored string
	err = tenancy.WithTx(ctx, s.db, t.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `UPDATE tenants SET billing_customer_id = coalesce(billing_customer_id, $2), updated_at = now()
			WHERE id = $1 RETURNING billing_customer_id`, t.ID, string(id)).Scan(&stored)
	})
	if err != nil {
		return "", fmt.Errorf("store stripe customer of tenant %s: %w", t.ID, err)
	}
	return CustomerID(stored), nil
}

func (s *Sessions) account(ctx context.Context, id tenancy.ID) (a Account, err error) {
	err = tenancy.WithReadTx(ctx, s.db, id, func(tx pgx.Tx) error {
		a, err = loadAccount(ctx, tx, id, false)
		return err
	})
	return a, err
}

// CheckoutRequest is what a Checkout session subscribes to.
type CheckoutRequest struct {
	// Plan is starter or pro (Enterprise is sold by contract). BYOI tenants always get the
	// BYOI prices: per user, the platform fee, and premium support when asked for.
	Plan tenancy.Plan
	// Seats is the per-user quantity, adjustable on the Checkout page; at least 1.
	Seats int
	// PremiumSupport adds the premium support price (BYOI only).
	PremiumSupport bool
	// Email prefills the customer's email when the customer is created here.
	Email string
}

// Checkout opens a Checkout session subscribing the tenant and returns its URL. The session
// carries the tenant id as client_reference_id and in the subscription's metadata (the
// webhook finds the tenant by them), and the rest of the tenant's trial when at least 48 h.
func (s *Sessions) Checkout(ctx context.Context, tenant tenancy.ID, req CheckoutRequest) (string, error) {
	if s.client.base == nil {
		return "", fmt.Errorf("checkout: PUBLIC_BASE_URL is not set: %w", ErrPlanNotForSale)
	}
	a, err := s.account(ctx, tenant)
	if err != nil {
		return "", fmt.Errorf("checkout for tenant %s: %w", tenant, err)
	}
	items, err := s.lineItems(a, req)
	if err != nil {
		return "", err
	}
	customer, err := s.EnsureCustomer(ctx, tenancy.Tenant{ID: tenant, Name: a.Name, BillingCustomerID: a.Customer}, req.Email)
	if err != nil {
		return "", err
	}
	now := s.now()
	back := s.client.base.JoinPath(BillingPath)
	done := *back
	done.RawQuery = url.Values{"checkout": {"done"}}.Encode()
	sub := &stripe.CheckoutSessionSubscriptionDataParams{Metadata: map[string]string{MetadataTenant: tenant.String()}}
	if a.TrialEndsAt != nil && a.TrialEndsAt.Sub(now) >= minTrialLeft && a.Subscription == "" {
		sub.TrialEnd = stripe.Int64(a.TrialEndsAt.Unix())
	}
	// Idempotency: a double submit within the same minute opens one session.
	key := "tenant:" + tenant.String() + ":checkout:" + string(req.Plan) + ":" + strconv.Itoa(req.Seats) + ":" + strconv.FormatInt(now.Unix()/60, 10)
	p := &stripe.CheckoutSessionParams{Params: params(ctx, key), Mode: stripe.String(string(stripe.CheckoutSessionModeSubscription)),
		Customer: stripe.String(string(customer)), ClientReferenceID: stripe.String(tenant.String()),
		SuccessURL: stripe.String(done.String()), CancelURL: stripe.String(back.String()),
		LineItems: items, SubscriptionData: sub}
	p.AddMetadata(MetadataTenant, tenant.String())
	cs, err := s.client.checkout.New(p)
	if err != nil {
		return "", stripeErr("open checkout for tenant "+tenant.String(), err)
	}
	return cs.URL, nil
}

// lineItems builds the subscription's items from the price list.
func (s *Sessions) lineItems(a Account, req CheckoutRequest) ([]*stripe.CheckoutSessionLineItemParams, error) {
	prices := s.client.prices
	if a.Deployment != tenancy.DeploymentBYOI && req.Plan != tenancy.PlanStarter && req.Plan != tenancy.PlanPro {
		return nil, fmt.Errorf("checkout plan %q: %w", req.Plan, ErrPlanNotForSale)
	}
	seat, err := prices.seatPrice(req.Plan, a.Deployment)
	if err != nil {
		return nil, err
	}
	seats := int64(max(req.Seats, 1))
	items := []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String(string(seat)), Quantity: stripe.Int64(seats),
		AdjustableQuantity: &stripe.CheckoutSessionLineItemAdjustableQuantityParams{Enabled: stripe.Bool(true),
			Minimum: stripe.Int64(1), Maximum: stripe.Int64(max(seats, 999))}}}
	if a.Deployment == tenancy.DeploymentBYOI {
		fee := prices[PriceBYOIPlatform]
		if fee == "" {
			return nil, fmt.Errorf("price for %s: %w", PriceBYOIPlatform, ErrPlanNotForSale)
		}
		items = append(items, &stripe.CheckoutSessionLineItemParams{Price: stripe.String(string(fee)), Quantity: stripe.Int64(1)})
		if req.PremiumSupport {
			ps := prices[PricePremiumSupport]
			if ps == "" {
				return nil, fmt.Errorf("price for %s: %w", PricePremiumSupport, ErrPlanNotForSale)
			}
			items = append(items, &stripe.CheckoutSessionLineItemParams{Price: stripe.String(string(ps)), Quantity: stripe.Int64(1)})
		}
	}
	return items, nil
}

// Portal opens a Customer Portal session (payment methods, invoices, seats, cancellation)
// and returns its URL.
func (s *Sessions) Portal(ctx context.Context, tenant tenancy.ID) (string, error) {
	if s.client.base == nil {
		return "", fmt.Errorf("customer portal: PUBLIC_BASE_URL is not set: %w", ErrNoCustomer)
	}
	a, err := s.account(ctx, tenant)
	if err != nil {
		return "", fmt.Errorf("customer portal for tenant %s: %w", tenant, err)
	}
	if a.Customer == "" {
		return "", fmt.Errorf("customer portal for tenant %s: %w", tenant, ErrNoCustomer)
	}
	ps, err := s.client.portal.New(&stripe.BillingPortalSessionParams{Params: params(ctx, ""),
		Customer: stripe.String(a.Customer), ReturnURL: stripe.String(s.client.base.JoinPath(BillingPath).String())})
	if err != nil {
		return "", stripeErr("open customer portal for tenant "+tenant.String(), err)
	}
	return ps.URL, nil
}

// SeatsInUse counts a tenant's taken seats: active users plus invitations pending at now.
func SeatsInUse(ctx context.Context, st store.Store, now time.Time) (int, error) {
	n, err := store.CountActiveUsers(ctx, st)
	if err != nil {
		return 0, fmt.Errorf("count seats: %w", err)
	}
	inv, err := st.ListInvitations(ctx, store.ListInvitationsParams{Limit: store.MaxLimit, PendingAt: now})
	if err != nil {
		return 0, fmt.Errorf("count seats: %w", err)
	}
	return n + len(inv), nil
}

package billing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestEnsureCustomerCreatesOneCustomerPerTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{NoCustomer: true})
	tn, err := b.registry.Get(b.ctx, f.ID)
	require.NoError(t, err)
	id, err := b.sessions.EnsureCustomer(b.ctx, tn, "admin@contoso.example")
	require.NoError(t, err)
	require.NotEmpty(t, id)
	reqs := b.stripe.Requests("/v1/customers")
	require.Len(t, reqs, 1)
	require.Equal(t, f.ID.String(), reqs[0].IdempotencyKey, "the idempotency key is the tenant id")
	require.Equal(t, f.ID.String(), reqs[0].Form.Get("metadata[tenant_id]"))
	require.Equal(t, string(id), b.account(t, f.ID).Customer)

	again, err := b.sessions.EnsureCustomer(b.ctx, tenancy.Tenant{ID: f.ID}, "")
	require.NoError(t, err)
	require.Equal(t, id, again)
	require.Len(t, b.stripe.Requests("/v1/customers"), 1, "stored: never asked again")
}

func TestCheckout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.newTenant(t, tenantOpts{})

	u, err := b.sessions.Checkout(b.ctx, f.ID, billing.CheckoutRequest{Plan: tenancy.PlanPro, Seats: 7})
	require.NoError(t, err)
	require.Contains(t, u, "https://checkout.stripe.com/")
	reqs := b.stripe.Requests("/v1/checkout/sessions")
	require.Len(t, reqs, 1)
	form := reqs[0].Form
	require.Equal(t, "subscription", form.Get("mode"))
	require.Equal(t, f.Customer, form.Get("customer"))
	require.Equal(t, f.ID.String(), form.Get("client_reference_id"))
	require.Equal(t, f.ID.String(), form.Get("subscription_data[metadata][tenant_id]"))
	require.Equal(t, pricePro, form.Get("line_items[0][price]"))
	require.Equal(t, "7", form.Get("line_items[0][quantity]"))
	require.Equal(t, "true", form.Get("line_items[0][adjustable_quantity][enabled]"))
	require.Empty(t, form.Get("line_items[1][price]"))
	trialEnd := start.Add(14 * 24 * time.Hour).Unix()
	require.Equal(t, itoa(trialEnd), form.Get("subscription_data[trial_end]"), "the rest of the 14-day trial carries over")
	require.Equal(t, "https://minutes.example/api/app/billing?checkout=done", form.Get("success_url"))
	require.NotEmpty(t, reqs[0].IdempotencyKey)

	t.Run("enterprise is sold by contract", func(t *testing.T) {
		_, err := b.sessions.Checkout(b.ctx, f.ID, billing.CheckoutRequest{Plan: tenancy.PlanEnterprise, Seats: 1})
		require.ErrorIs(t, err, billing.ErrPlanNotForSale)
	})
	t.Run("byoi: per user, platform fee and premium support", func(t *testing.T) {
		g := b.newTenant(t, tenantOpts{Deployment: tenancy.DeploymentBYOI})
		b.clock.Add(13 * 24 * time.Hour) // under 48 h of trial left: dropped
		_, err := b.sessions.Checkout(b.ctx, g.ID, billing.CheckoutRequest{Plan: tenancy.PlanEnterprise, Seats: 25, PremiumSupport: true})
		require.NoError(t, err)
		reqs := b.stripe.Requests("/v1/checkout/sessions")
		form := reqs[len(reqs)-1].Form
		require.Equal(t, priceBYOIUser, form.Get("line_items[0][price]"))
		require.Equal(t, "25", form.Get("line_items[0][quantity]"))
		require.Equal(t, priceBYOIFee, form.Get("line_items[1][price]"))
		require.Equal(t, "1", form.Get("line_items[1][quantity]"))
		require.Equal(t, priceSupport, form.Get("line_items[2][price]"))
		require.Empty(t, form.Get("subscription_data[trial_end]"))
	})
	t.Run("customer portal", func(t *testing.T) {
		u, err := b.sessions.Portal(b.ctx, f.ID)
		require.NoError(t, err)
		require.NotEmpty(t, u)
		reqs := b.stripe.Requests("/v1/billing_portal/sessions")
		require.Len(t, reqs, 1)
		require.Equal(t, f.Customer, reqs[0].Form.Get("customer"))
		require.Equal(t, "https://minutes.example/api/app/billing", reqs[0].Form.Get("return_url"))
		none := b.newTenant(t, tenantOpts{NoCustomer: true})
		_, err = b.sessions.Portal(b.ctx, none.ID)
		require.ErrorIs(t, err, billing.ErrNoCustomer)
	})
}

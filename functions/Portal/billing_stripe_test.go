package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	portal "github.com/meetingminutes/minutes/functions/Portal"
	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/billing/billingtest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/review"
	"github.com/meetingminutes/minutes/shared/review/reviewtest"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// stripeBundle is the portal with the real billing (shared/billing over stripe-mock).
type stripeBundle struct {
	*bundle
	stripe *billingtest.Stripe
	ent    *billing.Entitlements
}

func setupStripe(t *testing.T) stripeBundle {
	t.Helper()
	env := reviewtest.New(t)
	b := &bundle{env: env, invites: &fakeInvites{}, billing: &fakeBilling{}}
	b.a = env.NewTenant(t, "Contoso")
	b.b = env.NewTenant(t, "Fabrikam")
	sb := stripeBundle{bundle: b, stripe: billingtest.New(t)}
	base, _ := url.Parse(sb.stripe.URL)
	public, _ := url.Parse("https://minutes.example")
	client, err := billing.NewClient(billing.Config{SecretKey: billingtest.SecretKey, APIBase: base, PublicBaseURL: public,
		Prices: billing.Prices{billing.PriceStarter: "price_starter", billing.PricePro: "price_pro"}})
	require.NoError(t, err)
	sb.ent = billing.NewEntitlements(env.DB.App, nil, now)
	pages := billing.PortalPages{Sessions: billing.NewSessions(env.DB.App, client, now), Entitlements: sb.ent, Now: now}
	h, err := portal.New(portal.Deps{Review: review.New(now), Now: now, Invites: b.invites, Tenants: env.Registry,
		Sessions: env.Sessions, Billing: pages})
	require.NoError(t, err)
	router := funchost.NewRouter(false, nil)
	ad := funchost.New(funchost.Options{})
	for _, rt := range h.Routes() {
		require.NoError(t, router.Public(rt.Pattern, ad.HTTP("Portal", rt.Handler)), rt.Pattern)
	}
	b.srv = env.Auth.Middleware(env.Sessions.CSRFMiddleware(router))
	return sb
}

// set updates tenant tn's billing columns in its own context.
func (sb stripeBundle) set(t *testing.T, tn *reviewtest.Tenant, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, tenancy.WithTx(ctx, sb.env.DB.App, tn.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE tenants SET "+sql+" WHERE id = $1", append([]any{tn.ID}, args...)...)
		return err
	}))
}

func TestBillingPageWithStripe(t *testing.T) {
	t.Parallel()
	sb := setupStripe(t)
	ctx := context.Background()
	for range billing.StarterQuota {
		m, err := store.ParseMeetingID(tenancy.NewID().String())
		require.NoError(t, err)
		_, err = sb.ent.Admit(ctx, sb.a.ID, m)
		require.NoError(t, err)
	}
	admin := sb.as(t, sb.a, sb.a.Admin)

	page := sb.get(t, admin, "/api/app/billing")
	require.Equal(t, http.StatusOK, page.StatusCode)
	text := page.text()
	for _, want := range []string{"Current plan Starter", "Seats in use 4 active users", "Seats paid None yet (trial)",
		"Meetings this period 100 of 100, until", "This period's meetings are used up", "Choose Pro", "Manage billing in Stripe"} {
		require.Contains(t, text, want)
	}

	t.Run("checkout with the seats in use", func(t *testing.T) {
		res := sb.post(t, admin, "/api/app/billing/checkout", url.Values{"plan": {"pro"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode, res.body)
		require.True(t, strings.HasPrefix(res.Header.Get("Location"), "https://checkout.stripe.com/"), res.Header.Get("Location"))
		reqs := sb.stripe.Requests("/v1/checkout/sessions")
		require.Len(t, reqs, 1)
		require.Equal(t, "price_pro", reqs[0].Form.Get("line_items[0][price]"))
		require.Equal(t, "4", reqs[0].Form.Get("line_items[0][quantity]"))
		require.Equal(t, sb.a.ID.String(), reqs[0].Form.Get("client_reference_id"))
		require.Len(t, sb.stripe.Requests("/v1/customers"), 1, "the customer was created on first checkout")
	})
	t.Run("customer portal", func(t *testing.T) {
		res := sb.post(t, admin, "/api/app/billing/portal", nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode, res.body)
		require.NotEmpty(t, res.Header.Get("Location"))
	})
	t.Run("subscribed, paid seats exceeded, payment failed", func(t *testing.T) {
		grace := clock.Add(5 * 24 * time.Hour)
		sb.set(t, sb.a, "subscription_id = 'sub_1', subscription_status = 'past_due', seats = 3, plan = 'pro', grace_until = $2", grace)
		text := sb.get(t, admin, "/api/app/billing").text()
		require.Contains(t, text, "Payment failed.")
		require.Contains(t, text, "Seats paid 3 more users than paid seats")
		require.Contains(t, text, "Meetings this period 100 (unlimited)")
		require.NotContains(t, text, "used up")
	})
	t.Run("another tenant sees only its own", func(t *testing.T) {
		other := sb.get(t, sb.as(t, sb.b, sb.b.Admin), "/api/app/billing").text()
		require.Contains(t, other, "Meetings this period 0 of 100")
		require.NotContains(t, other, "Payment failed")
	})
	t.Run("members cannot see it", func(t *testing.T) {
		res := sb.get(t, sb.as(t, sb.a, sb.a.Member), "/api/app/billing")
		require.Equal(t, http.StatusForbidden, res.StatusCode)
	})
}

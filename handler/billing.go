package main

import (
	"context"
	"time"

	api "github.com/meetingminutes/minutes/functions/Api"

	portal "github.com/meetingminutes/minutes/functions/Portal"
	stripewebhook "github.com/meetingminutes/minutes/functions/StripeWebhook"
	usagereport "github.com/meetingminutes/minutes/functions/UsageReport"
	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/marketplace"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// stripeMaxBody is the StripeWebhook route's body limit: above billing.MaxEventBytes, so
// oversized junk gets the handler's 400 rather than the adapter's 413.
const stripeMaxBody = stripewebhook.RouteMaxBody

// billingClient builds the Stripe client from STRIPE_SECRET_KEY, STRIPE_API_BASE,
// STRIPE_PRICES, STRIPE_METERS and PUBLIC_BASE_URL. It does no I/O.
func (a *app) billingClient() (*billing.Client, error) {
	meters := map[billing.Meter]string{}
	for k, v := range a.cfg.Stripe.Meters {
		meters[billing.Meter(k)] = v
	}
	return billing.NewClient(billing.Config{SecretKey: a.cfg.Stripe.SecretKey, APIBase: a.cfg.Stripe.APIBase,
		Prices: billing.PricesFrom(a.cfg.Stripe.Prices), Meters: meters, PublicBaseURL: a.cfg.PublicBaseURL, Logger: a.log})
}

// billingEntitlements are the entitlements over the control-plane pool; released meetings
// are re-queued for generation (resumeHeld).
func (a *app) billingEntitlements() *billing.Entitlements {
	return billing.NewEntitlements(a.pool, billing.ResumerFunc(a.resumeHeld), nil)
}

// billingNotifier emails tenant admins about trials, failed payments and suspensions through
// the configured mail transport (none: the notices are only logged).
func (a *app) billingNotifier() *billing.Notifier {
	sender, from, err := a.mailer()
	if err != nil {
		a.log.Warn("billing emails are off: mail is misconfigured", "error", err)
		sender = nil
	}
	return billing.NewNotifier(store.NewManagedResolver(a.pool), sender, from, a.cfg.PublicBaseURL, a.log)
}

// stripeWebhook builds the StripeWebhook handler (POST /api/stripe/webhook).
func (a *app) stripeWebhook() funchost.HandlerFunc {
	if a.pool == nil {
		return unavailableHTTP("StripeWebhook is not available: DATABASE_URL is not set")
	}
	if f := a.cfg.Feature(config.FeatureBilling); !f.Enabled {
		return unavailableHTTP("StripeWebhook is not available: " + f.Reason)
	}
	client, err := a.billingClient()
	if err != nil {
		return unavailableHTTP("StripeWebhook is not available: " + err.Error())
	}
	hooks, err := billing.NewWebhooks(a.pool, client, a.billingEntitlements(), a.billingNotifier(),
		billing.WebhookConfig{Secret: a.cfg.Stripe.WebhookSecret, Logger: a.log})
	if err != nil {
		return unavailableHTTP("StripeWebhook is not available: " + err.Error())
	}
	return stripewebhook.New(hooks, a.log).Serve
}

// usageReport builds the hourly UsageReport timer: it sweeps every tenant's billing state
// whenever there is a database, and sends meter events only when billing is configured.
func (a *app) usageReport() funchost.TickFunc {
	if a.pool == nil {
		return func(ctx context.Context, _ funchost.Tick) error {
			a.log.InfoContext(ctx, "UsageReport has nothing to do: DATABASE_URL is not set")
			return nil
		}
	}
	d := usagereport.Deps{DB: a.pool, Tenants: tenancy.NewRegistry(a.pool), Entitlements: a.billingEntitlements(),
		Stores: store.NewManagedResolver(a.pool), Notifier: a.billingNotifier(), Log: a.log}
	if m := a.cfg.Marketplace; m.ResourceURI != "" {
		// A managed-application install bills through the Marketplace, with its identity.
		client, err := marketplace.NewManagedIdentityClient(m.ClientID, nil)
		if err != nil {
			a.log.Warn("UsageReport sends no Marketplace usage", "error", err)
		} else {
			d.Marketplace = &usagereport.Marketplace{Sender: client, ResourceURI: m.ResourceURI, PlanID: m.PlanID}
		}
	} else if a.cfg.Stripe.SecretKey.IsSet() {
		if client, err := a.billingClient(); err == nil {
			d.Meters = client
		} else {
			a.log.Warn("UsageReport sends no meter events", "error", err)
		}
	}
	return usagereport.New(d).Tick
}

// billingSessions opens Checkout and Customer Portal sessions and creates customers; nil
// when billing or the database is not configured.
func (a *app) billingSessions() *billing.Sessions {
	if a.pool == nil || !a.cfg.Stripe.SecretKey.IsSet() {
		return nil
	}
	client, err := a.billingClient()
	if err != nil {
		return nil
	}
	return billing.NewSessions(a.pool, client, nil)
}

// portalBilling is the Portal's Billing dependency (Checkout, Customer Portal and the usage
// overview); nil, which the portal shows as "Billing is not configured", without Stripe.
func (a *app) portalBilling() portal.Billing {
	s := a.billingSessions()
	if s == nil {
		return nil
	}
	return billing.PortalPages{Sessions: s, Entitlements: a.billingEntitlements()}
}

// Compile-time check: the portal's optional overview is implemented.
var _ portal.BillingOverview = billing.PortalPages{}

// provisionCustomers adapts billing.Sessions to onboarding.Customers.
type provisionCustomers struct{ s *billing.Sessions }

func (c provisionCustomers) EnsureCustomer(ctx context.Context, t tenancy.Tenant, email string) (string, error) {
	id, err := c.s.EnsureCustomer(ctx, t, email)
	return string(id), err
}

// seatGate adapts billing.Entitlements to signin.Seats: active users plus open invitations
// against the paid seats.
type seatGate struct{ e *billing.Entitlements }

func (g seatGate) Check(ctx context.Context, tenant tenancy.ID, st store.Store) (string, error) {
	inUse, err := billing.SeatsInUse(ctx, st, time.Now())
	if err != nil {
		return "", err
	}
	d, err := g.e.CheckSeats(ctx, tenant, inUse)
	return d.Warning, err
}

// usageReconciler is the operator console's usage reconciliation over billing.Client.
type usageReconciler struct{ a *app }

// Reconcile implements portal.Reconciler: every tenant with a Stripe customer, each meter.
func (u usageReconciler) Reconcile(ctx context.Context, from, to time.Time) ([]portal.UsageReconciliation, error) {
	client, err := u.a.billingClient()
	if err != nil {
		return nil, err
	}
	reg := tenancy.NewRegistry(u.a.pool)
	var out []portal.UsageReconciliation
	for after := (tenancy.ID{}); ; {
		page, err := reg.List(ctx, after, 200)
		if err != nil {
			return nil, err
		}
		for _, t := range page {
			after = t.ID
			if t.BillingCustomerID == "" {
				continue
			}
			row := portal.UsageReconciliation{Tenant: t}
			rs, err := client.Reconcile(ctx, u.a.pool, t.ID, from, to)
			if err != nil {
				row.Error = "Stripe's meter summaries could not be read"
				u.a.log.WarnContext(ctx, "usage reconciliation failed", "tenant_id", t.ID.String(), "error", err.Error())
			}
			for _, r := range rs {
				row.Meters = append(row.Meters, portal.MeterReconciliation{Meter: string(r.Meter), Reported: r.Ours,
					Pending: r.Pending, Provider: r.Stripe, Match: r.Match})
			}
			out = append(out, row)
		}
		if len(page) < 200 {
			return out, nil
		}
	}
}

// portalReconciler is nil without Stripe.
func (a *app) portalReconciler() portal.Reconciler {
	if a.pool == nil || !a.cfg.Stripe.SecretKey.IsSet() {
		return nil
	}
	return usageReconciler{a}
}

// planFeatures answers the Api's and Portal's plan questions from the tenant's billing
// account; nil when billing is off (self-hosted: every feature).
type planFeatures struct{ e *billing.Entitlements }

func (p planFeatures) Allows(ctx context.Context, tenant tenancy.ID, feature string) (bool, error) {
	a, err := p.e.Account(ctx, tenant)
	if err != nil {
		return false, err
	}
	return billing.Allows(a.Plan, billing.Feature(feature)), nil
}

// portalFeatures and apiFeatures are planFeatures when billing is configured, nil
// interfaces otherwise (every feature allowed).
func (a *app) portalFeatures() portal.Features {
	if a.pool == nil || !a.cfg.Feature(config.FeatureBilling).Enabled {
		return nil
	}
	return planFeatures{a.billingEntitlements()}
}

func (a *app) apiFeatures() api.Features {
	if a.pool == nil || !a.cfg.Feature(config.FeatureBilling).Enabled {
		return nil
	}
	return planFeatures{a.billingEntitlements()}
}

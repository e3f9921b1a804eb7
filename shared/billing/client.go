package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/billing/meterevent"
	"github.com/stripe/stripe-go/v76/billing/metereventsummary"
	portalsession "github.com/stripe/stripe-go/v76/billingportal/session"
	checkoutsession "github.com/stripe/stripe-go/v76/checkout/session"
	"github.com/stripe/stripe-go/v76/customer"
	"github.com/stripe/stripe-go/v76/invoice"
	"github.com/stripe/stripe-go/v76/subscription"

	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Config is what the Stripe client needs.
type Config struct {
	// SecretKey is STRIPE_SECRET_KEY. Required.
	SecretKey config.Secret
	// APIBase is STRIPE_API_BASE (stripe-mock in tests); nil means https://api.stripe.com.
	APIBase *url.URL
	// Prices is STRIPE_PRICES.
	Prices Prices
	// Meters maps meter event names to Billing Meter ids (STRIPE_METERS), for reconciliation.
	Meters map[Meter]string
	// PublicBaseURL is where Checkout and the Customer Portal send the browser back to
	// (/api/app/billing under it). Required for sessions.
	PublicBaseURL *url.URL
	// HTTPClient carries the requests; nil means stripe-go's default (80 s timeout).
	HTTPClient *http.Client
	// MaxNetworkRetries is stripe-go's retry count (connection errors, 409, Stripe-Should-Retry).
	// Default 2; negative means none.
	MaxNetworkRetries int
	// Logger receives stripe-go's own log lines (at debug, warn and error). Default discards.
	Logger *slog.Logger
}

// Client calls the Stripe API for one account. It holds no global state (stripe-go's global
// key and backends are never set), so tests and processes may hold several.
type Client struct {
	customers  *customer.Client
	subs       *subscription.Client
	invoices   *invoice.Client
	checkout   *checkoutsession.Client
	portal     *portalsession.Client
	meterEvent *meterevent.Client
	summaries  *metereventsummary.Client
	prices     Prices
	meters     map[Meter]string
	base       *url.URL
}

// NewClient returns a client for cfg; it does no I/O.
func NewClient(cfg Config) (*Client, error) {
	if !cfg.SecretKey.IsSet() {
		return nil, &config.Error{Key: "STRIPE_SECRET_KEY", Reason: "not set"}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	retries := int64(2)
	if cfg.MaxNetworkRetries != 0 {
		retries = max(int64(cfg.MaxNetworkRetries), 0)
	}
	bc := &stripe.BackendConfig{HTTPClient: cfg.HTTPClient, LeveledLogger: stripeLogger{log},
		MaxNetworkRetries: stripe.Int64(retries), EnableTelemetry: stripe.Bool(false)}
	if cfg.APIBase != nil {
		bc.URL = stripe.String(cfg.APIBase.String())
	}
	b := stripe.GetBackendWithConfig(stripe.APIBackend, bc)
	key := cfg.SecretKey.Reveal()
	prices := cfg.Prices
	if prices == nil {
		prices = Prices{}
	}
	return &Client{
		customers: &customer.Client{B: b, Key: key}, subs: &subscription.Client{B: b, Key: key},
		invoices: &invoice.Client{B: b, Key: key}, checkout: &checkoutsession.Client{B: b, Key: key},
		portal: &portalsession.Client{B: b, Key: key}, meterEvent: &meterevent.Client{B: b, Key: key},
		summaries: &metereventsummary.Client{B: b, Key: key},
		prices:    prices, meters: cfg.Meters, base: cfg.PublicBaseURL,
	}, nil
}

// Prices returns the configured price list.
func (c *Client) Prices() Prices { return c.prices }

// stripeLogger adapts stripe-go's leveled logger to slog. stripe-go logs request lines and
// errors, never the API key.
type stripeLogger struct{ log *slog.Logger }

func (l stripeLogger) Debugf(format string, v ...any) {
	l.log.Debug("stripe: " + fmt.Sprintf(format, v...))
}
func (l stripeLogger) Infof(format string, v ...any) {
	l.log.Debug("stripe: " + fmt.Sprintf(format, v...))
}
func (l stripeLogger) Warnf(format string, v ...any) {
	l.log.Warn("stripe: " + fmt.Sprintf(format, v...))
}
func (l stripeLogger) Errorf(format string, v ...any) {
	l.log.Warn("stripe: " + fmt.Sprintf(format, v...))
}

// errObjectMissing reports a Stripe object that does not exist (404 resource_missing).
var errObjectMissing = errors.New("stripe object does not exist")

// stripeErr classifies a stripe-go error: missing objects, and Stripe being unavailable
// (network, 429, 5xx), which callers retry later.
func stripeErr(what string, err error) error {
	if err == nil {
		return nil
	}
	var se *stripe.Error
	if errors.As(err, &se) {
		switch {
		case se.HTTPStatusCode == http.StatusNotFound || se.Code == stripe.ErrorCodeResourceMissing:
			return fmt.Errorf("%s: %w", what, errObjectMissing)
		case se.HTTPStatusCode == http.StatusTooManyRequests || se.HTTPStatusCode >= 500:
			return fmt.Errorf("%s: %w (%d)", what, ErrStripeUnavailable, se.HTTPStatusCode)
		}
		// Our request was wrong (bad key, bad parameter): an internal failure, not retryable
		// by the caller; the type and code are safe to show in logs.
		return fmt.Errorf("%s: stripe refused the request: %s %s (%d)", what, se.Type, se.Code, se.HTTPStatusCode)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w: %v", what, ErrStripeUnavailable, err)
}

// params returns request parameters carrying ctx and, when set, an idempotency key.
func params(ctx context.Context, idempotencyKey string) stripe.Params {
	p := stripe.Params{Context: ctx}
	if idempotencyKey != "" {
		p.IdempotencyKey = stripe.String(idempotencyKey)
	}
	return p
}

// MetadataTenant is the metadata key carrying our tenant id on Stripe customers and
// subscriptions (and the Checkout session's client_reference_id).
const MetadataTenant = "tenant_id"

// CreateCustomer creates the Stripe customer of tenant t. The idempotency key is the tenant
// id, so a retried provisioning creates one customer (within Stripe's 24 h key window;
// EnsureCustomer stores the id so later calls never ask again).
func (c *Client) CreateCustomer(ctx context.Context, t tenancy.Tenant, email string) (CustomerID, error) {
	p := &stripe.CustomerParams{Params: params(ctx, t.ID.String()), Name: stripe.String(clip(t.Name, 250))}
	p.AddMetadata(MetadataTenant, t.ID.String())
	if email != "" {
		p.Email = stripe.String(email)
	}
	cu, err := c.customers.New(p)
	if err != nil {
		return "", stripeErr("create stripe customer for tenant "+t.ID.String(), err)
	}
	return ParseCustomerID(cu.ID)
}

// customerTenant returns the tenant id in a customer's metadata ("" when none).
func (c *Client) customerTenant(ctx context.Context, id string) (string, error) {
	cu, err := c.customers.Get(id, &stripe.CustomerParams{Params: params(ctx, "")})
	if err != nil {
		return "", stripeErr("read customer "+id, err)
	}
	if cu.Deleted {
		return "", fmt.Errorf("read customer %s: %w", id, errObjectMissing)
	}
	return cu.Metadata[MetadataTenant], nil
}

// SubscriptionStatus is a Stripe subscription's status ("none" when there is none).
type SubscriptionStatus string

// Subscription statuses.
const (
	SubNone              SubscriptionStatus = "none"
	SubTrialing          SubscriptionStatus = "trialing"
	SubActive            SubscriptionStatus = "active"
	SubPastDue           SubscriptionStatus = "past_due"
	SubUnpaid            SubscriptionStatus = "unpaid"
	SubCanceled          SubscriptionStatus = "canceled"
	SubIncomplete        SubscriptionStatus = "incomplete"
	SubIncompleteExpired SubscriptionStatus = "incomplete_expired"
	SubPaused            SubscriptionStatus = "paused"
)

func (s SubscriptionStatus) valid() bool {
	switch s {
	case SubNone, SubTrialing, SubActive, SubPastDue, SubUnpaid, SubCanceled, SubIncomplete, SubIncompleteExpired, SubPaused:
		return true
	}
	return false
}

// Subscription is a subscription's current state as read from Stripe, reduced to what
// entitlements need.
type Subscription struct {
	ID       SubscriptionID
	Customer string
	Status   SubscriptionStatus
	// Plan is the plan of its per-user item; PlanKnown is false when no item's price is in
	// STRIPE_PRICES (the plan is then left as it was).
	Plan      tenancy.Plan
	PlanKnown bool
	// Seats is the quantity of the per-user item(s).
	Seats          int
	PremiumSupport bool
	// PeriodStart and PeriodEnd bound the current billing period (zero when unknown).
	PeriodStart, PeriodEnd time.Time
	// TrialEnd is the end of the trial (zero when none).
	TrialEnd          time.Time
	CancelAtPeriodEnd bool
	// Tenant is the tenant id in the subscription's metadata ("" when none).
	Tenant string
}

// Subscription reads a subscription's current state.
func (c *Client) Subscription(ctx context.Context, id string) (Subscription, error) {
	s, err := c.subs.Get(id, &stripe.SubscriptionParams{Params: params(ctx, "")})
	if err != nil {
		return Subscription{}, stripeErr("read subscription "+id, err)
	}
	return c.subscriptionOf(s), nil
}

// subscriptionOf reduces a stripe-go subscription. Newer API versions moved the period to
// the items; both places are read.
func (c *Client) subscriptionOf(s *stripe.Subscription) Subscription {
	out := Subscription{ID: SubscriptionID(s.ID), Status: SubscriptionStatus(s.Status),
		CancelAtPeriodEnd: s.CancelAtPeriodEnd, Tenant: s.Metadata[MetadataTenant]}
	if !out.Status.valid() {
		out.Status = SubIncomplete // an unknown status grants nothing new
	}
	if s.Customer != nil {
		out.Customer = s.Customer.ID
	}
	if s.TrialEnd > 0 {
		out.TrialEnd = time.Unix(s.TrialEnd, 0).UTC()
	}
	start, end := s.CurrentPeriodStart, s.CurrentPeriodEnd
	var itemPeriods struct {
		Items struct {
			Data []struct {
				ID                 string `json:"id"`
				CurrentPeriodStart int64  `json:"current_period_start"`
				CurrentPeriodEnd   int64  `json:"current_period_end"`
			} `json:"data"`
		} `json:"items"`
	}
	if s.LastResponse != nil && len(s.LastResponse.RawJSON) > 0 {
		_ = json.Unmarshal(s.LastResponse.RawJSON, &itemPeriods)
	}
	if s.Items != nil {
		for i, it := range s.Items.Data {
			if it == nil || it.Price == nil {
				continue
			}
			id := PriceID(it.Price.ID)
			if plan, ok := c.prices.Plan(id); ok {
				out.Plan, out.PlanKnown = plan, true
				out.Seats += int(max(it.Quantity, 0))
				if start == 0 && i < len(itemPeriods.Items.Data) && itemPeriods.Items.Data[i].ID == it.ID {
					start, end = itemPeriods.Items.Data[i].CurrentPeriodStart, itemPeriods.Items.Data[i].CurrentPeriodEnd
				}
			}
			if id != "" && id == c.prices[PricePremiumSupport] {
				out.PremiumSupport = true
			}
		}
	}
	if start > 0 && end >= start {
		out.PeriodStart, out.PeriodEnd = time.Unix(start, 0).UTC(), time.Unix(end, 0).UTC()
	}
	return out
}

// Invoice is an invoice's current state as read from Stripe.
type Invoice struct {
	ID           string
	Customer     string
	Subscription string
	// Paid is true once the invoice is paid (status paid).
	Paid bool
	// Open is true while payment is still expected (status open).
	Open         bool
	AttemptCount int
	// HostedURL is the page where the customer can pay it.
	HostedURL string
}

// Invoice reads an invoice's current state.
func (c *Client) Invoice(ctx context.Context, id string) (Invoice, error) {
	in, err := c.invoices.Get(id, &stripe.InvoiceParams{Params: params(ctx, "")})
	if err != nil {
		return Invoice{}, stripeErr("read invoice "+id, err)
	}
	out := Invoice{ID: in.ID, Paid: in.Paid || in.Status == stripe.InvoiceStatusPaid, Open: in.Status == stripe.InvoiceStatusOpen,
		AttemptCount: int(in.AttemptCount), HostedURL: in.HostedInvoiceURL}
	if in.Customer != nil {
		out.Customer = in.Customer.ID
	}
	if in.Subscription != nil {
		out.Subscription = in.Subscription.ID
	}
	return out, nil
}

// CheckoutSession is a completed Checkout session's current state.
type CheckoutSession struct {
	ID              string
	ClientReference string
	Customer        string
	Subscription    string
	Complete        bool
}

// checkoutSession reads a Checkout session.
func (c *Client) checkoutSession(ctx context.Context, id string) (CheckoutSession, error) {
	s, err := c.checkout.Get(id, &stripe.CheckoutSessionParams{Params: params(ctx, "")})
	if err != nil {
		return CheckoutSession{}, stripeErr("read checkout session "+id, err)
	}
	out := CheckoutSession{ID: s.ID, ClientReference: s.ClientReferenceID, Complete: s.Status == stripe.CheckoutSessionStatusComplete}
	if s.Customer != nil {
		out.Customer = s.Customer.ID
	}
	if s.Subscription != nil {
		out.Subscription = s.Subscription.ID
	}
	return out, nil
}

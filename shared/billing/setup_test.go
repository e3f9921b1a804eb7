package billing_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/billing/billingtest"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

const (
	webhookSecret = "whsec_test_minutes"
	priceStarter  = "price_starter"
	pricePro      = "price_pro"
	priceBYOIUser = "price_byoi_user"
	priceBYOIFee  = "price_byoi_platform"
	priceSupport  = "price_premium_support"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// resumed records what the Resumer was handed.
type resumed struct {
	mu       sync.Mutex
	meetings map[tenancy.ID][]store.MeetingID
}

func (r *resumed) Resume(_ context.Context, _ pgx.Tx, t tenancy.ID, ms []store.MeetingID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.meetings[t] = append(r.meetings[t], ms...)
	return nil
}

func (r *resumed) of(t tenancy.ID) []store.MeetingID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]store.MeetingID(nil), r.meetings[t]...)
}

type bundle struct {
	ctx      context.Context
	db       *dbtest.DB
	stripe   *billingtest.Stripe
	clock    *clock
	client   *billing.Client
	ent      *billing.Entitlements
	sessions *billing.Sessions
	hooks    *billing.Webhooks
	stores   store.Resolver
	mailDir  string
	resumed  *resumed
	registry *tenancy.Registry
}

var start = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

func setup(t testing.TB) *bundle {
	t.Helper()
	b := &bundle{ctx: context.Background(), db: dbtest.New(t), stripe: billingtest.New(t), clock: &clock{t: start},
		resumed: &resumed{meetings: map[tenancy.ID][]store.MeetingID{}}, mailDir: t.TempDir()}
	base, _ := url.Parse(b.stripe.URL)
	public, _ := url.Parse("https://minutes.example")
	var err error
	b.client, err = billing.NewClient(billing.Config{SecretKey: billingtest.SecretKey, APIBase: base, PublicBaseURL: public,
		Prices: billing.Prices{billing.PriceStarter: priceStarter, billing.PricePro: pricePro, billing.PriceBYOIUser: priceBYOIUser,
			billing.PriceBYOIPlatform: priceBYOIFee, billing.PricePremiumSupport: priceSupport}})
	require.NoError(t, err)
	b.ent = billing.NewEntitlements(b.db.App, b.resumed, b.clock.Now)
	b.sessions = billing.NewSessions(b.db.App, b.client, b.clock.Now)
	b.stores = store.NewManagedResolver(b.db.App)
	b.registry = tenancy.NewRegistry(b.db.App)
	sender, err := mail.NewDir(b.mailDir, nil)
	require.NoError(t, err)
	notifier := billing.NewNotifier(b.stores, sender, mail.Address{Email: "billing@minutes.example"}, public, nil)
	b.hooks, err = billing.NewWebhooks(b.db.App, b.client, b.ent, notifier, billing.WebhookConfig{Secret: webhookSecret, Now: b.clock.Now})
	require.NoError(t, err)
	return b
}

// tenantOpts overrides newTenant's defaults.
type tenantOpts struct {
	Deployment tenancy.Deployment
	// NoCustomer leaves billing_customer_id empty.
	NoCustomer bool
}

// fixture is a tenant with an admin and a Stripe customer.
type fixture struct {
	ID       tenancy.ID
	Customer string
	Sub      string
}

func (b *bundle) newTenant(t testing.TB, o tenantOpts) fixture {
	t.Helper()
	trial := start.Add(14 * 24 * time.Hour)
	tn, _, err := b.registry.Create(b.ctx, tenancy.NewTenant{Name: "Contoso", Deployment: o.Deployment, TrialEndsAt: &trial})
	require.NoError(t, err)
	f := fixture{ID: tn.ID, Sub: "sub_" + short(tn.ID)}
	if !o.NoCustomer {
		f.Customer = "cus_" + short(tn.ID)
		require.NoError(t, tenancy.WithTx(b.ctx, b.db.App, tn.ID, func(tx pgx.Tx) error {
			_, err := tx.Exec(b.ctx, `UPDATE tenants SET billing_customer_id = $2 WHERE id = $1`, tn.ID, f.Customer)
			return err
		}))
		b.stripe.SetCustomer(f.Customer, tn.ID.String())
	}
	st, err := b.stores.For(b.ctx, tn.ID)
	require.NoError(t, err)
	_, err = st.CreateUser(b.ctx, store.UserInput{Email: "admin-" + short(tn.ID) + "@contoso.example", DisplayName: "Ada", Role: store.RoleAdmin})
	require.NoError(t, err)
	return f
}

func short(id tenancy.ID) string { return id.String()[:8] + id.String()[9:13] }

// subscription returns f's subscription in status with plan price and seats, in the current
// month's period.
func (f fixture) subscription(status, price string, seats int64) billingtest.Subscription {
	ps := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
	return billingtest.Subscription{ID: f.Sub, Customer: f.Customer, Status: status, Tenant: f.ID.String(),
		Items: []billingtest.Item{{Price: price, Quantity: seats}}, PeriodStart: ps, PeriodEnd: ps.AddDate(0, 1, 0)}
}

var eventSeq struct {
	mu sync.Mutex
	n  int
}

func newEventID() string {
	eventSeq.mu.Lock()
	defer eventSeq.mu.Unlock()
	eventSeq.n++
	return "evt_" + tenancy.NewID().String()[:8] + "_" + string(rune('a'+eventSeq.n%26))
}

// deliver signs e now and hands it to the webhooks.
func (b *bundle) deliver(t testing.TB, e billingtest.Event) billing.Result {
	t.Helper()
	if e.ID == "" {
		e.ID = newEventID()
	}
	payload := e.Payload()
	res, err := b.hooks.Handle(b.ctx, payload, billingtest.Sign(payload, webhookSecret, b.clock.Now()))
	require.NoError(t, err)
	return res
}

// subEvent is a customer.subscription.* event whose snapshot is sub.
func subEvent(typ string, sub billingtest.Subscription) billingtest.Event {
	return billingtest.Event{Type: typ, Object: billingtest.SubscriptionObject(sub)}
}

func (b *bundle) account(t testing.TB, id tenancy.ID) billing.Account {
	t.Helper()
	a, err := b.ent.Account(b.ctx, id)
	require.NoError(t, err)
	return a
}

// mails returns the .eml files written so far.
func (b *bundle) mails(t testing.TB) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.Walk(b.mailDir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && filepath.Ext(p) == ".eml" {
			body, rerr := os.ReadFile(p)
			require.NoError(t, rerr)
			out = append(out, string(body))
		}
		return err
	}))
	return out
}

func newMeeting() store.MeetingID {
	id, err := store.ParseMeetingID(tenancy.NewID().String())
	if err != nil {
		panic(err)
	}
	return id
}

package usagereport

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
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/mail"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

type bundle struct {
	ctx     context.Context
	db      *dbtest.DB
	stripe  *billingtest.Stripe
	clock   *clock
	ent     *billing.Entitlements
	h       *Handler
	stores  store.Resolver
	mailDir string
}

var start = time.Date(2026, 5, 4, 10, 20, 0, 0, time.UTC)

func setup(t testing.TB) *bundle {
	t.Helper()
	b := &bundle{ctx: context.Background(), db: dbtest.New(t), stripe: billingtest.New(t), clock: &clock{t: start}, mailDir: t.TempDir()}
	base, _ := url.Parse(b.stripe.URL)
	client, err := billing.NewClient(billing.Config{SecretKey: billingtest.SecretKey, APIBase: base, MaxNetworkRetries: -1})
	require.NoError(t, err)
	b.ent = billing.NewEntitlements(b.db.App, nil, b.clock.Now)
	b.stores = store.NewManagedResolver(b.db.App)
	sender, err := mail.NewDir(b.mailDir, nil)
	require.NoError(t, err)
	b.h = New(Deps{DB: b.db.App, Tenants: tenancy.NewRegistry(b.db.App), Entitlements: b.ent, Meters: client, Stores: b.stores,
		Notifier: billing.NewNotifier(b.stores, sender, mail.Address{Email: "billing@minutes.example"}, nil, nil)})
	return b
}

// newTenant makes a tenant with a customer, an admin and n admitted meetings now.
func (b *bundle) newTenant(t testing.TB, meetings int) (tenancy.ID, string) {
	t.Helper()
	tn, _, err := tenancy.NewRegistry(b.db.App).Create(b.ctx, tenancy.NewTenant{Name: "Tailspin"})
	require.NoError(t, err)
	cust := "cus_" + tn.ID.String()[:8]
	require.NoError(t, tenancy.WithTx(b.ctx, b.db.App, tn.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(b.ctx, `UPDATE tenants SET billing_customer_id = $2 WHERE id = $1`, tn.ID, cust)
		return err
	}))
	st, err := b.stores.For(b.ctx, tn.ID)
	require.NoError(t, err)
	_, err = st.CreateUser(b.ctx, store.UserInput{Email: "admin-" + tn.ID.String()[:8] + "@tailspin.example", Role: store.RoleAdmin})
	require.NoError(t, err)
	for range meetings {
		m, err := store.ParseMeetingID(tenancy.NewID().String())
		require.NoError(t, err)
		_, err = b.ent.Admit(b.ctx, tn.ID, m)
		require.NoError(t, err)
	}
	return tn.ID, cust
}

func (b *bundle) tick(t testing.TB, at time.Time) error {
	t.Helper()
	b.clock.Set(at)
	return b.h.Tick(b.ctx, funchost.Tick{At: at})
}

func TestUsageReportRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, custA := b.newTenant(t, 2)
	o, custO := b.newTenant(t, 5)
	next := start.Truncate(time.Hour).Add(time.Hour + 5*time.Minute)

	require.NoError(t, b.tick(t, next))
	sent := b.stripe.Requests("/v1/billing/meter_events")
	got := map[string]string{}
	for _, r := range sent {
		got[r.Form.Get("payload[stripe_customer_id]")+"/"+r.Form.Get("event_name")] = r.Form.Get("payload[value]")
	}
	require.Equal(t, map[string]string{
		custA + "/meetings_processed": "2", custO + "/meetings_processed": "5",
		custA + "/active_users": "1", custO + "/active_users": "1",
	}, got, "each tenant's usage goes to its own customer, never another's")
	hour := start.Truncate(time.Hour)
	for _, r := range sent {
		require.Contains(t, []string{
			billing.ReportID(a, billing.Meter(r.Form.Get("event_name")), hour),
			billing.ReportID(o, billing.Meter(r.Form.Get("event_name")), hour),
		}, r.Form.Get("identifier"))
	}

	t.Run("a retry of the same hour sends nothing", func(t *testing.T) {
		require.NoError(t, b.tick(t, next.Add(10*time.Minute)))
		require.Len(t, b.stripe.Requests("/v1/billing/meter_events"), len(sent))
	})
	t.Run("one tenant failing does not stop the others", func(t *testing.T) {
		for _, id := range []tenancy.ID{a, o} {
			m, err := store.ParseMeetingID(tenancy.NewID().String())
			require.NoError(t, err)
			b.clock.Set(next.Add(20 * time.Minute))
			_, err = b.ent.Admit(b.ctx, id, m)
			require.NoError(t, err)
		}
		before := len(b.stripe.Requests("/v1/billing/meter_events"))
		b.stripe.Fail("/v1/billing/meter_events", 1)
		err := b.tick(t, next.Add(time.Hour))
		require.ErrorIs(t, err, billing.ErrStripeUnavailable)
		require.Len(t, b.stripe.Requests("/v1/billing/meter_events"), before+3, "the first tenant stopped at its failed event; the other sent both")
		require.NoError(t, b.tick(t, next.Add(time.Hour+5*time.Minute)))
		require.Len(t, b.stripe.Requests("/v1/billing/meter_events"), before+5, "the next run sends the first tenant's two")
	})
}

func TestUsageReportSuspendsWhenGraceEnds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, _ := b.newTenant(t, 0)
	grace := start.Add(time.Hour)
	require.NoError(t, tenancy.WithTx(b.ctx, b.db.App, a, func(tx pgx.Tx) error {
		_, err := tx.Exec(b.ctx, `UPDATE tenants SET grace_until = $2 WHERE id = $1`, a, grace)
		return err
	}))
	require.NoError(t, b.tick(t, start.Add(5*time.Minute)))
	acct, err := b.ent.Account(b.ctx, a)
	require.NoError(t, err)
	require.Equal(t, tenancy.StatusActive, acct.Status, "grace still runs")

	require.NoError(t, b.tick(t, grace.Add(5*time.Minute)))
	acct, err = b.ent.Account(b.ctx, a)
	require.NoError(t, err)
	require.Equal(t, tenancy.StatusSuspended, acct.Status)
	mails := b.mails(t)
	require.Len(t, mails, 1)
	require.Contains(t, mails[0], "suspended")

	require.NoError(t, b.tick(t, grace.Add(65*time.Minute)))
	acct, err = b.ent.Account(b.ctx, a)
	require.NoError(t, err)
	require.Equal(t, tenancy.StatusSuspended, acct.Status, "stays suspended")
	require.Len(t, b.mails(t), 1, "the notice was sent once")
}

func (b *bundle) mails(t testing.TB) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.Walk(b.mailDir, func(p string, _ os.FileInfo, err error) error {
		if err == nil && filepath.Ext(p) == ".eml" {
			body, rerr := os.ReadFile(p)
			require.NoError(t, rerr)
			out = append(out, string(body))
		}
		return err
	}))
	return out
}

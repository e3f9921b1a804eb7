package stripewebhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/billing/billingtest"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/logging/logtest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

const secret = "whsec_function_test"

type bundle struct {
	ctx    context.Context
	db     *dbtest.DB
	pool   *pgxpool.Pool
	stripe *billingtest.Stripe
	now    time.Time
	serve  http.Handler
	logs   *logtest.Buffer
	tenant tenancy.ID
	cust   string
	sub    string
}

func setup(t testing.TB) *bundle {
	t.Helper()
	b := &bundle{ctx: context.Background(), db: dbtest.New(t), stripe: billingtest.New(t), now: time.Now().UTC(), logs: &logtest.Buffer{}}
	pool, err := pgxpool.New(b.ctx, b.db.AppURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	b.pool = pool
	base, _ := url.Parse(b.stripe.URL)
	client, err := billing.NewClient(billing.Config{SecretKey: billingtest.SecretKey, APIBase: base, MaxNetworkRetries: -1,
		Prices: billing.Prices{billing.PriceStarter: "price_starter", billing.PricePro: "price_pro"}})
	require.NoError(t, err)
	log := slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ent := billing.NewEntitlements(pool, nil, func() time.Time { return b.now })
	hooks, err := billing.NewWebhooks(pool, client, ent, nil, billing.WebhookConfig{Secret: secret, Now: func() time.Time { return b.now }, Logger: log})
	require.NoError(t, err)
	b.serve = funchost.New(funchost.Options{Logger: log}).HTTP("StripeWebhook", New(hooks, log).Serve, funchost.MaxBody(RouteMaxBody))

	tn, _, err := tenancy.NewRegistry(pool).Create(b.ctx, tenancy.NewTenant{Name: "Fabrikam"})
	require.NoError(t, err)
	b.tenant, b.cust, b.sub = tn.ID, "cus_"+tn.ID.String()[:8], "sub_"+tn.ID.String()[:8]
	require.NoError(t, tenancy.WithTx(b.ctx, pool, tn.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(b.ctx, `UPDATE tenants SET billing_customer_id = $2 WHERE id = $1`, tn.ID, b.cust)
		return err
	}))
	b.stripe.SetCustomer(b.cust, tn.ID.String())
	return b
}

func (b *bundle) subscription(status, price string, seats int64) billingtest.Subscription {
	return billingtest.Subscription{ID: b.sub, Customer: b.cust, Status: status, Tenant: b.tenant.String(),
		Items: []billingtest.Item{{Price: price, Quantity: seats}}}
}

var seq struct {
	mu sync.Mutex
	n  int
}

func eventID() string {
	seq.mu.Lock()
	defer seq.mu.Unlock()
	seq.n++
	return "evt_fn_" + tenancy.NewID().String()[:8]
}

// post delivers body with the Stripe-Signature header (none when header is "").
func (b *bundle) post(t testing.TB, body []byte, header string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/stripe/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if header != "" {
		req.Header.Set("Stripe-Signature", header)
	}
	rec := httptest.NewRecorder()
	b.serve.ServeHTTP(rec, req)
	return rec
}

func (b *bundle) signed(e billingtest.Event) ([]byte, string) {
	p := e.Payload()
	return p, billingtest.Sign(p, secret, b.now)
}

func outcome(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var r reply
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r))
	require.True(t, r.Received)
	return r.Outcome
}

func (b *bundle) plan(t testing.TB) (plan string, seats int) {
	t.Helper()
	require.NoError(t, tenancy.WithReadTx(b.ctx, b.pool, b.tenant, func(tx pgx.Tx) error {
		return tx.QueryRow(b.ctx, `SELECT plan, seats FROM tenants WHERE id = $1`, b.tenant).Scan(&plan, &seats)
	}))
	return plan, seats
}

func TestWebhookRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pro := b.subscription("active", "price_pro", 6)
	b.stripe.SetSubscription(pro)
	ev := billingtest.Event{ID: eventID(), Type: "customer.subscription.updated", Object: billingtest.SubscriptionObject(pro)}
	body, header := b.signed(ev)

	bad := func(name string, body []byte, header string, reason billing.VerifyReason) {
		t.Run(name, func(t *testing.T) {
			rec := b.post(t, body, header)
			require.Equal(t, http.StatusBadRequest, rec.Code)
			require.NotContains(t, rec.Body.String(), "whsec_", "never echo secrets")
			require.Contains(t, b.logs.String(), string(reason))
		})
	}
	bad("wrong secret", body, billingtest.Sign(body, "whsec_wrong", b.now), billing.ReasonBadSignature)
	bad("stale timestamp", body, billingtest.Sign(body, secret, b.now.Add(-6*time.Minute)), billing.ReasonTooOld)
	bad("tampered body", bytes.Replace(body, []byte(`"quantity":6`), []byte(`"quantity":600`), 1), header, billing.ReasonBadSignature)
	bad("missing header", body, "", billing.ReasonNotSigned)
	other := ev
	other.APIVersion = "2025-03-31.basil"
	ob, oh := b.signed(other)
	bad("api version mismatch", ob, oh, billing.ReasonAPIVersionMismatch)
	junk := make([]byte, 2<<20)
	_, _ = rand.Read(junk)
	bad("2 MB junk", junk, "", billing.ReasonTooLarge)
	bad("2 MB junk, signed", junk, billingtest.Sign(junk, secret, b.now), billing.ReasonTooLarge)
	bad("not json", []byte("hello"), billingtest.Sign([]byte("hello"), secret, b.now), billing.ReasonMalformed)
	t.Run("beyond the route limit: the adapter's 413", func(t *testing.T) {
		rec := b.post(t, make([]byte, RouteMaxBody+1), "")
		require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	})
	plan, _ := b.plan(t)
	require.Equal(t, "starter", plan, "nothing refused changed anything")
	require.NotContains(t, b.logs.String(), `"quantity"`, "bodies are never logged")

	t.Run("valid, then the same event three times", func(t *testing.T) {
		require.Equal(t, "applied", outcome(t, b.post(t, body, header)))
		for range 2 {
			require.Equal(t, "duplicate", outcome(t, b.post(t, body, header)))
		}
		plan, seats := b.plan(t)
		require.Equal(t, "pro", plan)
		require.Equal(t, 6, seats)
		var n int
		require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT count(*) FROM processed_webhook_events WHERE event_id = $1`, ev.ID).Scan(&n))
		require.Equal(t, 1, n)
	})
}

func TestWebhookOutOfOrderDelivery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := b.subscription("active", "price_pro", 9)
	b.stripe.SetSubscription(now)
	updated := billingtest.Event{ID: eventID(), Type: "customer.subscription.updated", Object: billingtest.SubscriptionObject(now),
		Created: time.Unix(1_700_000_100, 0)}
	created := billingtest.Event{ID: eventID(), Type: "customer.subscription.created",
		Object: billingtest.SubscriptionObject(b.subscription("incomplete", "price_starter", 1)), Created: time.Unix(1_700_000_000, 0)}
	ub, uh := b.signed(updated)
	cb, ch := b.signed(created)
	require.Equal(t, "applied", outcome(t, b.post(t, ub, uh)))
	require.Equal(t, "applied", outcome(t, b.post(t, cb, ch)))
	plan, seats := b.plan(t)
	require.Equal(t, "pro", plan, "the late created event did not roll the plan back")
	require.Equal(t, 9, seats)
}

func TestWebhookUnknownCustomerIsAcknowledged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := billingtest.Subscription{ID: "sub_nobody", Customer: "cus_nobody", Status: "active"}
	b.stripe.SetSubscription(s)
	b.stripe.SetCustomer("cus_nobody", "")
	body, header := b.signed(billingtest.Event{ID: eventID(), Type: "customer.subscription.updated", Object: billingtest.SubscriptionObject(s)})
	require.Equal(t, "unknown_customer", outcome(t, b.post(t, body, header)))
	require.Contains(t, b.logs.String(), "unknown customer")
	require.Equal(t, "duplicate", outcome(t, b.post(t, body, header)))
}

func TestWebhookFailsWith5xxOnlyWhenOurSideFails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pro := b.subscription("active", "price_pro", 2)
	b.stripe.SetSubscription(pro)
	body, header := b.signed(billingtest.Event{ID: eventID(), Type: "customer.subscription.updated", Object: billingtest.SubscriptionObject(pro)})

	t.Run("stripe down", func(t *testing.T) {
		b.stripe.Fail("/v1/subscriptions/", 1)
		rec := b.post(t, body, header)
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	})
	t.Run("database down", func(t *testing.T) {
		b.pool.Close()
		rec := b.post(t, body, header)
		require.GreaterOrEqual(t, rec.Code, 500)
		require.NotContains(t, rec.Body.String(), "closed pool", "internal errors are not shown")
	})
	t.Run("bad input stays 400 even then", func(t *testing.T) {
		rec := b.post(t, []byte(strings.Repeat("x", 100)), "t=1,v1=00")
		require.Equal(t, http.StatusBadRequest, rec.Code)
	})
}

// Package billingtest runs the Stripe side of billing tests: stripe-mock (started through
// shared/emulatortest) behind a recording proxy, and webhook events signed with stripe-go's
// own test helper. It is for tests only.
//
// stripe-mock validates every request (URL, parameters, authentication) and answers with its
// fixtures, but it is stateless by design: a subscription read back always has the fixture's
// status and price. Scenarios that need Stripe's current state to be something specific
// (past_due, a Pro price, 5 seats) overlay those fields on stripe-mock's answer for that one
// object with Set*; every request still reaches stripe-mock, and everything else in the
// answer is stripe-mock's.
package billingtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/meetingminutes/minutes/shared/emulatortest"
)

// SecretKey is a test-mode key stripe-mock accepts.
const SecretKey = "sk_test_minutes"

// Request is one request the proxy forwarded.
type Request struct {
	Method string
	Path   string
	// Form is the decoded form body (POST) or query (GET).
	Form           url.Values
	IdempotencyKey string
}

// Stripe is stripe-mock behind the proxy.
type Stripe struct {
	// URL is the proxy's base URL: the value of STRIPE_API_BASE.
	URL  string
	mock string

	mu       sync.Mutex
	overlay  map[string]map[string]any
	requests []Request
	fail     map[string]int
	gone     map[string]bool
}

// New starts the proxy in front of the process's stripe-mock; closed on cleanup.
func New(t testing.TB) *Stripe {
	t.Helper()
	sm := emulatortest.StripeMock(t)
	s := &Stripe{mock: sm.URL, overlay: map[string]map[string]any{}, fail: map[string]int{}, gone: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

var client = &http.Client{Timeout: 30 * time.Second}

func (s *Stripe) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	if r.Method == http.MethodGet {
		form = r.URL.Query()
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Form: form, IdempotencyKey: r.Header.Get("Idempotency-Key")})
	failing := false
	for prefix, n := range s.fail {
		if n > 0 && strings.HasPrefix(r.URL.Path, prefix) {
			s.fail[prefix] = n - 1
			failing = true
			break
		}
	}
	over := s.overlay[r.URL.Path]
	missing := s.gone[r.URL.Path]
	s.mu.Unlock()
	if missing {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such object (test)"}}`)
		return
	}
	if failing {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error":{"type":"api_error","message":"stripe is down (test)"}}`)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, s.mock+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	res, err := client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if over != nil && r.Method == http.MethodGet && res.StatusCode == http.StatusOK {
		var m map[string]any
		if json.Unmarshal(out, &m) == nil {
			for k, v := range over {
				m[k] = v
			}
			out, _ = json.Marshal(m)
		}
	}
	for k, v := range res.Header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(out)
}

// Set overlays fields on stripe-mock's answer to GET path (e.g. /v1/subscriptions/sub_1).
func (s *Stripe) Set(path string, fields map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := map[string]any{}
	for k, v := range s.overlay[path] {
		cp[k] = v
	}
	for k, v := range fields {
		cp[k] = v
	}
	s.overlay[path] = cp
}

// Gone makes reads of path answer 404 resource_missing, as Stripe does for an object that
// does not exist in the account.
func (s *Stripe) Gone(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone[path] = true
}

// Fail makes the next n requests whose path starts with prefix answer 500.
func (s *Stripe) Fail(prefix string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[prefix] = n
}

// Requests returns the forwarded requests whose path starts with prefix, in order.
func (s *Stripe) Requests(prefix string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// Item is one subscription item.
type Item struct {
	Price    string
	Quantity int64
}

// Subscription is the state a scenario gives a subscription.
type Subscription struct {
	ID       string
	Customer string
	Status   string
	Items    []Item
	// Tenant goes into metadata.tenant_id ("" for none).
	Tenant            string
	PeriodStart       time.Time
	PeriodEnd         time.Time
	TrialEnd          time.Time
	CancelAtPeriodEnd bool
}

// SetSubscription overlays s on reads of /v1/subscriptions/{s.ID}. The period is written on
// the items, where current API versions keep it, and on the subscription, where 2023-10-16
// kept it.
func (s *Stripe) SetSubscription(sub Subscription) {
	s.Set("/v1/subscriptions/"+sub.ID, SubscriptionObject(sub))
}

// SubscriptionObject renders sub as a Stripe subscription object (also an event's
// data.object).
func SubscriptionObject(sub Subscription) map[string]any {
	var items []any
	for i, it := range sub.Items {
		items = append(items, map[string]any{
			"id": sub.ID + "_si" + string(rune('a'+i)), "object": "subscription_item", "quantity": it.Quantity,
			"price":                map[string]any{"id": it.Price, "object": "price", "active": true, "currency": "usd"},
			"current_period_start": unix(sub.PeriodStart), "current_period_end": unix(sub.PeriodEnd),
		})
	}
	meta := map[string]any{}
	if sub.Tenant != "" {
		meta["tenant_id"] = sub.Tenant
	}
	return map[string]any{
		"id": sub.ID, "object": "subscription", "customer": sub.Customer, "status": sub.Status, "metadata": meta,
		"items":                map[string]any{"object": "list", "data": items, "has_more": false},
		"current_period_start": unix(sub.PeriodStart), "current_period_end": unix(sub.PeriodEnd),
		"trial_end": nullableUnix(sub.TrialEnd), "cancel_at_period_end": sub.CancelAtPeriodEnd,
	}
}

// Invoice is the state a scenario gives an invoice.
type Invoice struct {
	ID           string
	Customer     string
	Subscription string
	// Status is draft, open, paid, void or uncollectible.
	Status       string
	AttemptCount int
}

// SetInvoice overlays inv on reads of /v1/invoices/{inv.ID}.
func (s *Stripe) SetInvoice(inv Invoice) { s.Set("/v1/invoices/"+inv.ID, InvoiceObject(inv)) }

// InvoiceObject renders inv as a Stripe invoice object.
func InvoiceObject(inv Invoice) map[string]any {
	return map[string]any{"id": inv.ID, "object": "invoice", "customer": inv.Customer, "subscription": inv.Subscription,
		"status": inv.Status, "paid": inv.Status == "paid", "attempt_count": inv.AttemptCount,
		"hosted_invoice_url": "https://invoice.stripe.com/i/" + inv.ID}
}

// SetCustomer overlays a customer's metadata.tenant_id ("" for none).
func (s *Stripe) SetCustomer(id, tenant string) {
	meta := map[string]any{}
	if tenant != "" {
		meta["tenant_id"] = tenant
	}
	s.Set("/v1/customers/"+id, map[string]any{"id": id, "object": "customer", "metadata": meta, "deleted": nil})
}

// CheckoutSession is the state a scenario gives a completed Checkout session.
type CheckoutSession struct {
	ID, Tenant, Customer, Subscription string
}

// SetCheckoutSession overlays cs on reads of /v1/checkout/sessions/{cs.ID}.
func (s *Stripe) SetCheckoutSession(cs CheckoutSession) {
	s.Set("/v1/checkout/sessions/"+cs.ID, CheckoutSessionObject(cs))
}

// CheckoutSessionObject renders cs as a completed Checkout session object.
func CheckoutSessionObject(cs CheckoutSession) map[string]any {
	return map[string]any{"id": cs.ID, "object": "checkout.session", "client_reference_id": cs.Tenant,
		"customer": cs.Customer, "subscription": cs.Subscription, "status": "complete", "mode": "subscription"}
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func nullableUnix(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// Event is a webhook event to deliver.
type Event struct {
	ID   string
	Type string
	// Object is data.object (see the *Object functions).
	Object  map[string]any
	Created time.Time
	// APIVersion defaults to stripe-go's pinned version.
	APIVersion string
}

// Payload renders e as Stripe sends it.
func (e Event) Payload() []byte {
	v := e.APIVersion
	if v == "" {
		v = stripe.APIVersion
	}
	created := e.Created
	if created.IsZero() {
		created = time.Unix(1_700_000_000, 0)
	}
	b, err := json.Marshal(map[string]any{
		"id": e.ID, "object": "event", "type": e.Type, "api_version": v, "created": created.Unix(),
		"livemode": false, "pending_webhooks": 1, "data": map[string]any{"object": e.Object},
		"request": map[string]any{"id": nil, "idempotency_key": nil},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// Sign returns the Stripe-Signature header of payload signed with secret at at, made by
// stripe-go's webhook.GenerateTestSignedPayload.
func Sign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

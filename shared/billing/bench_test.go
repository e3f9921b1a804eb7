package billing_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/billing/billingtest"
)

// BenchmarkParseEvent is signature verification alone: HMAC-SHA256 over a typical
// subscription event, the tolerance and API-version checks, and the event's decoding.
func BenchmarkParseEvent(b *testing.B) {
	now := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	payload := sampleEvent().Payload()
	header := billingtest.Sign(payload, webhookSecret, now)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := billing.ParseEvent(payload, header, webhookSecret, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWebhookVerifyAndApply is a whole delivery of a new event: verify, the dedupe
// check, re-reading the subscription from stripe-mock (over loopback HTTP), and the tenant
// transaction that records the event and writes the state. BenchmarkWebhookDuplicate is a
// redelivery (verify and the dedupe check only).
func BenchmarkWebhookVerifyAndApply(b *testing.B) {
	bb := setup(b)
	f := bb.newTenant(b, tenantOpts{})
	sub := f.subscription("active", pricePro, 5)
	bb.stripe.SetSubscription(sub)
	obj := billingtest.SubscriptionObject(sub)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		e := billingtest.Event{ID: "evt_bench_" + strconv.Itoa(n), Type: "customer.subscription.updated", Object: obj}
		payload := e.Payload()
		res, err := bb.hooks.Handle(bb.ctx, payload, billingtest.Sign(payload, webhookSecret, bb.clock.Now()))
		if err != nil || res.Outcome != billing.OutcomeApplied {
			b.Fatal(err, res.Outcome)
		}
	}
}

func BenchmarkWebhookDuplicate(b *testing.B) {
	bb := setup(b)
	f := bb.newTenant(b, tenantOpts{})
	sub := f.subscription("active", pricePro, 5)
	bb.stripe.SetSubscription(sub)
	e := billingtest.Event{ID: "evt_bench_dup", Type: "customer.subscription.updated", Object: billingtest.SubscriptionObject(sub)}
	payload := e.Payload()
	header := billingtest.Sign(payload, webhookSecret, bb.clock.Now())
	if _, err := bb.hooks.Handle(bb.ctx, payload, header); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := bb.hooks.Handle(bb.ctx, payload, header)
		if err != nil || res.Outcome != billing.OutcomeDuplicate {
			b.Fatal(err, res.Outcome)
		}
	}
}

// Package billing is Stripe for Meeting Minutes: a customer per tenant, Checkout and Customer
// Portal sessions, the plan ↔ price mapping, entitlements (plan, seats, quota, features), the
// account lifecycle (trial → active → grace → suspended → reinstated, cancelled), webhook
// events applied once, and usage reported as Billing Meter events.
//
// It is built on stripe-go v76, which pins Stripe API version 2023-10-16: the webhook
// endpoint must be created with that api_version, or every event is refused (400).
//
// Invariants:
//   - every Stripe event id is applied at most once: its processed_webhook_events row is
//     inserted in the same transaction as its effect, so a redelivery (or three concurrent
//     ones) finds the row and changes nothing;
//   - an event's snapshot is never trusted for state: the subscription, invoice or Checkout
//     session it names is re-read from Stripe, so events arriving out of order all converge on
//     Stripe's current state; a read older than the one already applied is not written
//     (tenants.billing_synced_at);
//   - the tenant of an event is the tenant_id our own code put in the Stripe object's
//     metadata (or a Checkout session's client_reference_id), and it must own the event's
//     customer (tenants.billing_customer_id): anything else is an unknown customer,
//     acknowledged and logged, never retried;
//   - every tenant row is read and written in that tenant's transaction (tenancy.WithTx), so
//     row-level security holds: no code here sets the registry setting;
//   - a meeting beyond the quota is held (billing_meetings, state 'held'), never dropped, and
//     admitted when the tenant upgrades, is reinstated or its period rolls over;
//   - a meter event's identifier is derived from (tenant, meter, hour), so a retried report
//     is deduplicated by Stripe and never double counts;
//   - time comes from the injected clock wherever it decides something (grace, periods,
//     webhook tolerance, hour buckets).
package billing

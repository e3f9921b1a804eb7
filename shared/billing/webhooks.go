package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/config"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// KeyEventID and KeyEventType are the log keys of a Stripe event.
const (
	KeyEventID   = "stripe_event_id"
	KeyEventType = "stripe_event_type"
)

// Outcome is what applying one event did.
type Outcome string

// Outcomes.
const (
	// OutcomeApplied: the event's effect was committed with its processed row.
	OutcomeApplied Outcome = "applied"
	// OutcomeDuplicate: the event was applied before; nothing changed.
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeIgnored: a type we do not act on; acknowledged, not recorded.
	OutcomeIgnored Outcome = "ignored"
	// OutcomeUnknownCustomer: no tenant of ours owns the event's customer (or the object is
	// gone from Stripe); acknowledged, recorded and logged, so it is never retried.
	OutcomeUnknownCustomer Outcome = "unknown_customer"
)

// Result is what Handle or Apply did with one event.
type Result struct {
	Event   Event
	Outcome Outcome
	Tenant  tenancy.ID
	// Released is how many held meetings the change admitted.
	Released int
	// Notices are the emails the change called for (sent after commit).
	Notices []Notice
}

// WebhookConfig configures Webhooks.
type WebhookConfig struct {
	// Secret is STRIPE_WEBHOOK_SECRET (whsec_...). Required.
	Secret config.Secret
	// Now is the clock (tolerance, grace, periods); default time.Now.
	Now func() time.Time
	// Logger; default discards.
	Logger *slog.Logger
}

// Webhooks verifies Stripe webhook events and applies each once.
type Webhooks struct {
	db       tenancy.Beginner
	client   *Client
	ent      *Entitlements
	notifier *Notifier
	secret   config.Secret
	now      func() time.Time
	log      *slog.Logger
}

// NewWebhooks returns the webhook processor. db is the control-plane pool (runtime role);
// ent admits held meetings after an upgrade or reinstatement; notifier may be nil.
func NewWebhooks(db tenancy.Beginner, c *Client, ent *Entitlements, notifier *Notifier, cfg WebhookConfig) (*Webhooks, error) {
	if !cfg.Secret.IsSet() {
		return nil, &config.Error{Key: "STRIPE_WEBHOOK_SECRET", Reason: "not set"}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Webhooks{db: db, client: c, ent: ent, notifier: notifier, secret: cfg.Secret, now: cfg.Now, log: cfg.Logger}, nil
}

// Handle verifies one webhook request (raw body and Stripe-Signature header) and applies its
// event. A *VerifyError means bad input (400); any other error means our storage or Stripe
// failed, and Stripe should retry (5xx).
func (w *Webhooks) Handle(ctx context.Context, body []byte, header string) (Result, error) {
	ev, err := ParseEvent(body, header, w.secret.Reveal(), w.now())
	if err != nil {
		return Result{}, err
	}
	return w.Apply(ctx, ev)
}

// handled lists the event types Apply acts on.
func handled(t string) bool {
	switch t {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded",
		"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
		"customer.subscription.trial_will_end", "customer.subscription.paused", "customer.subscription.resumed",
		"invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed", "invoice.payment_action_required":
		return true
	}
	return false
}

// Apply applies a verified event once (see the package invariants).
func (w *Webhooks) Apply(ctx context.Context, ev Event) (Result, error) {
	ctx = logging.With(ctx, slog.String(KeyEventID, ev.ID), slog.String(KeyEventType, ev.Type))
	res := Result{Event: ev}
	if !handled(ev.Type) {
		res.Outcome = OutcomeIgnored
		w.log.DebugContext(ctx, "stripe event ignored")
		return res, nil
	}
	if seen, err := w.seen(ctx, ev.ID); err != nil || seen {
		res.Outcome = OutcomeDuplicate
		return res, err
	}
	readAt := w.now().UTC()
	in, err := w.read(ctx, ev)
	if errors.Is(err, errObjectMissing) {
		return w.unknown(ctx, res, "object_missing")
	}
	if err != nil {
		return res, fmt.Errorf("apply stripe event %s: %w", ev.ID, err)
	}
	tenant, err := tenancy.ParseID(in.tenant)
	if err != nil {
		return w.unknown(ctx, res, "no_tenant_metadata")
	}
	res.Tenant = tenant
	ctx = logging.With(ctx, slog.String(logging.KeyTenantID, tenant.String()))
	reason := ""
	err = tenancy.WithTx(ctx, w.db, tenant, func(tx pgx.Tx) error {
		a, err := loadAccount(ctx, tx, tenant, true)
		if errors.Is(err, errNoTenant) {
			reason = "unknown_tenant"
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case a.Customer == "" && in.link && in.customer != "":
			a.Customer = in.customer // Checkout of a tenant created before its customer was stored
		case a.Customer == "" || (in.customer != "" && in.customer != a.Customer):
			reason = "customer_mismatch"
			return nil
		}
		tag, err := tx.Exec(ctx, `INSERT INTO processed_webhook_events (source, event_id, event_type, tenant_id_hint)
			VALUES ('stripe', $1, $2, $3) ON CONFLICT DO NOTHING`, ev.ID, ev.Type, tenant)
		if err != nil {
			return fmt.Errorf("record stripe event: %w", err)
		}
		if tag.RowsAffected() == 0 {
			res.Outcome = OutcomeDuplicate
			return nil
		}
		c := in.change
		c.Now = readAt
		if c.Subscription != nil && a.SyncedAt != nil && a.SyncedAt.After(readAt) {
			c.Subscription = nil // a newer read of Stripe is already applied
		}
		next, notices := Transition(a, c)
		if c.Subscription != nil {
			next.SyncedAt = &readAt
		}
		if err := saveAccount(ctx, tx, next, readAt); err != nil {
			return err
		}
		released, err := w.ent.release(ctx, tx, next, readAt)
		if err != nil {
			return err
		}
		res.Outcome, res.Released, res.Notices = OutcomeApplied, len(released), notices
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("apply stripe event %s to tenant %s: %w", ev.ID, tenant, err)
	}
	if reason != "" {
		return w.unknown(ctx, res, reason)
	}
	if res.Outcome == OutcomeApplied {
		w.log.InfoContext(ctx, "stripe event applied", "released_meetings", res.Released, "notices", len(res.Notices))
		w.notifier.Send(ctx, res.Notices)
	}
	return res, nil
}

// seen reports whether the event was processed already: a cheap check before reading Stripe.
// The insert inside the applying transaction is what guarantees once.
func (w *Webhooks) seen(ctx context.Context, id string) (bool, error) {
	tx, err := w.db.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return false, fmt.Errorf("check stripe event %s: %w", id, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var seen bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM processed_webhook_events WHERE source = 'stripe' AND event_id = $1)`, id).Scan(&seen); err != nil {
		return false, fmt.Errorf("check stripe event %s: %w", id, err)
	}
	return seen, nil
}

// unknown records an event no tenant of ours owns, so its redeliveries stop at seen, and
// acknowledges it.
func (w *Webhooks) unknown(ctx context.Context, res Result, reason string) (Result, error) {
	tx, err := w.db.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return res, fmt.Errorf("record stripe event %s: %w", res.Event.ID, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, `INSERT INTO processed_webhook_events (source, event_id, event_type)
		VALUES ('stripe', $1, $2) ON CONFLICT DO NOTHING`, res.Event.ID, res.Event.Type); err != nil {
		return res, fmt.Errorf("record stripe event %s: %w", res.Event.ID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("record stripe event %s: %w", res.Event.ID, err)
	}
	res.Outcome, res.Tenant = OutcomeUnknownCustomer, tenancy.ID{}
	w.log.WarnContext(ctx, "stripe event for an unknown customer acknowledged", "reason", reason, "customer", res.Event.Customer)
	return res, nil
}

// input is an event's facts re-read from Stripe.
type input struct {
	tenant   string
	customer string
	// link allows storing customer on a tenant without one (a completed Checkout session
	// names its tenant in client_reference_id, which only our code sets).
	link   bool
	change Change
}

// read re-reads the objects an event names. Ids come from the event (they never change);
// state comes from Stripe now.
func (w *Webhooks) read(ctx context.Context, ev Event) (input, error) {
	var in input
	subID := ev.Subscription
	switch ev.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded":
		cs, err := w.client.checkoutSession(ctx, ev.ObjectID)
		if err != nil {
			return in, err
		}
		in.tenant, in.customer, in.link = first(cs.ClientReference, ev.ClientReference), first(cs.Customer, ev.Customer), true
		subID = first(cs.Subscription, subID)
	case "invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed", "invoice.payment_action_required":
		inv, err := w.client.Invoice(ctx, ev.ObjectID)
		if err != nil {
			return in, err
		}
		in.customer, subID = first(inv.Customer, ev.Customer), first(inv.Subscription, subID)
		switch {
		case (ev.Type == "invoice.paid" || ev.Type == "invoice.payment_succeeded") && inv.Paid:
			in.change.InvoicePaid = &inv
		case (ev.Type == "invoice.payment_failed" || ev.Type == "invoice.payment_action_required") && inv.Open && !inv.Paid:
			in.change.PaymentFailed = &inv
		}
	default: // customer.subscription.*
		subID = ev.ObjectID
		in.change.TrialWillEnd = ev.Type == "customer.subscription.trial_will_end"
	}
	if subID != "" {
		s, err := w.client.Subscription(ctx, subID)
		if err != nil {
			return in, err
		}
		in.change.Subscription = &s
		in.customer = first(in.customer, s.Customer, ev.Customer)
		if in.tenant == "" {
			in.tenant = s.Tenant
		}
	}
	in.customer = first(in.customer, ev.Customer)
	if in.tenant == "" && in.customer != "" {
		t, err := w.client.customerTenant(ctx, in.customer)
		if err != nil {
			return in, err
		}
		in.tenant = t
	}
	return in, nil
}

// first returns the first non-empty value.
func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

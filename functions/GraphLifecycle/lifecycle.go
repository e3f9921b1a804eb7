// Package graphlifecycle implements the GraphLifecycle function (POST /api/graph/lifecycle):
// Graph's lifecycle notifications about our subscriptions (shared/reference/graph.md §2.7).
//
// It answers the validation handshake like GraphNotifications, parses the batch (junk is 400,
// never 5xx), verifies validation tokens when present, and per item, inside a transaction of
// the item's tenant, checks the subscription and its clientState (graphhook.Classify), then
// records the event on the subscription row:
//
//   - reauthorizationRequired: status 'reauthorize' (unless it is already removed or failed);
//   - subscriptionRemoved: status 'removed';
//   - missed: logged; the status is kept.
//
// Each also sets reconcile_from (when notifications may have been lost). The calls that act on
// these (POST /subscriptions/{id}/reauthorize, recreating a removed subscription, and the
// getAllTranscripts reconciliation after any gap) belong to SubscriptionRenewal, which picks up
// what is written here on its next run. Acting on an event twice is harmless, so lifecycle events are not deduplicated.
//
// The answer is 202 with an empty body once the statuses are committed, also when every item
// was dropped; a database failure is 5xx so Graph retries. Nothing logs a clientState or token.
//
// Subscriptions are read with graphhook.LoadSubscriptions, shared with GraphNotifications.
package graphlifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Log keys (snake_case, STYLE rule 18).
const (
	keyAlert          = "graph_alert"
	keySubscriptionID = "subscription_id"
	keyReason         = "reason"
	keyEvent          = "lifecycle_event"
)

// Tenants maps Graph's tenantId to our tenant; *tenancy.Registry implements it.
type Tenants interface {
	ByAzureTenant(ctx context.Context, azure uuid.UUID) (tenancy.Tenant, error)
}

// Config is what the function needs to check validation tokens, when a batch carries any.
type Config struct {
	// AppID is our application (client) id, the tokens' audience; empty drops batches that
	// carry tokens.
	AppID string
	// KeysURL is the JWKS of the signing keys; empty means discovery (DiscoveryURL).
	KeysURL string
	// DiscoveryURL is the OpenID configuration; default graphhook.DefaultDiscoveryURL.
	DiscoveryURL string
	// HTTPClient fetches the keys; nil means graphhook's default.
	HTTPClient *http.Client
	// Now is the clock of token lifetimes; nil means time.Now.
	Now func() time.Time
}

// Handler serves GraphLifecycle.
type Handler struct {
	db       tenancy.Beginner
	tenants  Tenants
	verifier *graphhook.TokenVerifier
	log      *slog.Logger
}

// New returns the handler over the runtime pool db; log nil discards.
func New(db tenancy.Beginner, tenants Tenants, cfg Config, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{db: db, tenants: tenants, log: log}
	if cfg.AppID != "" {
		h.verifier = &graphhook.TokenVerifier{AppID: cfg.AppID, KeysURL: cfg.KeysURL,
			DiscoveryURL: cfg.DiscoveryURL, HTTPClient: cfg.HTTPClient, Now: cfg.Now}
	}
	return h
}

// Serve handles one POST from Graph.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request) error {
	b, handled, err := graphhook.ReadRequest(w, r)
	if handled || err != nil {
		return err
	}
	// Graph holds the lifecycle URL to the notification URL's deadline.
	ctx, cancel := context.WithTimeout(r.Context(), graphhook.AnswerWithin)
	defer cancel()
	verified := true
	if b.NeedsTokenVerification() {
		verified = false
		if h.verifier != nil {
			err := h.verifier.VerifyBatch(ctx, b)
			if errors.Is(err, graphhook.ErrKeysUnavailable) {
				return funchost.Unavailable("graph token signing keys unavailable")
			}
			verified = err == nil
			if err != nil {
				h.log.WarnContext(ctx, "graph lifecycle batch failed token verification", keyAlert, true, "error", err.Error())
			}
		}
	}
	for _, azure := range tenantsOf(b) {
		if err := h.process(ctx, azure, b, verified); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// tenantsOf returns the distinct tenant ids of b's items, uuid.Nil included.
func tenantsOf(b graphhook.Batch) []uuid.UUID {
	var out []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for _, n := range b.Value {
		if !seen[n.TenantID] {
			seen[n.TenantID] = true
			out = append(out, n.TenantID)
		}
	}
	return out
}

// process handles the items of Graph tenant azure in one transaction of our tenant.
func (h *Handler) process(ctx context.Context, azure uuid.UUID, all graphhook.Batch, verified bool) error {
	g := graphhook.Batch{ValidationTokens: all.ValidationTokens}
	for _, n := range all.Value {
		if n.TenantID == azure {
			g.Value = append(g.Value, n)
		}
	}
	if azure == uuid.Nil {
		h.drop(ctx, g.Value, graphhook.ReasonMissingTenant)
		return nil
	}
	t, err := h.tenants.ByAzureTenant(ctx, azure)
	switch {
	case errors.Is(err, tenancy.ErrNotFound):
		h.drop(ctx, g.Value, "unknown_tenant")
		return nil
	case err != nil:
		return fmt.Errorf("resolve entra tenant %s: %w", azure, err)
	}
	ctx = logging.With(ctx, slog.String(logging.KeyTenantID, t.ID.String()))
	err = tenancy.WithTx(ctx, h.db, t.ID, func(tx pgx.Tx) error {
		subs, err := graphhook.LoadSubscriptions(ctx, tx, azure, g.SubscriptionIDs(), false)
		if err != nil {
			return err
		}
		for _, res := range graphhook.Classify(g, graphhook.ClassifyParams{Subscriptions: subs, TokensVerified: verified}) {
			if !res.Valid || res.Kind != graphhook.KindLifecycle {
				reason := res.Reason
				if reason == "" {
					reason = "not_a_lifecycle_event"
				}
				h.drop(ctx, []graphhook.Notification{res.Item}, reason)
				continue
			}
			if err := h.apply(ctx, tx, t.ID, res.Item); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record graph lifecycle events: %w", err)
	}
	return nil
}

// Status updates per event; each keeps a removed or failed subscription as it is, except that
// subscriptionRemoved may remove a failed one.
const (
	setReauthorize = `UPDATE graph_subscriptions SET status = 'reauthorize', reconcile_from = coalesce(reconcile_from, now())
WHERE tenant_id = $1 AND lower(id) = $2 AND status IN ('requested', 'active', 'reauthorize')`
	setRemoved = `UPDATE graph_subscriptions SET status = 'removed', reconcile_from = coalesce(reconcile_from, now())
WHERE tenant_id = $1 AND lower(id) = $2 AND status <> 'removed'`
	// setMissed keeps the status: the subscription works, but notifications were lost.
	setMissed = `UPDATE graph_subscriptions SET reconcile_from = coalesce(reconcile_from, now())
WHERE tenant_id = $1 AND lower(id) = $2`
)

// apply records one valid lifecycle event.
func (h *Handler) apply(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, n graphhook.Notification) error {
	sub := n.SubscriptionID.String()
	attrs := []any{keySubscriptionID, sub, keyEvent, string(n.LifecycleEvent)}
	var sql string
	switch n.LifecycleEvent {
	case graphhook.LifecycleReauthorizationRequired:
		sql = setReauthorize // SubscriptionRenewal reauthorizes and reconciles
	case graphhook.LifecycleSubscriptionRemoved:
		sql = setRemoved // SubscriptionRenewal recreates and reconciles
	case graphhook.LifecycleMissed:
		// Notifications were lost: SubscriptionRenewal reconciles from now on.
		h.log.WarnContext(ctx, "graph subscription missed notifications", attrs...)
		sql = setMissed
	default:
		return nil // Classify accepts only the known events
	}
	if _, err := tx.Exec(ctx, sql, tenant, sub); err != nil {
		return fmt.Errorf("record %s for subscription %s: %w", n.LifecycleEvent, sub, err)
	}
	h.log.InfoContext(ctx, "graph subscription lifecycle event recorded", attrs...)
	return nil
}

// drop logs items that are not acted on; a clientState or tenant mismatch is an alert.
func (h *Handler) drop(ctx context.Context, items []graphhook.Notification, reason string) {
	for _, n := range items {
		attrs := []any{keyReason, reason, keySubscriptionID, n.SubscriptionID.String()}
		switch reason {
		case graphhook.ReasonClientStateMismatch, graphhook.ReasonTenantMismatch, graphhook.ReasonBatchNotVerified:
			attrs = append(attrs, keyAlert, true)
		}
		h.log.WarnContext(ctx, "graph lifecycle notification dropped", attrs...)
	}
}

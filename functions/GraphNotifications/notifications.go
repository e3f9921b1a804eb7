package graphnotifications

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Log keys of this function (snake_case, STYLE rule 18).
const (
	keyAlert          = "graph_alert"
	keySubscriptionID = "subscription_id"
	keyReason         = "reason"
	keyDedupeKey      = "dedupe_key"
)

// Reasons this package adds to graphhook's Reason constants; stable, safe to log.
const (
	reasonUnknownTenant    = "unknown_tenant"
	reasonDecrypt          = "decrypt_failed"
	reasonContentMismatch  = "content_mismatch"
	reasonNotTranscript    = "not_a_transcript"
	reasonTokensNotValid   = "validation_tokens_invalid"
	reasonNoDecryptionKeys = "no_decryption_keys"
)

// Config is what the function needs to trust rich notifications.
type Config struct {
	// AppID is our application (client) id, the audience of validation tokens. Required only
	// to accept batches with validation tokens or encrypted content: without it they are
	// dropped.
	AppID string
	// KeysURL is the JWKS of the token signing keys; empty means discovery (DiscoveryURL).
	KeysURL string
	// DiscoveryURL is the OpenID configuration; default graphhook.DefaultDiscoveryURL.
	DiscoveryURL string
	// HTTPClient fetches the signing keys; nil means graphhook's default client.
	HTTPClient *http.Client
	// Now is the clock of token lifetimes; nil means time.Now.
	Now func() time.Time
	// CertificateKeys maps an encryptionCertificateId to its private key: hold the current
	// and the previous certificate while Graph still uses the old one.
	CertificateKeys map[string]*rsa.PrivateKey
	// GroupCommit, when above zero, is the number of committers that write concurrent
	// requests in shared transactions (see groupCommitter); 0 writes each request in its own.
	GroupCommit int
}

// Handler serves GraphNotifications.
type Handler struct {
	db        tenancy.Beginner
	tenants   Tenants
	enqueuer  Enqueuer
	verifier  *graphhook.TokenVerifier
	decrypter *graphhook.Decrypter
	group     *groupCommitter
	log       *slog.Logger
}

// New returns the handler. db is the runtime pool (tenant transactions), tenants maps Graph
// tenants to ours, enq sends transcript-ingest messages; log nil discards.
func New(db tenancy.Beginner, tenants Tenants, enq Enqueuer, cfg Config, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{db: db, tenants: tenants, enqueuer: enq, log: log,
		decrypter: &graphhook.Decrypter{Keys: cfg.CertificateKeys}}
	if cfg.GroupCommit > 0 {
		h.group = newGroupCommitter(h, cfg.GroupCommit, groupMax)
	}
	if cfg.AppID != "" {
		h.verifier = &graphhook.TokenVerifier{AppID: cfg.AppID, KeysURL: cfg.KeysURL,
			DiscoveryURL: cfg.DiscoveryURL, HTTPClient: cfg.HTTPClient, Now: cfg.Now}
	}
	return h
}

// Serve handles one POST from Graph (see the package documentation).
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request) error {
	b, handled, err := graphhook.ReadRequest(w, r)
	if handled || err != nil {
		return err
	}
	ctx := r.Context()
	verified, err := h.verifyTokens(ctx, b)
	if err != nil {
		return err
	}
	var work []tenantWork
	for _, group := range byTenant(b) {
		tw, ok, err := h.resolve(ctx, group, verified)
		if err != nil {
			return err
		}
		if ok {
			work = append(work, tw)
		}
	}
	if err := h.commit(ctx, work); err != nil {
		return fmt.Errorf("record graph notifications: %w", err)
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// verifyTokens checks the batch's validation tokens if it needs any. A token that fails makes
// the whole batch unverified (every item is then dropped); signing keys out of reach are
// transient: 503, so Graph retries later.
func (h *Handler) verifyTokens(ctx context.Context, b graphhook.Batch) (bool, error) {
	if !b.NeedsTokenVerification() {
		return true, nil
	}
	if h.verifier == nil {
		h.log.WarnContext(ctx, "graph notification batch dropped", keyReason, reasonNoDecryptionKeys, "items", len(b.Value))
		return false, nil
	}
	err := h.verifier.VerifyBatch(ctx, b)
	switch {
	case errors.Is(err, graphhook.ErrKeysUnavailable):
		return false, funchost.Unavailable("graph token signing keys unavailable")
	case err != nil:
		// TokenError carries indexes, tenants and reasons only, never the token.
		h.log.WarnContext(ctx, "graph notification batch failed token verification", keyAlert, true,
			keyReason, reasonTokensNotValid, "error", err.Error(), "items", len(b.Value))
		return false, nil
	}
	return true, nil
}

// tenantGroup is the part of a batch from one Graph tenant, keeping the batch's tokens so
// graphhook.Classify applies the batch-wide verdict.
type tenantGroup struct {
	azure uuid.UUID
	batch graphhook.Batch
}

// byTenant splits b by Graph tenant, in first-seen order; items without a tenant form a group
// of uuid.Nil (Classify drops them).
func byTenant(b graphhook.Batch) []tenantGroup {
	var out []tenantGroup
	index := map[uuid.UUID]int{}
	for _, n := range b.Value {
		i, ok := index[n.TenantID]
		if !ok {
			i = len(out)
			index[n.TenantID] = i
			out = append(out, tenantGroup{azure: n.TenantID, batch: graphhook.Batch{ValidationTokens: b.ValidationTokens}})
		}
		out[i].batch.Value = append(out[i].batch.Value, n)
	}
	return out
}

// tenantWork is one tenant's part of a request, ready to record.
type tenantWork struct {
	ctx      context.Context // the request's, with the tenant on its log context
	tenant   tenancy.ID
	group    tenantGroup
	verified bool
}

// resolve finds the tenant of a group; ok is false when its items were dropped (no tenant,
// unknown or cancelled tenant).
func (h *Handler) resolve(ctx context.Context, g tenantGroup, verified bool) (tenantWork, bool, error) {
	if g.azure == uuid.Nil {
		h.drop(ctx, g.batch.Value, graphhook.ReasonMissingTenant)
		return tenantWork{}, false, nil
	}
	tenant, ok, err := resolveTenant(ctx, h.tenants, g.azure)
	if err != nil {
		return tenantWork{}, false, err
	}
	if !ok {
		h.drop(ctx, g.batch.Value, reasonUnknownTenant)
		return tenantWork{}, false, nil
	}
	ctx = logging.With(ctx, slog.String(logging.KeyTenantID, tenant.String()))
	return tenantWork{ctx: ctx, tenant: tenant, group: g, verified: verified}, true, nil
}

// commit records work durably: through the group committer when there is one, else one
// transaction per tenant.
func (h *Handler) commit(ctx context.Context, work []tenantWork) error {
	if len(work) == 0 {
		return nil
	}
	if h.group != nil {
		return h.group.submit(ctx, work)
	}
	for _, tw := range work {
		if err := tenancy.WithTx(tw.ctx, h.db, tw.tenant, func(tx pgx.Tx) error { return h.record(tx, tw) }); err != nil {
			return err
		}
	}
	return nil
}

// record classifies one tenant's items inside tx (whose tenant is tw.tenant) and writes a
// receipt, and the first time a message, for each valid one.
func (h *Handler) record(tx pgx.Tx, tw tenantWork) error { return h.recordAll(tx, []tenantWork{tw}) }

// recordAll is record for several parts of one tenant (one Graph tenant), reading their
// subscriptions once.
func (h *Handler) recordAll(tx pgx.Tx, parts []tenantWork) error {
	var ids []uuid.UUID
	for _, tw := range parts {
		ids = append(ids, tw.group.batch.SubscriptionIDs()...)
	}
	subs, err := graphhook.LoadSubscriptions(parts[0].ctx, tx, parts[0].group.azure, ids, true)
	if err != nil {
		return err
	}
	var items []item
	for _, tw := range parts {
		results := graphhook.Classify(tw.group.batch, graphhook.ClassifyParams{Subscriptions: subs, TokensVerified: tw.verified})
		for _, res := range results {
			if msg, ok := h.accept(tw.ctx, tw.tenant, res); ok {
				items = append(items, item{tw.ctx, res, msg})
			}
		}
	}
	// Rows are locked in dedupe-key order, so concurrent transactions holding the same
	// redelivered notifications never wait on each other in a cycle.
	slices.SortStableFunc(items, func(a, b item) int { return strings.Compare(a.res.DedupeKey, b.res.DedupeKey) })
	if len(items) == 0 {
		return nil
	}
	return h.recordItems(parts[0].ctx, tx, parts[0].tenant, items)
}

// Message is the body of the transcript-ingest message (the contract with TranscriptIngest).
type Message = pipeline.IngestMessage

// accept turns a classified item into the message to send, or logs why it is dropped.
func (h *Handler) accept(ctx context.Context, tenant tenancy.ID, res graphhook.Result) (Message, bool) {
	n := res.Item
	if !res.Valid {
		h.drop(ctx, []graphhook.Notification{n}, res.Reason)
		return Message{}, false
	}
	switch res.Kind {
	case graphhook.KindCallRecord:
		// A Teams call ended: TranscriptIngest records the meeting and waits for its
		// transcript (call records carry no resource data to decrypt).
		return Message{Kind: pipeline.IngestCallEnded, TenantID: tenant, SubscriptionID: n.SubscriptionID.String(),
			Resource: n.Resource, ChangeType: string(n.ChangeType), CallID: res.CallID}, true
	case graphhook.KindTranscript:
	default:
		// Lifecycle events have their own URL (GraphLifecycle).
		h.drop(ctx, []graphhook.Notification{n}, reasonNotTranscript)
		return Message{}, false
	}
	m := Message{
		Kind: pipeline.IngestTranscript, TenantID: tenant, SubscriptionID: n.SubscriptionID.String(), Resource: n.Resource,
		UserID: res.Transcript.UserID, MeetingID: res.Transcript.MeetingID,
		TranscriptID: res.Transcript.TranscriptID, ChangeType: string(n.ChangeType),
	}
	if n.EncryptedContent != nil {
		content, err := h.decrypter.Decrypt(*n.EncryptedContent)
		if err != nil {
			// DecryptError carries the certificate id and a reason, never content or keys.
			h.log.WarnContext(ctx, "graph notification dropped", keyAlert, true, keyReason, reasonDecrypt,
				keySubscriptionID, n.SubscriptionID.String(), "error", err.Error())
			return Message{}, false
		}
		var ct callTranscript
		if err := json.Unmarshal(content, &ct); err != nil || (ct.ID != "" && ct.ID != m.TranscriptID) {
			h.drop(ctx, []graphhook.Notification{n}, reasonContentMismatch)
			return Message{}, false
		}
		if m.UserID == "" && ct.MeetingOrganizer.User != nil {
			m.UserID = ct.MeetingOrganizer.User.ID
		}
		m.CallID = ct.CallID
	}
	return m, true
}

// callTranscript is the part of a decrypted callTranscript we use.
type callTranscript struct {
	ID               string `json:"id"`
	CallID           string `json:"callId"`
	MeetingOrganizer struct {
		User *struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"meetingOrganizer"`
}

// item is one accepted notification on its way to a receipt.
type item struct {
	ctx context.Context
	res graphhook.Result
	msg Message
}

// recordItems writes the receipts of items (sorted by key) in one statement and sends the
// messages of the new ones in one call. A redelivered notification only counts one more
// delivery on its receipt; a receipt recorded without its message (by an older build) gets
// it now.
func (h *Handler) recordItems(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, items []item) error {
	var (
		keys, subs, changes, resources []string
		counts                         []int32
		first                          = map[string]item{}
	)
	for _, it := range items {
		k := it.res.DedupeKey
		if _, seen := first[k]; seen {
			counts[len(counts)-1]++ // sorted: duplicates are adjacent
			continue
		}
		first[k] = it
		n := it.res.Item
		keys, subs, changes, resources = append(keys, k), append(subs, n.SubscriptionID.String()),
			append(changes, string(n.ChangeType)), append(resources, n.Resource)
		counts = append(counts, 1)
	}
	rows, err := tx.Query(ctx, upsertReceipts, tenant, keys, subs, changes, resources, counts)
	if err != nil {
		return fmt.Errorf("record receipts: %w", err)
	}
	var out []queue.Outgoing
	for rows.Next() {
		var (
			key               string
			inserted, pending bool
		)
		if err := rows.Scan(&key, &inserted, &pending); err != nil {
			rows.Close()
			return fmt.Errorf("record receipts: %w", err)
		}
		if inserted || pending {
			out = append(out, queue.Outgoing{ID: key, Body: first[key].msg, TenantID: tenant})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("record receipts: %w", err)
	}
	if len(out) == 0 {
		h.log.DebugContext(ctx, "graph notifications redelivered", "count", len(keys))
		return nil
	}
	if err := h.enqueuer.Enqueue(ctx, tx, tenant, out); err != nil {
		return err
	}
	h.log.InfoContext(ctx, "transcript notifications enqueued", "count", len(out))
	return nil
}

// drop logs items that are not acted on. A clientState mismatch is an alert: someone knows a
// subscription id but not its secret.
func (h *Handler) drop(ctx context.Context, items []graphhook.Notification, reason string) {
	for _, n := range items {
		attrs := []any{keyReason, reason, keySubscriptionID, n.SubscriptionID.String()}
		switch reason {
		case graphhook.ReasonClientStateMismatch, graphhook.ReasonTenantMismatch, graphhook.ReasonBatchNotVerified:
			h.log.WarnContext(ctx, "graph notification dropped", append(attrs, keyAlert, true)...)
		case reasonNotTranscript:
			h.log.InfoContext(ctx, "graph notification ignored", attrs...)
		default:
			h.log.WarnContext(ctx, "graph notification dropped", attrs...)
		}
	}
}

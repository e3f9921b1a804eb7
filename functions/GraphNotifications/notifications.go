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
	// AnswerWithin bounds the work of one request: what is not recorded by then answers 503
	// (Graph redelivers; the receipts make the redelivery harmless), so a stalled database
	// fails fast rather than slowly. Default graphhook.AnswerWithin.
	AnswerWithin time.Duration
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
	answer    time.Duration
	log       *slog.Logger
}

// New returns the handler. db is the runtime pool (tenant transactions), tenants maps Graph
// tenants to ours, enq sends transcript-ingest messages; log nil discards.
func New(db tenancy.Beginner, tenants Tenants, enq Enqueuer, cfg Config, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{db: db, tenants: tenants, enqueuer: enq, log: log, answer: cfg.AnswerWithin,
		decrypter: &graphhook.Decrypter{Keys: cfg.CertificateKeys}}
	if h.answer <= 0 {
		h.answer = graphhook.AnswerWithin
	}
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
	ctx, cancel := context.WithTimeout(r.Context(), h.answer)
	defer cancel()
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

// commit records work durably: through the group committer when there is one, else in a
// transaction of its own.
func (h *Handler) commit(ctx context.Context, work []tenantWork) error {
	if len(work) == 0 {
		return nil
	}
	if h.group != nil {
		return h.group.submit(ctx, work)
	}
	return h.write(ctx, work)
}

// write records work (of one request or of a group of them) in one transaction. A deadlock
// or serialization failure is the database asking for a retry of the whole transaction;
// anything else is the requests' answer.
func (h *Handler) write(ctx context.Context, work []tenantWork) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = tenancy.WithTenantsTx(ctx, h.db, func(tx pgx.Tx) error { return h.record(ctx, tx, work) })
		if attempt == 3 || !retryable(err) {
			return err
		}
	}
}

// record classifies work inside tx and writes a receipt, and the first time a message, for
// each valid item, in three round trips whatever the number of tenants: every tenant's
// subscriptions, every tenant's receipts (each pipelined behind its tenant switch), every
// message. Tenants go in id order and keys in order within each: every transaction locks rows
// in one global order, so concurrent ones holding the same redelivered notifications never
// wait on each other in a cycle.
func (h *Handler) record(ctx context.Context, tx pgx.Tx, work []tenantWork) error {
	order, parts := byTenantID(work)
	subs := make(map[tenancy.ID]map[uuid.UUID]graphhook.Subscription, len(order))
	b := &pgx.Batch{}
	for _, t := range order {
		var ids []uuid.UUID
		for _, tw := range parts[t] {
			ids = append(ids, tw.group.batch.SubscriptionIDs()...)
		}
		subs[t] = map[uuid.UUID]graphhook.Subscription{}
		if err := tenancy.QueueUse(b, t); err != nil {
			return err
		}
		// One Graph tenant is one of ours: every part of t has the same azure id.
		graphhook.QueueSubscriptions(b, parts[t][0].group.azure, ids, true, subs[t])
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("read subscriptions of %d tenants: %w", len(order), err)
	}

	b = &pgx.Batch{}
	var out []queue.Outgoing
	enqueued := map[tenancy.ID]int{}
	for _, t := range order {
		items := h.accepted(parts[t], subs[t])
		if len(items) == 0 {
			continue
		}
		if err := tenancy.QueueUse(b, t); err != nil {
			return err
		}
		queueReceipts(b, t, items, func(m queue.Outgoing) {
			out = append(out, m)
			enqueued[t]++
		})
	}
	if b.Len() > 0 {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("record receipts: %w", err)
		}
	}
	if len(out) == 0 {
		return nil
	}
	if err := h.enqueuer.Enqueue(ctx, tx, out); err != nil {
		return err
	}
	for _, t := range order {
		if n := enqueued[t]; n > 0 {
			h.log.InfoContext(parts[t][0].ctx, "transcript notifications enqueued", "count", n)
		}
	}
	return nil
}

// byTenantID gathers the parts of work by tenant, tenants in id order.
func byTenantID(work []tenantWork) ([]tenancy.ID, map[tenancy.ID][]tenantWork) {
	var order []tenancy.ID
	parts := map[tenancy.ID][]tenantWork{}
	for _, tw := range work {
		if _, ok := parts[tw.tenant]; !ok {
			order = append(order, tw.tenant)
		}
		parts[tw.tenant] = append(parts[tw.tenant], tw)
	}
	slices.SortFunc(order, func(a, b tenancy.ID) int { return strings.Compare(a.String(), b.String()) })
	return order, parts
}

// accepted classifies one tenant's parts against its subscriptions and returns the items to
// record, sorted by dedupe key; the others are logged and dropped.
func (h *Handler) accepted(parts []tenantWork, subs map[uuid.UUID]graphhook.Subscription) []item {
	var items []item
	for _, tw := range parts {
		results := graphhook.Classify(tw.group.batch, graphhook.ClassifyParams{Subscriptions: subs, TokensVerified: tw.verified})
		for _, res := range results {
			if msg, ok := h.accept(tw.ctx, tw.tenant, res); ok {
				items = append(items, item{tw.ctx, res, msg})
			}
		}
	}
	slices.SortStableFunc(items, func(a, b item) int { return strings.Compare(a.res.DedupeKey, b.res.DedupeKey) })
	return items
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

// queueReceipts queues on b the statement writing the receipts of one tenant's items (sorted
// by key); when the batch runs, send gets the message of each new receipt. A redelivered
// notification only counts one more delivery on its receipt; a receipt recorded without its
// message (by an older build) gets it now.
func queueReceipts(b *pgx.Batch, tenant tenancy.ID, items []item, send func(queue.Outgoing)) {
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
	b.Queue(upsertReceipts, tenant, keys, subs, changes, resources, counts).Query(func(rows pgx.Rows) error {
		var (
			key               string
			inserted, pending bool
		)
		_, err := pgx.ForEachRow(rows, []any{&key, &inserted, &pending}, func() error {
			if inserted || pending {
				send(queue.Outgoing{ID: key, Body: first[key].msg, TenantID: tenant})
			}
			return nil
		})
		return err
	})
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

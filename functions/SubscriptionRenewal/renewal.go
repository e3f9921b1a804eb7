// Package subscriptionrenewal implements the SubscriptionRenewal function (hourly timer): it
// keeps every tenant's two Graph subscriptions alive — transcripts
// (communications/onlineMeetings/getAllTranscripts, rich when an encryption certificate is
// configured) and call records (communications/callRecords) — and catches up on what Graph
// may not have delivered (shared/reference/graph.md §2.7–2.8).
//
// Per tenant and kind, from the graph_subscriptions rows:
//   - none live, or 'requested' (provisioning asked for it): create it, with a fresh random
//     clientState of which only the hash is stored;
//   - 'reauthorize' (a lifecycle event): POST …/reauthorize;
//   - a transcript subscription on an older certificate: PATCH the new one (rotation; the old
//     key stays configured as GRAPH_NOTIFICATION_CERT_PREVIOUS until the rotation is done);
//   - expiring within RenewWithin (12 h): PATCH a new expiry.
//
// A 404 on any of these means Graph dropped the subscription: it is recreated. A 403 means
// consent or permissions are gone: the row is marked failed and the tenant's admins alerted;
// the next run tries again. Throttling and 5xx are recorded and retried next hour.
//
// After any gap (reconcile_from set by GraphLifecycle, or a recreation) the transcripts created
// since then by the tenant's known organizers are listed with getAllTranscripts and sent to
// TranscriptIngest under the notifications' own dedupe keys, so nothing is ingested twice.
package subscriptionrenewal

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Subscription kinds (graph_subscriptions.kind), as pipeline names them.
const (
	KindTranscripts = pipeline.SubscriptionTranscripts
	KindCallRecords = pipeline.SubscriptionCallRecords
)

// GraphClient is the part of *graph.Client this function uses.
type GraphClient interface {
	CreateSubscription(ctx context.Context, r graph.SubscriptionRequest) (graph.Subscription, error)
	RenewSubscription(ctx context.Context, id graph.SubscriptionID, expiresAt time.Time) (graph.Subscription, error)
	RotateSubscriptionCertificate(ctx context.Context, id graph.SubscriptionID, expiresAt time.Time, certificate, certificateID string) (graph.Subscription, error)
	ReauthorizeSubscription(ctx context.Context, id graph.SubscriptionID) error
	TranscriptsSince(ctx context.Context, organizerID graph.UserID, since time.Time) ([]graph.Transcript, error)
}

// Tenants lists the tenant registry; *tenancy.Registry implements it.
type Tenants interface {
	List(ctx context.Context, after tenancy.ID, limit int) ([]tenancy.Tenant, error)
}

// Certificate is a rich-notification encryption certificate (public part).
type Certificate struct {
	// ID is the encryptionCertificateId; Certificate the base64 DER certificate.
	ID, Certificate string
}

// Deps are the function's collaborators and settings.
type Deps struct {
	// DB is the runtime pool: subscription rows are read and written in tenant transactions.
	DB      tenancy.Beginner
	Tenants Tenants
	Stores  store.Resolver
	Graph   func(azureTenant uuid.UUID) (GraphClient, error)
	// Queue sends the transcripts found by reconciliation to TranscriptIngest.
	Queue queue.Sender
	// NotificationURL and LifecycleURL are our two https webhooks.
	NotificationURL, LifecycleURL string
	// Certificate, when set, makes transcript subscriptions rich (encrypted resource data);
	// subscriptions on another certificate are moved to it.
	Certificate *Certificate
	// RenewWithin renews subscriptions expiring sooner than this; default 12 h.
	RenewWithin time.Duration
	// AppID names our app in the admins' alert.
	AppID string
	Now   func() time.Time
	Log   *slog.Logger
}

// Handler runs SubscriptionRenewal.
type Handler struct{ d Deps }

// New returns the handler.
func New(d Deps) *Handler {
	if d.RenewWithin == 0 {
		d.RenewWithin = 12 * time.Hour
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Handler{d: d}
}

// Report counts what one run did.
type Report struct {
	Tenants, Created, Renewed, Reauthorized, Rotated, Recreated, Failed, Reconciled int
}

// pageSize is the tenant page of one registry read.
const pageSize = 200

// Tick runs once over every tenant. One tenant's failure never stops the others; the run fails
// (and the host logs it) only when the registry cannot be read or a tenant's database writes
// fail.
func (h *Handler) Tick(ctx context.Context, _ funchost.Tick) error {
	rep, err := h.Run(ctx)
	h.d.Log.InfoContext(ctx, "subscription renewal done", "tenants", rep.Tenants, "created", rep.Created,
		"renewed", rep.Renewed, "reauthorized", rep.Reauthorized, "rotated", rep.Rotated, "recreated", rep.Recreated,
		"failed", rep.Failed, "reconciled", rep.Reconciled)
	return err
}

// Run is Tick with its report.
func (h *Handler) Run(ctx context.Context) (Report, error) {
	var (
		rep   Report
		after tenancy.ID
		errs  []error
	)
	for {
		page, err := h.d.Tenants.List(ctx, after, pageSize)
		if err != nil {
			return rep, fmt.Errorf("list tenants: %w", err)
		}
		for _, t := range page {
			after = t.ID
			if t.AzureTenantID == nil || t.Status == tenancy.StatusCancelled {
				continue
			}
			rep.Tenants++
			tctx := logging.With(ctx, slog.String(logging.KeyTenantID, t.ID.String()))
			if err := h.tenant(tctx, t, &rep); err != nil {
				h.d.Log.ErrorContext(tctx, "subscription renewal failed for a tenant", "error", err.Error())
				errs = append(errs, err)
			}
		}
		if len(page) < pageSize {
			break
		}
	}
	return rep, errors.Join(errs...)
}

// row is one graph_subscriptions row.
type row struct {
	ID, Kind, Status, CertificateID string
	ExpiresAt                       time.Time
	ReconcileFrom                   *time.Time
}

const loadRows = `SELECT id, kind, status, certificate_id, expires_at, reconcile_from FROM graph_subscriptions
WHERE tenant_id = $1 ORDER BY created_at, id`

func (h *Handler) load(ctx context.Context, t tenancy.ID) ([]row, error) {
	var out []row
	err := tenancy.WithReadTx(ctx, h.d.DB, t, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, loadRows, t)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			return x, r.Scan(&x.ID, &x.Kind, &x.Status, &x.CertificateID, &x.ExpiresAt, &x.ReconcileFrom)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read subscriptions: %w", err)
	}
	return out, nil
}

func live(status string) bool {
	return status == "requested" || status == "active" || status == "reauthorize"
}

// tenant brings one tenant's subscriptions up to date.
func (h *Handler) tenant(ctx context.Context, t tenancy.Tenant, rep *Report) error {
	rows, err := h.load(ctx, t.ID)
	if err != nil {
		return err
	}
	gc, err := h.d.Graph(*t.AzureTenantID)
	if err != nil {
		return fmt.Errorf("graph client: %w", err)
	}
	for _, kind := range pipeline.SubscriptionKinds() {
		var cur *row
		var gapFrom *time.Time // the earliest gap of the kind's dead rows not reconciled yet
		for i := range rows {
			r := &rows[i]
			if r.Kind != kind {
				continue
			}
			if live(r.Status) {
				cur = r
			} else if r.ReconcileFrom != nil && (gapFrom == nil || r.ReconcileFrom.Before(*gapFrom)) {
				gapFrom = r.ReconcileFrom
			}
		}
		if err := h.keep(ctx, t, gc, kind, cur, gapFrom, rep); err != nil {
			return err
		}
	}
	return nil
}

// keep handles one kind of one tenant: every Graph failure is recorded on the row and left
// for the next run; only a failure to record is returned.
func (h *Handler) keep(ctx context.Context, t tenancy.Tenant, gc GraphClient, kind string, cur *row, gapFrom *time.Time, rep *Report) error {
	now := h.d.Now()
	var gerr error
	switch {
	case cur == nil || cur.Status == "requested":
		gerr = h.create(ctx, t, gc, kind, cur, gapFrom, rep)
	case cur.Status == "reauthorize":
		gerr = gc.ReauthorizeSubscription(ctx, graph.SubscriptionID(cur.ID))
		if gerr == nil {
			rep.Reauthorized++
			gerr = h.renew(ctx, t, gc, cur, rep)
		}
	case kind == KindTranscripts && h.d.Certificate != nil && cur.CertificateID != h.d.Certificate.ID:
		var sub graph.Subscription
		sub, gerr = gc.RotateSubscriptionCertificate(ctx, graph.SubscriptionID(cur.ID), time.Time{}, h.d.Certificate.Certificate, h.d.Certificate.ID)
		if gerr == nil {
			rep.Rotated++
			gerr = h.recordRenewal(ctx, t.ID, cur.ID, sub.ExpiresAt, h.d.Certificate.ID)
		}
	case cur.ExpiresAt.Sub(now) < h.d.RenewWithin:
		gerr = h.renew(ctx, t, gc, cur, rep)
	}
	if gerr != nil && graph.IsNotFound(gerr) && cur != nil && cur.Status != "requested" {
		// Graph dropped it (they vanish silently, §2.7): recreate, and reconcile from when
		// it was last known good.
		h.d.Log.WarnContext(ctx, "graph subscription vanished; recreating", "kind", kind)
		gap := cur.ReconcileFrom
		if gap == nil {
			g := now.Add(-h.d.RenewWithin)
			gap = &g
		}
		if gerr = h.create(ctx, t, gc, kind, cur, gap, rep); gerr == nil {
			rep.Recreated++
		}
	}
	if gerr != nil {
		return h.failed(ctx, t, kind, cur, gerr, rep)
	}
	return h.reconcile(ctx, t, gc, kind, rep)
}

// renew extends cur.
func (h *Handler) renew(ctx context.Context, t tenancy.Tenant, gc GraphClient, cur *row, rep *Report) error {
	sub, err := gc.RenewSubscription(ctx, graph.SubscriptionID(cur.ID), time.Time{})
	if err != nil {
		return err
	}
	rep.Renewed++
	return h.recordRenewal(ctx, t.ID, cur.ID, sub.ExpiresAt, cur.CertificateID)
}

func (h *Handler) recordRenewal(ctx context.Context, t tenancy.ID, id string, expires time.Time, cert string) error {
	err := tenancy.WithTx(ctx, h.d.DB, t, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE graph_subscriptions SET status = 'active', expires_at = $3, certificate_id = $4,
       renewed_at = now(), attempted_at = now(), last_error = '' WHERE tenant_id = $1 AND id = $2`, t, id, expires, cert)
		return err
	})
	if err != nil {
		return &dbError{fmt.Errorf("record renewal: %w", err)}
	}
	return nil
}

// create makes a new subscription of kind and records it, retiring cur (the requested
// placeholder or the dead subscription) in the same transaction. gapFrom, when set, is where
// reconciliation starts.
func (h *Handler) create(ctx context.Context, t tenancy.Tenant, gc GraphClient, kind string, cur *row, gapFrom *time.Time, rep *Report) error {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return &dbError{fmt.Errorf("generate client state: %w", err)}
	}
	state := base64.RawURLEncoding.EncodeToString(secret)
	req := graph.SubscriptionRequest{Resource: pipeline.SubscriptionResource(kind), ChangeType: "created", NotificationURL: h.d.NotificationURL,
		LifecycleURL: h.d.LifecycleURL, ClientState: state}
	cert := ""
	if kind == KindTranscripts && h.d.Certificate != nil {
		req.IncludeResourceData, req.EncryptionCertificate, req.EncryptionCertificateID = true, h.d.Certificate.Certificate, h.d.Certificate.ID
		cert = h.d.Certificate.ID
	}
	sub, err := gc.CreateSubscription(ctx, req)
	if err != nil {
		return err
	}
	hash := graphhook.HashClientState(state)
	err = tenancy.WithTx(ctx, h.d.DB, t.ID, func(tx pgx.Tx) error {
		if cur != nil {
			if _, err := tx.Exec(ctx, `UPDATE graph_subscriptions SET status = 'removed', reconcile_from = NULL
WHERE tenant_id = $1 AND id = $2`, t.ID, cur.ID); err != nil {
				return err
			}
		}
		// Dead rows' gaps are carried by the new row.
		if _, err := tx.Exec(ctx, `UPDATE graph_subscriptions SET reconcile_from = NULL
WHERE tenant_id = $1 AND kind = $2 AND status IN ('removed', 'failed')`, t.ID, kind); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO graph_subscriptions (tenant_id, id, kind, resource, client_state_sha256,
       certificate_id, expires_at, status, reconcile_from, renewed_at, attempted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, now(), now())`, t.ID, string(sub.ID), kind, req.Resource, hash[:], cert, sub.ExpiresAt, gapFrom)
		return err
	})
	if err != nil {
		// The subscription exists at Graph but not here: its notifications are dropped as
		// unknown and it expires by itself; the next run creates another.
		return &dbError{fmt.Errorf("record new subscription: %w", err)}
	}
	rep.Created++
	h.d.Log.InfoContext(ctx, "graph subscription created", "kind", kind, "subscription_id", string(sub.ID), "rich", req.IncludeResourceData)
	return nil
}

// dbError marks a failure of our own storage, which fails the run (the others are Graph's and
// are recorded on the row).
type dbError struct{ err error }

func (e *dbError) Error() string { return e.err.Error() }
func (e *dbError) Unwrap() error { return e.err }

// failed records a Graph failure on the kind's row and, for a 403, alerts the admins.
func (h *Handler) failed(ctx context.Context, t tenancy.Tenant, kind string, cur *row, err error, rep *Report) error {
	var de *dbError
	if errors.As(err, &de) {
		return err
	}
	rep.Failed++
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	status := "" // keep
	if graph.IsAccessDenied(err) {
		status = "failed"
		if st, serr := h.d.Stores.For(ctx, t.ID); serr == nil {
			if _, _, aerr := st.RaiseAlert(ctx, pipeline.AlertFor(pipeline.AlertGraphForbidden, h.d.AppID)); aerr != nil {
				return fmt.Errorf("raise alert: %w", aerr)
			}
		}
	}
	h.d.Log.WarnContext(ctx, "graph subscription upkeep failed; retried next run", "kind", kind, "error", msg)
	if cur == nil {
		return nil
	}
	werr := tenancy.WithTx(ctx, h.d.DB, t.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE graph_subscriptions SET last_error = $3, attempted_at = now(),
       status = CASE WHEN $4 = '' THEN status ELSE $4 END WHERE tenant_id = $1 AND id = $2`, t.ID, cur.ID, msg, status)
		return err
	})
	if werr != nil {
		return fmt.Errorf("record subscription failure: %w", werr)
	}
	return nil
}

// reconcileMargin starts reconciliation a little before the gap: clocks differ, and a
// transcript created just before a notification was lost is still in doubt.
const reconcileMargin = time.Hour

// reconcile lists, for a transcript subscription with a gap, the transcripts its tenant's known
// organizers produced since, and sends each to TranscriptIngest under the notification's dedupe
// key. The gap is cleared only when every organizer was listed.
func (h *Handler) reconcile(ctx context.Context, t tenancy.Tenant, gc GraphClient, kind string, rep *Report) error {
	if kind != KindTranscripts {
		return nil
	}
	var (
		id    string
		since *time.Time
		orgs  []string
	)
	err := tenancy.WithReadTx(ctx, h.d.DB, t.ID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id, reconcile_from FROM graph_subscriptions
WHERE tenant_id = $1 AND kind = $2 AND status = 'active'`, t.ID, kind).Scan(&id, &since)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && since == nil) {
			return nil
		}
		if err != nil {
			return err
		}
		// The organizers we know: those of the tenant's Teams meetings of the last 90 days.
		rows, err := tx.Query(ctx, `SELECT DISTINCT organizer_id FROM meetings
WHERE tenant_id = $1 AND source = 'graph' AND organizer_id IS NOT NULL AND created_at > now() - interval '90 days'
ORDER BY 1 LIMIT 1000`, t.ID)
		if err != nil {
			return err
		}
		orgs, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return fmt.Errorf("read reconciliation state: %w", err)
	}
	if since == nil {
		return nil
	}
	from := since.Add(-reconcileMargin)
	sent := 0
	for _, org := range orgs {
		ts, err := gc.TranscriptsSince(ctx, graph.UserID(org), from)
		if err != nil {
			h.d.Log.WarnContext(ctx, "reconciliation listing failed; retried next run", "error", err.Error())
			return nil
		}
		for _, tr := range ts {
			m := pipeline.IngestMessage{Kind: pipeline.IngestTranscript, TenantID: t.ID, UserID: org,
				MeetingID: string(tr.MeetingID), TranscriptID: string(tr.ID), ChangeType: "created", CallID: tr.CallID}
			if err := h.d.Queue.Send(ctx, queue.TranscriptIngest, queue.Outgoing{
				ID: pipeline.TranscriptKey(t.AzureTenantID.String(), string(tr.ID)), Body: m, TenantID: t.ID}); err != nil {
				return fmt.Errorf("queue reconciled transcript: %w", err)
			}
			sent++
		}
	}
	err = tenancy.WithTx(ctx, h.d.DB, t.ID, func(tx pgx.Tx) error {
		// Only the gap read above is cleared: a lifecycle event meanwhile set a later one.
		_, err := tx.Exec(ctx, `UPDATE graph_subscriptions SET reconcile_from = NULL
WHERE tenant_id = $1 AND id = $2 AND reconcile_from = $3`, t.ID, id, *since)
		return err
	})
	if err != nil {
		return fmt.Errorf("clear reconciliation: %w", err)
	}
	rep.Reconciled++
	h.d.Log.InfoContext(ctx, "transcripts reconciled", "organizers", len(orgs), "transcripts", sent)
	return nil
}

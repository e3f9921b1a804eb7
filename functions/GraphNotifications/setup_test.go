package graphnotifications

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"github.com/meetingminutes/minutes/shared/logging/logtest"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/graphhook/graphhooktest"
	"github.com/meetingminutes/minutes/shared/logging"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// bundle is what setup builds around the subject.
type bundle struct {
	db      *dbtest.DB
	pool    *pgxpool.Pool // minutes_app, with a switchable dialer (down)
	owner   *pgxpool.Pool // minutes_owner, to count River jobs
	pub     *graphhooktest.Publisher
	tenant  tenancy.ID
	azure   uuid.UUID
	sub     uuid.UUID
	secret  string
	handler *Handler
	serve   http.Handler // the handler behind funchost's adapter, as mounted
	logs    *logtest.Buffer
	down    *atomic.Bool
	enq     *flakyEnqueuer
}

// flakyEnqueuer lets failAfter messages through, fails when one of the next fail messages
// is sent, then delegates.
type flakyEnqueuer struct {
	next Enqueuer
	fail atomic.Int32
	// failAfter lets that many messages through before fail applies.
	failAfter atomic.Int32
}

func (f *flakyEnqueuer) Enqueue(ctx context.Context, tx pgx.Tx, ms []queue.Outgoing) error {
	for range ms {
		if f.failAfter.Add(-1) >= 0 {
			continue
		}
		if f.fail.Add(-1) >= 0 {
			return errors.New("queue down")
		}
	}
	return f.next.Enqueue(ctx, tx, ms)
}

func setup(t testing.TB) bundle {
	t.Helper()
	ctx := context.Background()
	db := dbtest.New(t)

	down := &atomic.Bool{}
	cfg, err := pgxpool.ParseConfig(db.AppURL)
	require.NoError(t, err)
	cfg.MaxConns = 4
	dialer := &net.Dialer{Timeout: 2 * time.Second}
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if down.Load() {
			return nil, errors.New("database down (test)")
		}
		return dialer.DialContext(ctx, network, addr)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	owner, err := pgxpool.New(ctx, db.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)

	b := bundle{db: db, pool: pool, owner: owner, pub: graphhooktest.New(t, nil), down: down, logs: &logtest.Buffer{}}
	b.azure, b.sub, b.secret = uuid.New(), uuid.New(), "s3cret-"+uuid.NewString()
	b.tenant = b.newTenant(t, b.azure, b.sub, b.secret)

	river, err := queue.NewRiver(pool, queue.RiverOptions{})
	require.NoError(t, err)
	b.enq = &flakyEnqueuer{next: RiverEnqueuer{River: river}}
	b.configure(nil)
	return b
}

// configure (re)builds the bundle's handler with the test publisher's keys and clock, after
// change edits the configuration (nil: none).
func (b *bundle) configure(change func(*Config)) {
	cfg := Config{
		AppID: b.pub.AppID, DiscoveryURL: b.pub.Keys.DiscoveryURL(), HTTPClient: b.pub.Keys.Client(), Now: b.pub.Clock.Now,
		CertificateKeys: map[string]*rsa.PrivateKey{b.pub.CertificateID: b.pub.CertificateKey},
	}
	if change != nil {
		change(&cfg)
	}
	log := slog.New(logging.NewHandler(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	b.handler = New(b.pool, tenancy.NewRegistry(b.pool), b.enq, cfg, log)
	b.serve = funchost.New(funchost.Options{Logger: log}).HTTP("GraphNotifications", b.handler.Serve, funchost.MaxBody(graphhook.MaxBatchBytes))
}

// newTenant creates a tenant for the Entra tenant azure with one active transcript
// subscription.
func (b bundle) newTenant(t testing.TB, azure, sub uuid.UUID, secret string) tenancy.ID {
	t.Helper()
	ctx := context.Background()
	tn, _, err := tenancy.NewRegistry(b.pool).Create(ctx, tenancy.NewTenant{Name: "Contoso " + azure.String()[:8], AzureTenantID: &azure})
	require.NoError(t, err)
	hash := graphhook.HashClientState(secret)
	require.NoError(t, tenancy.WithTx(ctx, b.pool, tn.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO graph_subscriptions (tenant_id, id, kind, resource, client_state_sha256, certificate_id, expires_at)
			VALUES ($1, $2, 'transcripts', 'communications/onlineMeetings/getAllTranscripts', $3, $4, now() + interval '3 days')`,
			tn.ID, sub.String(), hash[:], b.pub.CertificateID)
		return err
	}))
	return tn.ID
}

// transcript builds a notification for the bundle's tenant and subscription.
func (b bundle) transcript(t testing.TB, o graphhooktest.TranscriptOptions) graphhook.Notification {
	t.Helper()
	if o.SubscriptionID == uuid.Nil {
		o.SubscriptionID = b.sub
	}
	if o.TenantID == uuid.Nil {
		o.TenantID = b.azure
	}
	if o.ClientState == "" {
		o.ClientState = b.secret
	}
	if o.TranscriptID == "" {
		o.TranscriptID = "MSMjMCMjZ" + uuid.NewString()[:8]
	}
	return b.pub.TranscriptNotification(t, o)
}

// post sends body as Graph would and returns the response.
func (b bundle) post(t testing.TB, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/graph/notifications", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	b.serve.ServeHTTP(rec, req)
	return rec
}

// jobs counts transcript-ingest River jobs.
func (b bundle) jobs(t testing.TB) int {
	t.Helper()
	var n int
	require.NoError(t, b.owner.QueryRow(context.Background(),
		`SELECT count(*) FROM river_job WHERE kind = 'queue.transcript-ingest'`).Scan(&n))
	return n
}

// receipt is one notification_receipts row.
type receipt struct {
	Key      string
	Times    int
	Enqueued bool
}

// receipts reads the tenant's receipts through RLS, as the app.
func (b bundle) receipts(t testing.TB, tenant tenancy.ID) []receipt {
	t.Helper()
	var out []receipt
	require.NoError(t, tenancy.WithReadTx(context.Background(), b.pool, tenant, func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), `SELECT dedupe_key, times_received, enqueued_at IS NOT NULL FROM notification_receipts ORDER BY dedupe_key`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (receipt, error) {
			var x receipt
			return x, r.Scan(&x.Key, &x.Times, &x.Enqueued)
		})
		return err
	}))
	return out
}

package graphlifecycle

import (
	"bytes"
	"context"
	"github.com/meetingminutes/minutes/shared/logging/logtest"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/funchost"
	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/graphhook/graphhooktest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

type bundle struct {
	db     *dbtest.DB
	pub    *graphhooktest.Publisher
	tenant tenancy.ID
	azure  uuid.UUID
	secret string
	serve  http.Handler
	logs   *logtest.Buffer
}

func setup(t *testing.T) bundle {
	t.Helper()
	db := dbtest.New(t)
	b := bundle{db: db, pub: graphhooktest.New(t, nil), azure: uuid.New(), secret: "s3cret-" + uuid.NewString(), logs: &logtest.Buffer{}}
	tn, _, err := tenancy.NewRegistry(db.App).Create(t.Context(), tenancy.NewTenant{Name: "Contoso", AzureTenantID: &b.azure})
	require.NoError(t, err)
	b.tenant = tn.ID
	log := slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := New(db.App, tenancy.NewRegistry(db.App), Config{AppID: b.pub.AppID, DiscoveryURL: b.pub.Keys.DiscoveryURL(),
		HTTPClient: b.pub.Keys.Client(), Now: b.pub.Clock.Now}, log)
	b.serve = funchost.New(funchost.Options{Logger: log}).HTTP("GraphLifecycle", h.Serve, funchost.MaxBody(graphhook.MaxBatchBytes))
	return b
}

// subscription stores a subscription of kind with status and returns its id.
func (b bundle) subscription(t *testing.T, kind, status string) uuid.UUID {
	t.Helper()
	id, hash := uuid.New(), graphhook.HashClientState(b.secret)
	require.NoError(t, tenancy.WithTx(t.Context(), b.db.App, b.tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(t.Context(), `INSERT INTO graph_subscriptions (tenant_id, id, kind, resource, client_state_sha256, expires_at, status)
			VALUES ($1, $2, $3, 'communications/onlineMeetings/getAllTranscripts', $4, now() + interval '1 day', $5)`,
			b.tenant, id.String(), kind, hash[:], status)
		return err
	}))
	return id
}

func (b bundle) status(t *testing.T, id uuid.UUID) string {
	t.Helper()
	var s string
	require.NoError(t, tenancy.WithReadTx(context.Background(), b.db.App, b.tenant, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT status FROM graph_subscriptions WHERE id = $1`, id.String()).Scan(&s)
	}))
	return s
}

func (b bundle) post(t *testing.T, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/graph/lifecycle", bytes.NewReader(body))
	rec := httptest.NewRecorder()
	b.serve.ServeHTTP(rec, req)
	return rec
}

func TestLifecycleEventsUpdateStatus(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reauth := b.subscription(t, "transcripts", "active")
	removed := b.subscription(t, "call_records", "active")

	rec := b.post(t, b.pub.Body(t,
		b.pub.LifecycleNotification(reauth, b.azure, b.secret, graphhook.LifecycleReauthorizationRequired),
		b.pub.LifecycleNotification(removed, b.azure, b.secret, graphhook.LifecycleSubscriptionRemoved),
	))
	require.Equal(t, http.StatusAccepted, rec.Code)
	require.Empty(t, rec.Body.String())
	require.Equal(t, "reauthorize", b.status(t, reauth))
	require.Equal(t, "removed", b.status(t, removed))

	t.Run("repeated events are harmless", func(t *testing.T) {
		require.Equal(t, http.StatusAccepted, b.post(t, b.pub.Body(t,
			b.pub.LifecycleNotification(reauth, b.azure, b.secret, graphhook.LifecycleReauthorizationRequired))).Code)
		require.Equal(t, "reauthorize", b.status(t, reauth))
	})
	t.Run("reauthorization never revives a removed subscription", func(t *testing.T) {
		require.Equal(t, http.StatusAccepted, b.post(t, b.pub.Body(t,
			b.pub.LifecycleNotification(removed, b.azure, b.secret, graphhook.LifecycleReauthorizationRequired))).Code)
		require.Equal(t, "removed", b.status(t, removed))
	})
}

func TestMissedKeepsStatus(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sub := b.subscription(t, "transcripts", "active")
	require.Equal(t, http.StatusAccepted, b.post(t, b.pub.Body(t,
		b.pub.LifecycleNotification(sub, b.azure, b.secret, graphhook.LifecycleMissed))).Code)
	require.Equal(t, "active", b.status(t, sub))
	require.Contains(t, b.logs.String(), "missed notifications")
	require.True(t, b.reconcileDue(t, sub), "the next renewal run reconciles")
}

func TestGapsAskForReconciliation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, ev := range []graphhook.LifecycleEvent{graphhook.LifecycleReauthorizationRequired, graphhook.LifecycleSubscriptionRemoved} {
		sub := b.subscription(t, "transcripts", "active")
		require.False(t, b.reconcileDue(t, sub))
		require.Equal(t, http.StatusAccepted, b.post(t, b.pub.Body(t, b.pub.LifecycleNotification(sub, b.azure, b.secret, ev))).Code)
		require.True(t, b.reconcileDue(t, sub), string(ev))
		// Removed rows free the (tenant, kind) slot for the next one.
		require.NoError(t, tenancy.WithTx(context.Background(), b.db.App, b.tenant, func(tx pgx.Tx) error {
			_, err := tx.Exec(context.Background(), `UPDATE graph_subscriptions SET status = 'removed' WHERE id = $1`, sub.String())
			return err
		}))
	}
}

func (b bundle) reconcileDue(t *testing.T, id uuid.UUID) bool {
	t.Helper()
	var due bool
	require.NoError(t, tenancy.WithReadTx(context.Background(), b.db.App, b.tenant, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `SELECT reconcile_from IS NOT NULL FROM graph_subscriptions WHERE id = $1`, id.String()).Scan(&due)
	}))
	return due
}

func TestLifecycleJunk(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sub := b.subscription(t, "transcripts", "active")
	cases := []struct {
		name string
		body []byte
		want int
	}{
		{"forged clientState", b.pub.Body(t, b.pub.LifecycleNotification(sub, b.azure, "guessed", graphhook.LifecycleSubscriptionRemoved)), http.StatusAccepted},
		{"unknown tenant", b.pub.Body(t, b.pub.LifecycleNotification(sub, uuid.New(), b.secret, graphhook.LifecycleSubscriptionRemoved)), http.StatusAccepted},
		{"unknown subscription", b.pub.Body(t, b.pub.LifecycleNotification(uuid.New(), b.azure, b.secret, graphhook.LifecycleSubscriptionRemoved)), http.StatusAccepted},
		{"unknown event", b.pub.Body(t, b.pub.LifecycleNotification(sub, b.azure, b.secret, "somethingElse")), http.StatusAccepted},
		{"bad token", graphhooktest.BodyWithTokens(t, []string{"not.a.jwt"}, b.pub.LifecycleNotification(sub, b.azure, b.secret, graphhook.LifecycleSubscriptionRemoved)), http.StatusAccepted},
		{"malformed JSON", []byte(`{"value":`), http.StatusBadRequest},
		{"10 MB body", bytes.Repeat([]byte(" "), 10<<20), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, b.post(t, tt.body).Code)
			require.Equal(t, "active", b.status(t, sub))
		})
	}
	require.Contains(t, b.logs.String(), `"graph_alert":true`)
	require.NotContains(t, b.logs.String(), b.secret)
	require.NotContains(t, b.logs.String(), "guessed")
}

func TestLifecycleHandshake(t *testing.T) {
	t.Parallel()
	b := setup(t)
	token := "Validation: Testing client application reachability for subscription Request-Id: " + uuid.NewString()
	req := httptest.NewRequest(http.MethodPost, "/api/graph/lifecycle?validationToken="+url.QueryEscape(token), strings.NewReader(""))
	rec := httptest.NewRecorder()
	b.serve.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain"))
	require.Equal(t, token, rec.Body.String())
}

func TestLifecycleDatabaseDown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sub := b.subscription(t, "transcripts", "active")
	body := b.pub.Body(t, b.pub.LifecycleNotification(sub, b.azure, b.secret, graphhook.LifecycleReauthorizationRequired))
	dead := funchost.New(funchost.Options{}).HTTP("GraphLifecycle",
		New(deadPool(t), tenancy.NewRegistry(deadPool(t)), Config{}, nil).Serve)
	rec := httptest.NewRecorder()
	dead.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/graph/lifecycle", bytes.NewReader(body)))
	require.GreaterOrEqual(t, rec.Code, 500)
	require.Equal(t, http.StatusAccepted, b.post(t, body).Code) // the redelivery, once it is back
	require.Equal(t, "reauthorize", b.status(t, sub))
}

// TestLifecycleStalledDatabase: a database that stalls (a lock the update waits on) gets a
// 503 before Graph's 2.9 s "slow" mark, not a late answer; the redelivery then applies.
func TestLifecycleStalledDatabase(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sub := b.subscription(t, "transcripts", "active")
	body := b.pub.Body(t, b.pub.LifecycleNotification(sub, b.azure, b.secret, graphhook.LifecycleReauthorizationRequired))
	owner, err := pgx.Connect(t.Context(), b.db.OwnerURL)
	require.NoError(t, err)
	defer owner.Close(context.Background())
	lock, err := owner.Begin(t.Context())
	require.NoError(t, err)
	_, err = lock.Exec(t.Context(), `LOCK TABLE graph_subscriptions IN ACCESS EXCLUSIVE MODE`)
	require.NoError(t, err)
	start := time.Now()
	rec := b.post(t, body)
	took := time.Since(start)
	require.NoError(t, lock.Rollback(t.Context()))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Less(t, took, 2900*time.Millisecond)
	require.Equal(t, "active", b.status(t, sub))
	require.Equal(t, http.StatusAccepted, b.post(t, body).Code)
	require.Equal(t, "reauthorize", b.status(t, sub))
}

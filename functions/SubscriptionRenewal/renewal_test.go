package subscriptionrenewal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/graph/graphtest"
	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/identity/entratest"
	"github.com/meetingminutes/minutes/shared/onboarding"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

const organizerID = "a7c3e9d1-52b4-4f08-8e6a-0b9d3c1f2e75"

type bundle struct {
	t        *testing.T
	ctx      context.Context
	pool     *pgxpool.Pool
	fake     *graphtest.Server
	registry *tenancy.Registry
	stores   store.Resolver
	tenant   tenancy.Tenant
	deps     Deps
	now      time.Time
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := context.Background()
	db := dbtest.New(t)
	pool := db.App
	b := &bundle{t: t, ctx: ctx, pool: pool, fake: graphtest.New(t), registry: tenancy.NewRegistry(pool),
		stores: store.NewManagedResolver(pool), now: time.Now()}
	entra := entratest.New(t, entratest.Options{})
	b.tenant = b.newTenant(entra, "Contoso")
	clients := graph.NewClients(graph.ClientsOptions{ClientID: entra.ClientID(), ClientSecret: entra.ClientSecret(),
		BaseURL: b.fake.URL, Authority: entra.URL, ValidHosts: []string{b.fake.Host},
		RetryOptions: graph.RetryOptions{MaxRetries: 1, Delay: time.Second}, Now: func() time.Time { return b.now }})
	river, err := queue.NewRiver(pool, queue.RiverOptions{})
	require.NoError(t, err)
	b.deps = Deps{DB: pool, Tenants: b.registry, Stores: b.stores,
		Graph:           func(azure uuid.UUID) (GraphClient, error) { return clients.For(azure) },
		Queue:           river,
		NotificationURL: "https://minutes.example/api/graph/notifications", LifecycleURL: "https://minutes.example/api/graph/lifecycle",
		Certificate: &Certificate{ID: "CERT-A", Certificate: base64.StdEncoding.EncodeToString([]byte("cert a"))},
		AppID:       "app", Now: func() time.Time { return b.now }}
	return b
}

// newTenant provisions a tenant the way sign-up does: its two subscriptions are 'requested'.
func (b *bundle) newTenant(entra *entratest.Server, name string) tenancy.Tenant {
	b.t.Helper()
	azure := uuid.New()
	entra.GrantConsent(azure)
	p := onboarding.New(b.registry, b.stores, b.pool, nil)
	res, err := p.Provision(b.ctx, onboarding.Request{AzureTenantID: azure, Name: name,
		Admin: onboarding.Admin{ObjectID: uuid.New(), Email: "admin@" + azure.String()[:8] + ".example", Name: "Admin"}})
	require.NoError(b.t, err)
	return res.Tenant
}

type subRow struct {
	ID, Kind, Status, Cert string
	Hash                   []byte
	Expires                time.Time
	Reconcile              *time.Time
}

func (b *bundle) rows() []subRow {
	b.t.Helper()
	var out []subRow
	require.NoError(b.t, tenancy.WithReadTx(b.ctx, b.pool, b.tenant.ID, func(tx pgx.Tx) error {
		rows, err := tx.Query(b.ctx, `SELECT id, kind, status, certificate_id, client_state_sha256, expires_at, reconcile_from
			FROM graph_subscriptions ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (subRow, error) {
			var x subRow
			return x, r.Scan(&x.ID, &x.Kind, &x.Status, &x.Cert, &x.Hash, &x.Expires, &x.Reconcile)
		})
		return err
	}))
	return out
}

func (b *bundle) active(kind string) subRow {
	b.t.Helper()
	var found []subRow
	for _, r := range b.rows() {
		if r.Kind == kind && r.Status == "active" {
			found = append(found, r)
		}
	}
	require.Len(b.t, found, 1, kind)
	return found[0]
}

func (b *bundle) exec(sql string, args ...any) {
	b.t.Helper()
	require.NoError(b.t, tenancy.WithTx(b.ctx, b.pool, b.tenant.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(b.ctx, sql, args...)
		return err
	}))
}

func TestCreatesRequestedSubscriptions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rep, err := New(b.deps).Run(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Created)

	tr := b.active(KindTranscripts)
	held, ok := b.fake.Subscription(tr.ID)
	require.True(t, ok, "the row holds Graph's id")
	require.Equal(t, "communications/onlineMeetings/getAllTranscripts", held.Resource)
	require.Equal(t, "created", held.ChangeType)
	require.Equal(t, b.deps.NotificationURL, held.NotificationURL)
	require.Equal(t, b.deps.LifecycleURL, held.LifecycleURL)
	require.True(t, held.IncludeResourceData)
	require.Equal(t, "CERT-A", held.EncryptionCertificateID)
	require.Equal(t, "CERT-A", tr.Cert)
	hash := graphhook.HashClientState(held.ClientState)
	require.Equal(t, hash[:], tr.Hash, "only the clientState's hash is kept")
	require.GreaterOrEqual(t, len(held.ClientState), 40, "a random clientState")
	require.LessOrEqual(t, time.Until(held.ExpiresAt), 4320*time.Minute, "below the documented maximum")
	require.Greater(t, time.Until(held.ExpiresAt), 48*time.Hour)

	cr := b.active(KindCallRecords)
	heldCR, ok := b.fake.Subscription(cr.ID)
	require.True(t, ok)
	require.Equal(t, "communications/callRecords", heldCR.Resource)
	require.False(t, heldCR.IncludeResourceData)
	require.NotEqual(t, held.ClientState, heldCR.ClientState, "one clientState per subscription")

	// A second run has nothing to do.
	rep, err = New(b.deps).Run(b.ctx)
	require.NoError(t, err)
	require.Equal(t, Report{Tenants: 1}, rep)
}

func TestRenewsExpiringAndRecreatesVanished(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := New(b.deps).Run(b.ctx)
	require.NoError(t, err)
	tr, cr := b.active(KindTranscripts), b.active(KindCallRecords)

	// Eleven hours left on the transcripts subscription: renewed. Call records: deleted at Graph.
	b.exec(`UPDATE graph_subscriptions SET expires_at = now() + interval '11 hours' WHERE id = $1`, tr.ID)
	b.exec(`UPDATE graph_subscriptions SET expires_at = now() + interval '1 hour' WHERE id = $1`, cr.ID)
	gc, err := b.deps.Graph(*b.tenant.AzureTenantID)
	require.NoError(t, err)
	require.NoError(t, gc.(*graph.Client).DeleteSubscription(b.ctx, graph.SubscriptionID(cr.ID)))

	rep, err := New(b.deps).Run(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Renewed+rep.Recreated)
	require.Equal(t, 1, rep.Recreated)
	renewed := b.active(KindTranscripts)
	require.Equal(t, tr.ID, renewed.ID)
	require.Greater(t, time.Until(renewed.Expires), 48*time.Hour)
	again := b.active(KindCallRecords)
	require.NotEqual(t, cr.ID, again.ID, "recreated under a new id")
	_, ok := b.fake.Subscription(again.ID)
	require.True(t, ok)
}

func TestReauthorizeRotateAndReconcile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := New(b.deps).Run(b.ctx)
	require.NoError(t, err)
	tr := b.active(KindTranscripts)

	// Graph has a transcript whose notification was lost while delivery was paused.
	meeting := base64.StdEncoding.EncodeToString([]byte("1*" + organizerID + "*0**19:meeting_x@thread.v2"))
	b.fake.AddMeeting(graphtest.Meeting{ID: meeting, Subject: "Sync", Organizer: graphtest.Person{ID: organizerID},
		Transcripts: []graphtest.Transcript{
			{ID: "tr-new", CallID: "call-9", Created: time.Now().Add(-10 * time.Minute), VTT: []byte("WEBVTT\n")},
			{ID: "tr-old", CallID: "call-1", Created: time.Now().Add(-30 * 24 * time.Hour), VTT: []byte("WEBVTT\n")},
		}})
	st, err := b.stores.For(b.ctx, b.tenant.ID)
	require.NoError(t, err)
	_, _, err = st.UpsertMeeting(b.ctx, store.MeetingInput{Source: store.SourceGraph, ExternalID: "known", OrganizerID: organizerID})
	require.NoError(t, err)
	// GraphLifecycle recorded reauthorizationRequired; the certificate is being rotated.
	b.exec(`UPDATE graph_subscriptions SET status = 'reauthorize', reconcile_from = now() - interval '20 minutes' WHERE id = $1`, tr.ID)
	b.deps.Certificate = &Certificate{ID: "CERT-B", Certificate: base64.StdEncoding.EncodeToString([]byte("cert b"))}

	rep, err := New(b.deps).Run(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Reauthorized)
	require.Equal(t, 1, rep.Reconciled)
	held, _ := b.fake.Subscription(tr.ID)
	require.Equal(t, 1, held.Reauthorized)
	after := b.active(KindTranscripts)
	require.Nil(t, after.Reconcile, "gap closed")

	var jobs []string
	rows, err := b.pool.Query(b.ctx, `SELECT args->>'id' FROM river_job WHERE kind = 'queue.transcript-ingest'`)
	require.NoError(t, err)
	jobs, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{pipeline.TranscriptKey(b.tenant.AzureTenantID.String(), "tr-new")}, jobs, "only the transcript in the gap")
	var body json.RawMessage
	require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT args->'body' FROM river_job WHERE kind = 'queue.transcript-ingest'`).Scan(&body))
	var m pipeline.IngestMessage
	require.NoError(t, json.Unmarshal(body, &m))
	require.NoError(t, m.Validate())
	require.Equal(t, "call-9", m.CallID)

	// Next run: the certificate rotation.
	rep, err = New(b.deps).Run(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Rotated)
	held, _ = b.fake.Subscription(tr.ID)
	require.Equal(t, "CERT-B", held.EncryptionCertificateID)
	require.Equal(t, "CERT-B", b.active(KindTranscripts).Cert)
}

func TestForbiddenAlertsAndThrottledWaits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.Fail(graphtest.Fault{Status: 403, Code: "Forbidden", Message: "Insufficient privileges.", PathContains: "/subscriptions", Times: 2})
	rep, err := New(b.deps).Run(b.ctx)
	require.NoError(t, err, "Graph's refusal is recorded, not a failed run")
	require.Equal(t, 2, rep.Failed)
	st, err := b.stores.For(b.ctx, b.tenant.ID)
	require.NoError(t, err)
	alerts, err := st.OpenAlerts(b.ctx)
	require.NoError(t, err)
	require.Len(t, alerts, 1)
	require.Equal(t, pipeline.AlertGraphForbidden, alerts[0].Kind)
	for _, r := range b.rows() {
		require.Equal(t, "failed", r.Status)
	}
	// Consent granted again: the next run creates both.
	rep, err = New(b.deps).Run(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Created)

	f := graphtest.Throttled("0")
	f.Times = 10
	f.PathContains = "/subscriptions/"
	b.fake.Fail(f)
	b.exec(`UPDATE graph_subscriptions SET expires_at = now() + interval '1 hour' WHERE status = 'active'`)
	rep, err = New(b.deps).Run(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Failed)
	require.Len(t, b.rows(), 4, "nothing recreated on throttling")
}

func TestOtherTenantsAreUntouchedAndCancelledSkipped(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.registry.SetStatus(b.ctx, b.tenant.ID, tenancy.StatusCancelled, time.Now()))
	rep, err := New(b.deps).Run(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 0, rep.Tenants)
	require.Empty(t, b.fake.Requests())
}

package privacy_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testBundle holds one private database and pools for its three kinds of role.
type testBundle struct {
	db    *dbtest.DB
	app   *pgxpool.Pool // minutes_app: the runtime role
	owner *pgxpool.Pool // minutes_owner: Purge's role; RLS forced
	super *pgxpool.Pool // superuser: sees every row, for checks only
}

func setup(t *testing.T) testBundle {
	t.Helper()
	db := dbtest.New(t)
	u, err := url.Parse(os.Getenv("TEST_DATABASE_URL"))
	require.NoError(t, err)
	u.Path, u.RawPath = "/"+db.Name, ""
	return testBundle{db: db, app: db.App, owner: pool(t, db.OwnerURL), super: pool(t, u.String())}
}

func pool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.MaxConns = 4
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

func newDirStore(t *testing.T) blob.Store {
	t.Helper()
	d, err := blob.NewDir(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// tenantOpts are the overrides of seedTenant.
type tenantOpts struct {
	Status        string     // default "active"
	CancelledAt   *time.Time // default nil
	RetentionDays int        // default 30; negative for 0
	Users         int        // default 5
	Meetings      int        // default 3
	BlobMeetings  int        // meetings with a transcript and a minutes object in blobs; default 2
}

// seeded is what seedTenant created.
type seeded struct {
	Tenant   tenancy.ID
	Users    []uuid.UUID
	Meetings []uuid.UUID
	Blobs    []string
}

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// seedTenant creates a tenant with rows in every tenant table of the current schema (control
// tables included), an audit trail and objects under its blob prefix, as the app role.
func seedTenant(t *testing.T, b testBundle, blobs blob.Store, o tenantOpts) seeded {
	t.Helper()
	if o.Status == "" {
		o.Status = "active"
	}
	switch {
	case o.RetentionDays == 0:
		o.RetentionDays = 30
	case o.RetentionDays < 0:
		o.RetentionDays = 0
	}
	if o.Users == 0 {
		o.Users = 5
	}
	if o.Meetings == 0 {
		o.Meetings = 3
	}
	if o.BlobMeetings == 0 {
		o.BlobMeetings = 2
	}
	o.BlobMeetings = min(o.BlobMeetings, o.Meetings)
	ctx := context.Background()
	s := seeded{Tenant: tenancy.NewID()}
	domain := s.Tenant.String()[:8] + ".example"

	require.NoError(t, tenancy.WithTx(ctx, b.app, s.Tenant, func(tx pgx.Tx) error {
		exec := func(sql string, args ...any) {
			t.Helper()
			_, err := tx.Exec(ctx, sql, args...)
			require.NoError(t, err, sql)
		}
		exec(`INSERT INTO tenants (id, name, status, cancelled_at, retention_days, azure_tenant_id, billing_customer_id, settings)
			VALUES ($1, 'Tenant ' || $2, $3, $4, $5, gen_random_uuid(), 'cus_' || $2, jsonb_build_object('contact', 'admin@' || $2))`,
			s.Tenant, domain, o.Status, o.CancelledAt, o.RetentionDays)

		rows, err := tx.Query(ctx, `INSERT INTO users (tenant_id, email, display_name, role, entra_object_id, last_seen_at)
			SELECT $1, 'user' || i || '@' || $2, 'User ' || i || ' ' || $2, CASE WHEN i = 1 THEN 'admin' ELSE 'member' END, gen_random_uuid(), $4
			FROM generate_series(1, $3) AS i ORDER BY i RETURNING id`, s.Tenant, domain, o.Users, now)
		require.NoError(t, err)
		s.Users, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		require.NoError(t, err)

		exec(`INSERT INTO invitations (tenant_id, email, role, token_sha256, invited_by, expires_at)
			SELECT $1, 'guest' || i || '@' || $2, 'member', sha256(('guest' || i || '@' || $2)::bytea), $3, $4
			FROM generate_series(1, 2) AS i`, s.Tenant, domain, s.Users[0], now.Add(7*24*time.Hour))
		exec(`INSERT INTO templates (tenant_id, name, is_default) VALUES ($1, 'Standard', true), ($1, 'Board', false)`, s.Tenant)
		exec(`INSERT INTO tenant_settings (tenant_id, approver_ids, distribution, default_template_id)
			SELECT $1, ARRAY[$2::uuid], jsonb_build_object('attendees', true, 'extra', jsonb_build_array('board@' || $3)), id
			FROM templates WHERE tenant_id = $1 AND is_default`, s.Tenant, s.Users[0], domain)

		rows, err = tx.Query(ctx, `INSERT INTO meetings (tenant_id, source, external_id, subject, organizer_name, organizer_email,
				participants, starts_at, status)
			SELECT $1, 'graph', 'ext-' || i, 'Meeting ' || i, 'User 1 ' || $2, 'user1@' || $2,
				jsonb_build_array(jsonb_build_object('name', 'User 2 ' || $2, 'email', 'user2@' || $2)), $4::timestamptz - i * interval '1 hour', 'draft'
			FROM generate_series(1, $3) AS i ORDER BY i RETURNING id`, s.Tenant, domain, o.Meetings, now)
		require.NoError(t, err)
		s.Meetings, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		require.NoError(t, err)

		exec(`INSERT INTO transcripts (tenant_id, meeting_id, external_id, format, blob_path, content_sha256, size_bytes, cue_count)
			SELECT $1, m.id, 'tx-' || m.external_id, 'vtt', 'tenants/' || m.tenant_id || '/meetings/' || m.id || '/transcript.vtt',
				sha256(m.id::text::bytea), 120, 3
			FROM meetings m WHERE m.tenant_id = $1`, s.Tenant)
		exec(`INSERT INTO meeting_minutes (tenant_id, meeting_id, transcript_id, version, content, generator, template_id, created_by)
			SELECT $1, m.id, tr.id, 1,
				jsonb_build_object('title', m.subject, 'summary', 'Budget agreed.', 'attendees', m.participants,
					'action_items', jsonb_build_array(jsonb_build_object('owner', 'User 2 ' || $2, 'task', 'Send the deck'))),
				'offline', (SELECT id FROM templates WHERE tenant_id = $1 AND is_default), $3
			FROM meetings m JOIN transcripts tr ON tr.tenant_id = m.tenant_id AND tr.meeting_id = m.id
			WHERE m.tenant_id = $1`, s.Tenant, domain, s.Users[0])
		exec(`INSERT INTO action_items (tenant_id, minutes_id, meeting_id, task, owner_user_id, owner_name, owner_email, source_quote, source_offset_ms)
			SELECT $1, mm.id, mm.meeting_id, 'Task ' || k, u.id, u.display_name, u.email, 'I will do task ' || k, k * 1000
			FROM meeting_minutes mm
			CROSS JOIN generate_series(1, 3) AS k
			JOIN users u ON u.tenant_id = $1 AND u.id = ($2::uuid[])[1 + k % cardinality($2::uuid[])]
			WHERE mm.tenant_id = $1`, s.Tenant, s.Users)

		exec(`INSERT INTO meeting_events (tenant_id, meeting_id, stage, outcome, detail)
			SELECT $1, m.id, 'transcript_stored', 'ok', '3 cues' FROM meetings m WHERE m.tenant_id = $1`, s.Tenant)
		exec(`INSERT INTO transcript_fetches (tenant_id, external_id, meeting_id, status, attempts)
			SELECT $1, 'tx-' || m.external_id, m.id, 'stored', 1 FROM meetings m WHERE m.tenant_id = $1`, s.Tenant)
		exec(`INSERT INTO tenant_alerts (tenant_id, kind, title) VALUES ($1, 'transcript_api_disabled', 'Turn on Transcript API access')`, s.Tenant)
		exec(`INSERT INTO billing_meetings (tenant_id, meeting_id, state, admitted_at)
			SELECT $1, m.id, 'admitted', now() FROM meetings m WHERE m.tenant_id = $1`, s.Tenant)
		exec(`INSERT INTO minutes_publications (tenant_id, minutes_id, channel, state, detail, done_at)
			SELECT $1, mm.id, 'sharepoint', 'done', 'uploaded', now() FROM meeting_minutes mm WHERE mm.tenant_id = $1`, s.Tenant)
		exec(`INSERT INTO resource_profiles (tenant_id, database_host, blob_container) VALUES ($1, 'db.internal', 'minutes')`, s.Tenant)
		exec(`INSERT INTO graph_subscriptions (tenant_id, id, kind, resource, client_state_sha256, expires_at)
			VALUES ($1, 'sub-' || $1::uuid || '-t', 'transcripts', 'communications/onlineMeetings/getAllTranscripts', sha256('x'), $2),
			       ($1, 'sub-' || $1::uuid || '-c', 'call_records', 'communications/callRecords', sha256('y'), $2)`, s.Tenant, now.Add(time.Hour))
		exec(`INSERT INTO notification_receipts (tenant_id, dedupe_key, subscription_id, change_type, resource)
			SELECT $1, 'n-' || i, 'sub-' || $1::uuid || '-t', 'created', 'transcripts/' || i FROM generate_series(1, $2) AS i`, s.Tenant, o.Meetings)
		exec(`INSERT INTO health_results (tenant_id, resource, checked_at, state, latency_ms)
			SELECT $1, r, $2, 'up', 3.5 FROM unnest(ARRAY['database', 'blob', 'keyvault', 'openai', 'graph']) AS r`, s.Tenant, now)
		exec(`INSERT INTO usage_counters (tenant_id, meter, period_start, value)
			SELECT $1, 'meetings_processed', date_trunc('hour', $2::timestamptz) - i * interval '1 hour', i FROM generate_series(1, 3) AS i`, s.Tenant, now)
		exec(`WITH run AS (INSERT INTO migration_runs (migration_set, target_version) VALUES ('tenant', 2) RETURNING id)
			INSERT INTO migration_targets (tenant_id, run_id, status) SELECT $1, id, 'succeeded' FROM run`, s.Tenant)
		// Not tenant data, but it names the tenant: Purge must clear the hint.
		exec(`INSERT INTO processed_webhook_events (source, event_id, event_type, tenant_id_hint)
			VALUES ('stripe', 'evt_' || md5(random()::text), 'customer.subscription.deleted', $1)`, s.Tenant)

		for i, m := range s.Meetings {
			for _, action := range []string{"minutes.generated", "minutes.approved"} {
				_, err := audit.Append(ctx, tx, s.Tenant, audit.Entry{
					At: now.Add(time.Duration(i) * time.Minute), Actor: audit.Actor{Type: audit.ActorUser, ID: s.Users[0].String()},
					Action: action, Target: audit.Target{Type: "meeting", ID: m.String()}, Details: map[string]any{"version": 1},
				})
				if err != nil {
					return err
				}
			}
		}
		return nil
	}))

	for _, m := range s.Meetings[:o.BlobMeetings] {
		prefix := blob.TenantPrefix(s.Tenant) + "meetings/" + m.String() + "/"
		for name, body := range map[string]string{
			"transcript.vtt": "WEBVTT\n\n00:00.000 --> 00:02.000\n<v User 1>Let's start.\n",
			"minutes.docx":   fmt.Sprintf("minutes of %s", m),
		} {
			require.NoError(t, blobs.Put(ctx, prefix+name, bytes.NewReader([]byte(body)), blob.PutOptions{ContentType: "text/vtt"}))
			s.Blobs = append(s.Blobs, prefix+name)
		}
	}
	return s
}

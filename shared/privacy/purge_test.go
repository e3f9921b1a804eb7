package privacy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/emulatortest"
	"github.com/meetingminutes/minutes/shared/privacy"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

const day = 24 * time.Hour

func newAzureStore(t *testing.T) blob.Store {
	t.Helper()
	az := emulatortest.Azurite(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	s, err := blob.NewAzureFromConnectionString(az.ConnectionString, "privacy-"+hex.EncodeToString(b[:]), nil)
	require.NoError(t, err)
	require.NoError(t, s.EnsureContainer(context.Background()))
	return s
}

// TestExportThenPurge exports a tenant of about a thousand rows, purges it, and checks that
// nothing of it is left anywhere while the archive holds everything and the other tenant is
// untouched — with each blob store.
func TestExportThenPurge(t *testing.T) {
	t.Parallel()
	// Only this test uses Azurite in this package: stop it once its subtests are done.
	t.Cleanup(emulatortest.Stop)
	for _, st := range []struct {
		name  string
		store func(*testing.T) blob.Store
	}{
		{"dir", newDirStore},
		{"azure", newAzureStore},
	} {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			testExportThenPurge(t, st.store(t))
		})
	}
}

func testExportThenPurge(t *testing.T, blobs blob.Store) {
	b := setup(t)
	ctx := context.Background()
	cancelled := now.Add(-40 * day)
	a := seedTenant(t, b, blobs, tenantOpts{Status: "cancelled", CancelledAt: &cancelled, Users: 50, Meetings: 100, BlobMeetings: 10})
	other := seedTenant(t, b, blobs, tenantOpts{})

	preA, preOther := visibleCounts(t, b.owner, a.Tenant), visibleCounts(t, b.owner, other.Tenant)
	var total int64
	for name, n := range preA {
		require.Positive(t, n, "the factory fills every tenant table: %s", name)
		total += n
	}
	blobsA, err := blobs.List(ctx, blob.TenantPrefix(a.Tenant))
	require.NoError(t, err)
	require.Len(t, blobsA, 20)
	blobsOther, err := blobs.List(ctx, blob.TenantPrefix(other.Tenant))
	require.NoError(t, err)
	mentionsOther := mentions(t, b.super, other.Tenant.String(), false)
	require.NotEmpty(t, mentions(t, b.super, a.Tenant.String(), false))

	// Export, as the runtime role.
	var buf bytes.Buffer
	start := time.Now()
	m, err := privacy.Export(ctx, b.app, blobs, a.Tenant, &buf, &privacy.ExportOptions{IncludeBlobs: true, Now: now})
	exportTook := time.Since(start)
	require.NoError(t, err)
	arc := readArchive(t, buf.Bytes())
	require.Equal(t, m, arc.manifest, "manifest.json is the returned manifest")
	require.Equal(t, privacy.ExportFormat, m.Format)
	require.Equal(t, a.Tenant, m.Tenant)
	require.Equal(t, now, m.CreatedAt)
	require.Len(t, m.SchemaVersions, 2)
	require.Positive(t, m.SchemaVersions["control"])
	require.Positive(t, m.SchemaVersions["tenant"])
	require.Equal(t, preA, m.RowCounts(), "every tenant table, and the registry row")
	for _, tf := range m.Tables {
		rows := lines(t, arc.files[tf.File])
		require.Len(t, rows, int(tf.Rows), tf.Name)
		sum := sha256.Sum256(arc.files[tf.File])
		require.Equal(t, hex.EncodeToString(sum[:]), tf.SHA256, tf.Name)
		key := "tenant_id"
		if tf.Name == "tenants" {
			key = "id"
		}
		for _, r := range rows {
			require.Equal(t, a.Tenant.String(), r[key], "%s holds only the tenant's rows", tf.Name)
		}
	}
	require.True(t, m.BlobsIncluded)
	require.Len(t, m.Blobs, len(blobsA))
	for i, o := range blobsA {
		require.Equal(t, privacy.BlobFile{Key: o.Key, Size: o.Size, SHA256: o.SHA256, ContentType: o.ContentType, File: "blobs/" + o.Key}, m.Blobs[i])
		require.Equal(t, read(t, blobs, o.Key), arc.files["blobs/"+o.Key])
	}

	// Only the cancelled tenant is due, and the guard keeps the other.
	due, err := privacy.DuePurges(ctx, tenancy.NewRegistry(b.app), now)
	require.NoError(t, err)
	require.Equal(t, []privacy.Due{{Tenant: a.Tenant, CancelledAt: cancelled, RetentionDays: 30, DueAt: cancelled.Add(30 * day)}}, due)
	_, err = privacy.Purge(ctx, b.owner, blobs, other.Tenant, privacy.PurgeOptions{Reason: "test", Now: now})
	require.ErrorIs(t, err, privacy.ErrTenantActive)

	// Purge, as the owner.
	start = time.Now()
	rep, err := privacy.Purge(ctx, b.owner, blobs, a.Tenant, privacy.PurgeOptions{Reason: "retention ended", Now: now})
	purgeTook := time.Since(start)
	require.NoError(t, err)
	require.Equal(t, preA, rep.RowsDeleted)
	require.Equal(t, len(blobsA), rep.BlobsDeleted)
	require.Equal(t, map[string]int64{"processed_webhook_events.tenant_id_hint": 1}, rep.RowsScrubbed)
	require.Equal(t, "cancelled", rep.Status)

	// Nothing of the tenant is left: under its own RLS context as the owner, and anywhere in
	// the database as the superuser.
	for name, n := range visibleCounts(t, b.owner, a.Tenant) {
		require.Zero(t, n, name)
	}
	require.Empty(t, mentions(t, b.super, a.Tenant.String(), false))
	left, err := blobs.List(ctx, blob.TenantPrefix(a.Tenant))
	require.NoError(t, err)
	require.Empty(t, left)

	// The other tenant is untouched.
	require.Equal(t, preOther, visibleCounts(t, b.owner, other.Tenant))
	require.Equal(t, mentionsOther, mentions(t, b.super, other.Tenant.String(), false))
	stillThere, err := blobs.List(ctx, blob.TenantPrefix(other.Tenant))
	require.NoError(t, err)
	require.Equal(t, blobsOther, stillThere)
	res, err := audit.Verify(ctx, b.app, other.Tenant)
	require.NoError(t, err)
	require.True(t, res.OK)
	require.EqualValues(t, preOther["audit_log"], res.Entries)

	// Purging again finds nothing (the registry row is gone: only on request).
	_, err = privacy.Purge(ctx, b.owner, blobs, a.Tenant, privacy.PurgeOptions{Reason: "again", Now: now})
	require.ErrorIs(t, err, privacy.ErrUnknownTenant)
	rep, err = privacy.Purge(ctx, b.owner, blobs, a.Tenant, privacy.PurgeOptions{Reason: "again", Now: now, OnRequest: true})
	require.NoError(t, err)
	for name, n := range rep.RowsDeleted {
		require.Zero(t, n, name)
	}

	t.Logf("tenant of %d rows in %d tables and %d blobs: export %v (%d bytes gzip), purge %v",
		total, len(preA), len(blobsA), exportTook.Round(time.Millisecond), buf.Len(), purgeTook.Round(time.Millisecond))
}

func read(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	r, err := s.Get(context.Background(), key)
	require.NoError(t, err)
	defer r.Close()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return b
}

func TestPurgeGuard(t *testing.T) {
	t.Parallel()
	b := setup(t)
	blobs := newDirStore(t)
	ctx := context.Background()
	at := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }
	cases := []struct {
		name   string
		tenant tenantOpts
		opts   privacy.PurgeOptions
		err    error
	}{
		{"active", tenantOpts{}, privacy.PurgeOptions{}, privacy.ErrTenantActive},
		{"suspended", tenantOpts{Status: "suspended"}, privacy.PurgeOptions{}, privacy.ErrTenantActive},
		{"cancelled within retention", tenantOpts{Status: "cancelled", CancelledAt: at(29 * day)}, privacy.PurgeOptions{}, privacy.ErrRetention},
		{"cancelled, zero retention", tenantOpts{Status: "cancelled", CancelledAt: at(time.Second), RetentionDays: -1}, privacy.PurgeOptions{}, nil},
		{"cancelled, retention just ended", tenantOpts{Status: "cancelled", CancelledAt: at(30 * day)}, privacy.PurgeOptions{}, nil},
		{"active, on request", tenantOpts{}, privacy.PurgeOptions{OnRequest: true}, nil},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			s := seedTenant(t, b, blobs, tt.tenant)
			pre := visibleCounts(t, b.owner, s.Tenant)
			tt.opts.Reason, tt.opts.Now = "test", now
			_, err := privacy.Purge(ctx, b.owner, blobs, s.Tenant, tt.opts)
			objs, lerr := blobs.List(ctx, blob.TenantPrefix(s.Tenant))
			require.NoError(t, lerr)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.Equal(t, pre, visibleCounts(t, b.owner, s.Tenant), "refused: nothing deleted")
				require.Len(t, objs, len(s.Blobs))
				return
			}
			require.NoError(t, err)
			require.Zero(t, visibleCounts(t, b.owner, s.Tenant)["meetings"])
			require.Empty(t, objs)
		})
	}

	t.Run("unknown tenant", func(t *testing.T) {
		_, err := privacy.Purge(ctx, b.owner, blobs, tenancy.NewID(), privacy.PurgeOptions{Reason: "test", Now: now})
		require.ErrorIs(t, err, privacy.ErrUnknownTenant)
	})
	t.Run("reason and time are required", func(t *testing.T) {
		s := seedTenant(t, b, blobs, tenantOpts{})
		_, err := privacy.Purge(ctx, b.owner, blobs, s.Tenant, privacy.PurgeOptions{Now: now, OnRequest: true})
		require.Error(t, err)
		_, err = privacy.Purge(ctx, b.owner, blobs, s.Tenant, privacy.PurgeOptions{Reason: "x", OnRequest: true})
		require.Error(t, err)
		require.Positive(t, visibleCounts(t, b.owner, s.Tenant)["meetings"])
	})
	t.Run("the runtime role cannot purge, and nothing changes", func(t *testing.T) {
		s := seedTenant(t, b, blobs, tenantOpts{})
		pre := visibleCounts(t, b.owner, s.Tenant)
		_, err := privacy.Purge(ctx, b.app, blobs, s.Tenant, privacy.PurgeOptions{Reason: "test", Now: now, OnRequest: true})
		require.Error(t, err, "minutes_app may not delete audit entries")
		require.Equal(t, pre, visibleCounts(t, b.owner, s.Tenant))
		objs, err := blobs.List(ctx, blob.TenantPrefix(s.Tenant))
		require.NoError(t, err)
		require.Len(t, objs, len(s.Blobs), "blobs go last, after every row")
	})
}

func TestDuePurges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	type row struct {
		status    string
		cancelled *time.Time
		days      int
		due       bool
	}
	at := func(d time.Duration) *time.Time { v := now.Add(-d).Truncate(time.Microsecond); return &v }
	rows := []row{
		{"active", nil, 30, false},
		{"suspended", at(90 * day), 30, false},
		{"cancelled", at(10 * day), 30, false},
		{"cancelled", at(30*day - time.Second), 30, false},
		{"cancelled", at(30 * day), 30, true},
		{"cancelled", at(31 * day), 30, true},
		{"cancelled", at(time.Hour), 0, true},
		{"cancelled", at(400 * day), 365, true},
	}
	var want []privacy.Due
	for _, r := range rows {
		id := tenancy.NewID()
		require.NoError(t, tenancy.WithTx(ctx, b.app, id, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO tenants (id, name, status, cancelled_at, retention_days) VALUES ($1, 't', $2, $3, $4)",
				id, r.status, r.cancelled, r.days)
			return err
		}))
		if r.due {
			want = append(want, privacy.Due{Tenant: id, CancelledAt: *r.cancelled, RetentionDays: r.days, DueAt: r.cancelled.AddDate(0, 0, r.days)})
		}
	}
	got, err := privacy.DuePurges(ctx, tenancy.NewRegistry(b.app), now)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	byTenant := map[tenancy.ID]privacy.Due{}
	for _, d := range got {
		byTenant[d.Tenant] = d
	}
	for _, w := range want {
		g := byTenant[w.Tenant]
		require.True(t, w.CancelledAt.Equal(g.CancelledAt))
		require.True(t, w.DueAt.Equal(g.DueAt))
		require.Equal(t, w.RetentionDays, g.RetentionDays)
	}
	for i := 1; i < len(got); i++ {
		require.False(t, got[i].CancelledAt.Before(got[i-1].CancelledAt), "oldest first")
	}
}

// TestNewTableIsCovered adds a tenant table the way a later migration would — tenant_id,
// forced RLS, a foreign key that forbids deleting its parent first — and checks that Export
// and Purge handle it without a code change.
func TestNewTableIsCovered(t *testing.T) {
	t.Parallel()
	b := setup(t)
	blobs := newDirStore(t)
	ctx := context.Background()
	for _, stmt := range []string{
		`CREATE TABLE meeting_tags (
			tenant_id  uuid NOT NULL,
			meeting_id uuid NOT NULL,
			tag        text NOT NULL,
			PRIMARY KEY (tenant_id, meeting_id, tag),
			FOREIGN KEY (tenant_id, meeting_id) REFERENCES meetings (tenant_id, id) ON DELETE RESTRICT)`,
		`ALTER TABLE meeting_tags ENABLE ROW LEVEL SECURITY`,
		`ALTER TABLE meeting_tags FORCE ROW LEVEL SECURITY`,
		`CREATE POLICY tenant_isolation ON meeting_tags
			USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
			WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)`,
	} {
		_, err := b.owner.Exec(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	tag := func(s seeded) {
		require.NoError(t, tenancy.WithTx(ctx, b.app, s.Tenant, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO meeting_tags (tenant_id, meeting_id, tag)
				SELECT tenant_id, id, t FROM meetings CROSS JOIN unnest(ARRAY['budget', 'board']) AS t`)
			return err
		}))
	}
	a, other := seedTenant(t, b, blobs, tenantOpts{}), seedTenant(t, b, blobs, tenantOpts{})
	tag(a)
	tag(other)

	var buf bytes.Buffer
	m, err := privacy.Export(ctx, b.app, blobs, a.Tenant, &buf, nil)
	require.NoError(t, err)
	require.EqualValues(t, 6, m.RowCounts()["meeting_tags"])
	require.Len(t, lines(t, readArchive(t, buf.Bytes()).files["tables/meeting_tags.jsonl"]), 6)
	require.False(t, m.BlobsIncluded)
	for _, bf := range m.Blobs {
		require.Empty(t, bf.File)
		require.Len(t, bf.SHA256, 64)
	}

	rep, err := privacy.Purge(ctx, b.owner, blobs, a.Tenant, privacy.PurgeOptions{Reason: "on request", Now: now, OnRequest: true})
	require.NoError(t, err)
	require.EqualValues(t, 6, rep.RowsDeleted["meeting_tags"])
	require.Zero(t, visibleCounts(t, b.owner, a.Tenant)["meeting_tags"])
	require.EqualValues(t, 6, visibleCounts(t, b.owner, other.Tenant)["meeting_tags"])
	require.Empty(t, mentions(t, b.super, a.Tenant.String(), false))
}

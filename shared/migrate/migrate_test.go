package migrate_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/migrate"
)

// latest returns the highest version in a set's embedded migrations.
func latest(t *testing.T, s migrate.Set) int64 {
	t.Helper()
	v := migrate.Latest(s)
	require.Positive(t, v, s)
	return v
}

func TestUp(t *testing.T) {
	t.Parallel()

	t.Run("AppliesEverySetOnEmptyDatabase", func(t *testing.T) {
		t.Parallel()
		db := dbtest.Empty(t)
		ctx := context.Background()

		res, err := migrate.Up(ctx, db.OwnerURL)
		require.NoError(t, err)
		require.Len(t, res, 2)
		for i, s := range []migrate.Set{migrate.SetControl, migrate.SetTenant} {
			require.Equal(t, s, res[i].Set)
			require.Equal(t, latest(t, s), res[i].Current)
			require.NotEmpty(t, res[i].Applied)
			require.True(t, slices.IsSorted(res[i].Applied))
			require.Equal(t, res[i].Current, res[i].Applied[len(res[i].Applied)-1])
		}

		versions, err := migrate.Versions(ctx, db.App)
		require.NoError(t, err, "the app role reads the version tables")
		require.Equal(t, map[migrate.Set]int64{
			migrate.SetControl: latest(t, migrate.SetControl),
			migrate.SetTenant:  latest(t, migrate.SetTenant),
		}, versions)
	})

	t.Run("AgainIsNoOp", func(t *testing.T) {
		t.Parallel()
		db := dbtest.Empty(t)
		ctx := context.Background()

		_, err := migrate.Up(ctx, db.OwnerURL, migrate.SetTenant)
		require.NoError(t, err)
		res, err := migrate.Up(ctx, db.OwnerURL, migrate.SetTenant)
		require.NoError(t, err)
		require.Equal(t, []migrate.Result{{Set: migrate.SetTenant, Current: latest(t, migrate.SetTenant)}}, res)
	})

	t.Run("OnlyTheSetsGiven", func(t *testing.T) {
		t.Parallel()
		db := dbtest.Empty(t)
		ctx := context.Background()

		_, err := migrate.Up(ctx, db.OwnerURL, migrate.SetTenant)
		require.NoError(t, err)
		versions, err := migrate.Versions(ctx, db.App)
		require.NoError(t, err)
		require.Zero(t, versions[migrate.SetControl])
		require.Equal(t, latest(t, migrate.SetTenant), versions[migrate.SetTenant])
	})

	t.Run("ConcurrentCallsApplyOnce", func(t *testing.T) {
		t.Parallel()
		db := dbtest.Empty(t)
		ctx := context.Background()

		var wg sync.WaitGroup
		results := make([][]migrate.Result, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { results[i], errs[i] = migrate.Up(ctx, db.OwnerURL) })
		}
		wg.Wait()
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])

		for set := range 2 {
			applied := append(slices.Clone(results[0][set].Applied), results[1][set].Applied...)
			slices.Sort(applied)
			require.Equal(t, slices.Compact(slices.Clone(applied)), applied, "no version applied twice")
			require.NotEmpty(t, applied)
			require.Equal(t, results[0][set].Current, results[1][set].Current)
		}

		owner := connect(t, db.OwnerURL)
		for _, table := range []string{"goose_control_version", "goose_tenant_version"} {
			var rows, distinct int
			require.NoError(t, owner.QueryRow(ctx,
				"SELECT count(*), count(DISTINCT version_id) FROM "+table).Scan(&rows, &distinct))
			require.Equal(t, distinct, rows, "%s records each version once", table)
		}
	})

	t.Run("FailingMigrationRollsBack", func(t *testing.T) {
		t.Parallel()
		db := dbtest.Empty(t)
		ctx := context.Background()
		fsys := fstest.MapFS{
			"00001_one.sql": {Data: []byte(`-- +goose Up
CREATE TABLE one (id int PRIMARY KEY);
-- +goose Down
DROP TABLE one;
`)},
			"00002_two.sql": {Data: []byte(`-- +goose Up
CREATE TABLE two (id int PRIMARY KEY);
INSERT INTO one VALUES (1);
SELECT 1/0;
-- +goose Down
DROP TABLE two;
`)},
		}

		_, err := migrate.UpFS(ctx, db.OwnerURL, migrate.SetTenant, fsys)
		require.ErrorContains(t, err, "00002_two.sql")
		require.ErrorContains(t, err, "division by zero")

		st, err := migrate.StatusFS(ctx, db.OwnerURL, migrate.SetTenant, fsys)
		require.NoError(t, err)
		require.Equal(t, migrate.SetStatus{Set: migrate.SetTenant, Current: 1, Latest: 2, Pending: []int64{2}}, st)

		owner := connect(t, db.OwnerURL)
		var two *string
		var ones int
		require.NoError(t, owner.QueryRow(ctx, "SELECT to_regclass('two')::text, (SELECT count(*) FROM one)").Scan(&two, &ones))
		require.Nil(t, two, "table two was rolled back")
		require.Zero(t, ones, "the insert was rolled back")
	})

	t.Run("UnknownSet", func(t *testing.T) {
		t.Parallel()
		_, err := migrate.Up(context.Background(), "postgres://nowhere.invalid/x", "nope")
		require.ErrorContains(t, err, `unknown migration set "nope"`)
	})
}

func TestStatus(t *testing.T) {
	t.Parallel()
	db := dbtest.Empty(t)
	ctx := context.Background()

	before, err := migrate.Status(ctx, db.OwnerURL)
	require.NoError(t, err)
	require.Len(t, before, 2)
	for _, st := range before {
		require.Zero(t, st.Current)
		require.Equal(t, latest(t, st.Set), st.Latest)
		require.NotEmpty(t, st.Pending)
		require.Equal(t, st.Latest, st.Pending[len(st.Pending)-1])
	}

	owner := connect(t, db.OwnerURL)
	var tables int
	require.NoError(t, owner.QueryRow(ctx,
		"SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename LIKE 'goose%'").Scan(&tables))
	require.Zero(t, tables, "Status creates no version table")

	_, err = migrate.Up(ctx, db.OwnerURL)
	require.NoError(t, err)

	after, err := migrate.Status(ctx, db.OwnerURL, migrate.SetTenant, migrate.SetControl)
	require.NoError(t, err)
	require.Equal(t, []migrate.SetStatus{
		{Set: migrate.SetTenant, Current: latest(t, migrate.SetTenant), Latest: latest(t, migrate.SetTenant)},
		{Set: migrate.SetControl, Current: latest(t, migrate.SetControl), Latest: latest(t, migrate.SetControl)},
	}, after)
}

func TestVersionsOnMigratedDatabase(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)

	versions, err := migrate.Versions(context.Background(), db.App)
	require.NoError(t, err)
	require.Equal(t, latest(t, migrate.SetControl), versions[migrate.SetControl])
	require.Equal(t, latest(t, migrate.SetTenant), versions[migrate.SetTenant])
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

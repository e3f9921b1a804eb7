package migrate_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/migrate"
)

func TestRiver(t *testing.T) {
	t.Parallel()
	// Our sets first, as 'handler migrate up' runs them: their default privileges are what
	// gives minutes_app River's tables.
	db := dbtest.Empty(t)
	ctx := t.Context()
	_, err := migrate.Up(ctx, db.OwnerURL)
	require.NoError(t, err)

	before, err := migrate.RiverStatus(ctx, db.AppURL)
	require.NoError(t, err)
	require.Zero(t, before.Current)
	require.NotZero(t, before.Latest)
	require.Len(t, before.Pending, before.Latest, "every version pending on a new database")

	// Two concurrent callers (two pods' migration jobs): each version is applied once.
	var applied [2][]int
	g, gctx := errgroup.WithContext(ctx)
	for i := range applied {
		g.Go(func() error {
			var err error
			applied[i], err = migrate.River(gctx, db.OwnerURL)
			return err
		})
	}
	require.NoError(t, g.Wait())
	require.ElementsMatch(t, before.Pending, append(applied[0], applied[1]...))

	again, err := migrate.River(ctx, db.OwnerURL)
	require.NoError(t, err)
	require.Empty(t, again, "nothing pending the second time")

	after, err := migrate.RiverStatus(ctx, db.AppURL)
	require.NoError(t, err)
	require.Equal(t, migrate.RiverVersions{Current: before.Latest, Latest: before.Latest}, after)

	t.Run("OwnerOwnsAndAppRoleMayUse", func(t *testing.T) {
		rows, err := db.App.Query(ctx, `
SELECT c.relname, c.relkind::text, pg_catalog.pg_get_userbyid(c.relowner),
       CASE WHEN c.relkind = 'S' THEN has_sequence_privilege('minutes_app', c.oid, 'USAGE')
            ELSE has_table_privilege('minutes_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE') END
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relname LIKE 'river\_%' AND c.relkind IN ('r', 'S')
 ORDER BY 1`)
		require.NoError(t, err)
		type rel struct {
			Name, Kind, Owner string
			Granted           bool
		}
		rels, err := pgx.CollectRows(rows, pgx.RowToStructByPos[rel])
		require.NoError(t, err)
		names := map[string]bool{}
		for _, r := range rels {
			names[r.Name] = true
			require.Equal(t, dbtest.OwnerRole, r.Owner, "%s owned by the owner role", r.Name)
			require.True(t, r.Granted, "minutes_app may use %s (%s)", r.Name, r.Kind)
		}
		for _, want := range []string{"river_job", "river_job_id_seq", "river_leader", "river_queue", "river_migration"} {
			require.True(t, names[want], "%s exists: %v", want, rels)
		}
	})
}

func TestRiverFailsCleanly(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := migrate.River(ctx, "postgres://nobody@127.0.0.1:1/none?connect_timeout=1&password=hunter2")
	require.ErrorContains(t, err, "migrate river")
	require.NotContains(t, err.Error(), "hunter2")
	_, err = migrate.RiverStatus(ctx, "postgres://nobody:hunter2@127.0.0.1:1/none?connect_timeout=1")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2")
}

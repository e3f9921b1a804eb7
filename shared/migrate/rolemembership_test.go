package migrate_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/migrate"
)

// TestMigratingLoginSwitchesToRuntimeRole is the Azure deployment's shape (infra/): one login
// (the app's managed identity, an Entra admin: CREATEROLE, not a superuser) runs the
// migrations, then connects with options='-c role=minutes_app'. Before the migrations the
// switch is refused; after them the session runs as minutes_app, which may not change the
// schema.
func TestMigratingLoginSwitchesToRuntimeRole(t *testing.T) {
	t.Parallel()
	db := dbtest.Empty(t)
	ctx := context.Background()
	super, err := url.Parse(os.Getenv("TEST_DATABASE_URL"))
	require.NoError(t, err)
	as := func(role, dbname string, runtime bool) string {
		u := *super
		u.User, u.Path = url.User(role), "/"+dbname
		if runtime {
			// %20, not url.Values' "+": libpq-style parsers take + literally.
			u.RawQuery = strings.TrimPrefix(u.RawQuery+"&options=-c%20role%3Dminutes_app", "&")
		}
		return u.String()
	}
	admin, err := pgx.Connect(ctx, super.String())
	require.NoError(t, err)
	identity := "mmtest_identity_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	_, err = admin.Exec(ctx, `CREATE ROLE `+identity+` LOGIN NOSUPERUSER CREATEROLE`)
	require.NoError(t, err)
	_, err = admin.Exec(ctx, `ALTER DATABASE `+db.Name+` OWNER TO `+identity)
	require.NoError(t, err)
	t.Cleanup(func() {
		// Before dbtest drops the database: give its objects back, then drop the login.
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, as(super.User.Username(), db.Name, false))
		if err == nil {
			_, _ = conn.Exec(ctx, `REASSIGN OWNED BY `+identity+` TO minutes_owner; DROP OWNED BY `+identity)
			_ = conn.Close(ctx)
		}
		_, _ = admin.Exec(ctx, `ALTER DATABASE `+db.Name+` OWNER TO minutes_owner`)
		_, err = admin.Exec(ctx, `DROP ROLE IF EXISTS `+identity)
		require.NoError(t, err, "drop the test login")
		_ = admin.Close(ctx)
	})

	_, err = pgx.Connect(ctx, as(identity, db.Name, true))
	require.ErrorContains(t, err, `permission denied to set role "minutes_app"`, "not a member before the migrations")

	_, err = migrate.Up(ctx, as(identity, db.Name, false), migrate.SetControl, migrate.SetTenant)
	require.NoError(t, err)

	conn, err := pgx.Connect(ctx, as(identity, db.Name, true))
	require.NoError(t, err)
	defer conn.Close(ctx)
	var current, session string
	require.NoError(t, conn.QueryRow(ctx, `SELECT current_user, session_user`).Scan(&current, &session))
	require.Equal(t, "minutes_app", current)
	require.Equal(t, identity, session)
	_, err = conn.Exec(ctx, `CREATE TABLE sneaky (id int)`)
	require.ErrorContains(t, err, "permission denied", "the runtime role may not change the schema")
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM meetings`).Scan(&n), "the runtime role reads tenant tables (under RLS)")
}

package dbtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/migrate"
)

func TestNew(t *testing.T) {
	t.Parallel()

	t.Run("AppRoleIsRestricted", func(t *testing.T) {
		t.Parallel()
		db := New(t)
		ctx := context.Background()

		var user string
		var super, bypass, createRole, createDB bool
		require.NoError(t, db.App.QueryRow(ctx, `
			SELECT current_user, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb
			FROM pg_catalog.pg_roles WHERE rolname = current_user`).
			Scan(&user, &super, &bypass, &createRole, &createDB))
		require.Equal(t, AppRole, user)
		require.False(t, super, "NOSUPERUSER")
		require.False(t, bypass, "NOBYPASSRLS")
		require.False(t, createRole, "NOCREATEROLE")
		require.False(t, createDB, "NOCREATEDB")

		_, err := db.App.Exec(ctx, "CREATE TABLE app_may_not (id int)")
		var pgErr *pgconn.PgError
		require.ErrorAs(t, err, &pgErr)
		require.Equal(t, "42501", pgErr.Code, "insufficient_privilege")
	})

	t.Run("OwnedByOwnerWithMigrationsApplied", func(t *testing.T) {
		t.Parallel()
		db := New(t)
		ctx := context.Background()

		require.True(t, strings.HasPrefix(db.Name, "mmtest_"))
		var owner, searchPath string
		require.NoError(t, db.App.QueryRow(ctx, `
			SELECT pg_catalog.pg_get_userbyid(datdba), current_setting('search_path')
			FROM pg_catalog.pg_database WHERE datname = current_database()`).Scan(&owner, &searchPath))
		require.Equal(t, OwnerRole, owner)
		require.Equal(t, "public", searchPath)

		versions, err := migrate.Versions(ctx, db.App)
		require.NoError(t, err)
		status, err := migrate.Status(ctx, db.OwnerURL)
		require.NoError(t, err)
		for _, st := range status {
			require.Empty(t, st.Pending, st.Set)
			require.Equal(t, st.Latest, versions[st.Set], st.Set)
			require.Positive(t, versions[st.Set], st.Set)
		}
	})

	t.Run("DatabasesAreSeparate", func(t *testing.T) {
		t.Parallel()
		a, b := New(t), New(t)
		ctx := context.Background()
		require.NotEqual(t, a.Name, b.Name)

		owner, err := pgx.Connect(ctx, a.OwnerURL)
		require.NoError(t, err)
		defer owner.Close(ctx)
		_, err = owner.Exec(ctx, "CREATE TABLE only_in_a (id int)")
		require.NoError(t, err)

		_, err = a.App.Exec(ctx, "INSERT INTO only_in_a VALUES (1)")
		require.NoError(t, err, "default privileges give the app role DML on the owner's tables")
		_, err = b.App.Exec(ctx, "SELECT * FROM only_in_a")
		require.Error(t, err)
	})
}

func TestEmpty(t *testing.T) {
	t.Parallel()
	db := Empty(t)
	ctx := context.Background()

	versions, err := migrate.Versions(ctx, db.App)
	require.NoError(t, err)
	require.Equal(t, map[migrate.Set]int64{migrate.SetControl: 0, migrate.SetTenant: 0}, versions)
}

func TestCleanupDropsDatabase(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("use", func(t *testing.T) {
		name = New(t).Name
	})
	var exists bool
	require.NoError(t, process.admin.QueryRow(context.Background(),
		"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1)", name).Scan(&exists))
	require.False(t, exists, "database %s is dropped when its test ends", name)
}

func TestNames(t *testing.T) {
	t.Parallel()
	name := newName()
	require.True(t, strings.HasPrefix(name, "mmtest_"))
	require.LessOrEqual(t, len(name+"_tpl"), 63, "fits a PostgreSQL identifier")
	created, ok := createdAt(name)
	require.True(t, ok)
	require.WithinDuration(t, time.Now(), created, time.Minute)

	for _, bad := range []string{"postgres", "mmtest_x_1_2", "mmtest_"} {
		_, ok := createdAt(bad)
		require.False(t, ok, bad)
	}
}

func TestMissingURL(t *testing.T) {
	// Not parallel: it changes the environment.
	t.Setenv("TEST_DATABASE_URL", "")

	t.Run("SkipsLocally", func(t *testing.T) {
		t.Setenv("CI", "")
		r := runTB(func(tb testing.TB) { Empty(tb) })
		require.True(t, r.skipped)
		require.False(t, r.failed)
	})
	t.Run("FailsInCI", func(t *testing.T) {
		t.Setenv("CI", "true")
		r := runTB(func(tb testing.TB) { Empty(tb) })
		require.True(t, r.failed)
		require.False(t, r.skipped)
	})
}

// recorder is a testing.TB that records Skip and Fatal instead of acting on the real test.
type recorder struct {
	testing.TB
	failed, skipped bool
}

var errStop = errors.New("stop")

func (r *recorder) Helper()               {}
func (r *recorder) Fatal(...any)          { r.failed = true; panic(errStop) }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; panic(errStop) }
func (r *recorder) Skip(...any)           { r.skipped = true; panic(errStop) }
func (r *recorder) Skipf(string, ...any)  { r.skipped = true; panic(errStop) }

func runTB(fn func(testing.TB)) (r *recorder) {
	r = &recorder{}
	defer func() {
		if p := recover(); p != nil && p != errStop {
			panic(p)
		}
	}()
	fn(r)
	return r
}

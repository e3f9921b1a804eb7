package migrations_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestCatalog(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()

	t.Run("ContractHolds", func(t *testing.T) {
		t.Parallel()
		probs, err := checkContract(ctx, db.App)
		require.NoError(t, err)
		require.Empty(t, probs, "schema breaks the tenant-isolation contract:\n%s", lines(probs))
	})

	t.Run("FindsTheTenantTables", func(t *testing.T) {
		// Guards the checker itself: a catalog query that silently matched nothing would pass.
		t.Parallel()
		tables, err := tenantTables(ctx, db.App)
		require.NoError(t, err)
		var names []string
		for _, r := range tables {
			names = append(names, r.Key())
		}
		for _, want := range []string{"meetings", "audit_log", "users", "resource_profiles", "usage_counters"} {
			require.Contains(t, names, want)
		}
	})

	t.Run("AppRoleCannotCreate", func(t *testing.T) {
		t.Parallel()
		for _, stmt := range []string{
			"CREATE TABLE x ()",
			"CREATE TABLE public.x (tenant_id uuid)",
			"CREATE SCHEMA x",
			"CREATE FUNCTION public.x() RETURNS int LANGUAGE sql AS 'SELECT 1'",
			"CREATE VIEW public.x AS SELECT * FROM meetings",
		} {
			_, err := db.App.Exec(ctx, stmt)
			requireDenied(t, err, stmt)
		}
	})

	t.Run("AppRoleCannotLiftRLS", func(t *testing.T) {
		t.Parallel()
		for _, stmt := range []string{
			"ALTER TABLE meetings DISABLE ROW LEVEL SECURITY",
			"ALTER TABLE meetings NO FORCE ROW LEVEL SECURITY",
			"DROP POLICY tenant_isolation ON meetings",
			"CREATE POLICY peek ON meetings USING (true)",
			"ALTER POLICY tenant_isolation ON meetings USING (true)",
			"TRUNCATE meetings",
			"SET ROLE minutes_owner",
		} {
			_, err := db.App.Exec(ctx, stmt)
			requireDenied(t, err, stmt)
		}
	})

	t.Run("AuditLogIsAppendOnlyForTheAppRole", func(t *testing.T) {
		t.Parallel()
		id := tenancy.NewID()
		for _, stmt := range []string{
			"UPDATE audit_log SET action = 'x'",
			"DELETE FROM audit_log",
			"TRUNCATE audit_log",
		} {
			err := tenancy.WithTx(ctx, db.App, id, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, stmt)
				return err
			})
			requireDenied(t, err, stmt)
		}
	})
}

// TestCatalogCheckerFails proves the checker is not vacuous: it runs on a database doctored to
// break each rule and must name each breach, and nothing on the untouched tables.
func TestCatalogCheckerFails(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()

	policy := func(table string) string {
		return "ALTER TABLE " + table + " ENABLE ROW LEVEL SECURITY;" +
			"ALTER TABLE " + table + " FORCE ROW LEVEL SECURITY;" +
			"CREATE POLICY tenant_isolation ON " + table + " USING (" + contractExpr + ") WITH CHECK (" + contractExpr + ");"
	}
	owner := connect(t, db.OwnerURL)
	_, err := owner.Exec(ctx, strings.Join([]string{
		// The case the brief names: a table with tenant_id and nothing else.
		"CREATE TABLE leaky (tenant_id uuid)",
		// A second permissive policy is OR-ed with the contract.
		"CREATE TABLE wide (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id))",
		policy("wide"),
		"CREATE POLICY support_peek ON wide FOR SELECT USING (true)",
		// The contract's USING with a WITH CHECK that lets any tenant_id in.
		"CREATE TABLE weak_check (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id))",
		"ALTER TABLE weak_check ENABLE ROW LEVEL SECURITY; ALTER TABLE weak_check FORCE ROW LEVEL SECURITY",
		"CREATE POLICY tenant_isolation ON weak_check USING (" + contractExpr + ") WITH CHECK (true)",
		// Global uniqueness and an index the RLS qual cannot use.
		"CREATE TABLE sloppy (tenant_id uuid NOT NULL, id int, email text UNIQUE, created_at timestamptz, PRIMARY KEY (tenant_id, id))",
		policy("sloppy"),
		"CREATE INDEX sloppy_created ON sloppy (created_at)",
		// Wrong column type: the contract's comparison cannot even be written.
		"CREATE TABLE textual (tenant_id text NOT NULL PRIMARY KEY)",
		"ALTER TABLE textual ENABLE ROW LEVEL SECURITY; ALTER TABLE textual FORCE ROW LEVEL SECURITY",
		// Relations that cannot carry RLS, or check their owner instead of the caller.
		"CREATE MATERIALIZED VIEW leaky_mv AS SELECT tenant_id, id FROM meetings",
		"CREATE VIEW leaky_view AS SELECT tenant_id, id FROM meetings",
		// Must not be reported: a restrictive policy only narrows; a policy for another role
		// does not apply to minutes_app; an invoker view is checked as the caller.
		"CREATE TABLE narrowed (tenant_id uuid NOT NULL, id int, PRIMARY KEY (tenant_id, id))",
		policy("narrowed"),
		"CREATE POLICY positive_ids ON narrowed AS RESTRICTIVE USING (id > 0)",
		"CREATE POLICY owner_only ON narrowed TO minutes_owner USING (true)",
		"CREATE VIEW invoker_view WITH (security_invoker = true) AS SELECT tenant_id, id FROM meetings",
		// Privileges the app role must not have.
		"GRANT UPDATE ON audit_log TO minutes_app",
		"GRANT TRUNCATE ON meetings TO minutes_app",
		"GRANT CREATE ON SCHEMA public TO minutes_app",
		// A registry without RLS whose delete cascades into a tenant table.
		"CREATE TABLE doctored_registry (id uuid PRIMARY KEY)",
		"CREATE TABLE doctored_child (tenant_id uuid NOT NULL REFERENCES doctored_registry ON DELETE CASCADE, id int, PRIMARY KEY (tenant_id, id))",
		policy("doctored_child"),
	}, ";\n"))
	require.NoError(t, err)

	// Giving minutes_app an object needs membership in it: the superuser does it.
	super := connect(t, superURL(t, db.Name))
	_, err = super.Exec(ctx, "CREATE TABLE app_owned (); ALTER TABLE app_owned OWNER TO minutes_app")
	require.NoError(t, err)

	probs, err := checkContract(ctx, db.App)
	require.NoError(t, err)
	got := map[string][]kind{}
	for _, p := range probs {
		if !slices.Contains(got[p.Object], p.Kind) {
			got[p.Object] = append(got[p.Object], p.Kind)
		}
	}
	for obj := range got {
		slices.Sort(got[obj])
	}
	sorted := func(ks ...kind) []kind { slices.Sort(ks); return ks }
	want := map[string][]kind{
		"leaky":            sorted(kindRLSDisabled, kindRLSNotForced, kindNoContractPolicy, kindTenantNullable, kindNoPrimaryKey),
		"wide":             {kindWidePolicy},
		"weak_check":       sorted(kindNoContractPolicy, kindWidePolicy),
		"sloppy":           sorted(kindIndexNotLeading, kindUniqueNoTenant),
		"textual":          sorted(kindNoContractPolicy, kindTenantNotUUID),
		"leaky_mv":         {kindCannotCarryRLS},
		"leaky_view":       {kindViewNotInvoker},
		"audit_log":        {kindAuditWritable},
		"meetings":         {kindAppTablePrivilege},
		"schema public":    {kindAppCanCreate},
		"role minutes_app": {kindAppOwns},
	}
	require.Equal(t, want, got, "doctored database:\n%s", lines(probs))
	require.Contains(t, probs, problem{"leaky", kindRLSDisabled, `ALTER TABLE "public"."leaky" ENABLE ROW LEVEL SECURITY`})
	require.Contains(t, probs, problem{"role minutes_app", kindAppOwns, "owns relation app_owned"})

	regs, err := checkRegistries(ctx, db.App)
	require.NoError(t, err)
	var doctored []kind
	for _, p := range regs {
		if p.Object == "doctored_registry" {
			doctored = append(doctored, p.Kind)
		}
	}
	slices.Sort(doctored)
	require.Equal(t, sorted(kindCrossTenantCascade, kindRegistryReadable), doctored, "registry problems:\n%s", lines(regs))
}

// TestRegistryTables covers the tables without tenant_id that tenant tables reference: the
// contract's RLS on tenant tables is moot if minutes_app can reach other tenants' rows
// through them.
func TestRegistryTables(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()

	t.Run("Catalog", func(t *testing.T) {
		t.Parallel()
		probs, err := checkRegistries(ctx, db.App)
		require.NoError(t, err)
		require.Empty(t, probs, "minutes_app reaches across tenants through a registry:\n%s", lines(probs))
	})

	t.Run("AnotherTenantsRowsSurviveItsRegistryRow", func(t *testing.T) {
		t.Parallel()
		a, b := tenancy.NewID(), tenancy.NewID()
		registerTenants(t, db.OwnerURL, a, b)
		require.NoError(t, tenancy.WithTx(ctx, db.App, a, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO resource_profiles (tenant_id) VALUES ($1)", a)
			return err
		}))

		// Tenant B's transaction goes for tenant A's registry row; the outcome may be an
		// error or nothing, but A's data must still be there.
		_ = tenancy.WithTx(ctx, db.App, b, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "DELETE FROM tenants WHERE id = $1", a)
			return err
		})
		var n int
		require.NoError(t, tenancy.WithReadTx(ctx, db.App, a, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, "SELECT count(*) FROM resource_profiles").Scan(&n)
		}))
		require.Equal(t, 1, n, "tenant B's DELETE FROM tenants cascaded into tenant A's resource_profiles")
	})

	t.Run("AnotherTenantsRegistryRowIsInvisible", func(t *testing.T) {
		t.Parallel()
		a, b := tenancy.NewID(), tenancy.NewID()
		registerTenants(t, db.OwnerURL, a, b)
		var n int
		err := tenancy.WithReadTx(ctx, db.App, b, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, "SELECT count(*) FROM tenants WHERE id = $1", a).Scan(&n)
		})
		if err == nil {
			require.Zero(t, n, "tenant B reads tenant A's registry row (name, plan, billing and Entra ids)")
		} else {
			requireDenied(t, err, "SELECT FROM tenants")
		}
	})
}

// registerTenants adds a tenants row for each id, as the owner and inside that tenant's
// context, so it works whether or not the registry gets RLS.
func registerTenants(t *testing.T, ownerURL string, ids ...tenancy.ID) {
	t.Helper()
	ctx := context.Background()
	owner := connect(t, ownerURL)
	for _, id := range ids {
		require.NoError(t, tenancy.WithTx(ctx, owner, id, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO tenants (id, name) VALUES ($1, $2)", id, "tenant "+id.String()[:8])
			return err
		}))
	}
}

// connect opens a connection closed when t ends.
func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// superURL is TEST_DATABASE_URL (a superuser; dbtest.New has skipped the test when it is
// unset) pointed at database name.
func superURL(t *testing.T, name string) string {
	t.Helper()
	u, err := url.Parse(os.Getenv("TEST_DATABASE_URL"))
	require.NoError(t, err)
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

// requireDenied asserts err is insufficient_privilege (42501) and not a row-level-security
// check: the statement was refused before touching any row.
func requireDenied(t *testing.T, err error, what string) {
	t.Helper()
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr, "%s: want permission denied", what)
	require.Equal(t, "42501", pgErr.Code, "%s: %v", what, err)
	require.False(t, isRLSViolation(err), "%s: %v", what, err)
}

// isRLSViolation reports whether err is PostgreSQL refusing a row under a WITH CHECK policy.
// The SQLSTATE is the same as a permission error's, so the message tells them apart (a test
// asserting server behaviour; production code must not branch on message text).
func isRLSViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501" &&
		strings.HasPrefix(pgErr.Message, "new row violates row-level security policy")
}

func lines[T interface{ String() string }](xs []T) string {
	var b strings.Builder
	for _, x := range xs {
		b.WriteString("  ")
		b.WriteString(x.String())
		b.WriteByte('\n')
	}
	return b.String()
}

package migrations_test

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/dbtest"
)

// This file is the catalog checker: it reads pg_catalog and reports every way the schema
// breaks the tenant-isolation contract. It reads the catalog, not the migration files, so it
// cannot go stale: a table added tomorrow is checked tomorrow. The tests using it are in
// catalog_test.go.

// contractExpr is the one expression every tenant table's policy must use, for USING and
// WITH CHECK alike (see migrations/tenant/00002_tenant_data.sql).
const contractExpr = `tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid`

// kind names one way of breaking the contract.
type kind string

const (
	kindRLSDisabled        kind = "rls_disabled"                  // relrowsecurity is false
	kindRLSNotForced       kind = "rls_not_forced"                // relforcerowsecurity is false: the owner bypasses
	kindNoContractPolicy   kind = "no_contract_policy"            // no permissive ALL policy for minutes_app with the contract USING and WITH CHECK
	kindWidePolicy         kind = "extra_permissive_policy"       // another permissive policy for minutes_app: policies are OR-ed
	kindTenantNullable     kind = "tenant_id_nullable"            // tenant_id lacks NOT NULL
	kindTenantNotUUID      kind = "tenant_id_not_uuid"            // the contract compares with ::uuid
	kindNoPrimaryKey       kind = "no_primary_key"                // rows cannot be addressed per tenant
	kindIndexNotLeading    kind = "index_not_led_by_tenant_id"    // the RLS qual (and Citus) cannot use it
	kindUniqueNoTenant     kind = "unique_without_tenant_id"      // a unique violation reveals another tenant's row
	kindCannotCarryRLS     kind = "relation_cannot_carry_rls"     // materialized view or foreign table with tenant_id
	kindViewNotInvoker     kind = "view_not_security_invoker"     // the view checks its owner, not the caller
	kindAppTablePrivilege  kind = "app_privilege_beyond_dml"      // TRUNCATE ignores RLS; TRIGGER, REFERENCES are DDL powers
	kindRoleBypassesRLS    kind = "role_bypasses_rls"             // a minutes_* role that is not a superuser has BYPASSRLS
	kindAppAttribute       kind = "app_role_attribute"            // minutes_app is SUPERUSER, BYPASSRLS, CREATEDB, CREATEROLE or REPLICATION
	kindAppOwns            kind = "app_role_owns_object"          // an owner can disable RLS or drop the policy
	kindAppInherits        kind = "app_role_inherits_power"       // member of a role that owns, bypasses or reads everything
	kindAppCanCreate       kind = "app_role_can_create"           // CREATE on the database or on a schema
	kindAuditWritable      kind = "audit_log_writable"            // minutes_app may UPDATE, DELETE or TRUNCATE audit_log
	kindRegistryReadable   kind = "registry_readable_without_rls" // every tenant's registry row is visible to minutes_app
	kindCrossTenantCascade kind = "cross_tenant_cascade"          // a write on a table without RLS cascades into other tenants' rows
)

// problem is one breach of the contract, on one object.
type problem struct {
	// Object is a relation ("meetings", "other.t"), "role <name>", "schema <name>" or "database".
	Object string
	Kind   kind
	Detail string
}

func (p problem) String() string { return fmt.Sprintf("%s: %s: %s", p.Object, p.Kind, p.Detail) }

// querier is what the checker needs: a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// relation is one relation with a tenant_id column.
type relation struct {
	OID          uint32
	Schema, Name string
	Kind         string // pg_class.relkind: r, p, m, f or v
	RLS, Forced  bool
	TenantAttnum int16
	NotNull      bool
	Type         string
	Invoker      bool // views: security_invoker is set
}

// Key names the relation in problems and in the factory registry: bare in public, qualified
// elsewhere.
func (r relation) Key() string {
	if r.Schema == "public" {
		return r.Name
	}
	return r.Schema + "." + r.Name
}

// Ident is the quoted, schema-qualified name for SQL.
func (r relation) Ident() string { return pgx.Identifier{r.Schema, r.Name}.Sanitize() }

// IsTable reports whether the relation is a table (plain or partitioned): what RLS applies to.
func (r relation) IsTable() bool { return r.Kind == "r" || r.Kind == "p" }

// userSchemas excludes the system schemas, so every schema we or a migration create is checked.
const userSchemas = `n.nspname NOT IN ('pg_catalog', 'information_schema')
	AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'`

// tenantRelations lists every relation in a user schema with a tenant_id column.
func tenantRelations(ctx context.Context, q querier) ([]relation, error) {
	rows, err := q.Query(ctx, `
		SELECT c.oid, n.nspname, c.relname, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
		       a.attnum, a.attnotnull, pg_catalog.format_type(a.atttypid, a.atttypmod),
		       coalesce((SELECT bool_or(lower(o) IN ('security_invoker=true', 'security_invoker=on',
		                                            'security_invoker=1', 'security_invoker=yes'))
		                 FROM unnest(c.reloptions) o), false)
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
		     AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relkind IN ('r', 'p', 'm', 'f', 'v') AND `+userSchemas+`
		ORDER BY n.nspname, c.relname`)
	if err != nil {
		return nil, fmt.Errorf("list relations with tenant_id: %w", err)
	}
	rels, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (relation, error) {
		var r relation
		err := row.Scan(&r.OID, &r.Schema, &r.Name, &r.Kind, &r.RLS, &r.Forced,
			&r.TenantAttnum, &r.NotNull, &r.Type, &r.Invoker)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("list relations with tenant_id: %w", err)
	}
	return rels, nil
}

// tenantTables is tenantRelations restricted to tables (relkind r and p).
func tenantTables(ctx context.Context, q querier) ([]relation, error) {
	rels, err := tenantRelations(ctx, q)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(rels, func(r relation) bool { return !r.IsTable() }), nil
}

// normalizeExpr reduces a policy expression to a canonical form, so the deparsed text in
// pg_policy compares equal to contractExpr: lower case, no "::text" casts (the deparser adds
// them to literals), no parentheses, no white space.
func normalizeExpr(s string) string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, "::text", "")
	return strings.Map(func(r rune) rune {
		switch r {
		case '(', ')', ' ', '\t', '\n', '\r':
			return -1
		}
		return r
	}, s)
}

// checkContract returns every breach of the tenant-isolation contract in the database q is
// connected to; none means the schema keeps tenants apart for minutes_app.
func checkContract(ctx context.Context, q querier) ([]problem, error) {
	rels, err := tenantRelations(ctx, q)
	if err != nil {
		return nil, err
	}
	var probs []problem
	add := func(obj string, k kind, format string, args ...any) {
		probs = append(probs, problem{Object: obj, Kind: k, Detail: fmt.Sprintf(format, args...)})
	}

	byOID := map[uint32]relation{}
	var tableOIDs []uint32
	for _, r := range rels {
		switch {
		case r.IsTable():
			byOID[r.OID] = r
			tableOIDs = append(tableOIDs, r.OID)
			if !r.RLS {
				add(r.Key(), kindRLSDisabled, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY", r.Ident())
			}
			if !r.Forced {
				add(r.Key(), kindRLSNotForced, "ALTER TABLE %s FORCE ROW LEVEL SECURITY", r.Ident())
			}
			if !r.NotNull {
				add(r.Key(), kindTenantNullable, "tenant_id must be NOT NULL")
			}
			if r.Type != "uuid" {
				add(r.Key(), kindTenantNotUUID, "tenant_id is %s, the policy compares with uuid", r.Type)
			}
		case r.Kind == "v":
			if !r.Invoker {
				add(r.Key(), kindViewNotInvoker, "view exposes tenant_id: create it WITH (security_invoker = true)")
			}
		default:
			add(r.Key(), kindCannotCarryRLS, "relkind %q with tenant_id cannot have row-level security", r.Kind)
		}
	}

	if err := checkPolicies(ctx, q, byOID, tableOIDs, add); err != nil {
		return nil, err
	}
	if err := checkKeys(ctx, q, byOID, tableOIDs, add); err != nil {
		return nil, err
	}
	if err := checkAppRole(ctx, q, byOID, tableOIDs, add); err != nil {
		return nil, err
	}
	return probs, nil
}

type addFunc func(obj string, k kind, format string, args ...any)

// checkPolicies requires on each tenant table the contract policy, and no other permissive
// policy that applies to minutes_app (directly, through a role it belongs to, or PUBLIC):
// permissive policies are OR-ed, so any other one widens access. Restrictive policies only
// narrow it and are allowed; so is a permissive policy whose expressions are the contract's.
func checkPolicies(ctx context.Context, q querier, byOID map[uint32]relation, oids []uint32, add addFunc) error {
	rows, err := q.Query(ctx, `
		SELECT p.polrelid, p.polname, p.polcmd::text, p.polpermissive,
		       coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), ''),
		       coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), ''),
		       0::oid = ANY (p.polroles) OR EXISTS (
		           SELECT 1 FROM unnest(p.polroles) r WHERE pg_catalog.pg_has_role($1, r, 'MEMBER'))
		FROM pg_catalog.pg_policy p
		WHERE p.polrelid = ANY ($2)
		ORDER BY p.polrelid, p.polname`, dbtest.AppRole, oids)
	if err != nil {
		return fmt.Errorf("list policies: %w", err)
	}
	type policy struct {
		rel              uint32
		name, cmd        string
		permissive       bool
		qual, check      string
		appliesToAppRole bool
	}
	pols, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (policy, error) {
		var p policy
		err := row.Scan(&p.rel, &p.name, &p.cmd, &p.permissive, &p.qual, &p.check, &p.appliesToAppRole)
		return p, err
	})
	if err != nil {
		return fmt.Errorf("list policies: %w", err)
	}
	want := normalizeExpr(contractExpr)
	hasContract := map[uint32]bool{}
	for _, p := range pols {
		if !p.permissive || !p.appliesToAppRole {
			continue
		}
		qualOK := p.qual == "" || normalizeExpr(p.qual) == want
		checkOK := p.check == "" || normalizeExpr(p.check) == want
		if p.cmd == "*" && normalizeExpr(p.qual) == want && normalizeExpr(p.check) == want {
			hasContract[p.rel] = true
			continue
		}
		if !qualOK || !checkOK {
			add(byOID[p.rel].Key(), kindWidePolicy, "permissive policy %s (cmd %s) USING (%s) WITH CHECK (%s) is OR-ed with the contract",
				p.name, p.cmd, p.qual, p.check)
		}
	}
	for _, oid := range oids {
		if !hasContract[oid] {
			add(byOID[oid].Key(), kindNoContractPolicy, "needs a permissive FOR ALL policy for minutes_app (or PUBLIC) USING (%s) WITH CHECK (%[1]s)", contractExpr)
		}
	}
	return nil
}

// checkKeys requires a primary key on each tenant table, every index to lead with tenant_id
// and every unique index or PK/UNIQUE/EXCLUDE constraint to include it.
func checkKeys(ctx context.Context, q querier, byOID map[uint32]relation, oids []uint32, add addFunc) error {
	rows, err := q.Query(ctx, `
		SELECT i.indrelid, ic.relname, i.indisunique, i.indisprimary,
		       ((i.indkey::int2[])[0:i.indnkeyatts - 1])::int2[]
		FROM pg_catalog.pg_index i
		JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
		WHERE i.indrelid = ANY ($1)
		ORDER BY i.indrelid, ic.relname`, oids)
	if err != nil {
		return fmt.Errorf("list indexes: %w", err)
	}
	type index struct {
		rel             uint32
		name            string
		unique, primary bool
		keys            []int16
	}
	idxs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (index, error) {
		var ix index
		err := row.Scan(&ix.rel, &ix.name, &ix.unique, &ix.primary, &ix.keys)
		return ix, err
	})
	if err != nil {
		return fmt.Errorf("list indexes: %w", err)
	}
	for _, ix := range idxs {
		r := byOID[ix.rel]
		if len(ix.keys) == 0 || ix.keys[0] != r.TenantAttnum {
			add(r.Key(), kindIndexNotLeading, "index %s does not lead with tenant_id", ix.name)
		}
		if ix.unique && !slices.Contains(ix.keys, r.TenantAttnum) {
			add(r.Key(), kindUniqueNoTenant, "unique index %s does not include tenant_id", ix.name)
		}
	}

	rows, err = q.Query(ctx, `
		SELECT conrelid, conname, contype::text, conkey
		FROM pg_catalog.pg_constraint
		WHERE conrelid = ANY ($1) AND contype IN ('p', 'u', 'x')
		ORDER BY conrelid, conname`, oids)
	if err != nil {
		return fmt.Errorf("list constraints: %w", err)
	}
	type constraint struct {
		rel        uint32
		name, kind string
		keys       []int16
	}
	cons, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (constraint, error) {
		var c constraint
		err := row.Scan(&c.rel, &c.name, &c.kind, &c.keys)
		return c, err
	})
	if err != nil {
		return fmt.Errorf("list constraints: %w", err)
	}
	hasPK := map[uint32]bool{}
	for _, c := range cons {
		r := byOID[c.rel]
		if c.kind == "p" {
			hasPK[c.rel] = true
		}
		if !slices.Contains(c.keys, r.TenantAttnum) {
			add(r.Key(), kindUniqueNoTenant, "constraint %s (contype %s) does not include tenant_id", c.name, c.kind)
		}
	}
	for _, oid := range oids {
		if !hasPK[oid] {
			add(byOID[oid].Key(), kindNoPrimaryKey, "add PRIMARY KEY (tenant_id, ...)")
		}
	}
	return nil
}

// checkAppRole checks the runtime role: its attributes, what it owns and inherits, where it
// can create objects, its privileges on tenant tables and on audit_log, and that no other
// minutes_* role bypasses RLS.
func checkAppRole(ctx context.Context, q querier, byOID map[uint32]relation, oids []uint32, add addFunc) error {
	app := dbtest.AppRole
	roleObj := "role " + app

	// Attributes.
	rows, err := q.Query(ctx, `
		SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, rolreplication
		FROM pg_catalog.pg_roles WHERE rolname = $1`, app)
	if err != nil {
		return fmt.Errorf("read role %s: %w", app, err)
	}
	attrs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([5]bool, error) {
		var a [5]bool
		err := row.Scan(&a[0], &a[1], &a[2], &a[3], &a[4])
		return a, err
	})
	if err != nil {
		return fmt.Errorf("read role %s: %w", app, err)
	}
	if len(attrs) == 0 {
		add(roleObj, kindAppAttribute, "role is missing")
	} else {
		for i, name := range []string{"SUPERUSER", "BYPASSRLS", "CREATEDB", "CREATEROLE", "REPLICATION"} {
			if attrs[0][i] {
				add(roleObj, kindAppAttribute, "has %s", name)
			}
		}
	}

	// No minutes_* role below superuser bypasses RLS (superusers always do, whatever the flag).
	if err := eachString(ctx, q, `
		SELECT rolname FROM pg_catalog.pg_roles
		WHERE rolname LIKE 'minutes\_%' AND rolbypassrls AND NOT rolsuper ORDER BY rolname`,
		func(name string) { add("role "+name, kindRoleBypassesRLS, "ALTER ROLE %s NOBYPASSRLS", name) },
	); err != nil {
		return fmt.Errorf("list roles bypassing RLS: %w", err)
	}

	// Owns nothing: an owner can ALTER TABLE ... DISABLE ROW LEVEL SECURITY or DROP POLICY.
	if err := eachString(ctx, q, `
		WITH app AS (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)
		SELECT 'relation ' || c.oid::regclass::text FROM pg_catalog.pg_class c, app WHERE c.relowner = app.oid
		UNION ALL
		SELECT 'function ' || p.oid::regprocedure::text FROM pg_catalog.pg_proc p, app WHERE p.proowner = app.oid
		UNION ALL
		SELECT 'schema ' || n.nspname FROM pg_catalog.pg_namespace n, app WHERE n.nspowner = app.oid
		UNION ALL
		SELECT 'type ' || t.oid::regtype::text FROM pg_catalog.pg_type t, app
		WHERE t.typowner = app.oid AND t.typrelid = 0 AND t.typcategory <> 'A'
		UNION ALL
		SELECT 'database ' || d.datname FROM pg_catalog.pg_database d, app
		WHERE d.datdba = app.oid AND d.datname = current_database()
		ORDER BY 1`,
		func(obj string) { add(roleObj, kindAppOwns, "owns %s", obj) }, app,
	); err != nil {
		return fmt.Errorf("list objects owned by %s: %w", app, err)
	}

	// Inherits nothing powerful: no role it belongs to owns objects here, bypasses RLS or reads
	// and writes every table.
	if err := eachString(ctx, q, `
		SELECT r.rolname FROM pg_catalog.pg_roles r
		WHERE r.rolname <> $1 AND pg_catalog.pg_has_role($1, r.oid, 'MEMBER')
		  AND (r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolcreatedb
		       OR r.rolname IN ('pg_read_all_data', 'pg_write_all_data', 'pg_database_owner')
		       OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relowner = r.oid)
		       OR EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspowner = r.oid
		                  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		                  AND n.nspname NOT LIKE 'pg\_%'))
		ORDER BY 1`,
		func(role string) { add(roleObj, kindAppInherits, "member of %s", role) }, app,
	); err != nil {
		return fmt.Errorf("list roles %s belongs to: %w", app, err)
	}

	// Creates nothing: no CREATE on the database (new schemas) or on any user schema.
	if err := eachString(ctx, q, `
		SELECT 'database ' || current_database()
		WHERE pg_catalog.has_database_privilege($1, current_database(), 'CREATE')
		UNION ALL
		SELECT 'schema ' || n.nspname FROM pg_catalog.pg_namespace n
		WHERE `+userSchemas+` AND pg_catalog.has_schema_privilege($1, n.oid, 'CREATE')
		ORDER BY 1`,
		func(obj string) { add(obj, kindAppCanCreate, "%s has CREATE", app) }, app,
	); err != nil {
		return fmt.Errorf("list CREATE privileges of %s: %w", app, err)
	}

	// Only DML on tenant tables: TRUNCATE empties every tenant's rows regardless of RLS.
	rows, err = q.Query(ctx, `
		SELECT c.oid, p.priv
		FROM pg_catalog.pg_class c, unnest(ARRAY['TRUNCATE', 'TRIGGER', 'REFERENCES']) p(priv)
		WHERE c.oid = ANY ($2) AND pg_catalog.has_table_privilege($1, c.oid, p.priv)
		ORDER BY c.oid, p.priv`, app, oids)
	if err != nil {
		return fmt.Errorf("read privileges of %s: %w", app, err)
	}
	type grant struct {
		rel  uint32
		priv string
	}
	grants, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (grant, error) {
		var g grant
		err := row.Scan(&g.rel, &g.priv)
		return g, err
	})
	if err != nil {
		return fmt.Errorf("read privileges of %s: %w", app, err)
	}
	for _, g := range grants {
		add(byOID[g.rel].Key(), kindAppTablePrivilege, "REVOKE %s ON %s FROM %s", g.priv, byOID[g.rel].Ident(), app)
	}

	// audit_log is append-only for the app role.
	if err := eachString(ctx, q, `
		SELECT p.priv FROM unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) p(priv)
		WHERE to_regclass('public.audit_log') IS NULL
		   OR pg_catalog.has_table_privilege($1, 'public.audit_log', p.priv)
		   OR (p.priv = 'UPDATE' AND pg_catalog.has_any_column_privilege($1, 'public.audit_log', 'UPDATE'))
		ORDER BY 1`,
		func(priv string) {
			add("audit_log", kindAuditWritable, "%s may %s (or the table is missing)", app, priv)
		}, app,
	); err != nil {
		return fmt.Errorf("read audit_log privileges: %w", err)
	}
	return nil
}

// checkRegistries reports tables without tenant_id that tenant tables reference (the tenant
// registry, migration runs) through which minutes_app reaches other tenants: reading every
// tenant's registry row when tenant tables reference it by tenant_id, or a DELETE/UPDATE whose
// ON DELETE/UPDATE CASCADE, SET NULL or SET DEFAULT rewrites other tenants' rows (referential
// actions run as the table owner and are not filtered by RLS).
func checkRegistries(ctx context.Context, q querier) ([]problem, error) {
	tables, err := tenantTables(ctx, q)
	if err != nil {
		return nil, err
	}
	byOID := map[uint32]relation{}
	var oids []uint32
	for _, r := range tables {
		byOID[r.OID] = r
		oids = append(oids, r.OID)
	}
	rows, err := q.Query(ctx, `
		SELECT con.conname, con.conrelid, con.conkey, rn.nspname, ref.relname,
		       ref.relrowsecurity AND ref.relforcerowsecurity,
		       con.confdeltype IN ('c', 'n', 'd') AND pg_catalog.has_table_privilege($1, ref.oid, 'DELETE'),
		       con.confupdtype IN ('c', 'n', 'd') AND pg_catalog.has_any_column_privilege($1, ref.oid, 'UPDATE'),
		       pg_catalog.has_table_privilege($1, ref.oid, 'SELECT')
		FROM pg_catalog.pg_constraint con
		JOIN pg_catalog.pg_class ref ON ref.oid = con.confrelid
		JOIN pg_catalog.pg_namespace rn ON rn.oid = ref.relnamespace
		WHERE con.contype = 'f' AND con.conrelid = ANY ($2) AND NOT con.confrelid = ANY ($2)
		ORDER BY ref.relname, con.conname`, dbtest.AppRole, oids)
	if err != nil {
		return nil, fmt.Errorf("list foreign keys to tables without tenant_id: %w", err)
	}
	type fk struct {
		name                 string
		rel                  uint32
		keys                 []int16
		refSchema, refName   string
		refRLS               bool
		canDelete, canUpdate bool
		canRead              bool
	}
	fks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (fk, error) {
		var f fk
		err := row.Scan(&f.name, &f.rel, &f.keys, &f.refSchema, &f.refName, &f.refRLS,
			&f.canDelete, &f.canUpdate, &f.canRead)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("list foreign keys to tables without tenant_id: %w", err)
	}
	var probs []problem
	seen := map[problem]bool{}
	add := func(p problem) {
		if !seen[p] {
			seen[p] = true
			probs = append(probs, p)
		}
	}
	for _, f := range fks {
		if f.refRLS {
			continue
		}
		ref := relation{Schema: f.refSchema, Name: f.refName}
		child := byOID[f.rel]
		if f.canRead && slices.Contains(f.keys, child.TenantAttnum) {
			add(problem{ref.Key(), kindRegistryReadable, fmt.Sprintf(
				"tenant tables reference it by tenant_id, it has no forced RLS and %s may SELECT every tenant's row", dbtest.AppRole)})
		}
		if f.canDelete || f.canUpdate {
			add(problem{ref.Key(), kindCrossTenantCascade, fmt.Sprintf(
				"%s may DELETE/UPDATE any row, and %s on %s rewrites other tenants' %s rows past RLS",
				dbtest.AppRole, f.name, child.Key(), child.Key())})
		}
	}
	return probs, nil
}

// eachString runs a query returning one text column and calls fn for each row.
func eachString(ctx context.Context, q querier, sql string, fn func(string), args ...any) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, v := range vals {
		fn(v)
	}
	return nil
}

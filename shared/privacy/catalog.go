package privacy

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Schema is the schema whose tables the package discovers.
const Schema = "public"

// TenantColumn is the column that makes a table tenant data (contract: every tenant table has
// it, under row-level security).
const TenantColumn = "tenant_id"

// registryTable is the control-plane tenant registry, keyed by id.
const registryTable = "tenants"

// auditTable is the append-only audit log: rows there are never rewritten, only purged.
const auditTable = "audit_log"

// table is one table of Schema, as the catalog describes it.
type table struct {
	OID  uint32
	Name string
	// TenantCol is the column holding the tenant id: tenant_id, or id for the registry.
	TenantCol string
	Columns   []column // in column order
	Key       []string // primary key columns; empty when there is none
	// Updatable is whether the connected role may UPDATE the table.
	Updatable bool
}

// column is one column of a table.
type column struct {
	Name string
	// Kind is what EraseUser can rewrite: "text" (text, varchar, char and domains over
	// them), "json" (json, jsonb), "text[]" (one-dimensional arrays of those), or "".
	Kind string
	// Type is the column's SQL type, as format_type prints it.
	Type string
}

func (t table) ident() string { return pgx.Identifier{Schema, t.Name}.Sanitize() }

// tenantCol returns the quoted tenant column.
func (t table) tenantCol() string { return pgx.Identifier{t.TenantCol}.Sanitize() }

const tablesSQL = `
SELECT c.oid, c.relname, has_table_privilege(c.oid, 'UPDATE'),
       coalesce((SELECT array_agg(a.attname ORDER BY k.ord)
                 FROM pg_catalog.pg_index i
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                 WHERE i.indrelid = c.oid AND i.indisprimary), '{}')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped)
ORDER BY c.relname`

const columnsSQL = `
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod),
       CASE WHEN bt.oid IN ('json'::regtype, 'jsonb'::regtype) THEN 'json'
            WHEN bt.typcategory = 'S' THEN 'text'
            WHEN bt.typcategory = 'A' AND et.typcategory = 'S' THEN 'text[]'
            ELSE '' END
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_catalog.pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`

// tenantTables returns every table of Schema with a tenant_id column — the tenant's data,
// whatever migrations have added — sorted by name. Partitions are left out: their parent
// covers them.
func tenantTables(ctx context.Context, q pgx.Tx) ([]table, error) {
	rows, err := q.Query(ctx, tablesSQL, Schema, TenantColumn)
	if err != nil {
		return nil, fmt.Errorf("find tenant tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		t := table{TenantCol: TenantColumn}
		err := r.Scan(&t.OID, &t.Name, &t.Updatable, &t.Key)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("find tenant tables: %w", err)
	}
	if err := describe(ctx, q, tables); err != nil {
		return nil, err
	}
	return tables, nil
}

// describe fills in the columns of tables.
func describe(ctx context.Context, q pgx.Tx, tables []table) error {
	oids := make([]uint32, len(tables))
	byOID := make(map[uint32]*table, len(tables))
	for i := range tables {
		oids[i] = tables[i].OID
		byOID[tables[i].OID] = &tables[i]
	}
	rows, err := q.Query(ctx, columnsSQL, oids)
	if err != nil {
		return fmt.Errorf("read columns: %w", err)
	}
	var (
		oid uint32
		c   column
	)
	_, err = pgx.ForEachRow(rows, []any{&oid, &c.Name, &c.Type, &c.Kind}, func() error {
		if t := byOID[oid]; t != nil {
			t.Columns = append(t.Columns, c)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read columns: %w", err)
	}
	return nil
}

const registrySQL = `
SELECT c.oid, c.relname, has_table_privilege(c.oid, 'UPDATE')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`

// registry describes the tenant registry, keyed by id, and reports whether it is in this
// database at all (a BYOI customer's database holds tenant data only).
func registry(ctx context.Context, q pgx.Tx) (table, bool, error) {
	t := table{TenantCol: "id", Key: []string{"id"}}
	err := q.QueryRow(ctx, registrySQL, Schema, registryTable).Scan(&t.OID, &t.Name, &t.Updatable)
	if errors.Is(err, pgx.ErrNoRows) {
		return table{}, false, nil
	}
	if err != nil {
		return table{}, false, fmt.Errorf("find the tenant registry: %w", err)
	}
	ts := []table{t}
	if err := describe(ctx, q, ts); err != nil {
		return table{}, false, fmt.Errorf("describe the tenant registry: %w", err)
	}
	return ts[0], true, nil
}

// reference is a column outside the tenant tables that names a tenant without being its
// tenant_id: a uuid column called tenant_id_<something> (processed_webhook_events.tenant_id_hint).
type reference struct {
	Table, Column string
}

const referencesSQL = `
SELECT c.relname, a.attname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND a.atttypid = 'uuid'::regtype AND a.attname LIKE $2 || '\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute t
                  WHERE t.attrelid = c.oid AND t.attname = $2 AND NOT t.attisdropped)
ORDER BY 1, 2`

// tenantReferences returns the tenant_id_* uuid columns of tables that are not tenant tables.
func tenantReferences(ctx context.Context, q pgx.Tx) ([]reference, error) {
	rows, err := q.Query(ctx, referencesSQL, Schema, TenantColumn)
	if err != nil {
		return nil, fmt.Errorf("find tenant references: %w", err)
	}
	refs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[reference])
	if err != nil {
		return nil, fmt.Errorf("find tenant references: %w", err)
	}
	return refs, nil
}

const foreignKeysSQL = `
SELECT conrelid, confrelid FROM pg_catalog.pg_constraint
WHERE contype = 'f' AND conrelid = ANY($1) AND confrelid = ANY($1) AND conrelid <> confrelid`

// deleteOrder sorts tables so that each comes before the tables its foreign keys reference
// (children first), from the catalog's foreign keys; ties and cycles go by name. Purge still
// retries a table a foreign key blocks, so a cycle or a constraint from outside the set
// surfaces as an error naming it, never as a silent skip.
func deleteOrder(ctx context.Context, q pgx.Tx, tables []table) ([]table, error) {
	oids := make([]uint32, len(tables))
	index := make(map[uint32]int, len(tables))
	for i, t := range tables {
		oids[i], index[t.OID] = t.OID, i
	}
	rows, err := q.Query(ctx, foreignKeysSQL, oids)
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	// children[p] lists the tables referencing p; waiting[c] counts c's unresolved children.
	children := make([][]int, len(tables))
	waiting := make([]int, len(tables))
	var child, parent uint32
	_, err = pgx.ForEachRow(rows, []any{&child, &parent}, func() error {
		c, p := index[child], index[parent]
		if !slices.Contains(children[p], c) {
			children[p] = append(children[p], c)
			waiting[p]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	// Kahn's algorithm over "parent waits for its children", smallest name first.
	refs := make([][]int, len(tables)) // refs[c] lists the parents c references
	for p, cs := range children {
		for _, c := range cs {
			refs[c] = append(refs[c], p)
		}
	}
	done := make([]bool, len(tables))
	order := make([]table, 0, len(tables))
	for len(order) < len(tables) {
		next := -1
		for i := range tables { // tables are sorted by name
			if !done[i] && waiting[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 { // a cycle: take the first remaining table, the retry loop sorts it out
			for i := range tables {
				if !done[i] {
					next = i
					break
				}
			}
		}
		done[next] = true
		order = append(order, tables[next])
		for _, p := range refs[next] {
			waiting[p]--
		}
	}
	return order, nil
}

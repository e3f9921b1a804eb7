package privacy_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/privacy"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// tenantTablesSQL finds tenant tables the way the package under test should, independently
// (information_schema rather than pg_catalog).
const tenantTablesSQL = `SELECT table_name FROM information_schema.columns
WHERE table_schema = 'public' AND column_name = 'tenant_id'
  AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE')
ORDER BY 1`

// visibleCounts counts, on db in a transaction of tenant (so under row-level security alone),
// the rows of every tenant table, and the tenant's registry row as "tenants".
func visibleCounts(t *testing.T, db *pgxpool.Pool, tenant tenancy.ID) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	counts := map[string]int64{}
	require.NoError(t, tenancy.WithReadTx(ctx, db, tenant, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, tenantTablesSQL)
		if err != nil {
			return err
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, name := range append(tables, "tenants") {
			q := "SELECT count(*) FROM " + pgx.Identifier{"public", name}.Sanitize()
			args := []any{}
			if name == "tenants" {
				q += " WHERE id = $1"
				args = append(args, tenant)
			}
			var n int64
			if err := tx.QueryRow(ctx, q, args...).Scan(&n); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			counts[name] = n
		}
		return nil
	}))
	return counts
}

// mentionsSQL lists every column of every table of the public schema that could hold a
// tenant id or a person's name or address, with its kind.
const mentionsSQL = `
SELECT c.relname, a.attname,
       CASE WHEN a.atttypid = 'uuid'::regtype THEN 'uuid'
            WHEN a.atttypid = 'uuid[]'::regtype THEN 'uuid[]'
            WHEN a.atttypid = 'bytea'::regtype THEN 'bytea'
            ELSE 'text' END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type ty ON ty.oid = a.atttypid
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  AND (a.atttypid IN ('uuid'::regtype, 'uuid[]'::regtype, 'bytea'::regtype, 'json'::regtype, 'jsonb'::regtype)
       OR ty.typcategory IN ('S', 'A'))
ORDER BY 1, 2`

// mentions searches every table of the database as the superuser (no row-level security) for
// a value equal to needle (uuid columns, when needle is a uuid) or text containing it (text,
// json, arrays, bytea), case-insensitively, and returns the hits per "table.column". With
// words set, only text, json and arrays are searched, for needle as whole words.
func mentions(t *testing.T, super *pgxpool.Pool, needle string, words bool) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	rows, err := super.Query(ctx, mentionsSQL)
	require.NoError(t, err)
	type col struct{ Table, Column, Kind string }
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[col])
	require.NoError(t, err)
	require.NotEmpty(t, cols)
	_, notUUID := tenancy.ParseID(needle)
	hits := map[string]int64{}
	for _, c := range cols {
		ident := pgx.Identifier{c.Column}.Sanitize()
		arg := needle
		var pred string
		switch {
		case words && c.Kind != "text":
			continue
		case words:
			pred, arg = ident+"::text ~* $1", `\m`+regexp.QuoteMeta(needle)+`\M`
		case (c.Kind == "uuid" || c.Kind == "uuid[]") && notUUID != nil:
			continue
		case c.Kind == "uuid":
			pred = ident + " = $1::uuid"
		case c.Kind == "uuid[]":
			pred = ident + " @> ARRAY[$1::uuid]"
		case c.Kind == "bytea":
			pred = "position(convert_to($1, 'UTF8') IN " + ident + ") > 0"
		default:
			pred = ident + "::text ILIKE '%' || $1 || '%'"
		}
		q := "SELECT count(*) FROM " + pgx.Identifier{"public", c.Table}.Sanitize() + " WHERE " + pred
		var n int64
		require.NoError(t, super.QueryRow(ctx, q, arg).Scan(&n), q)
		if n > 0 {
			hits[c.Table+"."+c.Column] = n
		}
	}
	return hits
}

// archive is an export read back.
type archive struct {
	manifest privacy.Manifest
	files    map[string][]byte
	order    []string
}

func readArchive(t *testing.T, b []byte) archive {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	a := archive{files: map[string][]byte{}}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		body, err := io.ReadAll(tr)
		require.NoError(t, err)
		require.NotContains(t, a.files, h.Name, "one entry per name")
		a.files[h.Name] = body
		a.order = append(a.order, h.Name)
	}
	require.NotEmpty(t, a.order)
	require.Equal(t, "manifest.json", a.order[0], "the manifest comes first")
	require.NoError(t, json.Unmarshal(a.files["manifest.json"], &a.manifest))
	return a
}

// lines returns the JSON objects of a .jsonl file.
func lines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		out = append(out, m)
	}
	require.NoError(t, sc.Err())
	return out
}

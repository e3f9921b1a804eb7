package privacy

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/migrate"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// ExportFormat names the archive layout [Export] writes.
const ExportFormat = "minutes.export.v1"

// Manifest describes an export archive; it is the archive's manifest.json.
type Manifest struct {
	// Format is ExportFormat.
	Format string `json:"format"`
	// Tenant is the exported tenant.
	Tenant tenancy.ID `json:"tenant_id"`
	// CreatedAt is when the export was taken (UTC).
	CreatedAt time.Time `json:"created_at"`
	// SchemaVersions holds the migration version of each set ("control", "tenant"), when the
	// version tables are readable.
	SchemaVersions map[string]int64 `json:"schema_versions,omitempty"`
	// Tables lists one file per table, sorted by name: every tenant table, and the tenant's
	// registry row ("tenants") when the registry is in the database.
	Tables []TableFile `json:"tables"`
	// Blobs lists the tenant's stored objects, sorted by key.
	Blobs []BlobFile `json:"blobs"`
	// BlobsIncluded is whether the objects' contents are in the archive under blobs/.
	BlobsIncluded bool `json:"blobs_included"`
}

// TableFile is one table's rows in the archive: tables/<name>.jsonl, one JSON object (the row,
// as PostgreSQL's row_to_json writes it) per line, in primary-key order.
type TableFile struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"`
}

// BlobFile is one stored object of the tenant.
type BlobFile struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	// File is the object's path in the archive (blobs/<key>); empty when contents are left out.
	File string `json:"file,omitempty"`
}

// RowCounts returns the number of rows per table.
func (m Manifest) RowCounts() map[string]int64 {
	counts := make(map[string]int64, len(m.Tables))
	for _, t := range m.Tables {
		counts[t.Name] = t.Rows
	}
	return counts
}

// ExportOptions are the optional settings of [Export]; nil means all defaults.
type ExportOptions struct {
	// IncludeBlobs puts the contents of the tenant's objects in the archive (blobs/<key>);
	// default false: the manifest lists keys, sizes and SHA-256 only.
	IncludeBlobs bool
	// Now is the export's time, for the manifest; default time.Now().
	Now time.Time
	// TempDir is where rows and objects are spooled before they are archived; default
	// os.TempDir(). Spooled files are removed before Export returns.
	TempDir string
}

// ErrBlobChanged reports an object that changed while Export was reading it.
var ErrBlobChanged = errors.New("blob changed during export")

// Export writes one gzip-compressed tar archive of tenant's data to w: manifest.json, then
// tables/<table>.jsonl for every table of the public schema that has a tenant_id column —
// found in the catalog, so a table added by a later migration is exported without code
// changes — plus tables/tenants.jsonl with the tenant's registry row when the registry is in
// the database, then (with IncludeBlobs) blobs/<key> for each of the tenant's objects.
//
// Rows are read in one read-only REPEATABLE READ transaction of the tenant, so row-level
// security returns exactly this tenant's rows (every query also filters on tenant_id) and
// all tables come from one snapshot. db may be the app pool or the owner pool.
func Export(ctx context.Context, db tenancy.Beginner, blobs blob.Store, tenant tenancy.ID, w io.Writer, opts *ExportOptions) (Manifest, error) {
	m, err := export(ctx, db, blobs, tenant, w, opts)
	if err != nil {
		return Manifest{}, fmt.Errorf("export tenant %s: %w", tenant, err)
	}
	return m, nil
}

func export(ctx context.Context, db tenancy.Beginner, blobs blob.Store, tenant tenancy.ID, w io.Writer, opts *ExportOptions) (Manifest, error) {
	var o ExportOptions
	if opts != nil {
		o = *opts
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	spool, err := os.MkdirTemp(o.TempDir, "minutes-export-")
	if err != nil {
		return Manifest{}, fmt.Errorf("create spool directory: %w", err)
	}
	defer os.RemoveAll(spool)

	m := Manifest{Format: ExportFormat, Tenant: tenant, CreatedAt: o.Now.UTC(), BlobsIncluded: o.IncludeBlobs, Blobs: []BlobFile{}}
	err = tenancy.WithReadTx(ctx, snapshot{db}, tenant, func(tx pgx.Tx) error {
		m.SchemaVersions = schemaVersions(ctx, tx)
		tables, err := tenantTables(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range tables {
			orderBy := ""
			if len(t.Key) > 0 {
				orderBy = " ORDER BY " + identList(t.Key)
			}
			f, err := spoolRows(ctx, tx, spool, t.Name,
				"SELECT row_to_json(t)::text FROM "+t.ident()+" AS t WHERE t."+t.tenantCol()+" = $1"+orderBy, tenant)
			if err != nil {
				return err
			}
			m.Tables = append(m.Tables, f)
		}
		reg, ok, err := registry(ctx, tx)
		if err != nil || !ok {
			return err
		}
		f, err := spoolRows(ctx, tx, spool, reg.Name,
			"SELECT row_to_json(t)::text FROM "+reg.ident()+" AS t WHERE t."+reg.tenantCol()+" = $1", tenant)
		if err != nil {
			return err
		}
		m.Tables = append(m.Tables, f)
		return nil
	})
	if err != nil {
		return Manifest{}, err
	}
	sort.Slice(m.Tables, func(i, j int) bool { return m.Tables[i].Name < m.Tables[j].Name })

	if blobs != nil {
		if m.Blobs, err = spoolBlobs(ctx, blobs, tenant, spool, o.IncludeBlobs); err != nil {
			return Manifest{}, err
		}
	}
	if err := writeArchive(w, spool, m); err != nil {
		return Manifest{}, fmt.Errorf("write archive: %w", err)
	}
	return m, nil
}

// snapshot begins REPEATABLE READ transactions, so that every table of an export comes from
// one snapshot.
type snapshot struct{ db tenancy.Beginner }

func (s snapshot) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	opts.IsoLevel = pgx.RepeatableRead
	return s.db.BeginTx(ctx, opts)
}

// schemaVersions reads the migration versions in a savepoint, so that a version table the
// role cannot read leaves them out instead of aborting the export.
func schemaVersions(ctx context.Context, tx pgx.Tx) map[string]int64 {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return nil
	}
	versions, err := migrate.Versions(ctx, sp)
	if err != nil {
		_ = sp.Rollback(ctx)
		return nil
	}
	_ = sp.Commit(ctx)
	out := make(map[string]int64, len(versions))
	for set, v := range versions {
		out[string(set)] = v
	}
	return out
}

// spoolRows writes the single text column of each row of query to spool/tables/<name>.jsonl.
func spoolRows(ctx context.Context, tx pgx.Tx, spool, name, query string, args ...any) (TableFile, error) {
	tf := TableFile{Name: name, File: "tables/" + name + ".jsonl"}
	if name == "" || name[0] == '.' || strings.ContainsAny(name, "/\\\x00") {
		return tf, fmt.Errorf("spool %q: table name unusable as a file name", name)
	}
	path := filepath.Join(spool, filepath.FromSlash(tf.File))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return tf, fmt.Errorf("spool %s: %w", name, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return tf, fmt.Errorf("spool %s: %w", name, err)
	}
	defer f.Close()
	h := sha256.New()
	bw := bufio.NewWriter(io.MultiWriter(f, h))
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return tf, fmt.Errorf("read %s: %w", name, err)
	}
	var line []byte
	_, err = pgx.ForEachRow(rows, []any{&line}, func() error {
		tf.Rows++
		if _, err := bw.Write(line); err != nil {
			return err
		}
		return bw.WriteByte('\n')
	})
	if err != nil {
		return tf, fmt.Errorf("read %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return tf, fmt.Errorf("spool %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return tf, fmt.Errorf("spool %s: %w", name, err)
	}
	tf.SHA256 = hex.EncodeToString(h.Sum(nil))
	return tf, nil
}

// spoolBlobs lists the tenant's objects and, when include is set or the store recorded no
// SHA-256, reads each one (into spool/blobs/<key> when include is set), checking it against
// the listing.
func spoolBlobs(ctx context.Context, blobs blob.Store, tenant tenancy.ID, spool string, include bool) ([]BlobFile, error) {
	objs, err := blobs.List(ctx, blob.TenantPrefix(tenant))
	if err != nil {
		return nil, err
	}
	files := make([]BlobFile, 0, len(objs))
	for _, o := range objs {
		bf := BlobFile{Key: o.Key, Size: o.Size, SHA256: o.SHA256, ContentType: o.ContentType}
		if include || bf.SHA256 == "" {
			size, sum, err := readBlob(ctx, blobs, o.Key, spool, include)
			if err != nil {
				return nil, err
			}
			if size != o.Size || (o.SHA256 != "" && sum != o.SHA256) {
				return nil, fmt.Errorf("%w: %s", ErrBlobChanged, o.Key)
			}
			bf.SHA256 = sum
			if include {
				bf.File = "blobs/" + o.Key
			}
		}
		files = append(files, bf)
	}
	return files, nil
}

func readBlob(ctx context.Context, blobs blob.Store, key, spool string, keep bool) (int64, string, error) {
	r, err := blobs.Get(ctx, key)
	if err != nil {
		return 0, "", err
	}
	defer r.Close()
	dst := io.Discard
	if keep {
		path := filepath.Join(spool, "blobs", filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return 0, "", fmt.Errorf("spool blob %s: %w", key, err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return 0, "", fmt.Errorf("spool blob %s: %w", key, err)
		}
		defer f.Close()
		dst = f
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(dst, h), r)
	if err != nil {
		return 0, "", fmt.Errorf("read blob %s: %w", key, err)
	}
	if f, ok := dst.(*os.File); ok {
		if err := f.Close(); err != nil {
			return 0, "", fmt.Errorf("spool blob %s: %w", key, err)
		}
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// writeArchive writes manifest.json and the spooled files to w as a tar.gz.
func writeArchive(w io.Writer, spool string, m Manifest) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	hdr := func(name string, size int64) *tar.Header {
		return &tar.Header{Name: name, Size: size, Mode: 0o600, ModTime: m.CreatedAt, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	}
	if err := tw.WriteHeader(hdr("manifest.json", int64(len(manifest)))); err != nil {
		return err
	}
	if _, err := tw.Write(manifest); err != nil {
		return err
	}
	var names []string
	for _, t := range m.Tables {
		names = append(names, t.File)
	}
	for _, b := range m.Blobs {
		if b.File != "" {
			names = append(names, b.File)
		}
	}
	for _, name := range names {
		if err := addFile(tw, filepath.Join(spool, filepath.FromSlash(name)), hdr(name, 0)); err != nil {
			return fmt.Errorf("add %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func addFile(tw *tar.Writer, path string, h *tar.Header) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	h.Size = st.Size()
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// identList quotes and joins column names.
func identList(cols []string) string {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	return strings.Join(quoted, ", ")
}

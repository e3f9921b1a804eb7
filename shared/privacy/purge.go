package privacy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// PurgeSetting is the transaction setting naming the tenant being purged; the audit log's
// append-only trigger lets that tenant's rows, and only those, be deleted (contract with
// migrations/tenant).
const PurgeSetting = "app.purge_tenant"

var (
	// ErrTenantActive reports a purge of a tenant that is not cancelled, without OnRequest.
	ErrTenantActive = errors.New("tenant is not cancelled")
	// ErrRetention reports a purge of a cancelled tenant whose retention period has not
	// ended, without OnRequest.
	ErrRetention = errors.New("tenant's retention period has not ended")
	// ErrUnknownTenant reports a purge, without OnRequest, of a tenant the registry does not
	// hold (or of a database without the registry), so the guard cannot be checked.
	ErrUnknownTenant = errors.New("tenant not in the registry")
)

// PurgeOptions are the settings of [Purge].
type PurgeOptions struct {
	// Reason says why the tenant is purged ("retention ended", "erasure request #123");
	// required, and returned in the report for the caller's operator log.
	Reason string
	// Now is the time the retention guard is checked against; required.
	Now time.Time
	// OnRequest purges at the tenant's own request (a GDPR erasure request): whatever its
	// status and retention. Default false: only a cancelled tenant whose cancelled_at +
	// retention_days has passed may be purged.
	OnRequest bool
}

// PurgeReport is what [Purge] removed.
type PurgeReport struct {
	// Tenant is the purged tenant.
	Tenant tenancy.ID
	// Reason is PurgeOptions.Reason.
	Reason string
	// At is PurgeOptions.Now.
	At time.Time
	// Status is the tenant's registry status before the purge; "" when it had no row.
	Status string
	// RowsDeleted counts deleted rows per table (every tenant table, zeros included), and
	// "tenants" for the registry row.
	RowsDeleted map[string]int64
	// RowsScrubbed counts rows outside the tenant tables whose tenant reference (a
	// tenant_id_* uuid column) was cleared, per "table.column".
	RowsScrubbed map[string]int64
	// BlobsDeleted is the number of objects removed under the tenant's prefix.
	BlobsDeleted int
}

// Purge deletes everything of tenant: its rows in every table of the public schema that has
// a tenant_id column (found in the catalog, so a table added later is purged without code
// changes), children before parents by the catalog's foreign keys; references to it in
// tenant_id_* uuid columns elsewhere (set to NULL); its registry row; then every object under
// blob.TenantPrefix(tenant) (blobs may be nil when there is no store).
//
// ownerDB must connect as the owner role (minutes_owner): the runtime role may not delete
// audit entries. Everything runs in one transaction of the tenant (row-level security is
// forced, so even the owner sees only this tenant; every statement also filters on
// tenant_id), with PurgeSetting naming the tenant so the audit log's trigger allows its
// deletion. Objects are deleted last, before the commit: if that fails the rows come back and
// the purge can simply be run again; if the commit fails after them, a rerun finishes the
// rows. Without OnRequest the registry row must show a cancelled tenant whose retention has
// ended; it is locked for the duration.
//
// Export first: nothing can be recovered afterwards.
func Purge(ctx context.Context, ownerDB tenancy.Beginner, blobs blob.Store, tenant tenancy.ID, opts PurgeOptions) (PurgeReport, error) {
	rep, err := purge(ctx, ownerDB, blobs, tenant, opts)
	if err != nil {
		return PurgeReport{}, fmt.Errorf("purge tenant %s: %w", tenant, err)
	}
	return rep, nil
}

func purge(ctx context.Context, db tenancy.Beginner, blobs blob.Store, tenant tenancy.ID, opts PurgeOptions) (PurgeReport, error) {
	if strings.TrimSpace(opts.Reason) == "" {
		return PurgeReport{}, errors.New("no reason given")
	}
	if opts.Now.IsZero() {
		return PurgeReport{}, errors.New("no time given")
	}
	rep := PurgeReport{
		Tenant: tenant, Reason: opts.Reason, At: opts.Now,
		RowsDeleted: map[string]int64{}, RowsScrubbed: map[string]int64{},
	}
	err := tenancy.WithTx(ctx, db, tenant, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT set_config($1, $2, true)", PurgeSetting, tenant.String()); err != nil {
			return fmt.Errorf("name the purged tenant: %w", err)
		}
		// Foreign-key checks happen per statement (none deferred to commit), so a blocked
		// delete is seen, and retried, where it happens.
		if _, err := tx.Exec(ctx, "SET CONSTRAINTS ALL IMMEDIATE"); err != nil {
			return fmt.Errorf("make constraints immediate: %w", err)
		}
		reg, hasRegistry, err := registry(ctx, tx)
		if err != nil {
			return err
		}
		if hasRegistry {
			if rep.Status, err = guard(ctx, tx, tenant, opts); err != nil {
				return err
			}
		} else if !opts.OnRequest {
			return fmt.Errorf("%w: no registry in this database", ErrUnknownTenant)
		}

		tables, err := tenantTables(ctx, tx)
		if err != nil {
			return err
		}
		if tables, err = deleteOrder(ctx, tx, tables); err != nil {
			return err
		}
		if err := deleteRows(ctx, tx, tenant, tables, rep.RowsDeleted); err != nil {
			return err
		}
		refs, err := tenantReferences(ctx, tx)
		if err != nil {
			return err
		}
		for _, r := range refs {
			tag, err := tx.Exec(ctx, fmt.Sprintf("UPDATE %s SET %[2]s = NULL WHERE %[2]s = $1",
				pgx.Identifier{Schema, r.Table}.Sanitize(), pgx.Identifier{r.Column}.Sanitize()), tenant)
			if err != nil {
				return fmt.Errorf("clear %s.%s: %w", r.Table, r.Column, err)
			}
			rep.RowsScrubbed[r.Table+"."+r.Column] = tag.RowsAffected()
		}
		if hasRegistry {
			tag, err := tx.Exec(ctx, "DELETE FROM "+reg.ident()+" WHERE "+reg.tenantCol()+" = $1", tenant)
			if err != nil {
				return fmt.Errorf("delete registry row: %w", err)
			}
			rep.RowsDeleted[reg.Name] = tag.RowsAffected()
		}
		if blobs != nil {
			n, err := blobs.DeletePrefix(ctx, blob.TenantPrefix(tenant))
			rep.BlobsDeleted = n
			if err != nil {
				return fmt.Errorf("delete blobs: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return PurgeReport{}, err
	}
	return rep, nil
}

// guard locks the tenant's registry row and checks that it may be purged; it returns the
// tenant's status ("" when there is no row).
func guard(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, opts PurgeOptions) (string, error) {
	var (
		status    string
		cancelled *time.Time
		days      int
	)
	err := tx.QueryRow(ctx, "SELECT status, cancelled_at, retention_days FROM "+
		pgx.Identifier{Schema, registryTable}.Sanitize()+" WHERE id = $1 FOR UPDATE", tenant).Scan(&status, &cancelled, &days)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if opts.OnRequest {
			return "", nil // already purged, or never registered: finish whatever is left
		}
		return "", ErrUnknownTenant
	case err != nil:
		return "", fmt.Errorf("read registry row: %w", err)
	case opts.OnRequest:
		return status, nil
	case status != string(tenancy.StatusCancelled):
		return status, fmt.Errorf("%w: status %s (purge on request needs OnRequest)", ErrTenantActive, status)
	case cancelled == nil:
		return status, fmt.Errorf("%w: cancelled without cancelled_at", ErrRetention)
	}
	if due := dueAt(*cancelled, days); opts.Now.Before(due) {
		return status, fmt.Errorf("%w: data kept until %s", ErrRetention, due.UTC().Format(time.RFC3339))
	}
	return status, nil
}

// dueAt is when a tenant cancelled at cancelled with retention days may be purged: that many
// calendar days later, in UTC.
func dueAt(cancelled time.Time, days int) time.Time {
	return cancelled.UTC().AddDate(0, 0, days)
}

// deleteRows deletes the tenant's rows from tables, in order, retrying a table whose delete a
// foreign key blocks (inside a savepoint) after the others, until none is left or no table
// makes progress.
func deleteRows(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, tables []table, counts map[string]int64) error {
	pending := tables
	for len(pending) > 0 {
		var (
			blocked []table
			lastErr error
		)
		for _, t := range pending {
			n, err := deleteTable(ctx, tx, tenant, t)
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation
				blocked, lastErr = append(blocked, t), fmt.Errorf("delete from %s: %w", t.Name, err)
				continue
			}
			if err != nil {
				return fmt.Errorf("delete from %s: %w", t.Name, err)
			}
			counts[t.Name] += n
		}
		if len(blocked) == len(pending) {
			return lastErr
		}
		pending = blocked
	}
	return nil
}

func deleteTable(ctx context.Context, tx pgx.Tx, tenant tenancy.ID, t table) (int64, error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return 0, err
	}
	tag, err := sp.Exec(ctx, "DELETE FROM "+t.ident()+" WHERE "+t.tenantCol()+" = $1", tenant)
	if err != nil {
		_ = sp.Rollback(ctx)
		return 0, err
	}
	if err := sp.Commit(ctx); err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// Due is a cancelled tenant whose retention period has ended.
type Due struct {
	// Tenant is the tenant to purge.
	Tenant tenancy.ID
	// CancelledAt is when it was cancelled (UTC).
	CancelledAt time.Time
	// RetentionDays is how long its data was to be kept after that.
	RetentionDays int
	// DueAt is CancelledAt + RetentionDays (UTC): when it became purgeable.
	DueAt time.Time
}

// Lister pages through the tenant registry; *tenancy.Registry satisfies it (the named system
// path that may read every tenant's row).
type Lister interface {
	List(ctx context.Context, after tenancy.ID, limit int) ([]tenancy.Tenant, error)
}

// listPage is the page size DuePurges asks the registry for.
const listPage = 1000

// DuePurges lists the cancelled tenants whose cancelled_at + retention_days is at or before
// now, oldest cancellation first: what the retention timer purges. It reads the whole
// registry through reg. A cancelled tenant without cancelled_at is never due (the schema does
// not forbid one: it needs an operator).
func DuePurges(ctx context.Context, reg Lister, now time.Time) ([]Due, error) {
	var (
		due   []Due
		after tenancy.ID
	)
	for {
		page, err := reg.List(ctx, after, listPage)
		if err != nil {
			return nil, fmt.Errorf("list tenants due for purge: %w", err)
		}
		if len(page) == 0 {
			break
		}
		for _, t := range page {
			if t.Status != tenancy.StatusCancelled || t.CancelledAt == nil {
				continue
			}
			d := Due{Tenant: t.ID, CancelledAt: t.CancelledAt.UTC(), RetentionDays: t.RetentionDays, DueAt: dueAt(*t.CancelledAt, t.RetentionDays)}
			if !now.Before(d.DueAt) {
				due = append(due, d)
			}
		}
		after = page[len(page)-1].ID
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].CancelledAt.Equal(due[j].CancelledAt) {
			return due[i].CancelledAt.Before(due[j].CancelledAt)
		}
		return due[i].Tenant.String() < due[j].Tenant.String()
	})
	return due, nil
}

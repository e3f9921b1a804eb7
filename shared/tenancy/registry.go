package tenancy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meetingminutes/minutes/shared/funchost"
)

// Status is a tenant's account state.
type Status string

// Account states.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusCancelled Status = "cancelled"
)

// Plan is a tenant's subscription tier.
type Plan string

// Plans.
const (
	PlanStarter    Plan = "starter"
	PlanPro        Plan = "pro"
	PlanEnterprise Plan = "enterprise"
)

// Deployment is how a tenant's data plane runs.
type Deployment string

// Deployment models.
const (
	DeploymentManaged    Deployment = "managed"
	DeploymentBYOI       Deployment = "byoi"
	DeploymentSelfHosted Deployment = "self_hosted"
)

// Tenant is one row of the control plane's tenant registry.
type Tenant struct {
	ID                ID
	Name              string
	AzureTenantID     *uuid.UUID
	Status            Status
	Plan              Plan
	Deployment        Deployment
	Settings          json.RawMessage
	BillingCustomerID string
	TrialEndsAt       *time.Time
	CancelledAt       *time.Time
	RetentionDays     int
	HealthStatus      string
	CreatedAt         time.Time
}

// Registry errors; they map to HTTP statuses through funchost.
var (
	ErrNotFound = funchost.Status(http.StatusNotFound, "tenant not found")
	ErrConflict = funchost.Status(http.StatusConflict, "tenant already exists")
)

// Registry reads and writes the tenants table. It is the named system path for what happens
// before a tenant is known (sign-in by Entra tenant, provisioning, the operator console):
// its transactions set app.registry = 'on' locally, which the tenants table's policy admits;
// a tenant transaction sees only its own row. No other code sets that setting.
type Registry struct{ db *pgxpool.Pool }

// RegistrySetting is the transaction-local setting the tenants table's "registry" policy reads.
const RegistrySetting = "app.registry"

// tx runs fn in a registry transaction.
func (r *Registry) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := r.db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin registry transaction: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err := tx.Exec(ctx, "SELECT set_config('"+RegistrySetting+"', 'on', true)"); err != nil {
		return fmt.Errorf("enter registry: %w", err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit registry transaction: %w", err)
	}
	return nil
}

// queryRow runs one single-row query in a registry transaction.
func (r *Registry) queryRow(ctx context.Context, sql string, args ...any) (t Tenant, err error) {
	err = r.tx(ctx, func(tx pgx.Tx) error {
		t, err = scanTenant(tx.QueryRow(ctx, sql, args...))
		return err
	})
	return t, err
}

// NewRegistry returns the registry over the control-plane pool.
func NewRegistry(db *pgxpool.Pool) *Registry { return &Registry{db: db} }

// NewTenant is what Create needs.
type NewTenant struct {
	// ID is optional; a fresh one is chosen when zero.
	ID            ID
	Name          string
	AzureTenantID *uuid.UUID
	Plan          Plan
	Deployment    Deployment
	TrialEndsAt   *time.Time
}

const tenantColumns = `id, name, azure_tenant_id, status, plan, deployment, settings,
	coalesce(billing_customer_id, ''), trial_ends_at, cancelled_at, retention_days, health_status, created_at`

func scanTenant(row pgx.Row) (Tenant, error) {
	var t Tenant
	var settings []byte
	err := row.Scan(&t.ID, &t.Name, &t.AzureTenantID, &t.Status, &t.Plan, &t.Deployment, &settings,
		&t.BillingCustomerID, &t.TrialEndsAt, &t.CancelledAt, &t.RetentionDays, &t.HealthStatus, &t.CreatedAt)
	t.Settings = settings
	return t, err
}

// Create inserts a tenant. With an Entra tenant id it is idempotent: creating the same Entra
// tenant again returns the existing row and created=false (admin consent can be replayed).
func (r *Registry) Create(ctx context.Context, n NewTenant) (Tenant, bool, error) {
	if n.ID.IsZero() {
		n.ID = NewID()
	}
	if n.Plan == "" {
		n.Plan = PlanStarter
	}
	if n.Deployment == "" {
		n.Deployment = DeploymentManaged
	}
	t, err := r.queryRow(ctx, `
INSERT INTO tenants (id, name, azure_tenant_id, plan, deployment, trial_ends_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (azure_tenant_id) DO NOTHING
RETURNING `+tenantColumns, n.ID, n.Name, n.AzureTenantID, n.Plan, n.Deployment, n.TrialEndsAt)
	switch {
	case err == nil:
		return t, true, nil
	case errors.Is(err, pgx.ErrNoRows) && n.AzureTenantID != nil:
		t, err = r.ByAzureTenant(ctx, *n.AzureTenantID)
		return t, false, err
	}
	return Tenant{}, false, translate("create tenant", err)
}

// Get returns the tenant with id.
func (r *Registry) Get(ctx context.Context, id ID) (Tenant, error) {
	t, err := r.queryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, id)
	return t, translate("get tenant "+id.String(), err)
}

// ByAzureTenant returns the tenant of an Entra ID tenant.
func (r *Registry) ByAzureTenant(ctx context.Context, azure uuid.UUID) (Tenant, error) {
	t, err := r.queryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE azure_tenant_id = $1`, azure)
	return t, translate("get tenant of entra tenant "+azure.String(), err)
}

// List returns tenants ordered by creation, at most limit, after the cursor id (zero: start).
func (r *Registry) List(ctx context.Context, after ID, limit int) ([]Tenant, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var out []Tenant
	err := r.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+tenantColumns+` FROM tenants
			WHERE $1::uuid IS NULL OR (created_at, id) > (SELECT created_at, id FROM tenants WHERE id = $1)
			ORDER BY created_at, id LIMIT $2`, nullable(after), limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Tenant, error) { return scanTenant(row) })
		return err
	})
	return out, translate("list tenants", err)
}

func nullable(id ID) any {
	if id.IsZero() {
		return nil
	}
	return id.String()
}

// SetStatus moves a tenant to status; cancelling stamps cancelled_at (the retention clock).
func (r *Registry) SetStatus(ctx context.Context, id ID, s Status, now time.Time) error {
	switch s {
	case StatusActive, StatusSuspended, StatusCancelled:
	default:
		return fmt.Errorf("set tenant status %q: %w", s, funchost.ErrBadRequest)
	}
	var tag pgconn.CommandTag
	err := r.tx(ctx, func(tx pgx.Tx) (err error) {
		tag, err = tx.Exec(ctx, `
UPDATE tenants SET status = $2, updated_at = $3::timestamptz,
       suspended_at = CASE WHEN $2 = 'suspended' THEN $3::timestamptz ELSE NULL END,
       cancelled_at = CASE WHEN $2 = 'cancelled' THEN coalesce(cancelled_at, $3::timestamptz) ELSE NULL END
 WHERE id = $1`, id, s, now.UTC())
		return err
	})
	if err != nil {
		return translate("set tenant status", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set tenant status of %s: %w", id, ErrNotFound)
	}
	return nil
}

func translate(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%s: %w", what, ErrConflict)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Rename sets the display name of tenant id, from inside that tenant's own context (the
// tenants table's tenant_self policy admits its own row): a tenant admin renames only their
// organisation.
func Rename(ctx context.Context, db Beginner, id ID, name string) error {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 200 {
		return fmt.Errorf("rename tenant: %w", funchost.Status(http.StatusBadRequest, "the name must be 1 to 200 characters"))
	}
	return WithTx(ctx, db, id, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE tenants SET name = $2, updated_at = now() WHERE id = $1", id, name)
		if err != nil {
			return translate("rename tenant", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("rename tenant %s: %w", id, ErrNotFound)
		}
		return nil
	})
}

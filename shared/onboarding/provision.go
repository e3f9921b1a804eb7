package onboarding

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/pipeline"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// TrialDays is how long a new tenant's trial lasts.
const TrialDays = 14

// DefaultTemplateName names the template every tenant starts with.
const DefaultTemplateName = "Standard minutes"

// Admin is the consenting administrator, as their validated ID token describes them.
type Admin struct {
	ObjectID uuid.UUID
	Email    string
	Name     string
}

// Request is what provisioning needs.
type Request struct {
	// AzureTenantID is the consenting tenant, confirmed by a client-credentials token (never
	// only the callback's tenant parameter).
	AzureTenantID uuid.UUID
	// Name is the organisation's display name.
	Name  string
	Admin Admin
}

// Result is what provisioning did.
type Result struct {
	Tenant    tenancy.Tenant
	AdminUser store.User
	// Created is false when the tenant already existed (a replayed consent).
	Created bool
	// Duration is the server-side provisioning time.
	Duration time.Duration
}

// Provisioner provisions tenants.
type Provisioner struct {
	customers Customers
	registry  *tenancy.Registry
	stores    store.Resolver
	control   *pgxpool.Pool
	now       func() time.Time
}

// Customers creates a tenant's billing customer (Stripe; *billing.Sessions is one). It must be
// idempotent on the tenant: Checkout calls it again.
type Customers interface {
	EnsureCustomer(ctx context.Context, t tenancy.Tenant, email string) (string, error)
}

// WithCustomers makes Provision create the billing customer; nil (the default) skips it.
func (p *Provisioner) WithCustomers(c Customers) *Provisioner {
	p.customers = c
	return p
}

// New returns a Provisioner. control is the control-plane pool (runtime role); stores
// resolves where each tenant's data lives.
func New(registry *tenancy.Registry, stores store.Resolver, control *pgxpool.Pool, now func() time.Time) *Provisioner {
	if now == nil {
		now = time.Now
	}
	return &Provisioner{registry: registry, stores: stores, control: control, now: now}
}

// ErrInvalidRequest reports a request that cannot be provisioned.
var ErrInvalidRequest = errors.New("invalid provisioning request")

// Provision provisions the tenant of req, idempotently.
func (p *Provisioner) Provision(ctx context.Context, req Request) (Result, error) {
	start := p.now()
	if req.AzureTenantID == uuid.Nil || req.Admin.ObjectID == uuid.Nil || strings.TrimSpace(req.Admin.Email) == "" {
		return Result{}, fmt.Errorf("%w: tenant, admin object id and admin email are required", ErrInvalidRequest)
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		name = "Organisation " + req.AzureTenantID.String()[:8]
	}
	trialEnds := start.Add(TrialDays * 24 * time.Hour).UTC()
	t, created, err := p.registry.Create(ctx, tenancy.NewTenant{
		Name: clip(name, 200), AzureTenantID: &req.AzureTenantID, Plan: tenancy.PlanStarter, TrialEndsAt: &trialEnds,
	})
	if err != nil {
		return Result{}, fmt.Errorf("provision tenant for entra tenant %s: %w", req.AzureTenantID, err)
	}
	if p.customers != nil && t.BillingCustomerID == "" {
		// Never blocks sign-up: Checkout creates the customer again if this failed (the call
		// is idempotent on the tenant id).
		_, _ = p.customers.EnsureCustomer(ctx, t, req.Admin.Email)
	}
	st, err := p.stores.For(ctx, t.ID)
	if err != nil {
		return Result{}, fmt.Errorf("provision tenant %s: %w", t.ID, err)
	}
	var admin store.User
	err = st.Tx(ctx, func(tx store.Store) error {
		var err error
		if admin, err = p.seedTenantData(ctx, tx, req); err != nil {
			return err
		}
		actor := audit.Actor{Type: audit.ActorUser, ID: admin.ID.String()}
		if created {
			if _, err := tx.Audit(ctx, audit.Entry{At: start, Actor: actor, Action: "tenant.provisioned",
				Target:  audit.Target{Type: "tenant", ID: t.ID.String()},
				Details: map[string]any{"plan": string(t.Plan), "trial_days": TrialDays}}); err != nil {
				return err
			}
		}
		_, err = tx.Audit(ctx, audit.Entry{At: start, Actor: actor, Action: "consent.granted",
			Target: audit.Target{Type: "tenant", ID: t.ID.String()}})
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("provision tenant %s: %w", t.ID, err)
	}
	if err := p.requestSubscriptions(ctx, t.ID); err != nil {
		return Result{}, fmt.Errorf("provision tenant %s: %w", t.ID, err)
	}
	return Result{Tenant: t, AdminUser: admin, Created: created, Duration: p.now().Sub(start)}, nil
}

// seedTenantData creates what a new tenant starts with, skipping what exists.
func (p *Provisioner) seedTenantData(ctx context.Context, tx store.Store, req Request) (store.User, error) {
	if _, err := tx.DefaultTemplate(ctx); errors.Is(err, store.ErrNotFound) {
		tpl, err := tx.CreateTemplate(ctx, store.TemplateInput{Name: DefaultTemplateName})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return store.User{}, fmt.Errorf("create default template: %w", err)
		}
		if err == nil {
			if _, err := tx.SetDefaultTemplate(ctx, tpl.ID); err != nil {
				return store.User{}, fmt.Errorf("set default template: %w", err)
			}
		}
	} else if err != nil {
		return store.User{}, fmt.Errorf("read default template: %w", err)
	}
	admin, created, err := tx.UpsertUserByEmail(ctx, store.UserInput{
		Email: req.Admin.Email, DisplayName: clip(req.Admin.Name, 200), EntraObjectID: req.Admin.ObjectID, Role: store.RoleAdmin,
	})
	if err != nil {
		return store.User{}, fmt.Errorf("create admin user: %w", err)
	}
	if !created && admin.Role != store.RoleAdmin {
		// The consenting admin is an Entra admin of the organisation: they administer it here.
		if admin, err = tx.SetUserRole(ctx, admin.ID, store.RoleAdmin); err != nil {
			return store.User{}, fmt.Errorf("promote consenting admin: %w", err)
		}
	}
	return admin, nil
}

// requestSubscriptions records the Graph subscriptions to create, once per tenant and kind.
// The row is the queue: SubscriptionRenewal picks up 'requested' rows and creates them.
func (p *Provisioner) requestSubscriptions(ctx context.Context, id tenancy.ID) error {
	return tenancy.WithTx(ctx, p.control, id, func(tx pgx.Tx) error {
		for _, kind := range pipeline.SubscriptionKinds() {
			state := make([]byte, 32)
			if _, err := rand.Read(state); err != nil {
				return fmt.Errorf("generate client state: %w", err)
			}
			sum := sha256.Sum256(state) // replaced by the real clientState's hash at creation
			if _, err := tx.Exec(ctx, `
INSERT INTO graph_subscriptions (tenant_id, id, kind, resource, client_state_sha256, expires_at, status)
VALUES ($1, $2, $3, $4, $5, $6, 'requested')
ON CONFLICT DO NOTHING`, id, "requested:"+kind, kind, pipeline.SubscriptionResource(kind), sum[:], p.now().UTC()); err != nil {
				return fmt.Errorf("request %s subscription: %w", kind, err)
			}
		}
		return nil
	})
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

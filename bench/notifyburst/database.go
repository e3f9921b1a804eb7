package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/meetingminutes/minutes/bench/internal/pgkit"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/queue"
	"github.com/meetingminutes/minutes/shared/tenancy"

	"github.com/meetingminutes/minutes/shared/migrate"
)

const (
	ownerRole = migrate.OwnerRole
	appRole   = "minutes_app"
)

// scratch is the benchmark's own database and the URLs of its three roles.
type scratch struct {
	admin      *pgx.Conn // superuser, on the maintenance database of -db
	name       string
	superURL   string // superuser on the scratch database (bypasses RLS)
	ownerURL   string // minutes_owner: migrations
	appURL     string // minutes_app: the runtime role
	version    string
	maxConns   int
	syncCommit string
	fsync      string
}

// openScratch connects to -db as a superuser, makes sure minutes_owner exists with LOGIN
// CREATEROLE (as scripts/devdb does), and creates the scratch database owned by it.
func openScratch(ctx context.Context, cfg config) (*scratch, error) {
	super, err := url.Parse(cfg.db)
	if err != nil || (super.Scheme != "postgres" && super.Scheme != "postgresql") {
		return nil, errors.New("-db must be a postgres:// URL")
	}
	admin, err := pgx.Connect(ctx, cfg.db)
	if err != nil {
		return nil, fmt.Errorf("connect to -db: %w", err)
	}
	s := &scratch{admin: admin, name: cfg.name}
	var isSuper bool
	if err := admin.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('max_connections')::int,
		current_setting('synchronous_commit'), current_setting('fsync'), rolsuper FROM pg_roles WHERE rolname = current_user`).
		Scan(&s.version, &s.maxConns, &s.syncCommit, &s.fsync, &isSuper); err != nil {
		admin.Close(ctx)
		return nil, fmt.Errorf("read server settings: %w", err)
	}
	if !isSuper {
		admin.Close(ctx)
		return nil, errors.New("-db must connect as a superuser: it creates the roles and reads every tenant's rows")
	}
	if err := migrate.EnsureOwnerRole(ctx, admin); err != nil {
		admin.Close(ctx)
		return nil, err
	}
	ident := pgx.Identifier{s.name}.Sanitize()
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		admin.Close(ctx)
		return nil, fmt.Errorf("drop leftover database %s: %w", s.name, err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident+" OWNER "+ownerRole); err != nil {
		admin.Close(ctx)
		return nil, fmt.Errorf("create database %s: %w", s.name, err)
	}
	s.superURL, s.ownerURL, s.appURL = pgkit.RoleURL(super, "", s.name), pgkit.RoleURL(super, ownerRole, s.name), pgkit.RoleURL(super, appRole, s.name)
	return s, nil
}

// close drops the scratch database (unless keep) and closes the admin connection.
func (s *scratch) close(ctx context.Context, keep bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	defer s.admin.Close(ctx)
	if keep {
		fmt.Printf("\nkept database %s\n", s.name)
		return nil
	}
	if _, err := s.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{s.name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", s.name, err)
	}
	return nil
}

// pauseIngest pauses River's transcript-ingest queue before any worker starts: River's
// producer reads river_queue.paused_at when it starts and then fetches nothing from the queue
// (the row is what River's own QueuePause writes). River names its queues after ours.
func (s *scratch) pauseIngest(ctx context.Context) error {
	return pgkit.ExecOnce(ctx, s.superURL, `INSERT INTO river_queue (name, created_at, metadata, paused_at, updated_at)
		VALUES ($1, now(), '{}', now(), now())
		ON CONFLICT (name) DO UPDATE SET paused_at = now(), updated_at = now()`, string(queue.TranscriptIngest))
}

// appConnections counts the sessions minutes_app has open on the scratch database: after the
// burst, the handler's pool (its queries and River's).
func (s *scratch) appConnections(ctx context.Context) (int, error) {
	var n int
	if err := s.admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND usename = $2`,
		s.name, appRole).Scan(&n); err != nil {
		return 0, fmt.Errorf("count connections: %w", err)
	}
	return n, nil
}

// freeConnections is how many more sessions the server accepts for non-superusers now.
func (s *scratch) freeConnections(ctx context.Context) (int, error) {
	var n int
	if err := s.admin.QueryRow(ctx, `SELECT current_setting('max_connections')::int
		- current_setting('superuser_reserved_connections')::int
		- (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count free connections: %w", err)
	}
	return n, nil
}

// tenant is one seeded tenant: its Entra tenant id, its subscription and that subscription's
// clientState.
type tenant struct {
	id          tenancy.ID
	azure       uuid.UUID
	sub         uuid.UUID
	clientState string
}

// seed creates n tenants with one active transcripts subscription each, as minutes_app, the way
// provisioning does: the registry, then the subscription row in the tenant's transaction.
func seed(ctx context.Context, appURL string, n int) ([]tenant, error) {
	pool, err := pgxpool.New(ctx, appURL)
	if err != nil {
		return nil, fmt.Errorf("connect as %s: %w", appRole, err)
	}
	defer pool.Close()
	reg := tenancy.NewRegistry(pool)
	out := make([]tenant, n)
	for i := range out {
		t := tenant{azure: uuid.New(), sub: uuid.New(), clientState: randomSecret()}
		tn, _, err := reg.Create(ctx, tenancy.NewTenant{Name: fmt.Sprintf("Bench tenant %03d", i+1), AzureTenantID: &t.azure})
		if err != nil {
			return nil, fmt.Errorf("create tenant %d: %w", i+1, err)
		}
		t.id = tn.ID
		hash := graphhook.HashClientState(t.clientState)
		if err := tenancy.WithTx(ctx, pool, t.id, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO graph_subscriptions (tenant_id, id, kind, resource, client_state_sha256, expires_at)
				VALUES ($1, $2, 'transcripts', 'communications/onlineMeetings/getAllTranscripts', $3, now() + interval '3 days')`,
				t.id, t.sub.String(), hash[:])
			return err
		}); err != nil {
			return nil, fmt.Errorf("create subscription of tenant %d: %w", i+1, err)
		}
		out[i] = t
	}
	return out, nil
}

// randomSecret is a clientState like the ones SubscriptionRenewal makes: 32 random bytes, hex.
func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

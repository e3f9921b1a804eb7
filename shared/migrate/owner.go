package migrate

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// OwnerRole is the role that runs the migrations and owns every object they create, where
// the installer provides it (local development, tests, benchmarks, self-hosted). On Azure the
// app's managed identity, the server's Entra administrator, plays this part.
const OwnerRole = "minutes_owner"

// Execer runs a statement; *pgx.Conn and *pgxpool.Pool satisfy it.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// EnsureOwnerRole creates OwnerRole (LOGIN CREATEROLE: the first migration creates
// minutes_app) or gives an existing one those attributes. db must be a superuser connection.
// Safe beside a concurrent caller.
func EnsureOwnerRole(ctx context.Context, db Execer) error {
	_, err := db.Exec(ctx, `DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'minutes_owner') THEN
        BEGIN
            CREATE ROLE minutes_owner LOGIN NOSUPERUSER CREATEROLE;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created meanwhile by another caller
        END;
    ELSIF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                      WHERE rolname = 'minutes_owner' AND rolcanlogin AND rolcreaterole) THEN
        ALTER ROLE minutes_owner LOGIN CREATEROLE;
    END IF;
END
$$`)
	if err != nil {
		return fmt.Errorf("ensure role %s: %w", OwnerRole, err)
	}
	return nil
}

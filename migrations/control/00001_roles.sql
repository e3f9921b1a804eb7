-- Roles and default privileges (control-plane set).
--
-- minutes_app is the runtime role: it logs in, owns nothing, can only run DML and can never
-- bypass row-level security. The role running this migration (minutes_owner) owns every object
-- and needs CREATEROLE the first time this runs on a cluster. Roles are cluster-wide, so the
-- same statements live in the tenant set, which is the only set a BYOI database receives.
-- Creating the role tolerates a concurrent migration of another database on the same cluster.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'minutes_app') THEN
        BEGIN
            CREATE ROLE minutes_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created meanwhile by a concurrent migration of another database
        END;
    END IF;
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO minutes_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO minutes_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO minutes_app;

-- +goose Down
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM minutes_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM minutes_app;
REVOKE USAGE ON SCHEMA public FROM minutes_app;
-- The role is cluster-wide and may serve other databases: it is left in place.

-- Guards for the registries that tenant tables reference (found by migrations/catalog_test.go).
--
-- tenants: forced RLS with two policies. In a tenant transaction (app.current_tenant set)
-- only that tenant's own row is visible and writable. The named system path for lookups that
-- happen before a tenant is known — sign-in by Entra tenant, provisioning, the operator
-- console, sweeps — is tenancy.Registry, whose transactions set app.registry = 'on' locally.
-- No other code sets it. The runtime role may never DELETE or TRUNCATE a tenant: a delete
-- would cascade into that tenant's control rows with the owner's rights, past RLS; only the
-- purge (as the owner, in that tenant's context) removes a tenant.
--
-- migration_runs and failed_messages: the runtime role keeps what it needs (insert, update,
-- read) and loses DELETE/TRUNCATE, so a run's per-tenant targets cannot be cascaded away and
-- parked messages cannot be dropped by the application.

-- +goose Up
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_self ON tenants
    USING (id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);
CREATE POLICY registry ON tenants
    USING (current_setting('app.registry', true) = 'on')
    WITH CHECK (current_setting('app.registry', true) = 'on');
REVOKE DELETE, TRUNCATE ON tenants FROM minutes_app;
REVOKE DELETE, TRUNCATE ON migration_runs FROM minutes_app;
REVOKE DELETE, TRUNCATE ON failed_messages FROM minutes_app;

-- +goose Down
GRANT DELETE, TRUNCATE ON failed_messages TO minutes_app;
GRANT DELETE, TRUNCATE ON migration_runs TO minutes_app;
GRANT DELETE, TRUNCATE ON tenants TO minutes_app;
DROP POLICY registry ON tenants;
DROP POLICY tenant_self ON tenants;
ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY;
ALTER TABLE tenants DISABLE ROW LEVEL SECURITY;

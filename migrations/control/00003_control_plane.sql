-- Control plane: the tenant registry and what we keep about each tenant to run it. Tables
-- that carry a tenant_id get the same forced row-level security as tenant data; tenants,
-- processed_webhook_events and migration_runs are registries read by system paths (sign-in
-- lookup by Entra tenant, Stripe event dedupe, migration progress) and hold no tenant content.

-- +goose Up
CREATE TABLE tenants (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name                text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The customer's Entra ID tenant; null only for self-hosted installs without Entra.
    azure_tenant_id     uuid        UNIQUE,
    status              text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'cancelled')),
    plan                text        NOT NULL DEFAULT 'starter' CHECK (plan IN ('starter', 'pro', 'enterprise')),
    deployment          text        NOT NULL DEFAULT 'managed' CHECK (deployment IN ('managed', 'byoi', 'self_hosted')),
    settings            jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    billing_customer_id text        UNIQUE,
    trial_ends_at       timestamptz,
    suspended_at        timestamptz,
    cancelled_at        timestamptz,
    -- Days a cancelled tenant's data is kept before the purge.
    retention_days      integer     NOT NULL DEFAULT 30 CHECK (retention_days BETWEEN 0 AND 3650),
    -- Denormalised from the latest health sweep, for the operator console.
    health_status       text        NOT NULL DEFAULT 'unknown' CHECK (health_status IN ('unknown', 'healthy', 'degraded', 'unavailable')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- A cancelled tenant always has the date its retention clock started.
    CHECK (status <> 'cancelled' OR cancelled_at IS NOT NULL)
);
CREATE INDEX tenants_purge_due ON tenants (cancelled_at) WHERE status = 'cancelled';

CREATE TABLE processed_webhook_events (
    -- Stripe (or Marketplace) event ids are global: applied once, whichever tenant they touch.
    source       text        NOT NULL CHECK (source IN ('stripe', 'marketplace')),
    event_id     text        NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
    event_type   text        NOT NULL,
    tenant_id_hint uuid        REFERENCES tenants (id) ON DELETE SET NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, event_id)
);

CREATE TABLE migration_runs (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    migration_set   text        NOT NULL CHECK (migration_set IN ('control', 'tenant')),
    target_version  bigint      NOT NULL,
    dry_run         boolean     NOT NULL DEFAULT false,
    status          text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed', 'halted')),
    requested_by    text        NOT NULL DEFAULT '',
    total           integer     NOT NULL DEFAULT 0,
    succeeded       integer     NOT NULL DEFAULT 0,
    failed          integer     NOT NULL DEFAULT 0,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

CREATE TABLE resource_profiles (
    tenant_id           uuid        NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    -- Secrets are never stored here: only Key Vault references (https://vault/secrets/name).
    database_secret_ref text        NOT NULL DEFAULT '',
    database_host       text        NOT NULL DEFAULT '',
    database_name       text        NOT NULL DEFAULT '',
    database_auth       text        NOT NULL DEFAULT 'entra' CHECK (database_auth IN ('entra', 'password')),
    blob_account_url    text        NOT NULL DEFAULT '',
    blob_container      text        NOT NULL DEFAULT '',
    keyvault_url        text        NOT NULL DEFAULT '',
    openai_endpoint     text        NOT NULL DEFAULT '',
    openai_deployment   text        NOT NULL DEFAULT '',
    openai_secret_ref   text        NOT NULL DEFAULT '',
    sharepoint_site_id  text        NOT NULL DEFAULT '',
    status              text        NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'healthy', 'degraded', 'unavailable')),
    schema_version      bigint      NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE resource_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE resource_profiles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON resource_profiles
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE graph_subscriptions (
    tenant_id           uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- Graph's subscription id.
    id                  text        NOT NULL CHECK (length(id) BETWEEN 1 AND 200),
    kind                text        NOT NULL CHECK (kind IN ('transcripts', 'call_records')),
    resource            text        NOT NULL,
    -- Only a hash of clientState is kept; notifications are checked against it in constant time.
    client_state_sha256 bytea       NOT NULL CHECK (length(client_state_sha256) = 32),
    certificate_id      text        NOT NULL DEFAULT '',
    expires_at          timestamptz NOT NULL,
    status              text        NOT NULL DEFAULT 'active' CHECK (status IN ('requested', 'active', 'reauthorize', 'removed', 'failed')),
    last_error          text        NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT now(),
    renewed_at          timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX graph_subscriptions_expiry ON graph_subscriptions (tenant_id, expires_at);
CREATE UNIQUE INDEX graph_subscriptions_one_active ON graph_subscriptions (tenant_id, kind) WHERE status IN ('requested', 'active', 'reauthorize');

ALTER TABLE graph_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE graph_subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON graph_subscriptions
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE notification_receipts (
    tenant_id       uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- tenant + transcript id (or call id): a notification delivered again finds its receipt.
    dedupe_key      text        NOT NULL CHECK (length(dedupe_key) BETWEEN 1 AND 1024),
    subscription_id text        NOT NULL,
    change_type     text        NOT NULL,
    resource        text        NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    times_received  integer     NOT NULL DEFAULT 1,
    enqueued_at     timestamptz,
    PRIMARY KEY (tenant_id, dedupe_key)
);
CREATE INDEX notification_receipts_received ON notification_receipts (tenant_id, received_at);

ALTER TABLE notification_receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_receipts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notification_receipts
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE health_results (
    tenant_id  uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    resource   text        NOT NULL CHECK (resource IN ('database', 'blob', 'keyvault', 'openai', 'sharepoint', 'graph')),
    checked_at timestamptz NOT NULL,
    state      text        NOT NULL CHECK (state IN ('up', 'down', 'disabled')),
    detail     text        NOT NULL DEFAULT '',
    latency_ms real        NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, resource, checked_at)
);

ALTER TABLE health_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE health_results FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON health_results
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE usage_counters (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    meter        text        NOT NULL CHECK (meter IN ('meetings_processed', 'active_users')),
    -- The hour the usage belongs to (UTC, truncated): the unit Stripe meter events are sent in.
    period_start timestamptz NOT NULL CHECK (date_trunc('hour', period_start) = period_start),
    value        bigint      NOT NULL DEFAULT 0 CHECK (value >= 0),
    reported_at  timestamptz,
    -- identifier sent with the meter event, so a retry never double counts.
    report_id    text,
    PRIMARY KEY (tenant_id, meter, period_start)
);
CREATE INDEX usage_counters_unreported ON usage_counters (tenant_id, period_start) WHERE reported_at IS NULL;

ALTER TABLE usage_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_counters
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE migration_targets (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    run_id       bigint      NOT NULL REFERENCES migration_runs (id) ON DELETE CASCADE,
    status       text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
    from_version bigint,
    to_version   bigint,
    error        text        NOT NULL DEFAULT '',
    started_at   timestamptz,
    finished_at  timestamptz,
    PRIMARY KEY (tenant_id, run_id)
);

ALTER TABLE migration_targets ENABLE ROW LEVEL SECURITY;
ALTER TABLE migration_targets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON migration_targets
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

-- +goose Down
DROP TABLE IF EXISTS migration_targets CASCADE;
DROP TABLE IF EXISTS usage_counters CASCADE;
DROP TABLE IF EXISTS health_results CASCADE;
DROP TABLE IF EXISTS notification_receipts CASCADE;
DROP TABLE IF EXISTS graph_subscriptions CASCADE;
DROP TABLE IF EXISTS resource_profiles CASCADE;
DROP TABLE IF EXISTS migration_runs CASCADE;
DROP TABLE IF EXISTS processed_webhook_events CASCADE;
DROP TABLE IF EXISTS tenants CASCADE;

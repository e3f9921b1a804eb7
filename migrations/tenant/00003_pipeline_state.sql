-- Pipeline state the portal shows: each meeting's timeline (what happened, what failed, what
-- happens next), each transcript fetch's attempts (so a transcript Graph has not produced yet
-- is retried with backoff and then given up with a recorded reason), and the tenant's open
-- alerts (a Teams setting to switch on), each mailed to the admins once.
-- Same rules as 00002: tenant_id leads every key, row-level security enabled and forced.

-- +goose Up
CREATE TABLE meeting_events (
    tenant_id  uuid        NOT NULL,
    meeting_id uuid        NOT NULL,
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    at         timestamptz NOT NULL DEFAULT now(),
    -- The pipeline step (meeting_ended, transcript_fetch, transcript_stored, generate_queued, ...).
    stage      text        NOT NULL CHECK (stage ~ '^[a-z][a-z_]{0,39}$'),
    outcome    text        NOT NULL CHECK (outcome IN ('ok', 'waiting', 'retry', 'failed')),
    -- Safe to show to the tenant: reasons and counts, never transcript text.
    detail     text        NOT NULL DEFAULT '' CHECK (length(detail) <= 2000),
    PRIMARY KEY (tenant_id, meeting_id, id),
    FOREIGN KEY (tenant_id, meeting_id) REFERENCES meetings (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE meeting_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE meeting_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON meeting_events
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE transcript_fetches (
    tenant_id        uuid        NOT NULL,
    -- The Graph transcript id (transcripts.external_id once stored).
    external_id      text        NOT NULL CHECK (length(external_id) BETWEEN 1 AND 1024),
    meeting_id       uuid,
    -- retrying: not available yet or throttled; blocked: a tenant or metering gate refused it;
    -- stored: done; gave_up: retried past the limit, reason in last_error.
    status           text        NOT NULL CHECK (status IN ('retrying', 'blocked', 'stored', 'gave_up')),
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    first_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text        NOT NULL DEFAULT '' CHECK (length(last_error) <= 2000),
    PRIMARY KEY (tenant_id, external_id),
    FOREIGN KEY (tenant_id, meeting_id) REFERENCES meetings (tenant_id, id) ON DELETE SET NULL (meeting_id)
);
CREATE INDEX transcript_fetches_open ON transcript_fetches (tenant_id, status) WHERE status IN ('retrying', 'blocked');

ALTER TABLE transcript_fetches ENABLE ROW LEVEL SECURITY;
ALTER TABLE transcript_fetches FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON transcript_fetches
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE tenant_alerts (
    tenant_id     uuid        NOT NULL,
    -- One open alert per kind (transcript_api_disabled, application_access_policy, ...).
    kind          text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{0,59}$'),
    title         text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    -- What to do, for the admin (commands included).
    detail        text        NOT NULL DEFAULT '' CHECK (length(detail) <= 4000),
    occurrences   integer     NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    -- Set when the admins were mailed: they are told once per opening of the alert.
    notified_at   timestamptz,
    resolved_at   timestamptz,
    PRIMARY KEY (tenant_id, kind)
);

ALTER TABLE tenant_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_alerts
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

-- +goose Down
DROP TABLE IF EXISTS tenant_alerts CASCADE;
DROP TABLE IF EXISTS transcript_fetches CASCADE;
DROP TABLE IF EXISTS meeting_events CASCADE;

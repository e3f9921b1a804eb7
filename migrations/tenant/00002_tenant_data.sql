-- Tenant data: every table leads with tenant_id (primary key and every index, Citus-ready),
-- uniqueness is tenant-scoped, and row-level security is enabled AND forced with one policy
-- whose USING and WITH CHECK compare tenant_id with the transaction's app.current_tenant
-- (set by shared/tenancy with set_config(..., true)). With no tenant set, NULLIF turns the
-- empty setting into NULL: nothing is visible and nothing can be written.
-- minutes_app gets DML through the default privileges of 00001; it owns nothing.

-- +goose Up
CREATE TABLE users (
    tenant_id       uuid        NOT NULL,
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    email           text        NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    display_name    text        NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
    entra_object_id uuid,
    role            text        NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'approver', 'member')),
    status          text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'erased')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_email ON users (tenant_id, lower(email));
CREATE UNIQUE INDEX users_entra ON users (tenant_id, entra_object_id) WHERE entra_object_id IS NOT NULL;

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE invitations (
    tenant_id    uuid        NOT NULL,
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    email        text        NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    role         text        NOT NULL CHECK (role IN ('admin', 'approver', 'member')),
    -- Only the token's hash is stored: the token itself travels once, in the invitation mail.
    token_sha256 bytea       NOT NULL CHECK (length(token_sha256) = 32),
    invited_by   uuid,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    accepted_by  uuid,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, invited_by) REFERENCES users (tenant_id, id) ON DELETE SET NULL (invited_by),
    FOREIGN KEY (tenant_id, accepted_by) REFERENCES users (tenant_id, id) ON DELETE SET NULL (accepted_by)
);
CREATE UNIQUE INDEX invitations_token ON invitations (tenant_id, token_sha256);
CREATE INDEX invitations_email ON invitations (tenant_id, lower(email));

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE meetings (
    tenant_id       uuid        NOT NULL,
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    -- graph: a Teams meeting found through Graph; upload: a transcript a member uploaded.
    source          text        NOT NULL CHECK (source IN ('graph', 'upload')),
    -- The Graph onlineMeeting id (or the upload's own id): one row per meeting occurrence.
    external_id     text        NOT NULL CHECK (length(external_id) BETWEEN 1 AND 1024),
    call_id         text,
    subject         text        NOT NULL DEFAULT '' CHECK (length(subject) <= 1000),
    organizer_id    text,
    organizer_name  text        NOT NULL DEFAULT '',
    organizer_email text        NOT NULL DEFAULT '',
    starts_at       timestamptz,
    ends_at         timestamptz,
    participants    jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(participants) = 'array'),
    -- Pipeline progress shown in the portal.
    status          text        NOT NULL DEFAULT 'ended' CHECK (status IN (
                        'ended', 'awaiting_transcript', 'no_transcript', 'transcript_received',
                        'over_quota', 'generating', 'draft', 'pending_approval', 'approved',
                        'rejected', 'published', 'failed')),
    status_detail   text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, source, external_id)
);
CREATE INDEX meetings_recent ON meetings (tenant_id, starts_at DESC NULLS LAST, id);
CREATE INDEX meetings_call ON meetings (tenant_id, call_id) WHERE call_id IS NOT NULL;

ALTER TABLE meetings ENABLE ROW LEVEL SECURITY;
ALTER TABLE meetings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON meetings
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE transcripts (
    tenant_id      uuid        NOT NULL,
    id             uuid        NOT NULL DEFAULT gen_random_uuid(),
    meeting_id     uuid        NOT NULL,
    -- The Graph transcript id, or a content hash for uploads: ingest is idempotent on it.
    external_id    text        NOT NULL CHECK (length(external_id) BETWEEN 1 AND 1024),
    format         text        NOT NULL CHECK (format IN ('vtt', 'docx', 'txt')),
    blob_path      text        NOT NULL,
    content_sha256 bytea       NOT NULL CHECK (length(content_sha256) = 32),
    size_bytes     bigint      NOT NULL CHECK (size_bytes >= 0),
    language       text        NOT NULL DEFAULT '',
    cue_count      integer     NOT NULL DEFAULT 0,
    speaker_count  integer     NOT NULL DEFAULT 0,
    word_count     integer     NOT NULL DEFAULT 0,
    duration_ms    bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, external_id),
    FOREIGN KEY (tenant_id, meeting_id) REFERENCES meetings (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX transcripts_meeting ON transcripts (tenant_id, meeting_id);

ALTER TABLE transcripts ENABLE ROW LEVEL SECURITY;
ALTER TABLE transcripts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON transcripts
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE templates (
    tenant_id  uuid        NOT NULL,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    sections   jsonb       NOT NULL DEFAULT '["summary","decisions","action_items"]' CHECK (jsonb_typeof(sections) = 'array'),
    tone       text        NOT NULL DEFAULT 'neutral' CHECK (tone IN ('neutral', 'formal', 'concise', 'friendly')),
    language   text        NOT NULL DEFAULT 'en' CHECK (length(language) BETWEEN 2 AND 35),
    is_default boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);
CREATE UNIQUE INDEX templates_one_default ON templates (tenant_id) WHERE is_default;

ALTER TABLE templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE templates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON templates
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE meeting_minutes (
    tenant_id       uuid        NOT NULL,
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    meeting_id      uuid        NOT NULL,
    transcript_id   uuid,
    -- Versions count from 1 per meeting: generation writes 1, each edit adds one.
    version         integer     NOT NULL CHECK (version >= 1),
    status          text        NOT NULL DEFAULT 'draft' CHECK (status IN (
                        'draft', 'pending_approval', 'approved', 'rejected', 'published', 'failed')),
    -- The minutes model (title, summary, decisions, action_items, attendees, generator, language).
    content         jsonb       NOT NULL CHECK (jsonb_typeof(content) = 'object'),
    generator       text        NOT NULL DEFAULT '',
    template_id     uuid,
    created_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_by      uuid,
    decided_at      timestamptz,
    decision_reason text        NOT NULL DEFAULT '',
    published_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, meeting_id, version),
    FOREIGN KEY (tenant_id, meeting_id) REFERENCES meetings (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, transcript_id) REFERENCES transcripts (tenant_id, id) ON DELETE SET NULL (transcript_id),
    FOREIGN KEY (tenant_id, template_id) REFERENCES templates (tenant_id, id) ON DELETE SET NULL (template_id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id) ON DELETE SET NULL (created_by),
    FOREIGN KEY (tenant_id, decided_by) REFERENCES users (tenant_id, id) ON DELETE SET NULL (decided_by)
);
CREATE INDEX meeting_minutes_status ON meeting_minutes (tenant_id, status, created_at DESC);

ALTER TABLE meeting_minutes ENABLE ROW LEVEL SECURITY;
ALTER TABLE meeting_minutes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON meeting_minutes
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE action_items (
    tenant_id        uuid        NOT NULL,
    id               uuid        NOT NULL DEFAULT gen_random_uuid(),
    minutes_id       uuid        NOT NULL,
    meeting_id       uuid        NOT NULL,
    task             text        NOT NULL CHECK (length(task) BETWEEN 1 AND 2000),
    owner_user_id    uuid,
    owner_name       text        NOT NULL DEFAULT '',
    owner_email      text        NOT NULL DEFAULT '',
    due_date         date,
    status           text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    -- Where it came from: a verbatim transcript span and its offset from the meeting start.
    source_quote     text        NOT NULL DEFAULT '',
    source_offset_ms bigint      CHECK (source_offset_ms >= 0),
    verified         boolean     NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, minutes_id) REFERENCES meeting_minutes (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, meeting_id) REFERENCES meetings (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, owner_user_id) REFERENCES users (tenant_id, id) ON DELETE SET NULL (owner_user_id)
);
CREATE INDEX action_items_owner ON action_items (tenant_id, owner_user_id, status);
CREATE INDEX action_items_minutes ON action_items (tenant_id, minutes_id);
CREATE INDEX action_items_open_due ON action_items (tenant_id, status, due_date);

ALTER TABLE action_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE action_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON action_items
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE tenant_settings (
    tenant_id           uuid        NOT NULL PRIMARY KEY,
    approval_mode       text        NOT NULL DEFAULT 'any' CHECK (approval_mode IN ('none', 'any', 'named')),
    approver_ids        uuid[]      NOT NULL DEFAULT '{}',
    reminder_after      interval    NOT NULL DEFAULT '24 hours' CHECK (reminder_after >= interval '0'),
    sharepoint_site_id  text        NOT NULL DEFAULT '',
    sharepoint_drive_id text        NOT NULL DEFAULT '',
    sharepoint_folder   text        NOT NULL DEFAULT 'Meeting Minutes',
    -- Who gets the published minutes: {"attendees": true, "extra": ["a@b"], "organizer_only": false}.
    distribution        jsonb       NOT NULL DEFAULT '{"attendees": true}' CHECK (jsonb_typeof(distribution) = 'object'),
    retention_days      integer     NOT NULL DEFAULT 365 CHECK (retention_days BETWEEN 1 AND 36500),
    default_template_id uuid,
    setup_completed_at  timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, default_template_id) REFERENCES templates (tenant_id, id) ON DELETE SET NULL (default_template_id)
);

ALTER TABLE tenant_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_settings
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

CREATE TABLE audit_log (
    tenant_id   uuid        NOT NULL,
    -- seq counts from 1 per tenant without gaps; hash = sha256(prev_hash || canonical entry),
    -- so an edited, inserted or deleted row breaks the chain (see shared/audit).
    seq         bigint      NOT NULL CHECK (seq >= 1),
    at          timestamptz NOT NULL,
    actor_type  text        NOT NULL CHECK (actor_type IN ('user', 'system', 'operator')),
    actor_id    text        NOT NULL DEFAULT '',
    action      text        NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    target_type text        NOT NULL DEFAULT '',
    target_id   text        NOT NULL DEFAULT '',
    details     jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    prev_hash   bytea       NOT NULL CHECK (length(prev_hash) = 32),
    hash        bytea       NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_target ON audit_log (tenant_id, target_type, target_id);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

-- The audit log is append-only: the runtime role may only read and insert, and a trigger
-- refuses UPDATE and DELETE for everyone, the owner included, except the tenant purge, which
-- names the tenant it erases in app.purge_tenant inside its own transaction.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM minutes_app;
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.tenant_id::text = current_setting('app.purge_tenant', true) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE;
DROP TABLE IF EXISTS audit_log CASCADE;
DROP TABLE IF EXISTS tenant_settings CASCADE;
DROP TABLE IF EXISTS action_items CASCADE;
DROP TABLE IF EXISTS meeting_minutes CASCADE;
DROP TABLE IF EXISTS templates CASCADE;
DROP TABLE IF EXISTS transcripts CASCADE;
DROP TABLE IF EXISTS meetings CASCADE;
DROP TABLE IF EXISTS invitations CASCADE;
DROP TABLE IF EXISTS users CASCADE;

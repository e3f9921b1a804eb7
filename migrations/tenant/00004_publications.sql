-- Where each minutes version was published, one row per channel, so redelivered publish
-- messages have their effects once: MinutesPublish claims a channel before acting and marks it
-- done after. A redelivery skips 'done'; a 'claimed' left behind by a crash is redone for the
-- idempotent channels (SharePoint upload with replace, the output directory) and recorded as
-- 'failed' (delivery uncertain) for e-mail, which is never sent twice.
-- Same rules as 00002: tenant_id leads every key, row-level security enabled and forced.

-- +goose Up
CREATE TABLE minutes_publications (
    tenant_id  uuid        NOT NULL,
    minutes_id uuid        NOT NULL,
    channel    text        NOT NULL CHECK (channel IN ('sharepoint', 'email', 'directory')),
    state      text        NOT NULL CHECK (state IN ('claimed', 'done', 'failed')),
    -- Safe to show to the tenant: a size, a recipient count, a failure reason; never minutes
    -- text, subjects, file names or addresses.
    detail     text        NOT NULL DEFAULT '' CHECK (length(detail) <= 2000),
    claimed_at timestamptz NOT NULL DEFAULT now(),
    done_at    timestamptz,
    PRIMARY KEY (tenant_id, minutes_id, channel),
    FOREIGN KEY (tenant_id, minutes_id) REFERENCES meeting_minutes (tenant_id, id) ON DELETE CASCADE,
    CHECK ((state = 'claimed') = (done_at IS NULL))
);

ALTER TABLE minutes_publications ENABLE ROW LEVEL SECURITY;
ALTER TABLE minutes_publications FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON minutes_publications
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

-- +goose Down
DROP TABLE IF EXISTS minutes_publications CASCADE;

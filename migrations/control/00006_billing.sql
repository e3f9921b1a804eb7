-- Billing (shared/billing): the subscription state each tenant's entitlements derive from, and
-- the ledger of meetings admitted against (or held beyond) the plan's quota.
--
-- The subscription state lives on the tenants row beside plan, status and billing_customer_id:
-- it is read in the tenant's own context (the tenant_self policy of 00004) by the pipeline and
-- the portal, and written by the Stripe webhook in that same context, so no registry path is
-- needed to apply an event. Every value is Stripe's current state, re-read from Stripe when an
-- event arrives (events may come out of order); billing_synced_at is when it was read.
--
-- billing_meetings is tenant-bearing: forced RLS with the contract policy, tenant_id leading
-- the primary key and every index. minutes_app gets DML through the default privileges of
-- 00001. A held meeting ('over_quota' or 'suspended') is kept, never dropped, and admitted
-- when the tenant upgrades, is reinstated or its period rolls over.

-- +goose Up
ALTER TABLE tenants
    ADD COLUMN subscription_id      text CHECK (length(subscription_id) BETWEEN 1 AND 255),
    ADD COLUMN subscription_status  text NOT NULL DEFAULT 'none' CHECK (subscription_status IN (
                                        'none', 'trialing', 'active', 'past_due', 'unpaid', 'canceled',
                                        'incomplete', 'incomplete_expired', 'paused')),
    -- Paid seats: the quantity of the subscription's per-user item.
    ADD COLUMN seats                integer NOT NULL DEFAULT 0 CHECK (seats >= 0),
    ADD COLUMN period_start         timestamptz,
    ADD COLUMN period_end           timestamptz,
    ADD COLUMN cancel_at_period_end boolean NOT NULL DEFAULT false,
    ADD COLUMN premium_support      boolean NOT NULL DEFAULT false,
    -- Set when a payment fails: the tenant keeps working until then, and is suspended after.
    ADD COLUMN grace_until          timestamptz,
    ADD COLUMN billing_synced_at    timestamptz,
    ADD CONSTRAINT tenants_period_order CHECK (period_end IS NULL OR period_start IS NULL OR period_end >= period_start);

CREATE TABLE billing_meetings (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- meetings.id in the tenant's data plane (which may be another database: no foreign key).
    meeting_id   uuid        NOT NULL,
    state        text        NOT NULL CHECK (state IN ('admitted', 'held')),
    -- Why a held meeting waits: the plan's quota, or a suspended or cancelled account.
    reason       text        NOT NULL DEFAULT '' CHECK (reason IN ('', 'over_quota', 'suspended')),
    admitted_at  timestamptz,
    held_at      timestamptz,
    released_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, meeting_id),
    CHECK (state <> 'admitted' OR admitted_at IS NOT NULL),
    CHECK (state <> 'held' OR (held_at IS NOT NULL AND reason <> ''))
);
CREATE INDEX billing_meetings_admitted ON billing_meetings (tenant_id, admitted_at) WHERE state = 'admitted';
CREATE INDEX billing_meetings_held ON billing_meetings (tenant_id, held_at) WHERE state = 'held';

ALTER TABLE billing_meetings ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_meetings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_meetings
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

-- +goose Down
DROP TABLE IF EXISTS billing_meetings CASCADE;
ALTER TABLE tenants
    DROP CONSTRAINT IF EXISTS tenants_period_order,
    DROP COLUMN IF EXISTS billing_synced_at,
    DROP COLUMN IF EXISTS grace_until,
    DROP COLUMN IF EXISTS premium_support,
    DROP COLUMN IF EXISTS cancel_at_period_end,
    DROP COLUMN IF EXISTS period_end,
    DROP COLUMN IF EXISTS period_start,
    DROP COLUMN IF EXISTS seats,
    DROP COLUMN IF EXISTS subscription_status,
    DROP COLUMN IF EXISTS subscription_id;

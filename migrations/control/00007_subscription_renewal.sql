-- SubscriptionRenewal's bookkeeping on graph_subscriptions: since when notifications may have
-- been lost (a lifecycle event, a recreation), so the next run reconciles through
-- getAllTranscripts from that moment; and when the last renewal attempt failed, so the portal
-- and the operator console can say why.

-- +goose Up
ALTER TABLE graph_subscriptions ADD COLUMN reconcile_from timestamptz;
ALTER TABLE graph_subscriptions ADD COLUMN attempted_at timestamptz;

-- +goose Down
ALTER TABLE graph_subscriptions DROP COLUMN IF EXISTS attempted_at;
ALTER TABLE graph_subscriptions DROP COLUMN IF EXISTS reconcile_from;

-- Poison messages parked by the queue adapters (shared/funchost, shared/queue), so a message
-- that can never succeed is acknowledged without being lost. Operators list, inspect and
-- replay them. A redelivered copy of the same message (same function, id and body) bumps the
-- counters of its row instead of adding another.

-- +goose Up
CREATE TABLE failed_messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    function        text        NOT NULL CHECK (function ~ '^[A-Za-z][A-Za-z0-9_]{0,127}$'),
    message_id      text        NOT NULL DEFAULT '',
    delivery_count  integer     NOT NULL CHECK (delivery_count >= 1),
    invocation_id   text        NOT NULL DEFAULT '',
    reason          text        NOT NULL,
    body            bytea       NOT NULL,
    body_sha256     bytea       NOT NULL CHECK (length(body_sha256) = 32),
    first_parked_at timestamptz NOT NULL,
    last_parked_at  timestamptz NOT NULL,
    times_parked    integer     NOT NULL DEFAULT 1,
    resolved_at     timestamptz
);
CREATE UNIQUE INDEX failed_messages_dedupe ON failed_messages (function, message_id, body_sha256);
CREATE INDEX failed_messages_open ON failed_messages (first_parked_at) WHERE resolved_at IS NULL;

-- +goose Down
DROP TABLE failed_messages;

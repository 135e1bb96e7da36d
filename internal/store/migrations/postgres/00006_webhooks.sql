-- Webhook endpoints of an account. The secret is sealed by the server
-- (AES-GCM, see docs/decisions.md) before it reaches the database; events
-- is a comma-separated list of event types.

-- +goose Up
CREATE TABLE webhooks (
    id            TEXT        PRIMARY KEY,
    account_id    BIGINT      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    url           TEXT        NOT NULL,
    events        TEXT        NOT NULL,
    sealed_secret BYTEA       NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id, created_at);

-- +goose Down
DROP TABLE webhooks;

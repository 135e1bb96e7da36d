-- The event outbox: one row per pass.created, pass.updated, pass.voided,
-- pass.installed and pass.uninstalled, written in the transaction of the
-- change that causes it (so an event exists exactly when its change
-- committed). Webhook delivery reads it in id order.

-- +goose Up
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    type         TEXT    NOT NULL,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    pass_type_id TEXT    NOT NULL,
    serial       TEXT    NOT NULL,
    device_id    TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX events_account ON events (account_id, id);

-- +goose Down
DROP TABLE events;

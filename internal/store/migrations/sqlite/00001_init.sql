-- Times are integer Unix milliseconds (UTC).

-- +goose Up
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL,
    org           TEXT    NOT NULL DEFAULT '',
    plan          TEXT    NOT NULL,
    monthly_limit INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hash       BLOB    NOT NULL UNIQUE,
    hint       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE usage (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    month      TEXT    NOT NULL,
    count      INTEGER NOT NULL,
    PRIMARY KEY (account_id, month)
) WITHOUT ROWID;

CREATE TABLE passes (
    pass_type_id  TEXT    NOT NULL,
    serial        TEXT    NOT NULL,
    auth_token    TEXT    NOT NULL,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    request       BLOB    NOT NULL,
    hash          TEXT    NOT NULL,
    first_issued  INTEGER NOT NULL,
    last_modified INTEGER NOT NULL,
    blob          BLOB,
    PRIMARY KEY (pass_type_id, serial)
);
CREATE INDEX passes_account ON passes (account_id);

CREATE TABLE registrations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id    TEXT    NOT NULL,
    pass_type_id TEXT    NOT NULL,
    serial       TEXT    NOT NULL,
    push_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (device_id, pass_type_id, serial),
    FOREIGN KEY (pass_type_id, serial) REFERENCES passes (pass_type_id, serial) ON DELETE CASCADE
);
CREATE INDEX registrations_pass ON registrations (pass_type_id, serial, id);
CREATE INDEX registrations_token ON registrations (push_token);

CREATE TABLE push_jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    pass_type_id TEXT    NOT NULL,
    serial       TEXT    NOT NULL,
    cursor_id    INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    lease_owner  TEXT    NOT NULL DEFAULT '',
    lease_until  INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    done_at      INTEGER
);
-- Claiming scans only unfinished jobs, oldest first.
CREATE INDEX push_jobs_pending ON push_jobs (id) WHERE done_at IS NULL;

CREATE TABLE assets (
    key  TEXT PRIMARY KEY,
    data BLOB NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE assets;
DROP TABLE push_jobs;
DROP TABLE registrations;
DROP TABLE passes;
DROP TABLE usage;
DROP TABLE api_keys;
DROP TABLE accounts;

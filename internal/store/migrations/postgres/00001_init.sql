-- +goose Up
CREATE TABLE accounts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT        NOT NULL,
    org           TEXT        NOT NULL DEFAULT '',
    plan          TEXT        NOT NULL,
    monthly_limit BIGINT      NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hash       BYTEA       NOT NULL UNIQUE,
    hint       TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE usage (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    month      TEXT   NOT NULL,
    count      BIGINT NOT NULL,
    PRIMARY KEY (account_id, month)
);

CREATE TABLE passes (
    pass_type_id  TEXT        NOT NULL,
    serial        TEXT        NOT NULL,
    auth_token    TEXT        NOT NULL,
    account_id    BIGINT      NOT NULL REFERENCES accounts (id),
    request       BYTEA       NOT NULL,
    hash          TEXT        NOT NULL,
    first_issued  TIMESTAMPTZ NOT NULL,
    last_modified TIMESTAMPTZ NOT NULL,
    blob          BYTEA,
    PRIMARY KEY (pass_type_id, serial)
);
CREATE INDEX passes_account ON passes (account_id);

CREATE TABLE registrations (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id    TEXT        NOT NULL,
    pass_type_id TEXT        NOT NULL,
    serial       TEXT        NOT NULL,
    push_token   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (device_id, pass_type_id, serial),
    FOREIGN KEY (pass_type_id, serial) REFERENCES passes (pass_type_id, serial) ON DELETE CASCADE
);
CREATE INDEX registrations_pass ON registrations (pass_type_id, serial, id);
CREATE INDEX registrations_token ON registrations (push_token);

CREATE TABLE push_jobs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pass_type_id TEXT        NOT NULL,
    serial       TEXT        NOT NULL,
    cursor_id    BIGINT      NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    lease_owner  TEXT        NOT NULL DEFAULT '',
    lease_until  TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
    attempts     INTEGER     NOT NULL DEFAULT 0,
    done_at      TIMESTAMPTZ
);
-- Claiming scans only unfinished jobs, oldest first.
CREATE INDEX push_jobs_pending ON push_jobs (id) WHERE done_at IS NULL;

CREATE TABLE assets (
    key  TEXT PRIMARY KEY,
    data BYTEA NOT NULL
);

-- +goose Down
DROP TABLE assets;
DROP TABLE push_jobs;
DROP TABLE registrations;
DROP TABLE passes;
DROP TABLE usage;
DROP TABLE api_keys;
DROP TABLE accounts;

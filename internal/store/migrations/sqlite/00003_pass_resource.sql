-- The pass as a resource: share links, voiding, install counts, listings
-- and idempotent creation.

-- +goose Up
-- Passes issued before share links get a random id here (96 bits as 24 hex
-- digits, a subset of the URL-safe alphabet of new ids).
ALTER TABLE passes ADD COLUMN share_id TEXT;
UPDATE passes SET share_id = lower(hex(randomblob(12))) WHERE share_id IS NULL;
CREATE UNIQUE INDEX passes_share ON passes (share_id);

ALTER TABLE passes ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;

-- install_count is the number of distinct devices that ever registered a
-- pass, kept like registration_count; pass_installs remembers who did.
ALTER TABLE passes ADD COLUMN install_count INTEGER NOT NULL DEFAULT 0;
CREATE TABLE pass_installs (
    pass_type_id TEXT NOT NULL,
    serial       TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    PRIMARY KEY (pass_type_id, serial, device_id),
    FOREIGN KEY (pass_type_id, serial) REFERENCES passes (pass_type_id, serial) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT OR IGNORE INTO pass_installs (pass_type_id, serial, device_id)
    SELECT pass_type_id, serial, device_id FROM registrations;
UPDATE passes SET install_count = (
    SELECT count(*) FROM pass_installs i
    WHERE i.pass_type_id = passes.pass_type_id AND i.serial = passes.serial);

-- Listings page newest first through an account's passes, with and
-- without a status filter; each page is one index range.
CREATE INDEX passes_account_listing ON passes (account_id, first_issued DESC, serial DESC);
CREATE INDEX passes_account_status ON passes (account_id, voided, first_issued DESC, serial DESC);
DROP INDEX passes_account;

CREATE TABLE idempotency_keys (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    token       TEXT    NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    serials     TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_age ON idempotency_keys (account_id, created_at);

-- +goose Down
DROP TABLE idempotency_keys;
CREATE INDEX passes_account ON passes (account_id);
DROP INDEX passes_account_status;
DROP INDEX passes_account_listing;
DROP TABLE pass_installs;
ALTER TABLE passes DROP COLUMN install_count;
ALTER TABLE passes DROP COLUMN voided;
DROP INDEX passes_share;
ALTER TABLE passes DROP COLUMN share_id;

-- A pass row held its signed pass (blob: ~10 KB, ~650 KB for a poster
-- ticket) and its request (kilobytes) before hash, registration_count and
-- the template columns. SQLite stores a row's columns in order, and a row
-- larger than about 4 KB keeps up to a page of itself on the table's page
-- and the rest on a chain of overflow pages, so:
--   - reading a small column after the blob walked every overflow page;
--   - a pass with its blob took a table page of its own;
--   - a template fold, which sets a new version (and so drops the old
--     blob), freed each pass's overflow pages.
-- A template change over 100,000 passes whose blobs were stored answered in
-- 2.0–2.4 s instead of 0.6–0.9 s, and its fold slowed the same way
-- (BENCHMARKS.md, "Session 2026-12-01 night").
--
-- The blobs move to pass_blobs, keyed by the pass's rowid and stamped with
-- the version (last_modified) they sign: a blob whose stamp is not the
-- pass's current version is never read, so a new version needs no write
-- here, and storing a rebuilt blob replaces the stale one. request moves to
-- the end of the row. DROP COLUMN rewrites the rows in place: nothing that
-- references passes is dropped or cascaded. Migration 12 of PostgreSQL is
-- its own (its large values live out of line already).

-- +goose Up
CREATE TABLE pass_blobs (
    pass          INTEGER PRIMARY KEY, -- passes.rowid
    last_modified INTEGER NOT NULL,    -- the version it signs
    blob          BLOB    NOT NULL
);
INSERT INTO pass_blobs (pass, last_modified, blob) SELECT rowid, last_modified, blob FROM passes WHERE blob IS NOT NULL;
ALTER TABLE passes DROP COLUMN blob;

ALTER TABLE passes ADD COLUMN request_moved BLOB NOT NULL DEFAULT x'';
UPDATE passes SET request_moved = request;
ALTER TABLE passes DROP COLUMN request;
ALTER TABLE passes RENAME COLUMN request_moved TO request;

-- +goose StatementBegin
CREATE TRIGGER passes_blob_gone AFTER DELETE ON passes BEGIN
    DELETE FROM pass_blobs WHERE pass = OLD.rowid;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER passes_blob_gone;
ALTER TABLE passes ADD COLUMN blob BLOB;
UPDATE passes SET blob = (SELECT b.blob FROM pass_blobs b WHERE b.pass = passes.rowid AND b.last_modified = passes.last_modified);
DROP TABLE pass_blobs;

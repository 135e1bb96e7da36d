-- A template fold gives each changed pass a new version without a signed
-- pass, and set blob to NULL to say so. For a pass whose blob was stored
-- (~10 KB, kept out of line by TOAST) that deleted the blob's TOAST rows, one
-- per 2 KB chunk, with their index entries: with a blob stored for each of
-- 100,000 passes the drain took about a third longer (BENCHMARKS.md,
-- "Session 2026-12-01 night"). Now the blob is stamped with the version it
-- signs, and one whose stamp is not the pass's last_modified is never read,
-- so a fold leaves it alone (an update that does not change a TOASTed value
-- keeps its chunks); the next stored blob replaces it.

-- +goose Up
ALTER TABLE passes ADD COLUMN blob_modified timestamptz;
UPDATE passes SET blob_modified = last_modified WHERE blob IS NOT NULL;

-- +goose Down
UPDATE passes SET blob = NULL WHERE blob IS NOT NULL AND blob_modified IS DISTINCT FROM last_modified;
ALTER TABLE passes DROP COLUMN blob_modified;

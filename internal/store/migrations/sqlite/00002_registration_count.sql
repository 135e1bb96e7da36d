-- A changed PUT reports how many devices its push fans out to. Counting
-- 100,000 registrations on every PUT costs tens of milliseconds, so each pass
-- keeps its count, maintained by every statement that adds or removes
-- registrations.

-- +goose Up
ALTER TABLE passes ADD COLUMN registration_count INTEGER NOT NULL DEFAULT 0;
UPDATE passes SET registration_count = (
    SELECT count(*) FROM registrations r
    WHERE r.pass_type_id = passes.pass_type_id AND r.serial = passes.serial);

-- +goose Down
ALTER TABLE passes DROP COLUMN registration_count;

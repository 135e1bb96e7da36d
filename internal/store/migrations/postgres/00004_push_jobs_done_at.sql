-- A finished push job is deleted (FinishPushJob), so done_at was never set
-- and every "done_at IS NULL" held: the column and its partial index go.
-- Claiming walks the primary key in id order; the table holds only
-- unfinished jobs.

-- +goose Up
DROP INDEX push_jobs_pending;
ALTER TABLE push_jobs DROP COLUMN done_at;

-- +goose Down
ALTER TABLE push_jobs ADD COLUMN done_at TIMESTAMPTZ;
CREATE INDEX push_jobs_pending ON push_jobs (id) WHERE done_at IS NULL;

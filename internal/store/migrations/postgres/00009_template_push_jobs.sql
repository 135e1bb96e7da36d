-- One durable fan-out per template change that gave passes new versions:
-- it pages through the registrations of the passes whose version came from
-- template_rev, in (serial, registration id) order, under a lease like
-- push_jobs.

-- +goose Up
CREATE TABLE template_push_jobs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    template_id   TEXT        NOT NULL,
    template_rev  BIGINT      NOT NULL,
    pass_type_id  TEXT        NOT NULL,
    cursor_serial TEXT        NOT NULL DEFAULT '',
    cursor_id     BIGINT      NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    lease_owner   TEXT        NOT NULL DEFAULT '',
    lease_until   TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
    attempts      INTEGER     NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE template_push_jobs;

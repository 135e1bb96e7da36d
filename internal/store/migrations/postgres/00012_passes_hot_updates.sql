-- The template drain's PostgreSQL costs (BENCHMARKS.md, "Session 2026-12-01
-- night: PostgreSQL drain"), two of them schema.
--
-- 1. A fold rewrites every pass of its batch (hash, stamp, blob, revision:
-- no indexed column), but a full heap page has no room for the new row
-- versions, so each went to another page and added an entry to each of the
-- pass's five indexes. With pages filled to half on insert, the new version
-- fits beside the old one and the update is HOT (heap-only: no index
-- entry). The same holds for a PUT, a lazy signing's blob and a
-- registration's count. Only pages written from now on are filled so;
-- existing ones gain room as their rows move (or after VACUUM FULL).
--
-- 2. The counters' trigger (migration 7) formatted each event's month
-- (to_char ... AT TIME ZONE) before grouping; it now groups the statement's
-- events by account and month first and formats once per group. Same
-- counts, same order of the counter rows it locks.

-- +goose Up
ALTER TABLE passes SET (fillfactor = 50);
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION events_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_stats AS s (account_id, month, created, updated, voided, installs, uninstalls)
        SELECT g.account_id, m.month, sum(g.created), sum(g.updated), sum(g.voided), sum(g.installs), sum(g.uninstalls)
        FROM (
            SELECT e.account_id, date_trunc('month', e.created_at AT TIME ZONE 'UTC') AS month,
                   count(*) FILTER (WHERE e.type = 'pass.created') AS created,
                   count(*) FILTER (WHERE e.type = 'pass.updated') AS updated,
                   count(*) FILTER (WHERE e.type = 'pass.voided') AS voided,
                   count(*) FILTER (WHERE e.type = 'pass.installed') AS installs,
                   count(*) FILTER (WHERE e.type = 'pass.uninstalled') AS uninstalls
            FROM fresh e GROUP BY 1, 2) AS g,
            unnest(ARRAY['', to_char(g.month, 'YYYY-MM')]) AS m (month)
        GROUP BY g.account_id, m.month
        -- One order for every statement, so two never lock rows crosswise.
        ORDER BY g.account_id, m.month
        ON CONFLICT (account_id, month) DO UPDATE SET
            created = s.created + excluded.created, updated = s.updated + excluded.updated,
            voided = s.voided + excluded.voided, installs = s.installs + excluded.installs,
            uninstalls = s.uninstalls + excluded.uninstalls;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE passes RESET (fillfactor);
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION events_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_stats AS s (account_id, month, created, updated, voided, installs, uninstalls)
        SELECT e.account_id, m.month,
               count(*) FILTER (WHERE e.type = 'pass.created'), count(*) FILTER (WHERE e.type = 'pass.updated'),
               count(*) FILTER (WHERE e.type = 'pass.voided'), count(*) FILTER (WHERE e.type = 'pass.installed'),
               count(*) FILTER (WHERE e.type = 'pass.uninstalled')
        FROM fresh e, unnest(ARRAY['', to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM')]) AS m (month)
        GROUP BY e.account_id, m.month
        ORDER BY e.account_id, m.month
        ON CONFLICT (account_id, month) DO UPDATE SET
            created = s.created + excluded.created, updated = s.updated + excluded.updated,
            voided = s.voided + excluded.voided, installs = s.installs + excluded.installs,
            uninstalls = s.uninstalls + excluded.uninstalls;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

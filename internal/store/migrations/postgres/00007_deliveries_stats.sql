-- Webhook deliveries and account counters, both kept by triggers on the
-- event outbox: whatever statement records an event (in the transaction of
-- its change, CTEs included) also queues a delivery to each matching webhook
-- of the account and counts the event, in the same transaction. See
-- docs/decisions.md ("Deliveries and counters hang off the event insert").

-- +goose Up
-- One row per (event, webhook): a durable job of the webhook delivery kind
-- (internal/jobs). lease_until doubles as the next attempt's time while the
-- row is pending; status becomes delivered or failed for good.
CREATE TABLE deliveries (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    BIGINT      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    webhook_id  TEXT        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    status      TEXT        NOT NULL DEFAULT 'pending',
    attempts    INTEGER     NOT NULL DEFAULT 0,
    lease_owner TEXT        NOT NULL DEFAULT '',
    lease_until TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
    last_error  TEXT        NOT NULL DEFAULT '',
    done_at     TIMESTAMPTZ,
    UNIQUE (event_id, webhook_id)
);
CREATE INDEX deliveries_due ON deliveries (lease_until, id) WHERE status = 'pending';
CREATE INDEX deliveries_webhook ON deliveries (webhook_id);

-- Counters per account: month '' is all time, '2026-12' one UTC month.
CREATE TABLE account_stats (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    month      TEXT   NOT NULL,
    created    BIGINT NOT NULL DEFAULT 0,
    updated    BIGINT NOT NULL DEFAULT 0,
    voided     BIGINT NOT NULL DEFAULT 0,
    installs   BIGINT NOT NULL DEFAULT 0,
    uninstalls BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, month)
);

-- Passes and registrations that predate the counters: all-time figures from
-- what is stored (installs as distinct devices, the best that is known).
INSERT INTO account_stats (account_id, month, created, voided, installs, uninstalls)
    SELECT account_id, '', count(*), count(*) FILTER (WHERE voided), coalesce(sum(install_count), 0),
           coalesce(sum(install_count - registration_count), 0)
    FROM passes GROUP BY account_id;
INSERT INTO account_stats (account_id, month, created, updated, voided, installs, uninstalls)
    SELECT account_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM'),
           count(*) FILTER (WHERE type = 'pass.created'), count(*) FILTER (WHERE type = 'pass.updated'),
           count(*) FILTER (WHERE type = 'pass.voided'), count(*) FILTER (WHERE type = 'pass.installed'),
           count(*) FILTER (WHERE type = 'pass.uninstalled')
    FROM events GROUP BY 1, 2;

-- +goose StatementBegin
CREATE FUNCTION events_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deliveries (event_id, webhook_id)
        SELECT NEW.id, w.id FROM webhooks w
        WHERE w.account_id = NEW.account_id
          AND position(',' || NEW.type || ',' IN ',' || w.events || ',') > 0;
    IF FOUND THEN
        -- The job runners of every instance wake at commit (the push
        -- jobs' channel announces every kind of job).
        PERFORM pg_notify('ww_push_jobs', '');
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_fan_out AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_fan_out();

-- The counters are updated once per statement, from the statement's new
-- events grouped by account and month (a transition table): a template
-- change that records thousands of events in one INSERT updates each
-- counter row once, where a row-level trigger would update it thousands of
-- times in one transaction (each update a new row version the next must
-- step over). Firing at the end of the statement also means a statement
-- takes the counter rows after the pass rows it locks; the store's
-- functions lock passes before they record events, so the two kinds of
-- row are always locked in the same order.
-- +goose StatementBegin
CREATE FUNCTION events_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_stats AS s (account_id, month, created, updated, voided, installs, uninstalls)
        SELECT e.account_id, m.month,
               count(*) FILTER (WHERE e.type = 'pass.created'), count(*) FILTER (WHERE e.type = 'pass.updated'),
               count(*) FILTER (WHERE e.type = 'pass.voided'), count(*) FILTER (WHERE e.type = 'pass.installed'),
               count(*) FILTER (WHERE e.type = 'pass.uninstalled')
        FROM fresh e, unnest(ARRAY['', to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM')]) AS m (month)
        GROUP BY e.account_id, m.month
        -- One order for every statement, so two never lock rows crosswise.
        ORDER BY e.account_id, m.month
        ON CONFLICT (account_id, month) DO UPDATE SET
            created = s.created + excluded.created, updated = s.updated + excluded.updated,
            voided = s.voided + excluded.voided, installs = s.installs + excluded.installs,
            uninstalls = s.uninstalls + excluded.uninstalls;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_count AFTER INSERT ON events
    REFERENCING NEW TABLE AS fresh FOR EACH STATEMENT EXECUTE FUNCTION events_count();

-- +goose Down
DROP TRIGGER events_count ON events;
DROP FUNCTION events_count();
DROP TRIGGER events_fan_out ON events;
DROP FUNCTION events_fan_out();
DROP TABLE account_stats;
DROP TABLE deliveries;

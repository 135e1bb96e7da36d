-- Deliveries were queued by a row trigger, a PL/pgSQL call per event, which
-- a template fold pays 1,000 times per batch; like the counters (migration
-- 7) they are now queued once per statement from its new events (a
-- transition table), in event order. Same rows as before for every event.
-- (SQLite has no statement triggers; its migration 10 moved the fold's
-- counting out of its row trigger instead.)

-- +goose Up
DROP TRIGGER events_fan_out ON events;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION events_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deliveries (event_id, webhook_id)
        SELECT e.id, w.id FROM fresh e JOIN webhooks w ON w.account_id = e.account_id
        WHERE position(',' || e.type || ',' IN ',' || w.events || ',') > 0
        ORDER BY e.id, w.id;
    IF FOUND THEN
        -- The job runners of every instance wake at commit (the push
        -- jobs' channel announces every kind of job).
        PERFORM pg_notify('ww_push_jobs', '');
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_fan_out AFTER INSERT ON events
    REFERENCING NEW TABLE AS fresh FOR EACH STATEMENT EXECUTE FUNCTION events_fan_out();

-- +goose Down
DROP TRIGGER events_fan_out ON events;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION events_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deliveries (event_id, webhook_id)
        SELECT NEW.id, w.id FROM webhooks w
        WHERE w.account_id = NEW.account_id
          AND position(',' || NEW.type || ',' IN ',' || w.events || ',') > 0;
    IF FOUND THEN
        PERFORM pg_notify('ww_push_jobs', '');
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_fan_out AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_fan_out();

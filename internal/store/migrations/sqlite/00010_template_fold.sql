-- A template fold writes 1,000 passes and their pass.updated events per
-- transaction; two things made each of those rows dearer than it needs to
-- be (BENCHMARKS.md, "template drain").
--
-- passes_template held template_rev, so every fold moved each pass's entry
-- within the index; nothing reads the revision through it any more (a
-- fold and the push pages walk the primary key), so it is keyed by the
-- template alone.
--
-- The trigger counted each event into account_stats row by row (SQLite has
-- no statement triggers). An event inserted with counted = 1 was counted by
-- the statement that wrote it, once for its whole batch (the fold); every
-- other insert leaves counted at 0 and the trigger counts it as before.
-- Deliveries are still queued per row, for every event.

-- +goose Up
DROP INDEX passes_template;
CREATE INDEX passes_template ON passes (template_id) WHERE template_id IS NOT NULL;

ALTER TABLE events ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;
DROP TRIGGER events_fan_out;

-- +goose StatementBegin
CREATE TRIGGER events_deliveries AFTER INSERT ON events BEGIN
    INSERT INTO deliveries (event_id, webhook_id)
        SELECT NEW.id, w.id FROM webhooks w
        WHERE w.account_id = NEW.account_id
          AND instr(',' || w.events || ',', ',' || NEW.type || ',') > 0;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER events_counters AFTER INSERT ON events WHEN NEW.counted = 0 BEGIN
    INSERT INTO account_stats (account_id, month, created, updated, voided, installs, uninstalls)
        SELECT NEW.account_id, m.month, NEW.type = 'pass.created', NEW.type = 'pass.updated',
               NEW.type = 'pass.voided', NEW.type = 'pass.installed', NEW.type = 'pass.uninstalled'
        FROM (SELECT '' AS month UNION ALL
              SELECT strftime('%Y-%m', NEW.created_at / 1000, 'unixepoch')) AS m
        WHERE true
        ON CONFLICT (account_id, month) DO UPDATE SET
            created = created + excluded.created, updated = updated + excluded.updated,
            voided = voided + excluded.voided, installs = installs + excluded.installs,
            uninstalls = uninstalls + excluded.uninstalls;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER events_counters;
DROP TRIGGER events_deliveries;
ALTER TABLE events DROP COLUMN counted;

-- +goose StatementBegin
CREATE TRIGGER events_fan_out AFTER INSERT ON events BEGIN
    INSERT INTO deliveries (event_id, webhook_id)
        SELECT NEW.id, w.id FROM webhooks w
        WHERE w.account_id = NEW.account_id
          AND instr(',' || w.events || ',', ',' || NEW.type || ',') > 0;
    INSERT INTO account_stats (account_id, month, created, updated, voided, installs, uninstalls)
        SELECT NEW.account_id, m.month, NEW.type = 'pass.created', NEW.type = 'pass.updated',
               NEW.type = 'pass.voided', NEW.type = 'pass.installed', NEW.type = 'pass.uninstalled'
        FROM (SELECT '' AS month UNION ALL
              SELECT strftime('%Y-%m', NEW.created_at / 1000, 'unixepoch')) AS m
        WHERE true
        ON CONFLICT (account_id, month) DO UPDATE SET
            created = created + excluded.created, updated = updated + excluded.updated,
            voided = voided + excluded.voided, installs = installs + excluded.installs,
            uninstalls = uninstalls + excluded.uninstalls;
END;
-- +goose StatementEnd

DROP INDEX passes_template;
CREATE INDEX passes_template ON passes (template_id, template_rev, serial) WHERE template_id IS NOT NULL;

-- Webhook deliveries and account counters, both kept by one trigger on the
-- event outbox: whatever statement records an event (in the transaction of
-- its change) also queues a delivery to each matching webhook of the
-- account and counts the event, in the same transaction. See
-- docs/decisions.md ("Deliveries and counters hang off the event insert").

-- +goose Up
-- One row per (event, webhook): a durable job of the webhook delivery kind
-- (internal/jobs). lease_until doubles as the next attempt's time while the
-- row is pending; status becomes delivered or failed for good.
CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    webhook_id  TEXT    NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    status      TEXT    NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT    NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    done_at     INTEGER,
    UNIQUE (event_id, webhook_id)
);
CREATE INDEX deliveries_due ON deliveries (lease_until, id) WHERE status = 'pending';
CREATE INDEX deliveries_webhook ON deliveries (webhook_id);

-- Counters per account: month '' is all time, '2026-12' one UTC month.
CREATE TABLE account_stats (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    month      TEXT    NOT NULL,
    created    INTEGER NOT NULL DEFAULT 0,
    updated    INTEGER NOT NULL DEFAULT 0,
    voided     INTEGER NOT NULL DEFAULT 0,
    installs   INTEGER NOT NULL DEFAULT 0,
    uninstalls INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, month)
) WITHOUT ROWID;

-- Passes and registrations that predate the counters: all-time figures from
-- what is stored (installs as distinct devices, the best that is known).
INSERT INTO account_stats (account_id, month, created, voided, installs, uninstalls)
    SELECT account_id, '', count(*), coalesce(sum(voided), 0), coalesce(sum(install_count), 0),
           coalesce(sum(install_count - registration_count), 0)
    FROM passes GROUP BY account_id;
INSERT INTO account_stats (account_id, month, created, updated, voided, installs, uninstalls)
    SELECT account_id, strftime('%Y-%m', created_at / 1000, 'unixepoch'),
           sum(type = 'pass.created'), sum(type = 'pass.updated'), sum(type = 'pass.voided'),
           sum(type = 'pass.installed'), sum(type = 'pass.uninstalled')
    FROM events GROUP BY 1, 2;

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

-- +goose Down
DROP TRIGGER events_fan_out;
DROP TABLE account_stats;
DROP TABLE deliveries;

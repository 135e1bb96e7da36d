package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// Deliveries are created by the events_fan_out trigger (migrations 7, 11) when an
// event is recorded; this file leases, renews and closes them.

// ClaimDelivery leases the oldest due pending delivery to owner. SKIP LOCKED
// lets instances claiming at once take different deliveries instead of
// queueing behind one another.
func (db *DB) ClaimDelivery(ctx context.Context, owner string, now, leaseUntil time.Time) (_ *walletwallet.Delivery, err error) {
	defer walletwallet.Wrap(&err, "postgres.ClaimDelivery(%q)", owner)
	var d walletwallet.Delivery
	e, w := &d.Event, &d.Webhook
	var typ, events string
	err = db.pool.QueryRow(ctx, `
		WITH c AS (
			UPDATE deliveries SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
			WHERE id = (
				SELECT id FROM deliveries WHERE status = 'pending' AND lease_until < $3
				ORDER BY lease_until, id LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING id, event_id, webhook_id, attempts)
		SELECT c.id, c.attempts,
		       e.id, e.type, e.account_id, e.pass_type_id, e.serial, e.device_id, e.template_id, e.created_at,
		       w.id, w.account_id, w.url, w.events, w.sealed_secret, w.created_at
		FROM c JOIN events e ON e.id = c.event_id JOIN webhooks w ON w.id = c.webhook_id`,
		owner, leaseUntil, now).
		Scan(&d.ID, &d.Attempts,
			&e.ID, &typ, &e.AccountID, &e.PassTypeID, &e.Serial, &e.DeviceID, &e.TemplateID, &e.CreatedAt,
			&w.ID, &w.AccountID, &w.URL, &events, &w.SealedSecret, &w.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	e.Type = walletwallet.EventType(typ)
	e.CreatedAt, w.CreatedAt = e.CreatedAt.UTC(), w.CreatedAt.UTC()
	w.Events = rules.SplitEvents(events)
	return &d, nil
}

// SetDeliveryLease moves owner's lease of a pending delivery; ECONFLICT when
// owner does not hold it.
func (db *DB) SetDeliveryLease(ctx context.Context, id int64, owner string, until time.Time) (err error) {
	defer walletwallet.Wrap(&err, "postgres.SetDeliveryLease(%d)", id)
	return leased(db.pool.Exec(ctx, `
		UPDATE deliveries SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'pending'`,
		id, owner, until))(id, owner)
}

// FinishDelivery closes a delivery owner holds; ECONFLICT when it does not.
func (db *DB) FinishDelivery(ctx context.Context, id int64, owner string, status walletwallet.DeliveryStatus, lastError string) (err error) {
	defer walletwallet.Wrap(&err, "postgres.FinishDelivery(%d)", id)
	if err := rules.CheckDeliveryStatus(status); err != nil {
		return err
	}
	return leased(db.pool.Exec(ctx, `
		UPDATE deliveries SET status = $3, last_error = $4, done_at = now()
		WHERE id = $1 AND lease_owner = $2 AND status = 'pending'`,
		id, owner, string(status), rules.Printable(lastError)))(id, owner)
}

// PendingDeliveries counts deliveries neither delivered nor failed.
func (db *DB) PendingDeliveries(ctx context.Context) (_ int, err error) {
	defer walletwallet.Wrap(&err, "postgres.PendingDeliveries")
	var n int
	err = db.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE status = 'pending'`).Scan(&n)
	return n, err
}

// Stats returns the account's counters with those of month.
func (db *DB) Stats(ctx context.Context, accountID int64, month string) (_ *walletwallet.Stats, err error) {
	defer walletwallet.Wrap(&err, "postgres.Stats(%d)", accountID)
	if !walletwallet.Storable(month) {
		month = ""
	}
	rows, err := db.pool.Query(ctx, `
		SELECT month, created, updated, voided, installs, uninstalls FROM account_stats
		WHERE account_id = $1 AND month IN ('', $2)`, accountID, month)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var c []rules.StatsRow
	for rows.Next() {
		var r rules.StatsRow
		if err := rows.Scan(&r.Month, &r.Created, &r.Updated, &r.Voided, &r.Installs, &r.Uninstalls); err != nil {
			return nil, err
		}
		c = append(c, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return rules.Stats(c), nil
}

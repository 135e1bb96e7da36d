package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// Deliveries are created by the events_deliveries trigger (migrations 7, 10) when an
// event is recorded; this file leases, renews and closes them.

// ClaimDelivery leases the oldest due pending delivery to owner.
func (db *DB) ClaimDelivery(ctx context.Context, owner string, now, leaseUntil time.Time) (_ *walletwallet.Delivery, err error) {
	defer walletwallet.Wrap(&err, "sqlite.ClaimDelivery(%q)", owner)
	var d *walletwallet.Delivery
	err = db.write(ctx, func(tx *wtx) error {
		var id, eventID int64
		var hookID string
		var attempts int
		// The single writer makes select-then-update atomic.
		err := tx.QueryRowContext(ctx, `
			UPDATE deliveries SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
			WHERE id = (SELECT id FROM deliveries WHERE status = 'pending' AND lease_until < ?
			            ORDER BY lease_until, id LIMIT 1)
			RETURNING id, event_id, webhook_id, attempts`,
			owner, millis(leaseUntil), millis(now)).Scan(&id, &eventID, &hookID, &attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		got := walletwallet.Delivery{ID: id, Attempts: attempts}
		e, w := &got.Event, &got.Webhook
		var typ, events string
		err = tx.QueryRowContext(ctx, `
			SELECT e.id, e.type, e.account_id, e.pass_type_id, e.serial, e.device_id, e.template_id, e.created_at,
			       w.id, w.account_id, w.url, w.events, w.sealed_secret, w.created_at
			FROM events e, webhooks w WHERE e.id = ? AND w.id = ?`, eventID, hookID).
			Scan(&e.ID, &typ, &e.AccountID, &e.PassTypeID, &e.Serial, &e.DeviceID, &e.TemplateID, msTime(&e.CreatedAt),
				&w.ID, &w.AccountID, &w.URL, &events, &w.SealedSecret, msTime(&w.CreatedAt))
		if err != nil {
			return err
		}
		e.Type = walletwallet.EventType(typ)
		w.Events = rules.SplitEvents(events)
		d = &got
		return nil
	})
	return d, err
}

// SetDeliveryLease moves owner's lease of a pending delivery; ECONFLICT when
// owner does not hold it.
func (db *DB) SetDeliveryLease(ctx context.Context, id int64, owner string, until time.Time) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.SetDeliveryLease(%d)", id)
	return db.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE deliveries SET lease_until = ? WHERE id = ? AND lease_owner = ? AND status = 'pending'`,
			millis(until), id, owner)
		return checkLeased(res, err, id, owner)
	})
}

// FinishDelivery closes a delivery owner holds; ECONFLICT when it does not.
func (db *DB) FinishDelivery(ctx context.Context, id int64, owner string, status walletwallet.DeliveryStatus, lastError string) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.FinishDelivery(%d)", id)
	if err := rules.CheckDeliveryStatus(status); err != nil {
		return err
	}
	return db.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE deliveries SET status = ?, last_error = ?, done_at = ?
			WHERE id = ? AND lease_owner = ? AND status = 'pending'`,
			string(status), rules.Printable(lastError), millis(time.Now()), id, owner)
		return checkLeased(res, err, id, owner)
	})
}

// PendingDeliveries counts deliveries neither delivered nor failed.
func (db *DB) PendingDeliveries(ctx context.Context) (_ int, err error) {
	defer walletwallet.Wrap(&err, "sqlite.PendingDeliveries")
	var n int
	err = db.rd.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE status = 'pending'`).Scan(&n)
	return n, err
}

// Stats returns the account's counters with those of month.
func (db *DB) Stats(ctx context.Context, accountID int64, month string) (_ *walletwallet.Stats, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Stats(%d)", accountID)
	rows, err := db.rd.QueryContext(ctx, `
		SELECT month, created, updated, voided, installs, uninstalls FROM account_stats
		WHERE account_id = ? AND month IN ('', ?)`, accountID, month)
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

package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// CreateWebhook stores w.
func (db *DB) CreateWebhook(ctx context.Context, w *walletwallet.Webhook) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.CreateWebhook(%q)", w.ID)
	created := rules.OrNow(w.CreatedAt)
	err = db.write(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO webhooks (id, account_id, url, events, sealed_secret, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`,
			w.ID, w.AccountID, w.URL, rules.JoinEvents(w.Events), w.SealedSecret, millis(created))
		return err
	})
	if err != nil {
		return err
	}
	w.CreatedAt = created
	db.hooks.Store(true)
	return nil
}

// Webhooks lists an account's webhooks, oldest first.
func (db *DB) Webhooks(ctx context.Context, accountID int64) (_ []walletwallet.Webhook, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Webhooks(%d)", accountID)
	rows, err := db.rd.QueryContext(ctx, `
		SELECT id, account_id, url, events, sealed_secret, created_at
		FROM webhooks WHERE account_id = ? ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []walletwallet.Webhook
	for rows.Next() {
		var w walletwallet.Webhook
		var events string
		if err := rows.Scan(&w.ID, &w.AccountID, &w.URL, &events, &w.SealedSecret, msTime(&w.CreatedAt)); err != nil {
			return nil, err
		}
		w.Events = rules.SplitEvents(events)
		out = append(out, w)
	}
	return out, rows.Err()
}

// DeleteWebhook removes webhook id of accountID.
func (db *DB) DeleteWebhook(ctx context.Context, accountID int64, id string) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.DeleteWebhook(%q)", id)
	return db.write(ctx, func(tx *wtx) error {
		var owner int64
		err := tx.QueryRowContext(ctx, `SELECT account_id FROM webhooks WHERE id = ?`, id).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return rules.WebhookNotFound(id)
		}
		if err != nil {
			return err
		}
		if owner != accountID {
			return rules.WebhookNotOwner(id)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
		return err
	})
}

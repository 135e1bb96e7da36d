package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// CreateWebhook stores w.
func (db *DB) CreateWebhook(ctx context.Context, w *walletwallet.Webhook) (err error) {
	defer walletwallet.Wrap(&err, "postgres.CreateWebhook(%q)", w.ID)
	created := rules.OrNow(w.CreatedAt)
	if _, err := db.pool.Exec(ctx, `
		INSERT INTO webhooks (id, account_id, url, events, sealed_secret, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		w.ID, w.AccountID, w.URL, rules.JoinEvents(w.Events), w.SealedSecret, created); err != nil {
		return err
	}
	w.CreatedAt = created
	return nil
}

// Webhooks lists an account's webhooks, oldest first.
func (db *DB) Webhooks(ctx context.Context, accountID int64) (_ []walletwallet.Webhook, err error) {
	defer walletwallet.Wrap(&err, "postgres.Webhooks(%d)", accountID)
	rows, err := db.pool.Query(ctx, `
		SELECT id, account_id, url, events, sealed_secret, created_at
		FROM webhooks WHERE account_id = $1 ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []walletwallet.Webhook
	for rows.Next() {
		var w walletwallet.Webhook
		var events string
		if err := rows.Scan(&w.ID, &w.AccountID, &w.URL, &events, &w.SealedSecret, &w.CreatedAt); err != nil {
			return nil, err
		}
		w.Events = rules.SplitEvents(events)
		w.CreatedAt = w.CreatedAt.UTC()
		out = append(out, w)
	}
	return out, rows.Err()
}

// DeleteWebhook removes webhook id of accountID; one statement tells the
// three outcomes apart without a race.
func (db *DB) DeleteWebhook(ctx context.Context, accountID int64, id string) (err error) {
	defer walletwallet.Wrap(&err, "postgres.DeleteWebhook(%q)", id)
	var owner int64
	var deleted bool
	err = db.pool.QueryRow(ctx, `
		WITH found AS (SELECT account_id FROM webhooks WHERE id = $1),
		     gone AS (DELETE FROM webhooks WHERE id = $1 AND account_id = $2 RETURNING 1)
		SELECT found.account_id, EXISTS (SELECT 1 FROM gone) FROM found`, id, accountID).Scan(&owner, &deleted)
	if errors.Is(err, pgx.ErrNoRows) {
		return rules.WebhookNotFound(id)
	}
	if err != nil {
		return err
	}
	if !deleted {
		return rules.WebhookNotOwner(id)
	}
	return nil
}

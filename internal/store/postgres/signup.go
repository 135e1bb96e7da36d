package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// Signup creates an account and its first key unless the e-mail is taken.
// Existing accounts may share an e-mail (the operator's command allows it),
// so there is no unique index to lean on; a transaction-scoped advisory lock
// on the lower-cased address serializes signups for one address across
// every instance instead.
func (db *DB) Signup(ctx context.Context, a *walletwallet.Account, k *walletwallet.APIKey) (err error) {
	defer walletwallet.Wrap(&err, "postgres.Signup(%q)", a.Email)
	created := rules.OrNow(a.CreatedAt)
	var accountID, keyID int64
	err = db.write(ctx, func(tx pgx.Tx) error {
		// Both sides lower-case ASCII only, as SQLite's lower() does.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('signup:' || lower($1::text COLLATE "C"), 0))`, a.Email); err != nil {
			return err
		}
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE lower(email COLLATE "C") = lower($1::text COLLATE "C"))`, a.Email).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return rules.EmailTaken()
		}
		if err := tx.QueryRow(ctx, `
			INSERT INTO accounts (email, org, plan, monthly_limit, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			a.Email, a.Org, string(a.Plan), a.MonthlyLimit, created).Scan(&accountID); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `
			INSERT INTO api_keys (account_id, hash, hint, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			accountID, k.Hash, k.Hint, created).Scan(&keyID)
		if isUniqueViolation(err) {
			return rules.KeyExists()
		}
		return err
	})
	if err != nil {
		return err
	}
	a.ID, a.CreatedAt = accountID, created
	k.ID, k.AccountID, k.CreatedAt = keyID, accountID, created
	return nil
}

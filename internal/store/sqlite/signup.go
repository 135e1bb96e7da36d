package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// Signup creates an account and its first key unless the e-mail is taken.
// The single writer serializes it with every other write, so the check and
// the insert cannot interleave with another signup.
func (db *DB) Signup(ctx context.Context, a *walletwallet.Account, k *walletwallet.APIKey) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.Signup(%q)", a.Email)
	created := rules.OrNow(a.CreatedAt)
	var accountID, keyID int64
	err = db.write(ctx, func(tx *wtx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE lower(email) = lower(?) LIMIT 1`, a.Email).Scan(&one)
		if err == nil {
			return rules.EmailTaken()
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := tx.QueryRowContext(ctx, `
			INSERT INTO accounts (email, org, plan, monthly_limit, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			a.Email, a.Org, string(a.Plan), a.MonthlyLimit, millis(created)).Scan(&accountID); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `
			INSERT INTO api_keys (account_id, hash, hint, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			accountID, k.Hash, k.Hint, millis(created)).Scan(&keyID)
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

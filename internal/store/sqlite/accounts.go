package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

const accountColumns = rules.AccountColumns

func scanAccount(row rules.Row) (*walletwallet.Account, error) {
	return rules.ScanAccount(row, msTime)
}

// CreateAccount inserts a and sets a.ID and a.CreatedAt (if zero).
func (db *DB) CreateAccount(ctx context.Context, a *walletwallet.Account) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.CreateAccount(%q)", a.Email)
	created := rules.OrNow(a.CreatedAt)
	var id int64
	err = db.write(ctx, func(tx *wtx) error {
		return tx.QueryRowContext(ctx, `
			INSERT INTO accounts (email, org, plan, monthly_limit, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			a.Email, a.Org, string(a.Plan), a.MonthlyLimit, millis(created)).Scan(&id)
	})
	if err != nil {
		return err
	}
	a.ID, a.CreatedAt = id, created
	return nil
}

// Account returns the account; ENOTFOUND when missing.
func (db *DB) Account(ctx context.Context, id int64) (_ *walletwallet.Account, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Account(%d)", id)
	a, err := scanAccount(db.rd.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE a.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, rules.AccountNotFound(id)
	}
	return a, err
}

// Accounts lists all accounts ordered by id.
func (db *DB) Accounts(ctx context.Context) (_ []walletwallet.Account, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Accounts")
	rows, err := db.rd.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts a ORDER BY a.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []walletwallet.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// UpdateAccount applies c and returns the account as stored; ENOTFOUND when missing.
func (db *DB) UpdateAccount(ctx context.Context, id int64, c walletwallet.AccountChange) (_ *walletwallet.Account, err error) {
	defer walletwallet.Wrap(&err, "sqlite.UpdateAccount(%d)", id)
	var plan *string
	if c.Plan != nil {
		p := string(*c.Plan)
		plan = &p
	}
	var a *walletwallet.Account
	err = db.write(ctx, func(tx *wtx) error {
		var err error
		// A NULL parameter keeps the column: COALESCE picks the stored value.
		a, err = scanAccount(tx.QueryRowContext(ctx, `
			UPDATE accounts SET email = COALESCE(?, email), org = COALESCE(?, org),
				plan = COALESCE(?, plan), monthly_limit = COALESCE(?, monthly_limit)
			WHERE id = ? RETURNING id, email, org, plan, monthly_limit, created_at`,
			c.Email, c.Org, plan, c.MonthlyLimit, id))
		if errors.Is(err, sql.ErrNoRows) {
			return rules.AccountNotFound(id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// CreateKey stores a key hash for the account; ENOTFOUND for an unknown account.
func (db *DB) CreateKey(ctx context.Context, k *walletwallet.APIKey) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.CreateKey(account %d)", k.AccountID)
	created := rules.OrNow(k.CreatedAt)
	var id int64
	err = db.write(ctx, func(tx *wtx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, k.AccountID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return rules.AccountNotFound(k.AccountID)
		}
		if err != nil {
			return err
		}
		var revoked any
		if k.RevokedAt != nil {
			revoked = millis(*k.RevokedAt)
		}
		err = tx.QueryRowContext(ctx, `
			INSERT INTO api_keys (account_id, hash, hint, created_at, revoked_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			k.AccountID, k.Hash, k.Hint, millis(created), revoked).Scan(&id)
		if isUniqueViolation(err) {
			return rules.KeyExists()
		}
		return err
	})
	if err != nil {
		return err
	}
	k.ID, k.CreatedAt = id, created
	return nil
}

const keyColumns = `id, account_id, hash, hint, created_at, revoked_at`

func scanKey(row interface{ Scan(...any) error }) (*walletwallet.APIKey, error) {
	var k walletwallet.APIKey
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&k.ID, &k.AccountID, &k.Hash, &k.Hint, &created, &revoked); err != nil {
		return nil, err
	}
	k.CreatedAt = fromMillis(created)
	if revoked.Valid {
		t := fromMillis(revoked.Int64)
		k.RevokedAt = &t
	}
	return &k, nil
}

// RevokeKey marks the key with this hash revoked and returns it as stored;
// ENOTFOUND when no such key. Revoking a revoked key keeps the first
// revocation time.
func (db *DB) RevokeKey(ctx context.Context, hash []byte, at time.Time) (_ *walletwallet.APIKey, err error) {
	defer walletwallet.Wrap(&err, "sqlite.RevokeKey")
	var k *walletwallet.APIKey
	err = db.write(ctx, func(tx *wtx) error {
		var err error
		k, err = scanKey(tx.QueryRowContext(ctx, `
			UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE hash = ? RETURNING `+keyColumns,
			millis(rules.OrNow(at)), hash))
		if errors.Is(err, sql.ErrNoRows) {
			return rules.KeyNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Keys lists the account's keys ordered by id.
func (db *DB) Keys(ctx context.Context, accountID int64) (_ []walletwallet.APIKey, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Keys(%d)", accountID)
	rows, err := db.rd.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []walletwallet.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}

// AccountByKey finds the account of a live key hash; ENOTFOUND when the key
// is unknown or revoked.
func (db *DB) AccountByKey(ctx context.Context, hash []byte) (_ *walletwallet.Account, err error) {
	defer walletwallet.Wrap(&err, "sqlite.AccountByKey")
	a, err := scanAccount(db.rd.QueryRowContext(ctx, `
		SELECT `+accountColumns+` FROM api_keys k JOIN accounts a ON a.id = k.account_id
		WHERE k.hash = ? AND k.revoked_at IS NULL`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, rules.KeyNotFound()
	}
	return a, err
}

// Usage is the account's counter for a month (0 when none).
func (db *DB) Usage(ctx context.Context, accountID int64, month string) (_ int64, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Usage(%d, %q)", accountID, month)
	var n int64
	err = db.rd.QueryRowContext(ctx, `SELECT count FROM usage WHERE account_id = ? AND month = ?`, accountID, month).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

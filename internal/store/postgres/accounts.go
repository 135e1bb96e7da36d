package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

const accountColumns = rules.AccountColumns

func scanAccount(row rules.Row) (*walletwallet.Account, error) {
	return rules.ScanAccount(row, timeDest)
}

// CreateAccount inserts a and sets a.ID and a.CreatedAt (if zero).
func (db *DB) CreateAccount(ctx context.Context, a *walletwallet.Account) (err error) {
	defer walletwallet.Wrap(&err, "postgres.CreateAccount(%q)", a.Email)
	created := rules.OrNow(a.CreatedAt)
	var id int64
	err = db.pool.QueryRow(ctx, `
		INSERT INTO accounts (email, org, plan, monthly_limit, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		a.Email, a.Org, string(a.Plan), a.MonthlyLimit, created).Scan(&id)
	if err != nil {
		return err
	}
	a.ID, a.CreatedAt = id, created
	return nil
}

// Account returns the account; ENOTFOUND when missing.
func (db *DB) Account(ctx context.Context, id int64) (_ *walletwallet.Account, err error) {
	defer walletwallet.Wrap(&err, "postgres.Account(%d)", id)
	a, err := scanAccount(db.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE a.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rules.AccountNotFound(id)
	}
	return a, err
}

// Accounts lists all accounts ordered by id.
func (db *DB) Accounts(ctx context.Context) (_ []walletwallet.Account, err error) {
	defer walletwallet.Wrap(&err, "postgres.Accounts")
	rows, err := db.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts a ORDER BY a.id`)
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
	defer walletwallet.Wrap(&err, "postgres.UpdateAccount(%d)", id)
	var plan *string
	if c.Plan != nil {
		p := string(*c.Plan)
		plan = &p
	}
	// A NULL parameter keeps the column: COALESCE picks the stored value.
	a, err := scanAccount(db.pool.QueryRow(ctx, `
		UPDATE accounts SET email = COALESCE($1, email), org = COALESCE($2, org),
			plan = COALESCE($3, plan), monthly_limit = COALESCE($4, monthly_limit)
		WHERE id = $5 RETURNING id, email, org, plan, monthly_limit, created_at`,
		c.Email, c.Org, plan, c.MonthlyLimit, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rules.AccountNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// CreateKey stores a key hash for the account; ENOTFOUND for an unknown account.
func (db *DB) CreateKey(ctx context.Context, k *walletwallet.APIKey) (err error) {
	defer walletwallet.Wrap(&err, "postgres.CreateKey(account %d)", k.AccountID)
	created := rules.OrNow(k.CreatedAt)
	var revoked *time.Time
	if k.RevokedAt != nil {
		r := rules.Stamp(*k.RevokedAt)
		revoked = &r
	}
	var id int64
	// Selecting from accounts makes an unknown account a missing row rather
	// than a foreign-key error to decode.
	err = db.pool.QueryRow(ctx, `
		INSERT INTO api_keys (account_id, hash, hint, created_at, revoked_at)
		SELECT id, $2, $3, $4, $5 FROM accounts WHERE id = $1
		RETURNING id`,
		k.AccountID, k.Hash, k.Hint, created, revoked).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return rules.AccountNotFound(k.AccountID)
	case isUniqueViolation(err):
		return rules.KeyExists()
	case err != nil:
		return err
	}
	k.ID, k.CreatedAt = id, created
	return nil
}

const keyColumns = `id, account_id, hash, hint, created_at, revoked_at`

func scanKey(row pgx.Row) (*walletwallet.APIKey, error) {
	var k walletwallet.APIKey
	if err := row.Scan(&k.ID, &k.AccountID, &k.Hash, &k.Hint, &k.CreatedAt, &k.RevokedAt); err != nil {
		return nil, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	if k.RevokedAt != nil {
		t := k.RevokedAt.UTC()
		k.RevokedAt = &t
	}
	return &k, nil
}

// RevokeKey marks the key with this hash revoked and returns it as stored;
// ENOTFOUND when no such key. Revoking a revoked key keeps the first
// revocation time.
func (db *DB) RevokeKey(ctx context.Context, hash []byte, at time.Time) (_ *walletwallet.APIKey, err error) {
	defer walletwallet.Wrap(&err, "postgres.RevokeKey")
	k, err := scanKey(db.pool.QueryRow(ctx, `
		UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE hash = $2 RETURNING `+keyColumns, rules.OrNow(at), hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rules.KeyNotFound()
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Keys lists the account's keys ordered by id.
func (db *DB) Keys(ctx context.Context, accountID int64) (_ []walletwallet.APIKey, err error) {
	defer walletwallet.Wrap(&err, "postgres.Keys(%d)", accountID)
	rows, err := db.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE account_id = $1 ORDER BY id`, accountID)
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
	defer walletwallet.Wrap(&err, "postgres.AccountByKey")
	a, err := scanAccount(db.pool.QueryRow(ctx, `
		SELECT `+accountColumns+` FROM api_keys k JOIN accounts a ON a.id = k.account_id
		WHERE k.hash = $1 AND k.revoked_at IS NULL`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rules.KeyNotFound()
	}
	return a, err
}

// Usage is the account's counter for a month (0 when none).
func (db *DB) Usage(ctx context.Context, accountID int64, month string) (_ int64, err error) {
	defer walletwallet.Wrap(&err, "postgres.Usage(%d, %q)", accountID, month)
	var n int64
	err = db.pool.QueryRow(ctx, `SELECT count FROM usage WHERE account_id = $1 AND month = $2`, accountID, month).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

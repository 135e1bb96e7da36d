package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// Asset returns a stored image; ENOTFOUND when missing.
func (db *DB) Asset(ctx context.Context, key string) (_ *walletwallet.Asset, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Asset(%q)", key)
	if !walletwallet.Storable(key) {
		return nil, rules.AssetNotFound(key)
	}
	a := walletwallet.Asset{Key: key}
	err = db.rd.QueryRowContext(ctx, `SELECT data FROM assets WHERE key = ?`, key).Scan(&a.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, rules.AssetNotFound(key)
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// PutAsset stores an image; storing an existing key again is a no-op
// (keys are content addresses, so the bytes are the same).
func (db *DB) PutAsset(ctx context.Context, a *walletwallet.Asset) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.PutAsset(%q)", a.Key)
	if err := rules.CheckAsset(a); err != nil {
		return err
	}
	return db.write(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO assets (key, data) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, a.Key, a.Data)
		return err
	})
}

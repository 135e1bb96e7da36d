package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// CreatePass counts one request against q and inserts p in one transaction;
// EQUOTA (nothing written) when the counter is at q.Limit.
func (db *DB) CreatePass(ctx context.Context, p *walletwallet.Pass, q walletwallet.Quota) error {
	return db.CreatePasses(ctx, []*walletwallet.Pass{p}, q, nil)
}

// Pass returns a pass; ENOTFOUND when missing.
func (db *DB) Pass(ctx context.Context, passTypeID, serial string) (_ *walletwallet.Pass, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Pass(%q)", serial)
	if !rules.PassKey(passTypeID, serial) {
		return nil, rules.PassNotFound(serial)
	}
	p, err := scanPass(db.rd.QueryRowContext(ctx, `SELECT `+passColumns+` FROM passes WHERE pass_type_id = ? AND serial = ?`, passTypeID, serial))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, rules.PassNotFound(serial)
	}
	return p, err
}

// UpdatePass applies a changed PUT in one transaction (see walletwallet.Store).
// The stored last-modified only moves forward: an update in the same
// millisecond as the previous one gets the next millisecond, so a device that
// asked "updated since T" can never miss it. UpdateResult.LastModified is the
// value stored, the one SetBlob must be given.
func (db *DB) UpdatePass(ctx context.Context, u *walletwallet.PassUpdate, q walletwallet.Quota) (_ *walletwallet.UpdateResult, err error) {
	defer walletwallet.Wrap(&err, "sqlite.UpdatePass(%q)", u.Serial)
	if !rules.PassKey(u.PassTypeID, u.Serial) {
		return nil, rules.PassNotFound(u.Serial)
	}
	var res walletwallet.UpdateResult
	enqueued := false
	err = db.write(ctx, func(tx *wtx) error {
		var owner, stored int64
		var hash string
		var n int
		var voided bool
		err := tx.QueryRowContext(ctx, `
			SELECT account_id, hash, last_modified, registration_count, voided FROM passes WHERE pass_type_id = ? AND serial = ?`,
			u.PassTypeID, u.Serial).Scan(&owner, &hash, &stored, &n, &voided)
		if errors.Is(err, sql.ErrNoRows) {
			return rules.PassNotFound(u.Serial)
		}
		if err != nil {
			return err
		}
		switch {
		case owner != u.AccountID:
			return walletwallet.Errorf(walletwallet.EFORBIDDEN, "pass %s belongs to another API key", u.Serial)
		case voided:
			return walletwallet.ErrPassVoided
		case hash == u.Hash:
			res = walletwallet.UpdateResult{Unchanged: true, LastModified: fromMillis(stored)}
			return nil
		case hash != u.PrevHash:
			return walletwallet.Errorf(walletwallet.ECONFLICT, "pass %s changed concurrently; retry", u.Serial)
		}
		if err := countUsage(ctx, tx, owner, q); err != nil {
			return err
		}
		last := max(millis(orNow(u.LastModified)), stored+1)
		_, err = tx.ExecContext(ctx, `
			UPDATE passes SET request = ?, hash = ?, last_modified = ?, blob = ?
			WHERE pass_type_id = ? AND serial = ?`,
			u.Request, u.Hash, last, nullBytes(u.Blob), u.PassTypeID, u.Serial)
		if err != nil {
			return err
		}
		if n > 0 {
			// One job per update, not one row per device: the worker pages
			// through the registrations when it runs.
			_, err = tx.ExecContext(ctx, `INSERT INTO push_jobs (pass_type_id, serial, created_at) VALUES (?, ?, ?)`,
				u.PassTypeID, u.Serial, last)
			if err != nil {
				return err
			}
			enqueued = true
		}
		res = walletwallet.UpdateResult{LastModified: fromMillis(last), NotifiedDevices: n}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if enqueued {
		db.notifyPushJob()
	}
	return &res, nil
}

// SetBlob stores a rebuilt blob for the version with this last-modified time;
// a no-op when the pass has moved on.
func (db *DB) SetBlob(ctx context.Context, passTypeID, serial string, lastModified time.Time, blob []byte) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.SetBlob(%q)", serial)
	if !rules.PassKey(passTypeID, serial) {
		return nil // no such pass: nothing to store
	}
	return db.write(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `
			UPDATE passes SET blob = ? WHERE pass_type_id = ? AND serial = ? AND last_modified = ?`,
			nullBytes(blob), passTypeID, serial, millis(lastModified))
		return err
	})
}

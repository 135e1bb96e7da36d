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

// UpdatePass applies a changed PUT in one transaction (see walletwallet.Store
// and rules.DecideUpdate). The single writer makes read-then-write atomic.
func (db *DB) UpdatePass(ctx context.Context, u *walletwallet.PassUpdate, q walletwallet.Quota) (_ *walletwallet.UpdateResult, err error) {
	defer walletwallet.Wrap(&err, "sqlite.UpdatePass(%q)", u.Serial)
	if !rules.PassKey(u.PassTypeID, u.Serial) {
		return nil, rules.PassNotFound(u.Serial)
	}
	var res *walletwallet.UpdateResult
	err = db.write(ctx, func(tx *wtx) error {
		var cur rules.StoredPass
		var tpl sql.NullString
		err := tx.QueryRowContext(ctx, `
			SELECT account_id, hash, last_modified, registration_count, voided, template_id FROM passes WHERE pass_type_id = ? AND serial = ?`,
			u.PassTypeID, u.Serial).Scan(&cur.Owner, &cur.Hash, msTime(&cur.LastModified), &cur.Devices, &cur.Voided, &tpl)
		if errors.Is(err, sql.ErrNoRows) {
			return rules.PassNotFound(u.Serial)
		}
		if err != nil {
			return err
		}
		if res, err = rules.DecideUpdate(cur, u); res != nil || err != nil {
			return err
		}
		values, rev := u.Values, u.TemplateRev
		if tpl.Valid {
			// A template pass's body is rendered from the template: it is
			// current only if the template has not moved on.
			t, err := storedTemplate(ctx, tx, tpl.String)
			if err != nil {
				return err
			}
			if err := rules.DecideTemplateWrite(t, tpl.String, 0, u.TemplateRev); err != nil {
				return err
			}
		}
		if err := countUsage(ctx, tx, cur.Owner, q); err != nil {
			return err
		}
		last := rules.NextLastModified(cur.LastModified, u.LastModified)
		_, err = tx.ExecContext(ctx, `
			UPDATE passes SET request = ?, hash = ?, last_modified = ?,
				template_values = coalesce(?, template_values), template_rev = CASE WHEN template_id IS NULL THEN 0 ELSE ? END
			WHERE pass_type_id = ? AND serial = ?`,
			u.Request, u.Hash, millis(last), nullBytes(values), rev, u.PassTypeID, u.Serial)
		if err != nil {
			return err
		}
		if err := putBlob(ctx, tx, u.PassTypeID, u.Serial, millis(last), u.Blob); err != nil {
			return err
		}
		if err := recordEvent(ctx, tx, walletwallet.EventPassUpdated, u.PassTypeID, u.Serial, "", last); err != nil {
			return err
		}
		if cur.Devices > 0 {
			// One job per update, not one row per device: the fan-out pages
			// through the registrations when it runs.
			_, err = tx.ExecContext(ctx, `INSERT INTO push_jobs (pass_type_id, serial, created_at) VALUES (?, ?, ?)`,
				u.PassTypeID, u.Serial, millis(last))
			if err != nil {
				return err
			}
		}
		res = rules.Written(last, cur.Devices)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if res.NotifiedDevices > 0 {
		db.notifyPushJob()
	}
	return res, nil
}

// SetBlob stores a rebuilt blob for the version with this last-modified time;
// a no-op when the pass has moved on.
func (db *DB) SetBlob(ctx context.Context, passTypeID, serial string, lastModified time.Time, blob []byte) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.SetBlob(%q)", serial)
	if !rules.PassKey(passTypeID, serial) {
		return nil // no such pass: nothing to store
	}
	return db.write(ctx, func(tx *wtx) error {
		return putBlob(ctx, tx, passTypeID, serial, millis(lastModified), blob)
	})
}

package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

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
	defer walletwallet.Wrap(&err, "postgres.Pass(%q)", serial)
	if !rules.PassKey(passTypeID, serial) {
		return nil, rules.PassNotFound(serial)
	}
	p, err := scanPass(db.pool.QueryRow(ctx, `SELECT `+passColumns+` FROM passes WHERE pass_type_id = $1 AND serial = $2`, passTypeID, serial))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rules.PassNotFound(serial)
	}
	return p, err
}

// UpdatePass applies a changed PUT in one transaction (see walletwallet.Store
// and rules.DecideUpdate).
func (db *DB) UpdatePass(ctx context.Context, u *walletwallet.PassUpdate, q walletwallet.Quota) (_ *walletwallet.UpdateResult, err error) {
	defer walletwallet.Wrap(&err, "postgres.UpdatePass(%q)", u.Serial)
	if !rules.PassKey(u.PassTypeID, u.Serial) {
		return nil, rules.PassNotFound(u.Serial)
	}
	var res *walletwallet.UpdateResult
	err = db.write(ctx, func(tx pgx.Tx) error {
		var cur rules.StoredPass
		// NO KEY UPDATE serialises updates of this pass, and registrations
		// (which adjust registration_count) wait for it, so the count read
		// here is the count at commit.
		var tpl *string
		err := tx.QueryRow(ctx, `
			SELECT account_id, hash, last_modified, registration_count, voided, template_id FROM passes
			WHERE pass_type_id = $1 AND serial = $2 FOR NO KEY UPDATE`,
			u.PassTypeID, u.Serial).Scan(&cur.Owner, &cur.Hash, &cur.LastModified, &cur.Devices, &cur.Voided, &tpl)
		if errors.Is(err, pgx.ErrNoRows) {
			return rules.PassNotFound(u.Serial)
		}
		if err != nil {
			return err
		}
		if res, err = rules.DecideUpdate(cur, u); res != nil || err != nil {
			return err
		}
		if tpl != nil {
			// A template pass's body is rendered from the template: it is
			// current only if the template has not moved on.
			t, err := storedTemplate(ctx, tx, *tpl, "FOR SHARE")
			if err != nil {
				return err
			}
			if err := rules.DecideTemplateWrite(t, *tpl, 0, u.TemplateRev); err != nil {
				return err
			}
		}
		if err := countUsage(ctx, tx, cur.Owner, q); err != nil {
			return err
		}
		last := rules.NextLastModified(cur.LastModified, u.LastModified)
		// The update and its event are one statement (one round trip).
		update := `WITH upd AS (UPDATE passes SET request = $3, hash = $4, last_modified = $5, blob = $6, blob_modified = $5,
				template_values = coalesce($7, template_values), template_rev = CASE WHEN template_id IS NULL THEN 0 ELSE $8::bigint END
			WHERE pass_type_id = $1 AND serial = $2 RETURNING account_id, template_id) ` + eventFrom("upd", walletwallet.EventPassUpdated, 5)
		args := []any{u.PassTypeID, u.Serial, u.Request, u.Hash, last, u.Blob, u.Values, u.TemplateRev}
		if cur.Devices > 0 {
			// One job per update, not one row per device: the fan-out pages
			// through the registrations when it runs. The notification is
			// delivered to every instance at commit.
			update = `WITH upd AS (UPDATE passes SET request = $3, hash = $4, last_modified = $5, blob = $6, blob_modified = $5,
					template_values = coalesce($7, template_values), template_rev = CASE WHEN template_id IS NULL THEN 0 ELSE $8::bigint END
				WHERE pass_type_id = $1 AND serial = $2 RETURNING account_id, template_id),
				ev AS (` + eventFrom("upd", walletwallet.EventPassUpdated, 5) + `), job AS (
				INSERT INTO push_jobs (pass_type_id, serial, created_at) VALUES ($1, $2, $5) RETURNING id)
				SELECT pg_notify($9, '') FROM job`
			args = append(args, NotifyChannel)
		}
		if _, err := tx.Exec(ctx, update, args...); err != nil {
			return err
		}
		res = rules.Written(last, cur.Devices)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// SetBlob stores a rebuilt blob for the version with this last-modified time;
// a no-op when the pass has moved on.
func (db *DB) SetBlob(ctx context.Context, passTypeID, serial string, lastModified time.Time, blob []byte) (err error) {
	defer walletwallet.Wrap(&err, "postgres.SetBlob(%q)", serial)
	if !rules.PassKey(passTypeID, serial) {
		return nil // no such pass: nothing to store
	}
	_, err = db.pool.Exec(ctx, `
		UPDATE passes SET blob = $4, blob_modified = last_modified WHERE pass_type_id = $1 AND serial = $2 AND last_modified = $3`,
		passTypeID, serial, rules.Stamp(lastModified), blob)
	return err
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// passColumns are the columns scanPass reads, in its order. The blob is
// the one pass_blobs holds for the pass's current version (migration 12),
// NULL when there is none.
var passColumns = strings.Replace(rules.PassColumns, "last_modified, blob,", "last_modified, "+currentBlob+",", 1)

const currentBlob = `(SELECT b.blob FROM pass_blobs b WHERE b.pass = passes.rowid AND b.last_modified = passes.last_modified)`

func init() {
	if !strings.Contains(passColumns, currentBlob) {
		panic("sqlite: rules.PassColumns no longer lists blob after last_modified")
	}
}

// putBlob stores blob as the signed pass of the pass's version stamped
// last, replacing the blob of an earlier version; nothing when blob is nil
// or the pass is no longer at that version. A new version needs no write
// here: the stale blob's stamp no longer matches.
func putBlob(ctx context.Context, tx *wtx, passTypeID, serial string, last int64, blob []byte) error {
	if blob == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO pass_blobs (pass, last_modified, blob)
		SELECT rowid, last_modified, ? FROM passes WHERE pass_type_id = ? AND serial = ? AND last_modified = ?
		ON CONFLICT (pass) DO UPDATE SET last_modified = excluded.last_modified, blob = excluded.blob`,
		blob, passTypeID, serial, last)
	return err
}

func scanPass(row rules.Row) (*walletwallet.Pass, error) { return rules.ScanPass(row, msTime) }

// CreatePasses counts len(ps) against q and inserts them all in one
// transaction, completing done's claim in it (see walletwallet.Store).
func (db *DB) CreatePasses(ctx context.Context, ps []*walletwallet.Pass, q walletwallet.Quota, done *walletwallet.IdempotencyDone) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.CreatePasses(%d)", len(ps))
	if len(ps) == 0 {
		return errors.New("no passes")
	}
	for _, p := range ps {
		if err := rules.CheckNewPass(p); err != nil {
			return err
		}
	}
	type times struct{ first, last int64 }
	ts := make([]times, len(ps))
	shares := make([]string, len(ps))
	for i, p := range ps {
		first, last := rules.CreateTimes(p)
		ts[i] = times{millis(first), millis(last)}
		shares[i] = p.ShareID
		if shares[i] == "" {
			shares[i] = walletwallet.NewShareID()
		}
	}
	err = db.write(ctx, func(tx *wtx) error {
		if err := checkTemplatePasses(ctx, tx, ps); err != nil {
			return err
		}
		if err := countUsageN(ctx, tx, ps[0].AccountID, q, int64(len(ps))); err != nil {
			return err
		}
		serials := make([]string, len(ps))
		for i, p := range ps {
			res, err := tx.ExecContext(ctx, `
				INSERT INTO passes (pass_type_id, serial, auth_token, account_id, request, hash, first_issued, last_modified, share_id,
					template_id, template_rev, template_values)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				p.PassTypeID, p.Serial, p.AuthToken, p.AccountID, p.Request, p.Hash,
				ts[i].first, ts[i].last, shares[i],
				nullString(p.TemplateID), p.TemplateRev, nullBytes(p.Values))
			if isUniqueViolation(err) {
				return rules.PassExists(p.Serial)
			}
			if err != nil {
				return err
			}
			if p.Blob != nil {
				row, err := res.LastInsertId()
				if err != nil {
					return err
				}
				// A new rowid: no blob is stored under it (passes_blob_gone
				// removes a deleted pass's).
				if _, err := tx.ExecContext(ctx, `INSERT INTO pass_blobs (pass, last_modified, blob) VALUES (?, ?, ?)`,
					row, ts[i].last, p.Blob); err != nil {
					return err
				}
			}
			if err := recordEvent(ctx, tx, walletwallet.EventPassCreated, p.PassTypeID, p.Serial, "", fromMillis(ts[i].first)); err != nil {
				return err
			}
			serials[i] = p.Serial
		}
		if done == nil {
			return nil
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE idempotency_keys SET done = 1, serials = ?
			WHERE account_id = ? AND key = ? AND token = ? AND done = 0`,
			strings.Join(serials, ","), done.AccountID, done.Key, done.Token)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, rules.IdempotencyTakenOver())
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, p := range ps {
		p.FirstIssued, p.LastModified, p.ShareID = fromMillis(ts[i].first), fromMillis(ts[i].last), shares[i]
	}
	return nil
}

// countUsageN adds n to the account's counter for q.Month unless that would
// pass q.Limit; EQUOTA otherwise (all or nothing).
func countUsageN(ctx context.Context, tx *wtx, accountID int64, q walletwallet.Quota, n int64) error {
	if q.Limit < n {
		return rules.QuotaReached(q)
	}
	var c int64
	err := tx.QueryRowContext(ctx, `
		INSERT INTO usage (account_id, month, count) VALUES (?, ?, ?)
		ON CONFLICT (account_id, month) DO UPDATE SET count = usage.count + excluded.count
		WHERE usage.count + excluded.count <= ?
		RETURNING count`, accountID, q.Month, n, q.Limit).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return rules.QuotaReached(q)
	}
	return err
}

// PassByShareID returns the pass behind a share link; ENOTFOUND when none.
func (db *DB) PassByShareID(ctx context.Context, shareID string) (_ *walletwallet.Pass, err error) {
	defer walletwallet.Wrap(&err, "sqlite.PassByShareID")
	notFound := rules.ShareNotFound()
	if !walletwallet.ValidShareID(shareID) {
		return nil, notFound
	}
	p, err := scanPass(db.rd.QueryRowContext(ctx, `SELECT `+passColumns+` FROM passes WHERE share_id = ?`, shareID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	}
	return p, err
}

// ListPasses returns up to q.Limit passes of the account, newest first.
func (db *DB) ListPasses(ctx context.Context, q walletwallet.PassQuery) (_ []walletwallet.PassSummary, err error) {
	defer walletwallet.Wrap(&err, "sqlite.ListPasses(%d)", q.AccountID)
	// Each variant is one range of an index (passes_account_listing or
	// passes_account_status), so a page costs O(limit) wherever it starts.
	where := `account_id = ?`
	args := []any{q.AccountID}
	switch q.Status {
	case walletwallet.StatusActive:
		where += ` AND voided = 0`
	case walletwallet.StatusVoided:
		where += ` AND voided = 1`
	}
	if q.After != nil {
		where += ` AND (first_issued, serial) < (?, ?)`
		args = append(args, millis(q.After.FirstIssued), q.After.Serial)
	}
	args = append(args, q.Limit)
	rows, err := db.rd.QueryContext(ctx, `
		SELECT serial, voided, first_issued, last_modified, registration_count, coalesce(template_id, ''), template_rev FROM passes
		WHERE `+where+` ORDER BY first_issued DESC, serial DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]walletwallet.PassSummary, 0, q.Limit)
	for rows.Next() {
		var s walletwallet.PassSummary
		var first, last int64
		if err := rows.Scan(&s.Serial, &s.Voided, &first, &last, &s.Devices, &s.TemplateID, &s.TemplateRev); err != nil {
			return nil, err
		}
		s.FirstIssued, s.LastModified = fromMillis(first), fromMillis(last)
		out = append(out, s)
	}
	return out, rows.Err()
}

// VoidPass voids a pass in one transaction (see walletwallet.Store).
func (db *DB) VoidPass(ctx context.Context, v *walletwallet.PassVoid) (_ *walletwallet.VoidResult, err error) {
	defer walletwallet.Wrap(&err, "sqlite.VoidPass(%q)", v.Serial)
	if !rules.PassKey(v.PassTypeID, v.Serial) {
		return nil, rules.PassNotFound(v.Serial)
	}
	var res walletwallet.VoidResult
	enqueued := false
	err = db.write(ctx, func(tx *wtx) error {
		var cur rules.StoredPass
		err := tx.QueryRowContext(ctx, `
			SELECT account_id, hash, last_modified, voided, registration_count FROM passes WHERE pass_type_id = ? AND serial = ?`,
			v.PassTypeID, v.Serial).Scan(&cur.Owner, &cur.Hash, msTime(&cur.LastModified), &cur.Voided, &cur.Devices)
		if errors.Is(err, sql.ErrNoRows) {
			return rules.PassNotFound(v.Serial)
		}
		if err != nil {
			return err
		}
		if r, err := rules.DecideVoid(cur, v); r != nil || err != nil {
			if r != nil {
				res = *r
			}
			return err
		}
		last := rules.NextLastModified(cur.LastModified, v.LastModified)
		if _, err := tx.ExecContext(ctx, `
			UPDATE passes SET voided = 1, last_modified = ? WHERE pass_type_id = ? AND serial = ?`,
			millis(last), v.PassTypeID, v.Serial); err != nil {
			return err
		}
		if err := putBlob(ctx, tx, v.PassTypeID, v.Serial, millis(last), v.Blob); err != nil {
			return err
		}
		if err := recordEvent(ctx, tx, walletwallet.EventPassVoided, v.PassTypeID, v.Serial, "", last); err != nil {
			return err
		}
		if cur.Devices > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO push_jobs (pass_type_id, serial, created_at) VALUES (?, ?, ?)`,
				v.PassTypeID, v.Serial, millis(last)); err != nil {
				return err
			}
			enqueued = true
		}
		res = walletwallet.VoidResult{LastModified: last, NotifiedDevices: cur.Devices}
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

// ClaimIdempotency reserves the key or returns the record holding it (see
// walletwallet.Store). The single writer makes read-then-write atomic.
func (db *DB) ClaimIdempotency(ctx context.Context, c *walletwallet.IdempotencyClaim) (_ *walletwallet.IdempotencyRecord, err error) {
	defer walletwallet.Wrap(&err, "sqlite.ClaimIdempotency")
	now := rules.OrNow(c.Now)
	var rec *walletwallet.IdempotencyRecord
	err = db.write(ctx, func(tx *wtx) error {
		rec = nil
		// Expired records of the account go first, so the table holds one
		// day of keys, not all of them.
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE account_id = ? AND created_at <= ?`,
			c.AccountID, millis(now.Add(-walletwallet.IdempotencyTTL))); err != nil {
			return err
		}
		var r walletwallet.IdempotencyRecord
		var serials string
		var created int64
		err := tx.QueryRowContext(ctx, `
			SELECT fingerprint, done, serials, created_at FROM idempotency_keys WHERE account_id = ? AND key = ?`,
			c.AccountID, c.Key).Scan(&r.Fingerprint, &r.Done, &serials, &created)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case r.Done || created > millis(now.Add(-walletwallet.IdempotencyClaimTimeout)):
			r.CreatedAt = fromMillis(created)
			if serials != "" {
				r.Serials = strings.Split(serials, ",")
			}
			rec = &r
			return nil
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO idempotency_keys (account_id, key, fingerprint, token, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (account_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, token = excluded.token,
				done = 0, serials = '', created_at = excluded.created_at`,
			c.AccountID, c.Key, c.Fingerprint, c.Token, millis(now))
		return err
	})
	return rec, err
}

// ReleaseIdempotency drops the caller's unfinished claim.
func (db *DB) ReleaseIdempotency(ctx context.Context, accountID int64, key, token string) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.ReleaseIdempotency")
	return db.write(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE account_id = ? AND key = ? AND token = ? AND done = 0`,
			accountID, key, token)
		return err
	})
}

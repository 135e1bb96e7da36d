package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/walletwallet/walletwallet"
)

// ClaimTemplatePushJob leases the oldest template fan-out whose lease is
// free or expired; nil, nil when there is none.
func (db *DB) ClaimTemplatePushJob(ctx context.Context, owner string, now, leaseUntil time.Time) (_ *walletwallet.TemplatePushJob, err error) {
	defer walletwallet.Wrap(&err, "sqlite.ClaimTemplatePushJob(%q)", owner)
	var job *walletwallet.TemplatePushJob
	err = db.write(ctx, func(tx *wtx) error {
		job = nil
		var j walletwallet.TemplatePushJob
		err := tx.QueryRowContext(ctx, `
			UPDATE template_push_jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
			WHERE id = (SELECT id FROM template_push_jobs WHERE lease_until < ? ORDER BY id LIMIT 1)
			RETURNING id, template_id, template_rev, pass_type_id, cursor_serial, cursor_id, created_at, attempts`,
			owner, millis(leaseUntil), millis(now)).
			Scan(&j.ID, &j.TemplateID, &j.Rev, &j.PassTypeID, &j.CursorSerial, &j.CursorID, msTime(&j.CreatedAt), &j.Attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		job = &j
		return nil
	})
	return job, err
}

// ExtendTemplatePushLease renews the lease; ECONFLICT when owner lost it.
func (db *DB) ExtendTemplatePushLease(ctx context.Context, jobID int64, owner string, leaseUntil time.Time) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.ExtendTemplatePushLease(%d)", jobID)
	return db.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE template_push_jobs SET lease_until = ? WHERE id = ? AND lease_owner = ?`,
			millis(leaseUntil), jobID, owner)
		return checkLeased(res, err, jobID, owner)
	})
}

// AdvanceTemplatePushJob records progress while owner holds the lease.
func (db *DB) AdvanceTemplatePushJob(ctx context.Context, jobID int64, owner string, serial string, regID int64) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.AdvanceTemplatePushJob(%d)", jobID)
	return db.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE template_push_jobs SET cursor_serial = ?, cursor_id = ? WHERE id = ? AND lease_owner = ?`,
			serial, regID, jobID, owner)
		return checkLeased(res, err, jobID, owner)
	})
}

// FinishTemplatePushJob removes the finished job.
func (db *DB) FinishTemplatePushJob(ctx context.Context, jobID int64, owner string) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.FinishTemplatePushJob(%d)", jobID)
	return db.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM template_push_jobs WHERE id = ? AND lease_owner = ?`, jobID, owner)
		return checkLeased(res, err, jobID, owner)
	})
}

// TemplatePushTargets returns the next page of the job's registrations.
// The page's passes are chosen first, then joined with their registrations:
// a cursor on the join itself lets SQLite turn it into a range over every
// registration after the cursor for each pass. The bound upTo is its own
// term of the range: as "? = ” OR serial <= ?" the planner could not use
// it, and the page after a batch's last went on through every later pass.
func (db *DB) TemplatePushTargets(ctx context.Context, job *walletwallet.TemplatePushJob, upTo string, limit int) (_ []walletwallet.TemplatePushTarget, err error) {
	defer walletwallet.Wrap(&err, "sqlite.TemplatePushTargets(%d)", job.ID)
	q, args := templatePageAll, []any{job.PassTypeID, job.CursorSerial}
	if upTo != "" {
		q, args = templatePageUpTo, append(args, upTo)
	}
	args = append(args, job.TemplateID, job.Rev, millis(job.CreatedAt), limit, job.CursorSerial, job.CursorID, limit)
	rows, err := db.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []walletwallet.TemplatePushTarget
	for rows.Next() {
		var t walletwallet.TemplatePushTarget
		if err := rows.Scan(&t.Serial, &t.RegistrationID, &t.PushToken); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// templatePage is TemplatePushTargets' query; %s bounds the serials. It
// takes the cursor's own pass and limit passes after it, so a page of one
// device per pass is full.
const templatePage = `
	SELECT p.serial, r.id, r.push_token FROM (
		SELECT pass_type_id, serial FROM passes
		WHERE pass_type_id = ? AND serial >= ? %s
			AND +template_id = ? AND template_rev >= ? AND last_modified >= ?
		ORDER BY serial LIMIT ? + 1) AS p
	JOIN registrations r ON r.pass_type_id = p.pass_type_id AND r.serial = p.serial
	WHERE p.serial > ? OR r.id > ?
	ORDER BY p.serial, r.id LIMIT ?`

var (
	templatePageAll  = fmt.Sprintf(templatePage, "")
	templatePageUpTo = fmt.Sprintf(templatePage, "AND serial <= ?")
)

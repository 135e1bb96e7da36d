package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// ClaimPushJob leases the oldest unfinished job whose lease is free or
// expired to owner until leaseUntil; nil, nil when there is none.
func (db *DB) ClaimPushJob(ctx context.Context, owner string, now, leaseUntil time.Time) (_ *walletwallet.PushJob, err error) {
	defer walletwallet.Wrap(&err, "sqlite.ClaimPushJob(%q)", owner)
	var job *walletwallet.PushJob
	err = db.write(ctx, func(tx *wtx) error {
		var j walletwallet.PushJob
		var created int64
		// The single writer makes select-then-update atomic; no other
		// claimer can run between the two.
		err := tx.QueryRowContext(ctx, `
			UPDATE push_jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
			WHERE id = (SELECT id FROM push_jobs WHERE lease_until < ? ORDER BY id LIMIT 1)
			RETURNING id, pass_type_id, serial, cursor_id, created_at, attempts`,
			owner, millis(leaseUntil), millis(now)).
			Scan(&j.ID, &j.PassTypeID, &j.Serial, &j.Cursor, &created, &j.Attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		j.CreatedAt = fromMillis(created)
		job = &j
		return nil
	})
	return job, err
}

// ExtendPushLease renews the lease; ECONFLICT when owner lost it.
func (db *DB) ExtendPushLease(ctx context.Context, jobID int64, owner string, leaseUntil time.Time) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.ExtendPushLease(%d)", jobID)
	return db.updateLeased(ctx, jobID, owner, `UPDATE push_jobs SET lease_until = ?`, millis(leaseUntil))
}

// AdvancePushJob records progress while owner holds the lease; ECONFLICT
// when it does not.
func (db *DB) AdvancePushJob(ctx context.Context, jobID int64, owner string, cursor int64) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.AdvancePushJob(%d)", jobID)
	return db.updateLeased(ctx, jobID, owner, `UPDATE push_jobs SET cursor_id = ?`, cursor)
}

// FinishPushJob removes the finished job (keeping the table small);
// ECONFLICT when owner does not hold the lease.
func (db *DB) FinishPushJob(ctx context.Context, jobID int64, owner string) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.FinishPushJob(%d)", jobID)
	return db.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM push_jobs WHERE id = ? AND lease_owner = ?`, jobID, owner)
		return checkLeased(res, err, jobID, owner)
	})
}

// updateLeased runs "set … where the job is owner's"; the set clause takes one argument.
func (db *DB) updateLeased(ctx context.Context, jobID int64, owner, set string, arg any) error {
	return db.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, set+` WHERE id = ? AND lease_owner = ?`, arg, jobID, owner)
		return checkLeased(res, err, jobID, owner)
	})
}

func checkLeased(res sql.Result, err error, jobID int64, owner string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return rules.NotLeased(jobID, owner)
	}
	return nil
}

// PushTargets returns up to limit registrations of the pass with id >
// afterID, ordered by id.
func (db *DB) PushTargets(ctx context.Context, passTypeID, serial string, afterID int64, limit int) (_ []walletwallet.PushTarget, err error) {
	defer walletwallet.Wrap(&err, "sqlite.PushTargets(%q, %d)", serial, afterID)
	if !rules.PassKey(passTypeID, serial) {
		return nil, nil
	}
	rows, err := db.rd.QueryContext(ctx, `
		SELECT id, push_token FROM registrations
		WHERE pass_type_id = ? AND serial = ? AND id > ? ORDER BY id LIMIT ?`,
		passTypeID, serial, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []walletwallet.PushTarget
	for rows.Next() {
		var t walletwallet.PushTarget
		if err := rows.Scan(&t.RegistrationID, &t.PushToken); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// PendingPushJobs counts jobs not yet done.
func (db *DB) PendingPushJobs(ctx context.Context) (_ int, err error) {
	defer walletwallet.Wrap(&err, "sqlite.PendingPushJobs")
	var n int
	err = db.rd.QueryRowContext(ctx, `SELECT count(*) FROM push_jobs`).Scan(&n)
	return n, err
}

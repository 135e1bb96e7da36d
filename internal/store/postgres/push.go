package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// ClaimPushJob leases the oldest unfinished job whose lease is free or
// expired to owner until leaseUntil; nil, nil when there is none. SKIP LOCKED
// lets instances claiming at once take different jobs instead of queueing.
func (db *DB) ClaimPushJob(ctx context.Context, owner string, now, leaseUntil time.Time) (_ *walletwallet.PushJob, err error) {
	defer walletwallet.Wrap(&err, "postgres.ClaimPushJob(%q)", owner)
	var j walletwallet.PushJob
	err = db.pool.QueryRow(ctx, `
		UPDATE push_jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
		WHERE id = (
			SELECT id FROM push_jobs WHERE lease_until < $3
			ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING id, pass_type_id, serial, cursor_id, created_at, attempts`,
		owner, leaseUntil, now).
		Scan(&j.ID, &j.PassTypeID, &j.Serial, &j.Cursor, &j.CreatedAt, &j.Attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	j.CreatedAt = j.CreatedAt.UTC()
	return &j, nil
}

// ExtendPushLease renews the lease; ECONFLICT when owner lost it.
func (db *DB) ExtendPushLease(ctx context.Context, jobID int64, owner string, leaseUntil time.Time) (err error) {
	defer walletwallet.Wrap(&err, "postgres.ExtendPushLease(%d)", jobID)
	return leased(db.pool.Exec(ctx, `
		UPDATE push_jobs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2`,
		jobID, owner, leaseUntil))(jobID, owner)
}

// AdvancePushJob records progress while owner holds the lease; ECONFLICT
// when it does not.
func (db *DB) AdvancePushJob(ctx context.Context, jobID int64, owner string, cursor int64) (err error) {
	defer walletwallet.Wrap(&err, "postgres.AdvancePushJob(%d)", jobID)
	return leased(db.pool.Exec(ctx, `
		UPDATE push_jobs SET cursor_id = $3 WHERE id = $1 AND lease_owner = $2`,
		jobID, owner, cursor))(jobID, owner)
}

// FinishPushJob removes the finished job (keeping the table small);
// ECONFLICT when owner does not hold the lease.
func (db *DB) FinishPushJob(ctx context.Context, jobID int64, owner string) (err error) {
	defer walletwallet.Wrap(&err, "postgres.FinishPushJob(%d)", jobID)
	return leased(db.pool.Exec(ctx, `DELETE FROM push_jobs WHERE id = $1 AND lease_owner = $2`,
		jobID, owner))(jobID, owner)
}

// leased turns the result of a statement guarded by "the job is owner's"
// into ECONFLICT when it touched nothing.
func leased(tag pgconn.CommandTag, err error) func(jobID int64, owner string) error {
	return func(jobID int64, owner string) error {
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return rules.NotLeased(jobID, owner)
		}
		return nil
	}
}

// PushTargets returns up to limit registrations of the pass with id >
// afterID, ordered by id.
func (db *DB) PushTargets(ctx context.Context, passTypeID, serial string, afterID int64, limit int) (_ []walletwallet.PushTarget, err error) {
	defer walletwallet.Wrap(&err, "postgres.PushTargets(%q, %d)", serial, afterID)
	if !rules.PassKey(passTypeID, serial) {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `
		SELECT id, push_token FROM registrations
		WHERE pass_type_id = $1 AND serial = $2 AND id > $3 ORDER BY id LIMIT $4`,
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
	defer walletwallet.Wrap(&err, "postgres.PendingPushJobs")
	var n int
	err = db.pool.QueryRow(ctx, `SELECT count(*) FROM push_jobs`).Scan(&n)
	return n, err
}

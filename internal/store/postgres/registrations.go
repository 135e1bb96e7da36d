package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// Register adds or refreshes a registration; created reports whether it is
// new. A push token belongs to the device, not to one pass, so a new token
// replaces the old one on every registration of the device.
func (db *DB) Register(ctx context.Context, r *walletwallet.Registration) (created bool, err error) {
	defer walletwallet.Wrap(&err, "postgres.Register(%q, %q)", r.DeviceID, r.Serial)
	if err := rules.CheckRegistration(r); err != nil {
		return false, err
	}
	// One statement, committed where it runs: the pass row (its count) and
	// the account's counter rows (its event) are locked only while it runs,
	// not across round trips. Every CTE sees the same snapshot; the pass
	// row's update waits for, and then sees, a concurrent registration's.
	var found, inserted int
	err = retried(func() error {
		return db.pool.QueryRow(ctx, `
			WITH pass AS (
				SELECT 1 FROM passes WHERE pass_type_id = $1 AND serial = $2
			), retoken AS (
				UPDATE registrations SET push_token = $4
				WHERE device_id = $3 AND push_token <> $4 AND EXISTS (SELECT 1 FROM pass)
			), reg AS (
				INSERT INTO registrations (device_id, pass_type_id, serial, push_token, created_at)
				SELECT $3, $1, $2, $4, $5 FROM pass
				ON CONFLICT (device_id, pass_type_id, serial) DO NOTHING RETURNING 1
			), first AS (
				-- A device counts as an install the first time it registers
				-- the pass (pass_installs remembers it); a re-registration is not one.
				INSERT INTO pass_installs (pass_type_id, serial, device_id) SELECT $1, $2, $3 FROM reg
				ON CONFLICT DO NOTHING RETURNING 1
			), counted AS (
				UPDATE passes SET registration_count = registration_count + 1,
					install_count = install_count + (SELECT count(*) FROM first)
				WHERE pass_type_id = $1 AND serial = $2 AND EXISTS (SELECT 1 FROM reg)
				RETURNING account_id, template_id
			), ev AS (
				INSERT INTO events (type, account_id, pass_type_id, serial, device_id, created_at, template_id)
				SELECT $6, account_id, $1, $2, $3, $5, coalesce(template_id, '') FROM counted
			)
			SELECT (SELECT count(*) FROM pass), (SELECT count(*) FROM reg)`,
			r.PassTypeID, r.Serial, r.DeviceID, r.PushToken, rules.OrNow(time.Time{}), string(walletwallet.EventPassInstalled)).
			Scan(&found, &inserted)
	})
	if err != nil {
		return false, err
	}
	if found == 0 {
		return false, rules.PassNotFound(r.Serial)
	}
	return inserted == 1, nil
}

// Unregister deletes a registration; ENOTFOUND when there is none.
func (db *DB) Unregister(ctx context.Context, deviceID, passTypeID, serial string) (err error) {
	defer walletwallet.Wrap(&err, "postgres.Unregister(%q, %q)", deviceID, serial)
	if !walletwallet.Storable(deviceID, passTypeID, serial) {
		return rules.NotRegistered(deviceID, serial)
	}
	// Counting the deleted rows keeps registration_count in step even when
	// two requests unregister the same device at once.
	tag, err := db.pool.Exec(ctx, `
		WITH gone AS (
			DELETE FROM registrations WHERE device_id = $1 AND pass_type_id = $2 AND serial = $3 RETURNING 1
		), ev AS (
			INSERT INTO events (type, account_id, pass_type_id, serial, device_id, created_at)
			SELECT $4, account_id, pass_type_id, serial, $1, $5 FROM passes
			WHERE pass_type_id = $2 AND serial = $3 AND EXISTS (SELECT 1 FROM gone))
		UPDATE passes SET registration_count = registration_count - (SELECT count(*) FROM gone)
		WHERE pass_type_id = $2 AND serial = $3 AND EXISTS (SELECT 1 FROM gone)`,
		deviceID, passTypeID, serial, string(walletwallet.EventPassUninstalled), rules.OrNow(time.Time{}))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return rules.NotRegistered(deviceID, serial)
	}
	return nil
}

// UpdatedSerials lists the device's serials of passTypeID modified strictly
// after since (compared in whole milliseconds; zero time = all) and the
// latest last-modified among them.
func (db *DB) UpdatedSerials(ctx context.Context, deviceID, passTypeID string, since time.Time) (serials []string, latest time.Time, err error) {
	defer walletwallet.Wrap(&err, "postgres.UpdatedSerials(%q)", deviceID)
	if !walletwallet.Storable(deviceID, passTypeID) {
		return nil, time.Time{}, nil
	}
	var after *time.Time
	if !since.IsZero() {
		s := rules.Stamp(since)
		after = &s
	}
	rows, err := db.pool.Query(ctx, `
		SELECT p.serial, p.last_modified
		FROM registrations r JOIN passes p ON p.pass_type_id = r.pass_type_id AND p.serial = r.serial
		WHERE r.device_id = $1 AND r.pass_type_id = $2 AND ($3::timestamptz IS NULL OR p.last_modified > $3)
		ORDER BY p.serial`, deviceID, passTypeID, after)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var lm time.Time
		if err := rows.Scan(&s, &lm); err != nil {
			return nil, time.Time{}, err
		}
		serials = append(serials, s)
		if lm.After(latest) {
			latest = lm
		}
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, err
	}
	if len(serials) == 0 {
		return nil, time.Time{}, nil
	}
	return serials, latest.UTC(), nil
}

// DeleteRegistrationsByToken removes every registration carrying pushToken
// and returns how many went.
func (db *DB) DeleteRegistrationsByToken(ctx context.Context, pushToken string) (_ int, err error) {
	defer walletwallet.Wrap(&err, "postgres.DeleteRegistrationsByToken")
	if !walletwallet.Storable(pushToken) {
		return 0, nil
	}
	var n int
	err = db.write(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `
			WITH gone AS (
				DELETE FROM registrations WHERE push_token = $1 RETURNING pass_type_id, serial, device_id
			), ev AS (
				-- Each removed registration is an uninstall of its pass.
				INSERT INTO events (type, account_id, pass_type_id, serial, device_id, created_at)
				SELECT $2, p.account_id, g.pass_type_id, g.serial, g.device_id, $3
				FROM gone g JOIN passes p ON p.pass_type_id = g.pass_type_id AND p.serial = g.serial
			), per_pass AS (
				SELECT pass_type_id, serial, count(*) AS n FROM gone GROUP BY pass_type_id, serial
			), adjusted AS (
				UPDATE passes p SET registration_count = p.registration_count - g.n
				FROM per_pass g WHERE p.pass_type_id = g.pass_type_id AND p.serial = g.serial
			)
			SELECT coalesce(sum(n), 0) FROM per_pass`,
			pushToken, string(walletwallet.EventPassUninstalled), rules.OrNow(time.Time{})).Scan(&n)
	})
	return n, err
}

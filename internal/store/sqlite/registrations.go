package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// Register adds or refreshes a registration; created reports whether it is
// new. A push token belongs to the device, not to one pass, so a new token
// replaces the old one on every registration of the device.
func (db *DB) Register(ctx context.Context, r *walletwallet.Registration) (created bool, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Register(%q, %q)", r.DeviceID, r.Serial)
	if err := rules.CheckRegistration(r); err != nil {
		return false, err
	}
	err = db.write(ctx, func(tx *wtx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM passes WHERE pass_type_id = ? AND serial = ?`,
			r.PassTypeID, r.Serial).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return rules.PassNotFound(r.Serial)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE registrations SET push_token = ? WHERE device_id = ? AND push_token <> ?`,
			r.PushToken, r.DeviceID, r.PushToken)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO registrations (device_id, pass_type_id, serial, push_token, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id, pass_type_id, serial) DO NOTHING`,
			r.DeviceID, r.PassTypeID, r.Serial, r.PushToken, millis(time.Now()))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		created = true
		if err := addRegistrations(ctx, tx, r.PassTypeID, r.Serial, 1); err != nil {
			return err
		}
		if err := recordEvent(ctx, tx, walletwallet.EventPassInstalled, r.PassTypeID, r.Serial, r.DeviceID, time.Now()); err != nil {
			return err
		}
		return addInstall(ctx, tx, r)
	})
	return created, err
}

// Unregister deletes a registration; ENOTFOUND when there is none.
func (db *DB) Unregister(ctx context.Context, deviceID, passTypeID, serial string) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.Unregister(%q, %q)", deviceID, serial)
	if !walletwallet.Storable(deviceID, passTypeID, serial) {
		return rules.NotRegistered(deviceID, serial)
	}
	return db.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM registrations WHERE device_id = ? AND pass_type_id = ? AND serial = ?`,
			deviceID, passTypeID, serial)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return rules.NotRegistered(deviceID, serial)
		}
		if err := recordEvent(ctx, tx, walletwallet.EventPassUninstalled, passTypeID, serial, deviceID, time.Now()); err != nil {
			return err
		}
		return addRegistrations(ctx, tx, passTypeID, serial, -1)
	})
}

// addInstall counts a device the first time it registers a pass: installs
// are distinct devices that ever held it, so a re-registration is not one.
func addInstall(ctx context.Context, tx *wtx, r *walletwallet.Registration) error {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO pass_installs (pass_type_id, serial, device_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		r.PassTypeID, r.Serial, r.DeviceID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE passes SET install_count = install_count + 1 WHERE pass_type_id = ? AND serial = ?`,
		r.PassTypeID, r.Serial)
	return err
}

// addRegistrations keeps passes.registration_count in step with the rows.
func addRegistrations(ctx context.Context, tx *wtx, passTypeID, serial string, delta int64) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE passes SET registration_count = registration_count + ? WHERE pass_type_id = ? AND serial = ?`,
		delta, passTypeID, serial)
	return err
}

// UpdatedSerials lists the device's serials of passTypeID modified strictly
// after since (compared in whole milliseconds; zero time = all) and the
// latest last-modified among them.
func (db *DB) UpdatedSerials(ctx context.Context, deviceID, passTypeID string, since time.Time) (serials []string, latest time.Time, err error) {
	defer walletwallet.Wrap(&err, "sqlite.UpdatedSerials(%q)", deviceID)
	if !walletwallet.Storable(deviceID, passTypeID) {
		return nil, time.Time{}, nil
	}
	after := int64(math.MinInt64)
	if !since.IsZero() {
		after = millis(since)
	}
	rows, err := db.rd.QueryContext(ctx, `
		SELECT p.serial, p.last_modified
		FROM registrations r JOIN passes p ON p.pass_type_id = r.pass_type_id AND p.serial = r.serial
		WHERE r.device_id = ? AND r.pass_type_id = ? AND p.last_modified > ?
		ORDER BY p.serial`, deviceID, passTypeID, after)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer rows.Close()
	var max int64
	for rows.Next() {
		var s string
		var lm int64
		if err := rows.Scan(&s, &lm); err != nil {
			return nil, time.Time{}, err
		}
		serials = append(serials, s)
		if len(serials) == 1 || lm > max {
			max = lm
		}
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, err
	}
	if len(serials) == 0 {
		return nil, time.Time{}, nil
	}
	return serials, fromMillis(max), nil
}

// DeleteRegistrationsByToken removes every registration carrying pushToken
// and returns how many went.
func (db *DB) DeleteRegistrationsByToken(ctx context.Context, pushToken string) (_ int, err error) {
	defer walletwallet.Wrap(&err, "sqlite.DeleteRegistrationsByToken")
	if !walletwallet.Storable(pushToken) {
		return 0, nil
	}
	var n int64
	err = db.write(ctx, func(tx *wtx) error {
		// The single writer makes count-then-delete consistent.
		_, err := tx.ExecContext(ctx, `
			UPDATE passes SET registration_count = registration_count - g.n
			FROM (SELECT pass_type_id, serial, count(*) AS n FROM registrations WHERE push_token = ?
			      GROUP BY pass_type_id, serial) AS g
			WHERE passes.pass_type_id = g.pass_type_id AND passes.serial = g.serial`, pushToken)
		if err != nil {
			return err
		}
		// Each removed registration is an uninstall of its pass.
		tx.recorded = true
		_, err = tx.ExecContext(ctx, `
			INSERT INTO events (type, account_id, pass_type_id, serial, device_id, created_at)
			SELECT ?, p.account_id, r.pass_type_id, r.serial, r.device_id, ?
			FROM registrations r JOIN passes p ON p.pass_type_id = r.pass_type_id AND p.serial = r.serial
			WHERE r.push_token = ? ORDER BY r.id`,
			string(walletwallet.EventPassUninstalled), millis(time.Now()), pushToken)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM registrations WHERE push_token = ?`, pushToken)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

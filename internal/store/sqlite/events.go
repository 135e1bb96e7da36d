package sqlite

import (
	"context"
	"time"

	"github.com/walletwallet/walletwallet"
)

// recordEvent writes one event of the pass in the caller's transaction (the
// account is the pass's owner).
func recordEvent(ctx context.Context, tx *wtx, typ walletwallet.EventType, passTypeID, serial, deviceID string, at time.Time) error {
	tx.recorded = true
	_, err := tx.ExecContext(ctx, `
		INSERT INTO events (type, account_id, pass_type_id, serial, device_id, created_at, template_id)
		SELECT ?, account_id, pass_type_id, serial, ?, ?, coalesce(template_id, '') FROM passes WHERE pass_type_id = ? AND serial = ?`,
		string(typ), deviceID, millis(at), passTypeID, serial)
	return err
}

// Events lists up to limit events with id > afterID, oldest first.
func (db *DB) Events(ctx context.Context, afterID int64, limit int) (_ []walletwallet.Event, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Events(%d)", afterID)
	rows, err := db.rd.QueryContext(ctx, `
		SELECT id, type, account_id, pass_type_id, serial, device_id, template_id, created_at
		FROM events WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []walletwallet.Event
	for rows.Next() {
		var e walletwallet.Event
		var typ string
		if err := rows.Scan(&e.ID, &typ, &e.AccountID, &e.PassTypeID, &e.Serial, &e.DeviceID, &e.TemplateID, msTime(&e.CreatedAt)); err != nil {
			return nil, err
		}
		e.Type = walletwallet.EventType(typ)
		out = append(out, e)
	}
	return out, rows.Err()
}

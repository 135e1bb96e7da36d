package postgres

import (
	"context"
	"strconv"

	"github.com/walletwallet/walletwallet"
)

// eventFrom is the INSERT of one event of type typ for the pass $1/$2 whose
// account comes from the CTE named from (RETURNING account_id, template_id), stamped
// with parameter $at.
func eventFrom(from string, typ walletwallet.EventType, at int) string {
	return `INSERT INTO events (type, account_id, pass_type_id, serial, device_id, created_at, template_id)
		SELECT '` + string(typ) + `', account_id, $1, $2, '', $` + strconv.Itoa(at) + `, coalesce(template_id, '') FROM ` + from
}

// Events lists up to limit events with id > afterID, oldest first.
func (db *DB) Events(ctx context.Context, afterID int64, limit int) (_ []walletwallet.Event, err error) {
	defer walletwallet.Wrap(&err, "postgres.Events(%d)", afterID)
	rows, err := db.pool.Query(ctx, `
		SELECT id, type, account_id, pass_type_id, serial, device_id, template_id, created_at
		FROM events WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []walletwallet.Event
	for rows.Next() {
		var e walletwallet.Event
		var typ string
		if err := rows.Scan(&e.ID, &typ, &e.AccountID, &e.PassTypeID, &e.Serial, &e.DeviceID, &e.TemplateID, &e.CreatedAt); err != nil {
			return nil, err
		}
		e.Type = walletwallet.EventType(typ)
		e.CreatedAt = e.CreatedAt.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// FoldTemplate applies f in one transaction (see walletwallet.TemplateFold).
// A batch costs a handful of statements whatever its size: the passes are
// read in one query, rehashed in Go, and written back, and their events
// recorded, by statements over a JSON array of the batch (a statement per
// pass cost about as much again as the work itself).
func (db *DB) FoldTemplate(ctx context.Context, f *walletwallet.TemplateFold) (_ *walletwallet.TemplateFoldResult, err error) {
	defer walletwallet.Wrap(&err, "sqlite.FoldTemplate(%q)", f.TemplateID)
	if !walletwallet.ValidTemplateID(f.TemplateID) {
		return nil, rules.TemplateNotFound(f.TemplateID)
	}
	at := millis(rules.OrNow(f.At))
	var res walletwallet.TemplateFoldResult
	err = db.write(ctx, func(tx *wtx) error {
		res = walletwallet.TemplateFoldResult{}
		cur, err := storedTemplate(ctx, tx, f.TemplateID)
		if err != nil {
			return err
		}
		if cur.Rev != f.Rev {
			return walletwallet.ErrTemplateChanged
		}
		todo, err := behindPasses(ctx, tx, f, &res)
		if err != nil {
			return err
		}
		// changed holds [row, hash, stamp, account, serial] of each pass
		// with a new version, kept the rows of the others. The statements
		// find the passes by rowid (read in this transaction): keyed by
		// serial, SQLite planned the join the wrong way round, scanning
		// the pass type's passes for each of the batch.
		var changed [][5]any
		var kept []int64
		for _, b := range todo {
			h, err := f.Rehash(b.serial, b.values)
			if err != nil {
				return err
			}
			if h == b.hash {
				kept = append(kept, b.row)
				continue
			}
			changed = append(changed, [5]any{b.row, h, rules.NextVersionMillis(b.last, at), b.account, b.serial})
		}
		res.Changed = len(changed)
		if len(kept) > 0 {
			list, err := json.Marshal(kept)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `
				UPDATE passes SET template_rev = ? WHERE rowid IN (SELECT value FROM json_each(?))`,
				f.Rev, string(list)); err != nil {
				return err
			}
		}
		if len(changed) == 0 {
			return nil
		}
		list, err := json.Marshal(changed)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE passes SET hash = j.value ->> 1, last_modified = j.value ->> 2, blob = NULL, template_rev = ?
			FROM jsonb_each(?) AS j WHERE passes.rowid = j.value ->> 0`,
			f.Rev, string(list)); err != nil {
			return err
		}
		// The batch's events, counted here once per account and month
		// rather than by the trigger row by row (migration 10).
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO events (type, account_id, pass_type_id, serial, device_id, created_at, template_id, counted)
			SELECT ?, j.value ->> 3, ?, j.value ->> 4, '', j.value ->> 2, ?, 1 FROM jsonb_each(?) AS j`,
			string(walletwallet.EventPassUpdated), f.PassTypeID, f.TemplateID, string(list)); err != nil {
			return err
		}
		tx.recorded = true // their deliveries wake the runner at commit
		_, err = tx.ExecContext(ctx, `
			INSERT INTO account_stats (account_id, month, updated)
			SELECT account, month, count(*) FROM (
				SELECT j.value ->> 3 AS account, '' AS month FROM jsonb_each(?1) AS j
				UNION ALL
				SELECT j.value ->> 3, strftime('%Y-%m', (j.value ->> 2) / 1000, 'unixepoch') FROM jsonb_each(?1) AS j)
			WHERE true GROUP BY account, month
			ON CONFLICT (account_id, month) DO UPDATE SET updated = updated + excluded.updated`, string(list))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// behindPass is a pass a fold reads.
type behindPass struct {
	row          int64
	serial, hash string
	last         int64
	account      int64
	values       []byte
}

// behindPasses reads the passes f looks at and returns those behind f.Rev,
// counting them all in res.
func behindPasses(ctx context.Context, tx *wtx, f *walletwallet.TemplateFold, res *walletwallet.TemplateFoldResult) ([]behindPass, error) {
	// The primary key walks the pass type's serials in order; the
	// template's passes among them are the batch (+template_id keeps the
	// planner off the template index, which would sort them all).
	var rows *sql.Rows
	var err error
	if f.Serial != "" {
		rows, err = tx.QueryContext(ctx, `
			SELECT rowid, serial, hash, last_modified, template_rev, account_id, template_values FROM passes
			WHERE pass_type_id = ? AND serial = ? AND template_id = ? AND voided = 0`,
			f.PassTypeID, f.Serial, f.TemplateID)
	} else {
		rows, err = tx.QueryContext(ctx, `
			SELECT rowid, serial, hash, last_modified, template_rev, account_id, template_values FROM passes
			WHERE pass_type_id = ? AND serial > ? AND +template_id = ? AND voided = 0
			ORDER BY serial LIMIT ?`,
			f.PassTypeID, f.After, f.TemplateID, f.Limit)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var todo []behindPass
	for rows.Next() {
		var b behindPass
		var rev int64
		if err := rows.Scan(&b.row, &b.serial, &b.hash, &b.last, &rev, &b.account, &b.values); err != nil {
			return nil, err
		}
		res.Scanned++
		res.Last = b.serial
		if rev < f.Rev {
			todo = append(todo, b)
		}
	}
	return todo, rows.Err()
}

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
// read in one query, rehashed in Go, and written back, with their events,
// by statements over a JSON array of the batch.
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
		var changed []newVersion
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
			changed = append(changed, newVersion{b.row, h, rules.NextVersionMillis(b.last, at), b.account, b.serial})
		}
		res.Changed = len(changed)
		return writeFold(ctx, tx, f, kept, changed)
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// newVersion is a folded pass whose body changed. It goes to SQLite as the
// JSON array [row, hash, stamp, account, serial].
type newVersion struct {
	row     int64
	hash    string
	stamp   int64
	account int64
	serial  string
}

func (v newVersion) MarshalJSON() ([]byte, error) {
	return json.Marshal([5]any{v.row, v.hash, v.stamp, v.account, v.serial})
}

// writeFold writes a fold's batch: the revision of the kept passes (rowids),
// the new versions of the changed ones, their events, and the counters.
// A new version leaves the pass's blob where it is: its stamp no longer
// matches, so nothing reads it (migration 12).
// The statements find the passes by rowid, read in this transaction:
// keyed by serial, SQLite planned the join with the JSON the wrong way
// round, scanning the pass type's passes for each pass of the batch.
func writeFold(ctx context.Context, tx *wtx, f *walletwallet.TemplateFold, kept []int64, changed []newVersion) error {
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
		UPDATE passes SET hash = j.value ->> 1, last_modified = j.value ->> 2, template_rev = ?
		FROM jsonb_each(?) AS j WHERE passes.rowid = j.value ->> 0`,
		f.Rev, string(list)); err != nil {
		return err
	}
	// The events are inserted counted (migration 10): the trigger would
	// count them row by row; the upserts below count the batch once per
	// account and month (UTC, as the trigger has it).
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO events (type, account_id, pass_type_id, serial, device_id, created_at, template_id, counted)
		SELECT ?, j.value ->> 3, ?, j.value ->> 4, '', j.value ->> 2, ?, 1 FROM jsonb_each(?) AS j`,
		string(walletwallet.EventPassUpdated), f.PassTypeID, f.TemplateID, string(list)); err != nil {
		return err
	}
	tx.recorded = true // their deliveries wake the runner at commit
	type key struct {
		account int64
		month   string
	}
	counts := map[key]int64{}
	for _, v := range changed {
		counts[key{v.account, ""}]++
		counts[key{v.account, walletwallet.Month(fromMillis(v.stamp))}]++
	}
	for k, n := range counts {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO account_stats (account_id, month, updated) VALUES (?, ?, ?)
			ON CONFLICT (account_id, month) DO UPDATE SET updated = updated + excluded.updated`,
			k.account, k.month, n); err != nil {
			return err
		}
	}
	return nil
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

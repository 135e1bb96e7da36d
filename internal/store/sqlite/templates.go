package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// templateColumns are the columns scanTemplate reads, of templates aliased
// t; countColumns add the counts of its active passes and their
// registrations (scanned when counted).
const templateColumns = `t.id, t.account_id, t.name, t.design, t.defaults, t.rev, t.created_at, t.updated_at,
	t.deleted_at IS NOT NULL`

const countColumns = `
	(SELECT count(*) FROM passes p WHERE p.template_id = t.id AND p.voided = 0),
	(SELECT coalesce(sum(p.registration_count), 0) FROM passes p WHERE p.template_id = t.id AND p.voided = 0)`

func scanTemplate(row rules.Row, counted bool) (*walletwallet.Template, error) {
	var t walletwallet.Template
	dest := []any{&t.ID, &t.AccountID, &t.Name, &t.Design, &t.Defaults, &t.Rev,
		msTime(&t.CreatedAt), msTime(&t.UpdatedAt), &t.Deleted}
	if counted {
		dest = append(dest, &t.Passes, &t.Devices)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateTemplate stores t with revision 1.
func (db *DB) CreateTemplate(ctx context.Context, t *walletwallet.Template) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.CreateTemplate")
	created := rules.OrNow(t.CreatedAt)
	updated := created
	if !t.UpdatedAt.IsZero() {
		updated = rules.Stamp(t.UpdatedAt)
	}
	err = db.write(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO templates (id, account_id, name, design, defaults, rev, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
			t.ID, t.AccountID, t.Name, t.Design, t.Defaults, millis(created), millis(updated))
		return err
	})
	if err != nil {
		return err
	}
	t.Rev, t.CreatedAt, t.UpdatedAt = 1, created, updated
	return nil
}

// Template returns a template with its counts; ENOTFOUND when missing.
func (db *DB) Template(ctx context.Context, id string) (_ *walletwallet.Template, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Template(%q)", id)
	if !walletwallet.ValidTemplateID(id) {
		return nil, rules.TemplateNotFound(id)
	}
	t, err := scanTemplate(db.rd.QueryRowContext(ctx, `SELECT `+templateColumns+` FROM templates t WHERE t.id = ?`, id), false)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, rules.TemplateNotFound(id)
	}
	return t, err
}

// TemplateCounts counts the template's active passes and their registrations.
func (db *DB) TemplateCounts(ctx context.Context, id string) (passes, devices int, err error) {
	defer walletwallet.Wrap(&err, "sqlite.TemplateCounts(%q)", id)
	if !walletwallet.ValidTemplateID(id) {
		return 0, 0, nil
	}
	err = db.rd.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(registration_count), 0) FROM passes p
		WHERE p.template_id = ? AND p.voided = 0`, id).Scan(&passes, &devices)
	return passes, devices, err
}

// Templates lists the account's templates that are not deleted, oldest first.
func (db *DB) Templates(ctx context.Context, accountID int64) (_ []walletwallet.Template, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Templates(%d)", accountID)
	rows, err := db.rd.QueryContext(ctx, `SELECT `+templateColumns+`, `+countColumns+` FROM templates t
		WHERE t.account_id = ? AND t.deleted_at IS NULL ORDER BY t.created_at, t.id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []walletwallet.Template{}
	for rows.Next() {
		t, err := scanTemplate(rows, true)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// storedTemplate reads what a write checks of a template, in tx.
func storedTemplate(ctx context.Context, tx *wtx, id string) (rules.StoredTemplate, error) {
	var cur rules.StoredTemplate
	err := tx.QueryRowContext(ctx, `SELECT account_id, rev, deleted_at IS NOT NULL FROM templates WHERE id = ?`, id).
		Scan(&cur.Owner, &cur.Rev, &cur.Deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return cur, rules.TemplateNotFound(id)
	}
	return cur, err
}

// UpdateTemplate applies c in one transaction (see walletwallet.Store). The
// single writer makes read-then-count atomic. It writes no pass: the job it
// enqueues folds the revision into them (FoldTemplate), and every read of
// a pass behind folds that one first (passes.Folder).
func (db *DB) UpdateTemplate(ctx context.Context, c *walletwallet.TemplateChange, q walletwallet.Quota) (_ *walletwallet.TemplateUpdateResult, err error) {
	defer walletwallet.Wrap(&err, "sqlite.UpdateTemplate(%q)", c.ID)
	if !walletwallet.ValidTemplateID(c.ID) {
		return nil, rules.TemplateNotFound(c.ID)
	}
	at := millis(rules.OrNow(c.At))
	var res walletwallet.TemplateUpdateResult
	err = db.write(ctx, func(tx *wtx) error {
		res = walletwallet.TemplateUpdateResult{}
		cur, err := storedTemplate(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		if err := rules.DecideTemplateWrite(cur, c.ID, c.AccountID, c.PrevRev); err != nil {
			return err
		}
		rev := cur.Rev + 1
		changed, devices, passType, err := rehashAll(ctx, tx, c)
		if err != nil {
			return err
		}
		if changed > 0 {
			if err := countUsageN(ctx, tx, cur.Owner, q, int64(changed)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO template_push_jobs (template_id, template_rev, pass_type_id, created_at) VALUES (?, ?, ?, ?)`,
				c.ID, rev, passType, at); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE templates SET name = ?, design = ?, defaults = ?, rev = ?, updated_at = ? WHERE id = ?`,
			c.Name, c.Design, c.Defaults, rev, at, c.ID); err != nil {
			return err
		}
		res = walletwallet.TemplateUpdateResult{Rev: rev, UpdatedPasses: changed, NotifiedDevices: devices}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if res.UpdatedPasses > 0 {
		db.notifyPushJob()
	}
	return &res, nil
}

// rehashAll runs c.Rehash over the template's active passes (on every
// core, rules.Rehasher) and counts those whose hash changes and their
// devices.
func rehashAll(ctx context.Context, tx *wtx, c *walletwallet.TemplateChange) (changed, devices int, passType string, err error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT pass_type_id, serial, hash, registration_count, template_values FROM passes
		WHERE template_id = ? AND voided = 0`, c.ID)
	if err != nil {
		return 0, 0, "", err
	}
	defer rows.Close()
	rh := rules.NewRehasher(c.Rehash)
	for rows.Next() {
		var row rules.RehashRow
		if err = rows.Scan(&row.PassType, &row.Serial, &row.Hash, &row.Registrations, &row.Values); err != nil {
			break
		}
		if !rh.Add(row) {
			break
		}
	}
	if err == nil {
		err = rows.Err()
	}
	changed, devices, passType, rerr := rh.Wait()
	if err != nil {
		return 0, 0, "", err
	}
	return changed, devices, passType, rerr
}

// DeleteTemplate marks the template deleted unless it has active passes.
func (db *DB) DeleteTemplate(ctx context.Context, accountID int64, id string) (err error) {
	defer walletwallet.Wrap(&err, "sqlite.DeleteTemplate(%q)", id)
	if !walletwallet.ValidTemplateID(id) {
		return rules.TemplateNotFound(id)
	}
	return db.write(ctx, func(tx *wtx) error {
		cur, err := storedTemplate(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := rules.DecideTemplateWrite(cur, id, accountID, cur.Rev); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM passes WHERE template_id = ? AND voided = 0`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return rules.TemplateInUse(id, n)
		}
		_, err = tx.ExecContext(ctx, `UPDATE templates SET deleted_at = ? WHERE id = ?`, millis(time.Now()), id)
		return err
	})
}

// checkTemplatePasses is CreatePasses' check of template passes: each
// template exists, is the creator's and is still at the pass's revision.
func checkTemplatePasses(ctx context.Context, tx *wtx, ps []*walletwallet.Pass) error {
	seen := map[string]bool{}
	for _, p := range ps {
		if p.TemplateID == "" || seen[p.TemplateID] {
			continue
		}
		seen[p.TemplateID] = true
		cur, err := storedTemplate(ctx, tx, p.TemplateID)
		if err != nil {
			return err
		}
		if err := rules.DecideTemplateWrite(cur, p.TemplateID, p.AccountID, p.TemplateRev); err != nil {
			return err
		}
	}
	return nil
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// templateColumns are the columns scanTemplate reads, of templates aliased
// t; countColumns add the counts of its active passes and their
// registrations (scanned when counted).
const templateColumns = `t.id, t.account_id, t.name, t.design, t.defaults, t.rev, t.created_at, t.updated_at,
	t.deleted_at IS NOT NULL`

const countColumns = `
	(SELECT count(*) FROM passes p WHERE p.template_id = t.id AND NOT p.voided),
	(SELECT coalesce(sum(p.registration_count), 0) FROM passes p WHERE p.template_id = t.id AND NOT p.voided)`

func scanTemplate(row rules.Row, counted bool) (*walletwallet.Template, error) {
	var t walletwallet.Template
	dest := []any{&t.ID, &t.AccountID, &t.Name, &t.Design, &t.Defaults, &t.Rev,
		&t.CreatedAt, &t.UpdatedAt, &t.Deleted}
	if counted {
		dest = append(dest, &t.Passes, &t.Devices)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return &t, nil
}

// CreateTemplate stores t with revision 1.
func (db *DB) CreateTemplate(ctx context.Context, t *walletwallet.Template) (err error) {
	defer walletwallet.Wrap(&err, "postgres.CreateTemplate")
	created := rules.OrNow(t.CreatedAt)
	updated := created
	if !t.UpdatedAt.IsZero() {
		updated = rules.Stamp(t.UpdatedAt)
	}
	_, err = db.pool.Exec(ctx, `
		INSERT INTO templates (id, account_id, name, design, defaults, rev, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 1, $6, $7)`,
		t.ID, t.AccountID, t.Name, t.Design, t.Defaults, created, updated)
	if err != nil {
		return err
	}
	t.Rev, t.CreatedAt, t.UpdatedAt = 1, created, updated
	return nil
}

// Template returns a template with its counts; ENOTFOUND when missing.
func (db *DB) Template(ctx context.Context, id string) (_ *walletwallet.Template, err error) {
	defer walletwallet.Wrap(&err, "postgres.Template(%q)", id)
	if !walletwallet.ValidTemplateID(id) {
		return nil, rules.TemplateNotFound(id)
	}
	t, err := scanTemplate(db.pool.QueryRow(ctx, `SELECT `+templateColumns+` FROM templates t WHERE t.id = $1`, id), false)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rules.TemplateNotFound(id)
	}
	return t, err
}

// TemplateCounts counts the template's active passes and their registrations.
func (db *DB) TemplateCounts(ctx context.Context, id string) (passes, devices int, err error) {
	defer walletwallet.Wrap(&err, "postgres.TemplateCounts(%q)", id)
	if !walletwallet.ValidTemplateID(id) {
		return 0, 0, nil
	}
	err = db.pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(registration_count), 0) FROM passes p
		WHERE p.template_id = $1 AND NOT p.voided`, id).Scan(&passes, &devices)
	return passes, devices, err
}

// Templates lists the account's templates that are not deleted, oldest first.
func (db *DB) Templates(ctx context.Context, accountID int64) (_ []walletwallet.Template, err error) {
	defer walletwallet.Wrap(&err, "postgres.Templates(%d)", accountID)
	rows, err := db.pool.Query(ctx, `SELECT `+templateColumns+`, `+countColumns+` FROM templates t
		WHERE t.account_id = $1 AND t.deleted_at IS NULL ORDER BY t.created_at, t.id`, accountID)
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

// storedTemplate reads and locks what a write checks of a template: FOR
// SHARE lets pass writes from one revision run together, FOR UPDATE (a
// template change) waits for them and makes them wait.
func storedTemplate(ctx context.Context, tx pgx.Tx, id string, lock string) (rules.StoredTemplate, error) {
	var cur rules.StoredTemplate
	err := tx.QueryRow(ctx, `SELECT account_id, rev, deleted_at IS NOT NULL FROM templates WHERE id = $1 `+lock, id).
		Scan(&cur.Owner, &cur.Rev, &cur.Deleted)
	if errors.Is(err, pgx.ErrNoRows) {
		return cur, rules.TemplateNotFound(id)
	}
	return cur, err
}

// UpdateTemplate applies c in one transaction (see walletwallet.Store). The
// template row's lock keeps pass creations, value changes and folds of the
// template out until it commits, so the count is exact. It writes no pass:
// the job it enqueues folds the revision into them (FoldTemplate), and
// every read of a pass behind folds that one first (passes.Folder).
func (db *DB) UpdateTemplate(ctx context.Context, c *walletwallet.TemplateChange, q walletwallet.Quota) (_ *walletwallet.TemplateUpdateResult, err error) {
	defer walletwallet.Wrap(&err, "postgres.UpdateTemplate(%q)", c.ID)
	if !walletwallet.ValidTemplateID(c.ID) {
		return nil, rules.TemplateNotFound(c.ID)
	}
	at := rules.OrNow(c.At)
	var res walletwallet.TemplateUpdateResult
	err = db.write(ctx, func(tx pgx.Tx) error {
		res = walletwallet.TemplateUpdateResult{}
		cur, err := storedTemplate(ctx, tx, c.ID, "FOR UPDATE")
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
			// The notification reaches every instance at commit.
			if _, err := tx.Exec(ctx, `
				WITH job AS (INSERT INTO template_push_jobs (template_id, template_rev, pass_type_id, created_at)
					VALUES ($1, $2, $3, $4) RETURNING id)
				SELECT pg_notify($5, '') FROM job`, c.ID, rev, passType, at, NotifyChannel); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `
			UPDATE templates SET name = $2, design = $3, defaults = $4, rev = $5, updated_at = $6 WHERE id = $1`,
			c.ID, c.Name, c.Design, c.Defaults, rev, at); err != nil {
			return err
		}
		res = walletwallet.TemplateUpdateResult{Rev: rev, UpdatedPasses: changed, NotifiedDevices: devices}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// rehashAll runs c.Rehash over the template's active passes (on every
// core, rules.Rehasher) and counts those whose hash changes and their
// devices.
func rehashAll(ctx context.Context, tx pgx.Tx, c *walletwallet.TemplateChange) (changed, devices int, passType string, err error) {
	rows, err := tx.Query(ctx, `
		SELECT pass_type_id, serial, hash, registration_count, template_values FROM passes
		WHERE template_id = $1 AND NOT voided`, c.ID)
	if err != nil {
		return 0, 0, "", err
	}
	defer rows.Close()
	rh := rules.NewRehasher(c.Rehash)
	var row rules.RehashRow
	_, err = pgx.ForEachRow(rows, []any{&row.PassType, &row.Serial, &row.Hash, &row.Registrations, &row.Values}, func() error {
		// The next row is scanned into the same variables while a worker
		// reads this one.
		r := row
		r.Values = bytes.Clone(row.Values)
		if !rh.Add(r) {
			return errRehashFailed
		}
		return nil
	})
	changed, devices, passType, rerr := rh.Wait()
	if err != nil && !errors.Is(err, errRehashFailed) {
		return 0, 0, "", err
	}
	return changed, devices, passType, rerr
}

// errRehashFailed stops reading rows once a Rehash has failed; rh.Wait
// returns that failure.
var errRehashFailed = errors.New("postgres: rehash failed")

// FoldTemplate applies f in one transaction (see walletwallet.TemplateFold).
// The template row is taken shared (a change waits for the fold), the
// batch's rows for update: a read folding one pass and the job folding its
// batch wait for each other, and the later sees the pass already at Rev.
func (db *DB) FoldTemplate(ctx context.Context, f *walletwallet.TemplateFold) (_ *walletwallet.TemplateFoldResult, err error) {
	defer walletwallet.Wrap(&err, "postgres.FoldTemplate(%q)", f.TemplateID)
	if !walletwallet.ValidTemplateID(f.TemplateID) {
		return nil, rules.TemplateNotFound(f.TemplateID)
	}
	at := rules.OrNow(f.At)
	var res walletwallet.TemplateFoldResult
	err = db.write(ctx, func(tx pgx.Tx) error {
		res = walletwallet.TemplateFoldResult{}
		cur, err := storedTemplate(ctx, tx, f.TemplateID, "FOR SHARE")
		if err != nil {
			return err
		}
		if cur.Rev != f.Rev {
			return walletwallet.ErrTemplateChanged
		}
		var rows pgx.Rows
		if f.Serial != "" {
			rows, err = tx.Query(ctx, `
				SELECT serial, hash, last_modified, template_rev, template_values FROM passes
				WHERE pass_type_id = $1 AND serial = $2 AND template_id = $3 AND NOT voided
				FOR UPDATE`, f.PassTypeID, f.Serial, f.TemplateID)
		} else {
			rows, err = tx.Query(ctx, `
				SELECT serial, hash, last_modified, template_rev, template_values FROM passes
				WHERE pass_type_id = $1 AND serial > $2 AND template_id = $3 AND NOT voided
				ORDER BY serial LIMIT $4 FOR UPDATE`,
				f.PassTypeID, f.After, f.TemplateID, f.Limit)
		}
		if err != nil {
			return err
		}
		var serial, hash string
		var last time.Time
		var rev int64
		var values []byte
		var same, serials, hashes []string
		var stamps []time.Time
		_, err = pgx.ForEachRow(rows, []any{&serial, &hash, &last, &rev, &values}, func() error {
			res.Scanned++
			res.Last = serial
			if rev >= f.Rev {
				return nil
			}
			h, err := f.Rehash(serial, values)
			if err != nil {
				return err
			}
			if h == hash {
				same = append(same, serial)
				return nil
			}
			serials, hashes = append(serials, serial), append(hashes, h)
			stamps = append(stamps, rules.NextVersion(last, at))
			return nil
		})
		if err != nil {
			return err
		}
		if len(same) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE passes SET template_rev = $1 WHERE pass_type_id = $2 AND serial = ANY($3)`,
				f.Rev, f.PassTypeID, same); err != nil {
				return err
			}
		}
		if len(serials) > 0 {
			// The new version leaves the blob of the last one in place: its
			// stamp no longer matches, so nothing reads it (migration 13).
			tag, err := tx.Exec(ctx, `
				WITH u AS (
					UPDATE passes p SET hash = u.h, last_modified = u.l, template_rev = $1
					FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS u(s, h, l)
					WHERE p.pass_type_id = $5 AND p.serial = u.s
					RETURNING p.account_id, p.pass_type_id, p.serial, p.last_modified, p.template_id)
				INSERT INTO events (type, account_id, pass_type_id, serial, device_id, created_at, template_id)
				SELECT $6, account_id, pass_type_id, serial, '', last_modified, template_id FROM u ORDER BY serial`,
				f.Rev, serials, hashes, stamps, f.PassTypeID, string(walletwallet.EventPassUpdated))
			if err != nil {
				return err
			}
			res.Changed = int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// DeleteTemplate marks the template deleted unless it has active passes.
func (db *DB) DeleteTemplate(ctx context.Context, accountID int64, id string) (err error) {
	defer walletwallet.Wrap(&err, "postgres.DeleteTemplate(%q)", id)
	if !walletwallet.ValidTemplateID(id) {
		return rules.TemplateNotFound(id)
	}
	return db.write(ctx, func(tx pgx.Tx) error {
		cur, err := storedTemplate(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if err := rules.DecideTemplateWrite(cur, id, accountID, cur.Rev); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM passes WHERE template_id = $1 AND NOT voided`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return rules.TemplateInUse(id, n)
		}
		_, err = tx.Exec(ctx, `UPDATE templates SET deleted_at = now() WHERE id = $1`, id)
		return err
	})
}

// checkTemplatePasses is CreatePasses' check of template passes: each
// template exists, is the creator's and is still at the pass's revision.
func checkTemplatePasses(ctx context.Context, tx pgx.Tx, ps []*walletwallet.Pass) error {
	seen := map[string]bool{}
	for _, p := range ps {
		if p.TemplateID == "" || seen[p.TemplateID] {
			continue
		}
		seen[p.TemplateID] = true
		cur, err := storedTemplate(ctx, tx, p.TemplateID, "FOR SHARE")
		if err != nil {
			return err
		}
		if err := rules.DecideTemplateWrite(cur, p.TemplateID, p.AccountID, p.TemplateRev); err != nil {
			return err
		}
	}
	return nil
}

// ClaimTemplatePushJob leases the oldest template fan-out whose lease is
// free or expired; SKIP LOCKED lets instances claim different jobs.
func (db *DB) ClaimTemplatePushJob(ctx context.Context, owner string, now, leaseUntil time.Time) (_ *walletwallet.TemplatePushJob, err error) {
	defer walletwallet.Wrap(&err, "postgres.ClaimTemplatePushJob(%q)", owner)
	var j walletwallet.TemplatePushJob
	err = db.pool.QueryRow(ctx, `
		UPDATE template_push_jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
		WHERE id = (
			SELECT id FROM template_push_jobs WHERE lease_until < $3
			ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING id, template_id, template_rev, pass_type_id, cursor_serial, cursor_id, created_at, attempts`,
		owner, leaseUntil, now).
		Scan(&j.ID, &j.TemplateID, &j.Rev, &j.PassTypeID, &j.CursorSerial, &j.CursorID, &j.CreatedAt, &j.Attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	j.CreatedAt = j.CreatedAt.UTC()
	return &j, nil
}

// ExtendTemplatePushLease renews the lease; ECONFLICT when owner lost it.
func (db *DB) ExtendTemplatePushLease(ctx context.Context, jobID int64, owner string, leaseUntil time.Time) (err error) {
	defer walletwallet.Wrap(&err, "postgres.ExtendTemplatePushLease(%d)", jobID)
	return leased(db.pool.Exec(ctx, `
		UPDATE template_push_jobs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2`,
		jobID, owner, leaseUntil))(jobID, owner)
}

// AdvanceTemplatePushJob records progress while owner holds the lease.
func (db *DB) AdvanceTemplatePushJob(ctx context.Context, jobID int64, owner string, serial string, regID int64) (err error) {
	defer walletwallet.Wrap(&err, "postgres.AdvanceTemplatePushJob(%d)", jobID)
	return leased(db.pool.Exec(ctx, `
		UPDATE template_push_jobs SET cursor_serial = $3, cursor_id = $4 WHERE id = $1 AND lease_owner = $2`,
		jobID, owner, serial, regID))(jobID, owner)
}

// FinishTemplatePushJob removes the finished job.
func (db *DB) FinishTemplatePushJob(ctx context.Context, jobID int64, owner string) (err error) {
	defer walletwallet.Wrap(&err, "postgres.FinishTemplatePushJob(%d)", jobID)
	return leased(db.pool.Exec(ctx, `DELETE FROM template_push_jobs WHERE id = $1 AND lease_owner = $2`,
		jobID, owner))(jobID, owner)
}

// TemplatePushTargets returns the next page of the job's registrations.
// The bound upTo is its own term of the serial range: as "$7 = ” OR
// serial <= $7" a generic plan could not use it, and the page after a
// batch's last would read on through every later pass.
func (db *DB) TemplatePushTargets(ctx context.Context, job *walletwallet.TemplatePushJob, upTo string, limit int) (_ []walletwallet.TemplatePushTarget, err error) {
	defer walletwallet.Wrap(&err, "postgres.TemplatePushTargets(%d)", job.ID)
	q, args := templatePageAll, []any{job.TemplateID, job.Rev, job.PassTypeID, job.CursorSerial, job.CursorID, limit, job.CreatedAt}
	if upTo != "" {
		q, args = templatePageUpTo, append(args, upTo)
	}
	rows, err := db.pool.Query(ctx, q, args...)
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
// takes the passes first (the cursor's own and limit after it, so a page of
// one device per pass is full) and each one's registrations by index: as a
// plain join the planner preferred hashing every registration of the
// database for each page (50 ms a page at 100,000, against 5–10 ms). The
// inner LIMIT keeps the lateral subquery from being flattened back into
// that join; a page never needs more of one pass's registrations.
const templatePage = `
	SELECT p.serial, r.id, r.push_token FROM (
		SELECT pass_type_id, serial FROM passes
		WHERE pass_type_id = $3 AND serial >= $4 %s
			AND template_id = $1 AND template_rev >= $2 AND last_modified >= $7
		ORDER BY serial LIMIT $6 + 1) AS p
	CROSS JOIN LATERAL (
		SELECT r.id, r.push_token FROM registrations r
		WHERE r.pass_type_id = p.pass_type_id AND r.serial = p.serial AND (p.serial > $4 OR r.id > $5)
		ORDER BY r.id LIMIT $6) AS r
	ORDER BY p.serial, r.id LIMIT $6`

var (
	templatePageAll  = fmt.Sprintf(templatePage, "")
	templatePageUpTo = fmt.Sprintf(templatePage, "AND serial <= $8")
)

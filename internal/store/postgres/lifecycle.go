package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// passColumns are the columns scanPass reads, in its order. The blob is
// the pass's only when it signs its current version (migration 13).
var passColumns = strings.Replace(rules.PassColumns, "last_modified, blob,", "last_modified, "+currentBlob+",", 1)

const currentBlob = `CASE WHEN blob_modified = last_modified THEN blob END`

func init() {
	if !strings.Contains(passColumns, currentBlob) {
		panic("postgres: rules.PassColumns no longer lists blob after last_modified")
	}
}

func scanPass(row rules.Row) (*walletwallet.Pass, error) { return rules.ScanPass(row, timeDest) }

// CreatePasses counts len(ps) against q and inserts them all in one
// transaction, completing done's claim in it (see walletwallet.Store).
func (db *DB) CreatePasses(ctx context.Context, ps []*walletwallet.Pass, q walletwallet.Quota, done *walletwallet.IdempotencyDone) (err error) {
	defer walletwallet.Wrap(&err, "postgres.CreatePasses(%d)", len(ps))
	if len(ps) == 0 {
		return errors.New("no passes")
	}
	for _, p := range ps {
		if err := rules.CheckNewPass(p); err != nil {
			return err
		}
	}
	tms := make([]struct{ first, last time.Time }, len(ps))
	shares := make([]string, len(ps))
	for i, p := range ps {
		first, last := rules.CreateTimes(p)
		tms[i].first, tms[i].last = first, last
		shares[i] = p.ShareID
		if shares[i] == "" {
			shares[i] = walletwallet.NewShareID()
		}
	}
	if q.Limit < int64(len(ps)) {
		return rules.QuotaReached(q)
	}
	args := createArgs(ps, q, tms, shares)
	insert := func(on rowQuerier) error {
		var n int
		err := on.QueryRow(ctx, createStatement, args...).Scan(&n)
		if isUniqueViolation(err) {
			return rules.PassExists(takenSerial(err, ps))
		}
		if err != nil {
			return err
		}
		if n != len(ps) {
			return rules.QuotaReached(q)
		}
		return nil
	}
	if done == nil && !hasTemplatePass(ps) {
		// One statement is a transaction of its own, committed where it
		// runs: the account's usage row, which every create of the account
		// locks, is held for the statement and its commit only, not across
		// round trips to this process (BENCHMARKS.md, "PostgreSQL, one
		// statement per create").
		err = retried(func() error { return insert(db.pool) })
	} else {
		err = db.write(ctx, func(tx pgx.Tx) error {
			if err := checkTemplatePasses(ctx, tx, ps); err != nil {
				return err
			}
			if done != nil {
				tag, err := tx.Exec(ctx, `
					UPDATE idempotency_keys SET done = true, serials = $4
					WHERE account_id = $1 AND key = $2 AND token = $3 AND NOT done`,
					done.AccountID, done.Key, done.Token, strings.Join(serials(ps), ","))
				if err != nil {
					return err
				}
				if tag.RowsAffected() != 1 {
					return rules.IdempotencyTakenOver()
				}
			}
			// Last, so the hot counter rows are locked only until the commit.
			return insert(tx)
		})
	}
	if err != nil {
		return err
	}
	for i, p := range ps {
		p.FirstIssued, p.LastModified, p.ShareID = tms[i].first, tms[i].last, shares[i]
	}
	return nil
}

// createStatement counts a CreatePasses against the quota and inserts its
// passes and their pass.created events, all or nothing; it returns how many
// passes it inserted, 0 when the quota refused them. The conditional upsert
// locks the account's counter row and re-checks the limit on its latest
// version, so N racing requests against R remaining succeed exactly
// min(N, R) times. Events are inserted in the order of the passes.
const createStatement = `
	WITH counted AS (
		INSERT INTO usage (account_id, month, count) VALUES ($1, $2, $3)
		ON CONFLICT (account_id, month) DO UPDATE SET count = usage.count + excluded.count
		WHERE usage.count + excluded.count <= $4
		RETURNING 1
	), inserted AS (
		INSERT INTO passes (pass_type_id, serial, auth_token, account_id, request, hash, first_issued, last_modified, blob, share_id,
			template_id, template_rev, template_values, blob_modified)
		SELECT n.pass_type_id, n.serial, n.auth_token, n.account_id, n.request, n.hash, n.first_issued, n.last_modified, n.blob,
			n.share_id, n.template_id, n.template_rev, n.template_values, n.last_modified
		FROM counted, unnest($5::text[], $6::text[], $7::text[], $8::bigint[], $9::bytea[], $10::text[], $11::timestamptz[],
			$12::timestamptz[], $13::bytea[], $14::text[], $15::text[], $16::bigint[], $17::bytea[]) WITH ORDINALITY
			AS n (pass_type_id, serial, auth_token, account_id, request, hash, first_issued, last_modified, blob, share_id,
				template_id, template_rev, template_values, ord)
		ORDER BY n.ord
		RETURNING account_id, pass_type_id, serial, first_issued, template_id
	), recorded AS (
		INSERT INTO events (type, account_id, pass_type_id, serial, device_id, created_at, template_id)
		SELECT '` + string(walletwallet.EventPassCreated) + `', i.account_id, i.pass_type_id, i.serial, '', i.first_issued,
			coalesce(i.template_id, '')
		FROM inserted i JOIN unnest($6::text[]) WITH ORDINALITY AS o (serial, ord) ON o.serial = i.serial
		ORDER BY o.ord
	)
	SELECT count(*) FROM inserted`

// createArgs are createStatement's parameters: the quota, then one array
// per column.
func createArgs(ps []*walletwallet.Pass, q walletwallet.Quota, tms []struct{ first, last time.Time }, shares []string) []any {
	n := len(ps)
	types, serials, tokens, hashes := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	accounts, revs := make([]int64, n), make([]int64, n)
	requests, blobs, values := make([][]byte, n), make([][]byte, n), make([][]byte, n)
	firsts, lasts := make([]time.Time, n), make([]time.Time, n)
	templates := make([]*string, n)
	for i, p := range ps {
		types[i], serials[i], tokens[i], hashes[i] = p.PassTypeID, p.Serial, p.AuthToken, p.Hash
		accounts[i], revs[i] = p.AccountID, p.TemplateRev
		requests[i], blobs[i], values[i] = p.Request, p.Blob, p.Values
		firsts[i], lasts[i] = tms[i].first, tms[i].last
		if p.TemplateID != "" {
			templates[i] = &p.TemplateID
		}
	}
	return []any{ps[0].AccountID, q.Month, int64(n), q.Limit,
		types, serials, tokens, accounts, requests, hashes, firsts, lasts, blobs, shares, templates, revs, values}
}

func hasTemplatePass(ps []*walletwallet.Pass) bool {
	for _, p := range ps {
		if p.TemplateID != "" {
			return true
		}
	}
	return false
}

func serials(ps []*walletwallet.Pass) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Serial
	}
	return out
}

// takenSerial names the serial of a unique violation when PostgreSQL's
// detail gives it (Key (pass_type_id, serial)=(…, SERIAL) already exists),
// and the first pass's otherwise (a share id that collided).
func takenSerial(err error, ps []*walletwallet.Pass) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		for _, p := range ps {
			if strings.Contains(pe.Detail, ", "+p.Serial+")") {
				return p.Serial
			}
		}
	}
	return ps[0].Serial
}

// countUsageN adds n to the account's counter for q.Month unless that would
// pass q.Limit; EQUOTA otherwise (all or nothing). The conditional upsert
// locks the counter row, so racing requests never overshoot together.
func countUsageN(ctx context.Context, tx pgx.Tx, accountID int64, q walletwallet.Quota, n int64) error {
	if q.Limit < n {
		return rules.QuotaReached(q)
	}
	var c int64
	err := tx.QueryRow(ctx, `
		INSERT INTO usage (account_id, month, count) VALUES ($1, $2, $3)
		ON CONFLICT (account_id, month) DO UPDATE SET count = usage.count + excluded.count
		WHERE usage.count + excluded.count <= $4
		RETURNING count`, accountID, q.Month, n, q.Limit).Scan(&c)
	if errors.Is(err, pgx.ErrNoRows) {
		return rules.QuotaReached(q)
	}
	return err
}

// PassByShareID returns the pass behind a share link; ENOTFOUND when none.
func (db *DB) PassByShareID(ctx context.Context, shareID string) (_ *walletwallet.Pass, err error) {
	defer walletwallet.Wrap(&err, "postgres.PassByShareID")
	notFound := rules.ShareNotFound()
	// The shape check also keeps NUL bytes and invalid UTF-8 (which
	// PostgreSQL refuses with an error) away from the query.
	if !walletwallet.ValidShareID(shareID) {
		return nil, notFound
	}
	p, err := scanPass(db.pool.QueryRow(ctx, `SELECT `+passColumns+` FROM passes WHERE share_id = $1`, shareID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound
	}
	return p, err
}

// ListPasses returns up to q.Limit passes of the account, newest first.
func (db *DB) ListPasses(ctx context.Context, q walletwallet.PassQuery) (_ []walletwallet.PassSummary, err error) {
	defer walletwallet.Wrap(&err, "postgres.ListPasses(%d)", q.AccountID)
	// Each variant is one range of an index (passes_account_listing or
	// passes_account_status), so a page costs O(limit) wherever it starts.
	where := `account_id = $1`
	args := []any{q.AccountID, q.Limit}
	switch q.Status {
	case walletwallet.StatusActive:
		where += ` AND NOT voided`
	case walletwallet.StatusVoided:
		where += ` AND voided`
	}
	if q.After != nil {
		where += ` AND (first_issued, serial) < ($3, $4)`
		args = append(args, rules.Stamp(q.After.FirstIssued), q.After.Serial)
	}
	rows, err := db.pool.Query(ctx, `
		SELECT serial, voided, first_issued, last_modified, registration_count, coalesce(template_id, ''), template_rev FROM passes
		WHERE `+where+` ORDER BY first_issued DESC, serial DESC LIMIT $2`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]walletwallet.PassSummary, 0, q.Limit)
	for rows.Next() {
		var s walletwallet.PassSummary
		if err := rows.Scan(&s.Serial, &s.Voided, &s.FirstIssued, &s.LastModified, &s.Devices, &s.TemplateID, &s.TemplateRev); err != nil {
			return nil, err
		}
		s.FirstIssued, s.LastModified = s.FirstIssued.UTC(), s.LastModified.UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// VoidPass voids a pass in one transaction (see walletwallet.Store).
func (db *DB) VoidPass(ctx context.Context, v *walletwallet.PassVoid) (_ *walletwallet.VoidResult, err error) {
	defer walletwallet.Wrap(&err, "postgres.VoidPass(%q)", v.Serial)
	if !rules.PassKey(v.PassTypeID, v.Serial) {
		return nil, rules.PassNotFound(v.Serial)
	}
	var res walletwallet.VoidResult
	err = db.write(ctx, func(tx pgx.Tx) error {
		var cur rules.StoredPass
		// As in UpdatePass: the row lock makes registrations wait, so the
		// count read here is the count at commit.
		err := tx.QueryRow(ctx, `
			SELECT account_id, hash, last_modified, voided, registration_count FROM passes
			WHERE pass_type_id = $1 AND serial = $2 FOR NO KEY UPDATE`,
			v.PassTypeID, v.Serial).Scan(&cur.Owner, &cur.Hash, &cur.LastModified, &cur.Voided, &cur.Devices)
		if errors.Is(err, pgx.ErrNoRows) {
			return rules.PassNotFound(v.Serial)
		}
		if err != nil {
			return err
		}
		if r, err := rules.DecideVoid(cur, v); r != nil || err != nil {
			if r != nil {
				res = *r
			}
			return err
		}
		last := rules.NextLastModified(cur.LastModified, v.LastModified)
		const upd = `UPDATE passes SET voided = true, last_modified = $3, blob = $4, blob_modified = $3
			WHERE pass_type_id = $1 AND serial = $2 RETURNING account_id, template_id`
		update := `WITH upd AS (` + upd + `) ` + eventFrom("upd", walletwallet.EventPassVoided, 3)
		args := []any{v.PassTypeID, v.Serial, last, v.Blob}
		if cur.Devices > 0 {
			update = `WITH upd AS (` + upd + `), ev AS (` + eventFrom("upd", walletwallet.EventPassVoided, 3) + `), job AS (
				INSERT INTO push_jobs (pass_type_id, serial, created_at) VALUES ($1, $2, $3) RETURNING id)
				SELECT pg_notify($5, '') FROM job`
			args = append(args, NotifyChannel)
		}
		if _, err := tx.Exec(ctx, update, args...); err != nil {
			return err
		}
		res = walletwallet.VoidResult{LastModified: last, NotifiedDevices: cur.Devices}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// ClaimIdempotency reserves the key or returns the record holding it (see
// walletwallet.Store). The conditional upsert decides between racing
// claims on any number of instances: the row's lock lets exactly one win.
func (db *DB) ClaimIdempotency(ctx context.Context, c *walletwallet.IdempotencyClaim) (_ *walletwallet.IdempotencyRecord, err error) {
	defer walletwallet.Wrap(&err, "postgres.ClaimIdempotency")
	now := rules.OrNow(c.Now)
	for attempt := 0; attempt < 5; attempt++ {
		var rec *walletwallet.IdempotencyRecord
		err = db.write(ctx, func(tx pgx.Tx) error {
			rec = nil
			if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE account_id = $1 AND created_at <= $2`,
				c.AccountID, now.Add(-walletwallet.IdempotencyTTL)); err != nil {
				return err
			}
			var token string
			err := tx.QueryRow(ctx, `
				INSERT INTO idempotency_keys (account_id, key, fingerprint, token, created_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (account_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, token = excluded.token,
					done = false, serials = '', created_at = excluded.created_at
				WHERE (NOT idempotency_keys.done AND idempotency_keys.created_at <= $6)
					OR idempotency_keys.created_at <= $7
				RETURNING token`,
				c.AccountID, c.Key, c.Fingerprint, c.Token, now,
				now.Add(-walletwallet.IdempotencyClaimTimeout), now.Add(-walletwallet.IdempotencyTTL)).Scan(&token)
			if err == nil {
				return nil // claimed
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			var r walletwallet.IdempotencyRecord
			var serials string
			err = tx.QueryRow(ctx, `
				SELECT fingerprint, done, serials, created_at FROM idempotency_keys WHERE account_id = $1 AND key = $2`,
				c.AccountID, c.Key).Scan(&r.Fingerprint, &r.Done, &serials, &r.CreatedAt)
			if errors.Is(err, pgx.ErrNoRows) {
				// Released between the two statements: try again.
				return errRetryClaim
			}
			if err != nil {
				return err
			}
			r.CreatedAt = r.CreatedAt.UTC()
			if serials != "" {
				r.Serials = strings.Split(serials, ",")
			}
			rec = &r
			return nil
		})
		if errors.Is(err, errRetryClaim) {
			continue
		}
		return rec, err
	}
	return nil, errors.New("idempotency claim kept racing with releases")
}

var errRetryClaim = errors.New("retry claim")

// ReleaseIdempotency drops the caller's unfinished claim.
func (db *DB) ReleaseIdempotency(ctx context.Context, accountID int64, key, token string) (err error) {
	defer walletwallet.Wrap(&err, "postgres.ReleaseIdempotency")
	_, err = db.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND token = $3 AND NOT done`,
		accountID, key, token)
	return err
}

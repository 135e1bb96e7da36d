package rules

import (
	"time"

	"github.com/walletwallet/walletwallet"
)

// Stamp is a time as every backend stores it: UTC, whole milliseconds (the
// precision of Last-Modified and of the passesUpdatedSince tags).
func Stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// OrNow stamps t, or the current time when t is zero.
func OrNow(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return Stamp(t)
}

// CreateTimes are the first-issued and last-modified times CreatePass
// stores: zero first-issued is now, zero last-modified is first-issued.
func CreateTimes(p *walletwallet.Pass) (first, last time.Time) {
	first = OrNow(p.FirstIssued)
	last = first
	if !p.LastModified.IsZero() {
		last = Stamp(p.LastModified)
	}
	return first, last
}

// NextLastModified is the last-modified time a changed version stores. It
// only moves forward: an update stamped at or before the stored version
// (same millisecond, or a clock that stepped back) gets the next
// millisecond, so a device that asked "updated since T" can never miss it.
func NextLastModified(stored, requested time.Time) time.Time {
	last := OrNow(requested)
	if floor := Stamp(stored).Add(time.Millisecond); last.Before(floor) {
		last = floor
	}
	return last
}

// StoredPass is what UpdatePass reads of a pass, under the lock that
// serialises its updates, before it decides.
type StoredPass struct {
	Owner        int64
	Hash         string
	LastModified time.Time
	Devices      int // registration_count
	Voided       bool
}

// DecideUpdate applies the rules of a changed PUT to the stored pass, in
// their order: another account's pass is EFORBIDDEN; a voided pass cannot
// change (walletwallet.ErrPassVoided); an equal hash is
// unchanged (the result to return, nothing written or counted); a stored
// hash other than PrevHash is stale (ECONFLICT: the caller retries). A nil
// result and nil error mean: count the request, then write.
func DecideUpdate(cur StoredPass, u *walletwallet.PassUpdate) (*walletwallet.UpdateResult, error) {
	switch {
	case cur.Owner != u.AccountID:
		return nil, NotOwner(u.Serial)
	case cur.Voided:
		return nil, walletwallet.ErrPassVoided
	case cur.Hash == u.Hash:
		return &walletwallet.UpdateResult{Unchanged: true, LastModified: Stamp(cur.LastModified)}, nil
	case cur.Hash != u.PrevHash:
		return nil, Stale(u.Serial)
	}
	return nil, nil
}

// DecideVoid applies the rules of a void to the stored pass, in their order:
// another account's pass is EFORBIDDEN; a voided pass is already voided (the
// result to return, nothing written or pushed); a stored hash other than
// PrevHash is stale (ECONFLICT: the caller retries). A nil result and nil
// error mean: write.
func DecideVoid(cur StoredPass, v *walletwallet.PassVoid) (*walletwallet.VoidResult, error) {
	switch {
	case cur.Owner != v.AccountID:
		return nil, NotOwner(v.Serial)
	case cur.Voided:
		return &walletwallet.VoidResult{AlreadyVoided: true, LastModified: Stamp(cur.LastModified)}, nil
	case cur.Hash != v.PrevHash:
		return nil, Stale(v.Serial)
	}
	return nil, nil
}

// Written is the result of an update that wrote the version stamped last;
// a push job was enqueued when devices > 0.
func Written(last time.Time, devices int) *walletwallet.UpdateResult {
	return &walletwallet.UpdateResult{LastModified: last, NotifiedDevices: devices}
}

// Row is a single result row of either driver (*sql.Row, *sql.Rows, pgx.Row).
type Row interface{ Scan(dest ...any) error }

// PassColumns are the columns ScanPass reads, in its order.
const PassColumns = `pass_type_id, serial, auth_token, account_id, request, hash, first_issued, last_modified, blob,
	share_id, voided, registration_count, install_count, template_id, template_rev, template_values`

// ScanPass reads a row of PassColumns. timeDest gives the dialect's scan
// destination for a time column (SQLite keeps integer milliseconds).
func ScanPass(row Row, timeDest func(*time.Time) any) (*walletwallet.Pass, error) {
	var p walletwallet.Pass
	var share, tpl *string // NULL until given (both drivers scan NULL into a nil pointer)
	if err := row.Scan(&p.PassTypeID, &p.Serial, &p.AuthToken, &p.AccountID, &p.Request, &p.Hash,
		timeDest(&p.FirstIssued), timeDest(&p.LastModified), &p.Blob,
		&share, &p.Voided, &p.Devices, &p.Installs, &tpl, &p.TemplateRev, &p.Values); err != nil {
		return nil, err
	}
	if share != nil {
		p.ShareID = *share
	}
	if tpl != nil {
		p.TemplateID = *tpl
	}
	p.FirstIssued, p.LastModified = p.FirstIssued.UTC(), p.LastModified.UTC()
	return &p, nil
}

// AccountColumns are the columns ScanAccount reads, of accounts aliased a.
const AccountColumns = `a.id, a.email, a.org, a.plan, a.monthly_limit, a.created_at`

// ScanAccount reads a row of AccountColumns.
func ScanAccount(row Row, timeDest func(*time.Time) any) (*walletwallet.Account, error) {
	var a walletwallet.Account
	var plan string
	if err := row.Scan(&a.ID, &a.Email, &a.Org, &plan, &a.MonthlyLimit, timeDest(&a.CreatedAt)); err != nil {
		return nil, err
	}
	a.Plan = walletwallet.Plan(plan)
	a.CreatedAt = a.CreatedAt.UTC()
	return &a, nil
}

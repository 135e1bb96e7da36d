package rules

import (
	"time"

	"github.com/walletwallet/walletwallet"
)

// TemplateNotFound is the ENOTFOUND of a template lookup (missing or deleted).
func TemplateNotFound(id string) error {
	return walletwallet.Errorf(walletwallet.ENOTFOUND, "template %q not found", id)
}

// TemplateNotOwner is the EFORBIDDEN of a template write by another account.
func TemplateNotOwner(id string) error {
	return walletwallet.Errorf(walletwallet.EFORBIDDEN, "template %q belongs to another account", id)
}

// TemplateStale is the ECONFLICT of a write computed from a template
// revision that is no longer current.
func TemplateStale(id string) error { return walletwallet.ErrTemplateChanged }

// TemplateInUse is the ECONFLICT of deleting a template with active passes.
func TemplateInUse(id string, n int) error {
	return walletwallet.Errorf(walletwallet.ECONFLICT,
		"template %q still has %d active passes: void them (DELETE /api/passes/{serial}) before deleting it", id, n)
}

// StoredTemplate is what a write reads of a template, under its lock.
type StoredTemplate struct {
	Owner   int64
	Rev     int64
	Deleted bool
}

// DecideTemplateWrite applies the rules of a write computed from template
// revision rev by account (0 = any: a pass already made from it): missing
// or deleted is ENOTFOUND, another account's EFORBIDDEN, a moved-on
// revision ECONFLICT.
func DecideTemplateWrite(cur StoredTemplate, id string, account, rev int64) error {
	switch {
	case cur.Deleted:
		return TemplateNotFound(id)
	case account != 0 && cur.Owner != account:
		return TemplateNotOwner(id)
	case cur.Rev != rev:
		return TemplateStale(id)
	}
	return nil
}

// NextVersionMillis stamps a template pass's new version, as
// passes.NextVersionTime does one pass's: at, or the second after the
// previous version's second when at is not later (If-Modified-Since has
// whole seconds). Both in Unix milliseconds.
func NextVersionMillis(prev, at int64) int64 {
	floor := prev - prev%1000 + 1000
	if at < floor {
		return floor
	}
	return at
}

// NextVersion is NextVersionMillis on times.
func NextVersion(prev, at time.Time) time.Time {
	return time.UnixMilli(NextVersionMillis(Stamp(prev).UnixMilli(), Stamp(at).UnixMilli())).UTC()
}

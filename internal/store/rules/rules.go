// Package rules holds the decisions every walletwallet.Store backend makes
// the same way, written once above the SQL of each dialect: which keys can
// name a row at all, the errors the Store interface promises, how a version
// of a pass is stamped, and what a changed PUT does. The backends keep only
// what differs for a reason (SKIP LOCKED, NOTIFY, SQLite's single writer).
package rules

import (
	"github.com/walletwallet/walletwallet"
)

// PassKey reports whether a pass type id and serial can name a stored pass.
// A key no backend can store names nothing: lookups answer "not found"
// without a query (PostgreSQL would refuse it with an internal error).
func PassKey(passTypeID, serial string) bool { return walletwallet.Storable(passTypeID, serial) }

// CheckNewPass refuses a pass whose keys no backend can store.
func CheckNewPass(p *walletwallet.Pass) error {
	if !walletwallet.Storable(p.PassTypeID, p.Serial, p.AuthToken, p.Hash) {
		return walletwallet.Errorf(walletwallet.EINVALID, "pass identifiers must be valid UTF-8 without NUL bytes")
	}
	return nil
}

// CheckRegistration is the check before a Register touches the database:
// an unstorable pass key is an unknown pass (ENOTFOUND); an unstorable
// device id or push token is the client's mistake (EINVALID).
func CheckRegistration(r *walletwallet.Registration) error {
	if !PassKey(r.PassTypeID, r.Serial) {
		return PassNotFound(r.Serial)
	}
	if !walletwallet.Storable(r.DeviceID) {
		return walletwallet.Errorf(walletwallet.EINVALID, "deviceLibraryIdentifier must be valid UTF-8 without NUL bytes")
	}
	if !walletwallet.Storable(r.PushToken) {
		return walletwallet.Errorf(walletwallet.EINVALID, "pushToken must be valid UTF-8 without NUL bytes")
	}
	return nil
}

// CheckAsset refuses an asset key no backend can store.
func CheckAsset(a *walletwallet.Asset) error {
	if !walletwallet.Storable(a.Key) {
		return walletwallet.Errorf(walletwallet.EINVALID, "asset key must be valid UTF-8 without NUL bytes")
	}
	return nil
}

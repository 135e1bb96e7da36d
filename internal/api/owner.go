package api

import (
	"context"

	"github.com/walletwallet/walletwallet"
)

// ownedPass is the one rule for reaching a stored pass through the API: a
// serial that names no pass is 404, and another account's pass is 403
// (verb says what was refused, e.g. "update").
func (s *server) ownedPass(ctx context.Context, a *walletwallet.Account, serial, verb string) (*walletwallet.Pass, error) {
	notFound := walletwallet.Errorf(walletwallet.ENOTFOUND, "no pass with serial number %q", serial)
	if !walletwallet.ValidSerial(serial) {
		// Nothing of another shape was ever issued; asking the store could
		// only fail (PostgreSQL refuses NUL bytes and invalid UTF-8).
		return nil, notFound
	}
	p, err := s.Store.Pass(ctx, s.PassTypeID, serial)
	if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if p.AccountID != a.ID {
		// Deliberately generic: does not say whose pass it is.
		return nil, walletwallet.Errorf(walletwallet.EFORBIDDEN, "this API key may not %s serial number %q", verb, serial)
	}
	return p, nil
}

package api

import (
	"context"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// ownedPass is passes.Service.Owned: 404 for a serial naming no pass, 403
// for another account's (verb says what was refused, e.g. "update").
func (s *server) ownedPass(ctx context.Context, a *walletwallet.Account, serial, verb string) (*walletwallet.Pass, error) {
	return s.passes.Owned(ctx, a, serial, verb)
}

// slugOf is the Content-Disposition stem of a stored pass.
func slugOf(p *walletwallet.Pass) (string, error) {
	req, err := pkpass.Parse(p.Request)
	if err != nil {
		return "", err
	}
	return req.Slug(), nil
}

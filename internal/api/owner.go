package api

import (
	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// slugOf is the Content-Disposition stem of a stored pass.
func slugOf(p *walletwallet.Pass) (string, error) {
	req, err := pkpass.Parse(p.Request)
	if err != nil {
		return "", err
	}
	return req.Slug(), nil
}

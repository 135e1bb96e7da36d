// Package share serves a pass to its holder through a link the issuer can
// send instead of an attachment: GET /p/{shareId} is a small HTML page with
// an "Add to Apple Wallet" link and a QR code of the link for desktop
// visitors, GET /p/{shareId}/pass.pkpass the current signed pass. Neither
// needs a key: the share id, random and unguessable, is the credential,
// which is why it is derived from neither the serial nor the device token.
package share

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// Store finds a pass by its share id (ENOTFOUND when none).
type Store interface {
	PassByShareID(ctx context.Context, shareID string) (*walletwallet.Pass, error)
}

// Blobs returns the signed .pkpass of a pass's current version, rebuilding
// it when the store holds none.
type Blobs interface {
	Current(ctx context.Context, p *walletwallet.Pass) ([]byte, error)
}

// Accounts resolves the account default organizationName.
type Accounts interface {
	Account(ctx context.Context, id int64) (*walletwallet.Account, error)
}

// Options wires the share routes.
type Options struct {
	Store    Store
	Blobs    Blobs
	Accounts Accounts // nil: no account default
	// PublicURL is WW_PUBLIC_URL (no trailing slash).
	PublicURL string
	// DefaultOrg is WW_DEFAULT_ORG.
	DefaultOrg string
	Logger     *slog.Logger
}

// Routes of the share link.
const (
	RoutePage = "/p/{shareID}"
	RoutePass = "/p/{shareID}/pass.pkpass"
)

// URL is the share link of a share id.
func URL(publicURL, shareID string) string { return publicURL + "/p/" + shareID }

type server struct{ Options }

// Register adds the share routes to rt.
func Register(rt *jsonhttp.Router, o Options) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &server{o}
	rt.Handle(http.MethodGet, RoutePage, jsonhttp.HandlerFunc(s.page))
	rt.Handle(http.MethodGet, RoutePass, jsonhttp.HandlerFunc(s.download))
}

var errGone = walletwallet.Errorf(walletwallet.ENOTFOUND, "no pass behind this link")

func (s *server) lookup(r *http.Request) (*walletwallet.Pass, error) {
	id := r.PathValue("shareID")
	if !walletwallet.ValidShareID(id) {
		return nil, errGone
	}
	p, err := s.Store.PassByShareID(r.Context(), id)
	if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND {
		return nil, errGone
	}
	return p, err
}

// securityHeaders: the page runs no script and loads nothing but the
// dashboard's stylesheet and icon from this origin and its own QR image;
// nobody may frame it.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self' data:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

func (s *server) page(w http.ResponseWriter, r *http.Request) error {
	p, err := s.lookup(r)
	if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND {
		return s.writePage(w, http.StatusNotFound, notFoundPage)
	}
	if err != nil {
		return err
	}
	req, err := pkpass.Parse(p.Request)
	if err != nil {
		return err
	}
	org, err := s.organization(r.Context(), p, req)
	if err != nil {
		return err
	}
	link := URL(s.PublicURL, p.ShareID)
	body, err := Render(Page{
		LogoText:     req.LogoText,
		Organization: org,
		Description:  description(req),
		URL:          link,
		PassURL:      link + "/pass.pkpass",
		Voided:       p.Voided,
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if p.Voided {
		status = http.StatusGone
	}
	return s.writePage(w, status, body)
}

var notFoundPage = []byte(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pass not found</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><main class="share"><div class="pass-card"><h1>Pass not found</h1>
<p>This link does not lead to a pass. Check that you copied all of it.</p></div></main></body></html>
`)

func (s *server) writePage(w http.ResponseWriter, status int, body []byte) error {
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
	return nil
}

func (s *server) download(w http.ResponseWriter, r *http.Request) error {
	p, err := s.lookup(r)
	if err != nil {
		return err
	}
	if p.Voided {
		return &walletwallet.Error{Code: walletwallet.EGONE, Message: "this pass is no longer valid"}
	}
	req, err := pkpass.Parse(p.Request)
	if err != nil {
		return err
	}
	blob, err := s.Blobs.Current(r.Context(), p)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.apple.pkpass")
	h.Set("Content-Disposition", `attachment; filename="`+req.Slug()+`.pkpass"`)
	h.Set("Content-Length", strconv.Itoa(len(blob)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(blob)
	return nil
}

// organization is what the pass shows as its issuer: the request's, the
// account's default, WW_DEFAULT_ORG, in that order (as pass.json does).
func (s *server) organization(ctx context.Context, p *walletwallet.Pass, req *pkpass.Request) (string, error) {
	if req.OrganizationName != "" {
		return req.OrganizationName, nil
	}
	if s.Accounts != nil {
		a, err := s.Accounts.Account(ctx, p.AccountID)
		if err != nil {
			return "", err
		}
		if a.Org != "" {
			return a.Org, nil
		}
	}
	if s.DefaultOrg != "" {
		return s.DefaultOrg, nil
	}
	return pkpass.DefaultOrganization, nil
}

func description(req *pkpass.Request) string {
	for _, s := range []string{req.Description, req.LogoText, req.Title} {
		if s != "" {
			return s
		}
	}
	return "Pass"
}

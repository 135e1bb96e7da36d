package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/pkpass"
	"github.com/walletwallet/walletwallet/internal/preview"
)

// previewSlots bounds concurrent renders: each holds a full-size bitmap
// (about 2 MiB) and a core for ~10 ms, and previews are asked per keystroke.
var previewSlots = make(chan struct{}, 4)

// previewSide reads ?side=; any other query parameter is refused, as
// unknown body fields are.
func previewSide(r *http.Request) (preview.Side, error) {
	q := r.URL.Query()
	for k := range q {
		if k != "side" {
			return 0, walletwallet.Errorf(walletwallet.EINVALID, "unknown query parameter %q: only side=front|back", k)
		}
	}
	if len(q["side"]) > 1 {
		return 0, walletwallet.Errorf(walletwallet.EINVALID, "side must be given once")
	}
	side, ok := preview.ParseSide(q.Get("side"))
	if !ok {
		return 0, walletwallet.Errorf(walletwallet.EINVALID, "side must be one of: front, back")
	}
	return side, nil
}

// postPreview draws a request body as a POST would issue it; it stores and
// counts nothing.
func (s *server) postPreview(w http.ResponseWriter, r *http.Request) error {
	side, err := previewSide(r)
	if err != nil {
		return err
	}
	now := s.Now()
	a, req, _, _, err := s.parseRequest(w, r, now)
	if err != nil {
		return err
	}
	// The serial and token only fill pass.json's required keys; they are
	// never drawn.
	m := issuer.Meta{Serial: "preview", AuthToken: issuer.NewAuthToken(), FirstIssued: now.UTC(), AccountOrg: a.Org}
	return s.renderPreview(w, r.Context(), req, m, side)
}

// passPreview draws the stored current version of a pass.
func (s *server) passPreview(w http.ResponseWriter, r *http.Request) error {
	side, err := previewSide(r)
	if err != nil {
		return err
	}
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	p, err := s.ownedPass(ctx, a, r.PathValue("serial"), "preview")
	if err != nil {
		return err
	}
	if len(p.Blob) > 0 {
		// The signed bundle is exactly what devices hold.
		pass, err := preview.FromBundle(p.Blob)
		if err != nil {
			return err
		}
		return s.writePreview(w, ctx, pass, side)
	}
	req, err := pkpass.Parse(p.Request)
	if err != nil {
		return fmt.Errorf("stored request of %s no longer parses: %w", p.Serial, err)
	}
	return s.renderPreview(w, ctx, req, issuer.Meta{Serial: p.Serial, AuthToken: p.AuthToken, FirstIssued: p.FirstIssued, AccountOrg: a.Org}, side)
}

func (s *server) renderPreview(w http.ResponseWriter, ctx context.Context, req *pkpass.Request, m issuer.Meta, side preview.Side) error {
	files, err := s.Builder.Contents(ctx, req, m)
	if err != nil {
		return err
	}
	pass := &preview.Pass{Files: make(map[string][]byte, len(files))}
	for _, f := range files {
		if f.Name == "pass.json" {
			pass.JSON = f.Data
		} else {
			pass.Files[f.Name] = f.Data
		}
	}
	return s.writePreview(w, ctx, pass, side)
}

func (s *server) writePreview(w http.ResponseWriter, ctx context.Context, pass *preview.Pass, side preview.Side) error {
	select {
	case previewSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	png, err := preview.Render(pass, side)
	<-previewSlots
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(png)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(png)
	return nil
}

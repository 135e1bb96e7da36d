package passes

import (
	"context"
	"fmt"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/pkpass"
	"github.com/walletwallet/walletwallet/internal/preview"
)

// previewSlots bounds concurrent renders: each holds a full-size bitmap
// (about 2 MiB) and a core for ~10 ms, and previews are asked per keystroke.
var previewSlots = make(chan struct{}, 4)

// ParseSide reads the side of a preview: "" or "front", or "back".
func ParseSide(s string) (preview.Side, error) {
	side, ok := preview.ParseSide(s)
	if !ok {
		return 0, walletwallet.Errorf(walletwallet.EINVALID, "side must be one of: front, back")
	}
	return side, nil
}

// Preview draws a request body as a PNG, as Create would issue it for a
// (same validation and plan gate); it stores and counts nothing.
func (s *Service) Preview(ctx context.Context, a *walletwallet.Account, body []byte, side preview.Side) ([]byte, error) {
	now := s.Now()
	req, _, _, err := parse(a, body, now)
	if err != nil {
		return nil, err
	}
	// The serial and token only fill pass.json's required keys; they are
	// never drawn.
	m := issuer.Meta{Serial: "preview", AuthToken: issuer.NewAuthToken(), FirstIssued: now.UTC(), AccountOrg: a.Org}
	return s.render(ctx, req, m, side)
}

// PreviewPass draws the current version of the caller's stored pass.
func (s *Service) PreviewPass(ctx context.Context, a *walletwallet.Account, serial string, side preview.Side) ([]byte, error) {
	p, err := s.Owned(ctx, a, serial, "preview")
	if err != nil {
		return nil, err
	}
	if len(p.Blob) > 0 {
		// The signed bundle is exactly what devices hold.
		pass, err := preview.FromBundle(p.Blob)
		if err != nil {
			return nil, err
		}
		return draw(ctx, pass, side)
	}
	req, err := pkpass.Parse(p.Request)
	if err != nil {
		return nil, fmt.Errorf("stored request of %s no longer parses: %w", p.Serial, err)
	}
	return s.render(ctx, req, issuer.Meta{Serial: p.Serial, AuthToken: p.AuthToken, FirstIssued: p.FirstIssued, AccountOrg: a.Org}, side)
}

// render draws what the builder would put in the bundle, unsigned.
func (s *Service) render(ctx context.Context, req *pkpass.Request, m issuer.Meta, side preview.Side) ([]byte, error) {
	files, err := s.Builder.Contents(ctx, req, m)
	if err != nil {
		return nil, err
	}
	pass := &preview.Pass{Files: make(map[string][]byte, len(files))}
	for _, f := range files {
		if f.Name == "pass.json" {
			pass.JSON = f.Data
		} else {
			pass.Files[f.Name] = f.Data
		}
	}
	return draw(ctx, pass, side)
}

func draw(ctx context.Context, pass *preview.Pass, side preview.Side) ([]byte, error) {
	select {
	case previewSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-previewSlots }()
	return preview.Render(pass, side)
}

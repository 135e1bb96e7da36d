package passes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/pkpass"
	"github.com/walletwallet/walletwallet/internal/placeholder"
)

// TemplateUpdated is the outcome of a template change.
type TemplateUpdated struct {
	ID              string
	UpdatedPasses   int
	NotifiedDevices int
}

// ReplaceTemplate replaces the design, name and defaults (PUT).
func (s *Service) ReplaceTemplate(ctx context.Context, a *walletwallet.Account, id string, body []byte) (*TemplateUpdated, error) {
	return s.changeTemplate(ctx, a, id, func(*TemplateView) ([]byte, error) { return body, nil }, false)
}

// PatchTemplate merge-patches {"name", "pass", "defaults"} (PATCH).
func (s *Service) PatchTemplate(ctx context.Context, a *walletwallet.Account, id string, patch []byte) (*TemplateUpdated, error) {
	return s.changeTemplate(ctx, a, id, func(v *TemplateView) ([]byte, error) { return patchedTemplate(v, patch) }, true)
}

// changeTemplate is the one path of a template change. It answers without
// signing anything: every active pass is rehashed (render and SHA-256, no
// decoding), and the store gives those whose hash changes a new version
// without a blob, counted all or nothing, with one fan-out job over their
// devices. Each is signed when a device or caller first asks for it.
func (s *Service) changeTemplate(ctx context.Context, a *walletwallet.Account, id string, body func(*TemplateView) ([]byte, error), patched bool) (*TemplateUpdated, error) {
	for attempt := 0; ; attempt++ {
		now := s.Now()
		v, err := s.OwnedTemplate(ctx, a, id)
		if err != nil {
			return nil, err
		}
		b, err := body(v)
		if err != nil {
			return nil, err
		}
		plan := a.EffectivePlan(now)
		tb, err := parseTemplate(a, b, plan)
		if err != nil {
			if patched {
				return nil, afterPatch(err)
			}
			return nil, err
		}
		// Each pass was validated with its values when it was made or its
		// values changed. If every string holding a placeholder is as it
		// was, and so are the fields the value rules depend on, the design
		// check above covers the new version too; otherwise each changed
		// pass is validated with its values (about 50 µs a pass).
		full := !sameValueContext(v.Design, tb.design)
		change := &walletwallet.TemplateChange{
			ID: id, AccountID: a.ID, PrevRev: v.Rev, Name: tb.name,
			Design: tb.design.Canonical(), Defaults: placeholder.EncodeValues(tb.defaults), At: now,
			Rehash: func(serial string, stored []byte) (string, error) {
				look, err := placeholder.WithStored(stored, tb.defaults)
				if err != nil {
					return "", err
				}
				rendered, hash, err := tb.design.Render(look)
				var miss *placeholder.MissingError
				if errors.As(err, &miss) {
					return "", refusal{invalidf("placeholder {{%s}} has no default and pass %s has no value for it: give it a default in defaults, or set the pass's value first",
						miss.Name, serial)}
				}
				if err != nil || !full {
					return hash, err
				}
				req, err := pkpass.Parse(rendered)
				if err == nil {
					err = req.CheckPlan(plan)
				}
				if err != nil {
					return "", refusal{invalidf("pass %s would break a rule with the new design: %v", serial, err)}
				}
				return hash, nil
			},
		}
		res, err := s.Templates.UpdateTemplate(ctx, change, walletwallet.Quota{Month: walletwallet.Month(now), Limit: a.Limit(now)})
		var ref refusal
		switch {
		case err == nil:
		case errors.As(err, &ref):
			return nil, ref.error
		case errors.Is(err, walletwallet.ErrTemplateChanged) && attempt < 5:
			continue
		case walletwallet.ErrorCode(err) == walletwallet.EQUOTA:
			return nil, QuotaError(now)
		case walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND:
			return nil, walletwallet.Errorf(walletwallet.ENOTFOUND, "no template with id %q", id)
		default:
			return nil, err
		}
		if s.Counts != nil {
			for range res.UpdatedPasses {
				s.Counts.PassUpdated()
			}
		}
		return &TemplateUpdated{ID: id, UpdatedPasses: res.UpdatedPasses, NotifiedDevices: res.NotifiedDevices}, nil
	}
}

// refusal marks an error of a change's Rehash that the caller must fix (a
// pass the new design cannot render or would make invalid), as opposed to
// the store's own failures. The store runs Rehash on several goroutines,
// so the error travels in the value returned, not in a shared variable.
type refusal struct{ error }

func (r refusal) Unwrap() error { return r.error }

// valueContext are the design members that value rules depend on besides
// the value's own field.
var valueContext = []string{"barcodeFormat", "style"}

// sameValueContext reports whether a pass valid under old with its values
// is valid under new when new passed the design check: the same strings
// hold placeholders, with the same text, and the members in valueContext
// are equal.
func sameValueContext(old, new *placeholder.Design) bool {
	if !slices.Equal(old.Strings(), new.Strings()) {
		return false
	}
	var o, n map[string]json.RawMessage
	if json.Unmarshal(old.Canonical(), &o) != nil || json.Unmarshal(new.Canonical(), &n) != nil {
		return false
	}
	for _, k := range valueContext {
		if !bytes.Equal(o[k], n[k]) {
			return false
		}
	}
	return true
}

package passes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/placeholder"
)

// Folding a template revision into its passes. A template change answers
// after storing the design and counting the passes it changes; the pass
// rows (hash, stamp, blob, event) follow in batches (the template-push
// job, which pushes each batch's devices after folding it), and a read of
// a pass the job has not reached yet folds that pass first. So no caller
// sees a pass's old version after the change's 200, and a device is only
// told of a pass whose row already has the new version.

// Folder is the part of walletwallet.Store folding needs.
type Folder interface {
	TemplateSource
	FoldTemplate(ctx context.Context, f *walletwallet.TemplateFold) (*walletwallet.TemplateFoldResult, error)
}

// Now is the folds' clock (nil: time.Now); a fold's stamps are never
// before the revision's own time.
func (r *Renderer) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// fold runs f with the template's current design, again when the template
// moves on meanwhile.
func (r *Renderer) fold(ctx context.Context, f walletwallet.TemplateFold) (*walletwallet.TemplateFoldResult, error) {
	st, ok := r.store.(Folder)
	if !ok {
		return nil, errors.New("passes: the template store cannot fold")
	}
	for attempt := 0; ; attempt++ {
		t, err := r.store.Template(ctx, f.TemplateID)
		if err != nil {
			return nil, err
		}
		c, err := r.compile(t)
		if err != nil {
			return nil, err
		}
		f.Rev, f.At = t.Rev, r.now()
		if f.At.Before(t.UpdatedAt) {
			f.At = t.UpdatedAt
		}
		f.Rehash = func(serial string, stored []byte) (string, error) {
			look, err := placeholder.WithStored(stored, c.defaults)
			if err != nil {
				return "", err
			}
			_, hash, err := c.design.Render(look)
			if err != nil {
				return "", fmt.Errorf("pass %s no longer renders from template %s: %w", serial, f.TemplateID, err)
			}
			return hash, nil
		}
		res, err := st.FoldTemplate(ctx, &f)
		if errors.Is(err, walletwallet.ErrTemplateChanged) && attempt < 5 {
			continue
		}
		return res, err
	}
}

// FoldBatch folds the next limit active passes of the template after
// serial after (see walletwallet.TemplateFold).
func (r *Renderer) FoldBatch(ctx context.Context, templateID, passTypeID, after string, limit int) (*walletwallet.TemplateFoldResult, error) {
	return r.fold(ctx, walletwallet.TemplateFold{TemplateID: templateID, PassTypeID: passTypeID, After: after, Limit: limit})
}

// Fresh returns the pass read gives, folded first when its template has
// moved on since its version (read is called again then).
func (r *Renderer) Fresh(ctx context.Context, read func() (*walletwallet.Pass, error)) (*walletwallet.Pass, error) {
	p, err := read()
	if err != nil || p.TemplateID == "" || p.Voided {
		return p, err
	}
	t, err := r.store.Template(ctx, p.TemplateID)
	if err != nil {
		return nil, fmt.Errorf("template %s of pass %s: %w", p.TemplateID, p.Serial, err)
	}
	if p.TemplateRev >= t.Rev {
		return p, nil
	}
	if _, err := r.fold(ctx, walletwallet.TemplateFold{TemplateID: p.TemplateID, PassTypeID: p.PassTypeID, Serial: p.Serial}); err != nil {
		return nil, err
	}
	return read()
}

// PassReader reads passes by type and serial (the web service's store).
type PassReader interface {
	Pass(ctx context.Context, passTypeID, serial string) (*walletwallet.Pass, error)
}

// FreshPass is Fresh over st.Pass.
func (r *Renderer) FreshPass(ctx context.Context, st PassReader, passTypeID, serial string) (*walletwallet.Pass, error) {
	return r.Fresh(ctx, func() (*walletwallet.Pass, error) { return st.Pass(ctx, passTypeID, serial) })
}

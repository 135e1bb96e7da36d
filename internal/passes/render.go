package passes

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/placeholder"
)

// TemplateSource is the part of walletwallet.Store a Renderer reads.
type TemplateSource interface {
	Template(ctx context.Context, id string) (*walletwallet.Template, error)
}

// Renderer gives a template pass its current body: the template's design
// rendered with the pass's values and the template's defaults. Every path
// that reads a pass's body (downloads, device fetches, the share page, the
// API's reads, void) goes through Resolve, so a template change needs to
// write no body: 100,000 passes change by a hash and a stamp each.
type Renderer struct {
	// Now is the clock of folds (nil: time.Now).
	Now   func() time.Time
	store TemplateSource
	mu    sync.Mutex
	// designs caches compiled designs by id and revision (a revision's
	// design never changes); bounded by dropping everything when full.
	designs map[string]*compiled
}

// compiled is a template revision ready to render.
type compiled struct {
	design   *placeholder.Design
	defaults map[string]string
}

const maxCachedDesigns = 256

// NewRenderer returns a Renderer reading templates from st.
func NewRenderer(st TemplateSource) *Renderer {
	return &Renderer{store: st, designs: map[string]*compiled{}}
}

// compile returns t's compiled design, from the cache when it was seen.
func (r *Renderer) compile(t *walletwallet.Template) (*compiled, error) {
	key := t.ID + "@" + strconv.FormatInt(t.Rev, 10)
	r.mu.Lock()
	c := r.designs[key]
	r.mu.Unlock()
	if c != nil {
		return c, nil
	}
	d, err := placeholder.Compile(t.Design)
	if err != nil {
		return nil, fmt.Errorf("stored design of template %s: %w", t.ID, err)
	}
	defaults, err := placeholder.ParseValues(t.Defaults)
	if err != nil {
		return nil, err
	}
	c = &compiled{design: d, defaults: defaults}
	r.mu.Lock()
	if len(r.designs) >= maxCachedDesigns {
		r.designs = map[string]*compiled{}
	}
	r.designs[key] = c
	r.mu.Unlock()
	return c, nil
}

// Resolve sets p.Request to the pass's current body when p was made from a
// template; other passes are left as they are.
func (r *Renderer) Resolve(ctx context.Context, p *walletwallet.Pass) error {
	if p.TemplateID == "" {
		return nil
	}
	t, err := r.store.Template(ctx, p.TemplateID)
	if err != nil {
		return fmt.Errorf("template %s of pass %s: %w", p.TemplateID, p.Serial, err)
	}
	c, err := r.compile(t)
	if err != nil {
		return err
	}
	look, err := placeholder.WithStored(p.Values, c.defaults)
	if err != nil {
		return err
	}
	body, _, err := c.design.Render(look)
	if err != nil {
		return fmt.Errorf("pass %s no longer renders from template %s: %w", p.Serial, p.TemplateID, err)
	}
	p.Request = body
	return nil
}

// Rebuilder signs a stored pass from its body (issuer.Issuer).
type Rebuilder interface {
	Rebuild(ctx context.Context, p *walletwallet.Pass) ([]byte, error)
}

// Rebuilder wraps inner so that a template pass is signed from its current
// body (passblob.Source signs with it lazily, once per version).
func (r *Renderer) Rebuilder(inner Rebuilder) Rebuilder { return rebuilder{r, inner} }

type rebuilder struct {
	r     *Renderer
	inner Rebuilder
}

func (b rebuilder) Rebuild(ctx context.Context, p *walletwallet.Pass) ([]byte, error) {
	if p.TemplateID != "" {
		c := *p
		if err := b.r.Resolve(ctx, &c); err != nil {
			return nil, err
		}
		p = &c
	}
	return b.inner.Rebuild(ctx, p)
}

// ShareStore is what the share page reads passes from.
type ShareStore interface {
	PassByShareID(ctx context.Context, shareID string) (*walletwallet.Pass, error)
}

// ShareStore wraps st so that the passes it returns carry their current body.
func (r *Renderer) ShareStore(st ShareStore) ShareStore { return shareStore{r, st} }

type shareStore struct {
	r  *Renderer
	st ShareStore
}

func (s shareStore) PassByShareID(ctx context.Context, id string) (*walletwallet.Pass, error) {
	p, err := s.r.Fresh(ctx, func() (*walletwallet.Pass, error) { return s.st.PassByShareID(ctx, id) })
	if err != nil {
		return nil, err
	}
	return p, s.r.Resolve(ctx, p)
}

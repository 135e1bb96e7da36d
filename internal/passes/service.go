// Package passes holds the operations on a pass that every face of the
// product offers: create (one, or a bundle, idempotently), read, list,
// replace, merge-patch and void. The HTTP API, the MCP tools and the
// dashboard all call these functions, so a rule lives here once and no face
// can accept what another refuses. It knows nothing of HTTP.
package passes

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// Store is the part of walletwallet.Store the operations use.
type Store interface {
	Usage(ctx context.Context, accountID int64, month string) (int64, error)
	CreatePasses(ctx context.Context, ps []*walletwallet.Pass, q walletwallet.Quota, done *walletwallet.IdempotencyDone) error
	Pass(ctx context.Context, passTypeID, serial string) (*walletwallet.Pass, error)
	UpdatePass(ctx context.Context, u *walletwallet.PassUpdate, q walletwallet.Quota) (*walletwallet.UpdateResult, error)
	VoidPass(ctx context.Context, v *walletwallet.PassVoid) (*walletwallet.VoidResult, error)
	ListPasses(ctx context.Context, q walletwallet.PassQuery) ([]walletwallet.PassSummary, error)
	SetBlob(ctx context.Context, passTypeID, serial string, lastModified time.Time, blob []byte) error
	ClaimIdempotency(ctx context.Context, c *walletwallet.IdempotencyClaim) (*walletwallet.IdempotencyRecord, error)
	ReleaseIdempotency(ctx context.Context, accountID int64, key, token string) error
}

// Builder signs passes, or lists what a bundle would hold for the preview
// (issuer.Issuer).
type Builder interface {
	Build(ctx context.Context, req *pkpass.Request, m issuer.Meta) ([]byte, error)
	Rebuild(ctx context.Context, p *walletwallet.Pass) ([]byte, error)
	Contents(ctx context.Context, req *pkpass.Request, m issuer.Meta) ([]pkpass.File, error)
}

// Blobs gives the signed .pkpass of a stored version.
type Blobs interface {
	Current(ctx context.Context, p *walletwallet.Pass) ([]byte, error)
}

// Options wires a Service.
type Options struct {
	Store   Store
	Builder Builder
	// Blobs, when set, gives the current signed pass (passblob.Source, which
	// shares one rebuild among concurrent callers); nil rebuilds here.
	Blobs      Blobs
	PassTypeID string
	// PublicURL is WW_PUBLIC_URL without the trailing slash; share links start with it.
	PublicURL string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Counts, if set, is told of every created pass and new version
	// (internal/metrics).
	Counts Counts
	// Templates stores templates; nil leaves them out (every template
	// operation would fail).
	Templates TemplateStore
	// Renderer gives template passes their current body; nil makes one
	// reading from Templates.
	Renderer *Renderer
}

// Counts records pass operations that took effect.
type Counts interface {
	PassesCreated(n int)
	PassUpdated()
}

// Service performs the operations for one pass type.
type Service struct {
	Options
	// locks serialize writes to one pass in this process (see update).
	locks [256]sync.Mutex
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Templates == nil {
		if ts, ok := o.Store.(TemplateStore); ok {
			o.Templates = ts
		}
	}
	if o.Renderer == nil && o.Templates != nil {
		o.Renderer = NewRenderer(o.Templates)
		o.Renderer.Now = o.Now
	}
	return &Service{Options: o}
}

// ShareURL is the public link of a pass.
func (s *Service) ShareURL(p *walletwallet.Pass) string {
	return s.PublicURL + "/p/" + p.ShareID
}

// Owned is the one rule for reaching a stored pass: a serial that names no
// pass is ENOTFOUND, another account's pass EFORBIDDEN (verb says what was
// refused, e.g. "update").
func (s *Service) Owned(ctx context.Context, a *walletwallet.Account, serial, verb string) (*walletwallet.Pass, error) {
	notFound := walletwallet.Errorf(walletwallet.ENOTFOUND, "no pass with serial number %q", serial)
	if !walletwallet.ValidSerial(serial) {
		// Nothing of another shape was ever issued; asking the store could
		// only fail (PostgreSQL refuses NUL bytes and invalid UTF-8).
		return nil, notFound
	}
	read := func() (*walletwallet.Pass, error) { return s.Store.Pass(ctx, s.PassTypeID, serial) }
	var p *walletwallet.Pass
	var err error
	if s.Renderer != nil {
		// A template pass behind its template is folded first, so no read
		// after a template change's answer sees the old version.
		p, err = s.Renderer.Fresh(ctx, read)
	} else {
		p, err = read()
	}
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
	if p.TemplateID != "" {
		if err := s.Renderer.Resolve(ctx, p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Get returns the caller's pass.
func (s *Service) Get(ctx context.Context, a *walletwallet.Account, serial string) (*walletwallet.Pass, error) {
	return s.Owned(ctx, a, serial, "read")
}

// Blob returns the signed .pkpass of the pass's current version,
// rebuilding (and storing) it when the store holds none.
func (s *Service) Blob(ctx context.Context, p *walletwallet.Pass) ([]byte, error) {
	if p.Blob != nil {
		return p.Blob, nil
	}
	if s.Blobs != nil {
		return s.Blobs.Current(ctx, p)
	}
	b, err := s.Builder.Rebuild(ctx, p)
	if err != nil {
		return nil, err
	}
	// Failing to keep it only means the next download rebuilds again.
	_ = s.Store.SetBlob(ctx, p.PassTypeID, p.Serial, p.LastModified, b)
	return b, nil
}

// Current is Blob under the name the share pages look for.
func (s *Service) Current(ctx context.Context, p *walletwallet.Pass) ([]byte, error) {
	return s.Blob(ctx, p)
}

// QuotaError is the EQUOTA answer with the members the API page documents.
func QuotaError(now time.Time) error {
	reset := walletwallet.NextMonthStart(now).Format("2006-01-02")
	return &walletwallet.Error{
		Code:    walletwallet.EQUOTA,
		Message: "Rate limit exceeded",
		Extra: map[string]string{
			"resetDate": reset,
			"message":   "Monthly limit reached. Resets on " + reset,
		},
	}
}

// checkQuota is a cheap early refusal before the expensive signatures (n of
// them); the store's atomic check in the write transaction is the one that counts.
func (s *Service) checkQuota(ctx context.Context, a *walletwallet.Account, now time.Time, n int) (walletwallet.Quota, error) {
	q := walletwallet.Quota{Month: walletwallet.Month(now), Limit: a.Limit(now)}
	used, err := s.Store.Usage(ctx, a.ID, q.Month)
	if err != nil {
		return q, err
	}
	if used+int64(n) > q.Limit {
		return q, QuotaError(now)
	}
	return q, nil
}

// parse validates a body and applies the account's plan gate.
func parse(a *walletwallet.Account, body []byte, now time.Time) (*pkpass.Request, []byte, string, error) {
	req, canon, hash, err := pkpass.ParseCanonical(body)
	if err != nil {
		return nil, nil, "", err
	}
	if err := req.CheckPlan(a.EffectivePlan(now)); err != nil {
		return nil, nil, "", err
	}
	return req, canon, hash, nil
}

// inEntry puts the bundle entry before a client error's message, keeping
// its code: "passes[2].barcodeValue is required…" when the message starts
// with a field name, "passes[2]: At least one of…" otherwise. Other errors
// pass unchanged.
func inEntry(i int, err error) error {
	e, ok := err.(*walletwallet.Error)
	if !ok {
		return err
	}
	c := *e
	if m := e.Message; m != "" && m[0] >= 'a' && m[0] <= 'z' {
		c.Message = fmt.Sprintf("passes[%d].%s", i, m)
	} else {
		c.Message = fmt.Sprintf("passes[%d]: %s", i, m)
	}
	return &c
}

package passes

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/mergepatch"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// Updated is the outcome of a PUT, a PATCH or a void.
type Updated struct {
	Serial          string
	LastModified    time.Time
	NotifiedDevices int
	Unchanged       bool
}

// Update replaces the pass's body (PUT): validated exactly like a POST;
// an unchanged body is a free no-op, a changed one counts and is pushed.
func (s *Service) Update(ctx context.Context, a *walletwallet.Account, serial string, body []byte) (*Updated, error) {
	now := s.Now()
	req, canon, hash, err := parse(a, body, now)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, a, serial, now, func(p *walletwallet.Pass) (*version, error) {
		if p.TemplateID != "" {
			return nil, ErrTemplatePass
		}
		return &version{req: req, canon: canon, hash: hash}, nil
	})
}

// ErrTemplatePass refuses a whole-body PUT of a template pass: its body is
// the template's, rendered with its values.
var ErrTemplatePass = walletwallet.Errorf(walletwallet.ECONFLICT,
	`this pass was made from a template, so its body is the template's design with its values: `+
		`change its values with PATCH {"values": {…}}, or the design with PUT or PATCH /api/templates/{id}`)

// serverOwned are the members a body may never carry; a patch naming them
// is refused before merging, with the message the API page gives.
var serverOwned = []string{"serialNumber", "authenticationToken"}

// Patch applies an RFC 7396 merge patch to the stored body; the result is
// validated exactly like a POST and then is an Update of it.
func (s *Service) Patch(ctx context.Context, a *walletwallet.Account, serial string, patch []byte) (*Updated, error) {
	now := s.Now()
	pv, err := mergepatch.Decode(patch)
	if err != nil {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "malformed merge patch: %v", err)
	}
	pm, ok := pv.(map[string]any)
	if !ok {
		// RFC 7396 lets a non-object replace the whole document, which can
		// never be a valid body: say so instead of a confusing message.
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "a merge patch must be a JSON object of the members to change")
	}
	for _, k := range serverOwned {
		if _, ok := pm[k]; ok {
			return nil, walletwallet.Errorf(walletwallet.EINVALID, "%s is server-owned and cannot be set by a patch", k)
		}
	}
	return s.update(ctx, a, serial, now, func(p *walletwallet.Pass) (*version, error) {
		if p.TemplateID != "" {
			return s.valuesPatch(ctx, a, p, pm, now)
		}
		merged, err := mergepatch.Apply(p.Request, patch)
		if err != nil {
			return nil, err // the stored body always parses
		}
		req, canon, hash, err := parse(a, merged, now)
		if err != nil {
			return nil, afterPatch(err)
		}
		return &version{req: req, canon: canon, hash: hash}, nil
	})
}

// afterPatch says that a rule was broken by the merged body, which holds
// fields the patch did not name.
func afterPatch(err error) error {
	var e *walletwallet.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Message = e.Message + " (in the body after applying the merge patch)"
	return &c
}

// Void withdraws the pass: a re-signed version with "voided": true,
// pushed to every device; never counted. A second void changes nothing.
func (s *Service) Void(ctx context.Context, a *walletwallet.Account, serial string) (*Updated, error) {
	mu := s.lock(serial)
	mu.Lock()
	defer mu.Unlock()
	now := s.Now()
	for attempt := 0; ; attempt++ {
		p, err := s.Owned(ctx, a, serial, "void")
		if err != nil {
			return nil, err
		}
		if p.Voided {
			return &Updated{Serial: serial, LastModified: p.LastModified}, nil
		}
		req, err := pkpass.Parse(p.Request)
		if err != nil {
			return nil, err
		}
		blob, err := s.Builder.Build(ctx, req, issuer.Meta{Serial: p.Serial, AuthToken: p.AuthToken, FirstIssued: p.FirstIssued, AccountOrg: a.Org, Voided: true})
		if err != nil {
			return nil, err
		}
		res, err := s.Store.VoidPass(ctx, &walletwallet.PassVoid{
			PassTypeID: s.PassTypeID, Serial: serial, AccountID: a.ID, PrevHash: p.Hash,
			LastModified: NextVersionTime(p.LastModified, now), Blob: blob,
		})
		if walletwallet.ErrorCode(err) == walletwallet.ECONFLICT && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, err
		}
		if res.AlreadyVoided {
			return &Updated{Serial: serial, LastModified: res.LastModified}, nil
		}
		if s.Counts != nil {
			s.Counts.PassUpdated()
		}
		return &Updated{Serial: serial, LastModified: res.LastModified, NotifiedDevices: res.NotifiedDevices}, nil
	}
}

// version is a new body of a pass; values and rev are a template pass's.
type version struct {
	req    *pkpass.Request
	canon  []byte
	hash   string
	values []byte
	rev    int64
}

// nextBody computes the new body from the current version of the pass.
type nextBody func(p *walletwallet.Pass) (*version, error)

// update is the one path of every change to a pass's body.
func (s *Service) update(ctx context.Context, a *walletwallet.Account, serial string, now time.Time, next nextBody) (*Updated, error) {
	// Writes to one pass are serialized in this process, so they do not
	// race each other into the store's stale check (each attempt signs a
	// pass). A write on another instance can still change the pass between
	// our read and our write: the store then says ECONFLICT and we start over.
	mu := s.lock(serial)
	mu.Lock()
	defer mu.Unlock()
	for attempt := 0; ; attempt++ {
		ans, err := s.updateOnce(ctx, a, serial, now, next)
		if walletwallet.ErrorCode(err) == walletwallet.ECONFLICT && !errors.Is(err, walletwallet.ErrPassVoided) &&
			!errors.Is(err, ErrTemplatePass) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return ans, nil
	}
}

func (s *Service) updateOnce(ctx context.Context, a *walletwallet.Account, serial string, now time.Time, next nextBody) (*Updated, error) {
	p, err := s.Owned(ctx, a, serial, "update")
	if err != nil {
		return nil, err
	}
	if p.Voided {
		return nil, walletwallet.ErrPassVoided
	}
	v, err := next(p)
	if err != nil {
		return nil, err
	}
	req, canon, hash := v.req, v.canon, v.hash
	if p.Hash == hash {
		return &Updated{Serial: serial, LastModified: p.LastModified, Unchanged: true}, nil
	}
	q, err := s.checkQuota(ctx, a, now, 1)
	if err != nil {
		return nil, err
	}
	blob, err := s.Builder.Build(ctx, req, issuer.Meta{Serial: p.Serial, AuthToken: p.AuthToken, FirstIssued: p.FirstIssued, AccountOrg: a.Org})
	if err != nil {
		return nil, err
	}
	res, err := s.Store.UpdatePass(ctx, &walletwallet.PassUpdate{
		PassTypeID:   s.PassTypeID,
		Serial:       serial,
		AccountID:    a.ID,
		Request:      canon,
		Hash:         hash,
		PrevHash:     p.Hash,
		LastModified: NextVersionTime(p.LastModified, now),
		Blob:         blob,
		Values:       v.values,
		TemplateRev:  v.rev,
	}, q)
	switch {
	case err == nil:
	case errors.Is(err, walletwallet.ErrPassVoided):
		return nil, walletwallet.ErrPassVoided
	case walletwallet.ErrorCode(err) == walletwallet.EQUOTA:
		return nil, QuotaError(now)
	case walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND:
		return nil, walletwallet.Errorf(walletwallet.ENOTFOUND, "no pass with serial number %q", serial)
	default:
		return nil, err
	}
	if res.Unchanged {
		return &Updated{Serial: serial, LastModified: res.LastModified, Unchanged: true}, nil
	}
	if s.Counts != nil {
		s.Counts.PassUpdated()
	}
	return &Updated{Serial: serial, LastModified: res.LastModified, NotifiedDevices: res.NotifiedDevices}, nil
}

// NextVersionTime stamps a new version of a pass last modified at prev.
// Devices revalidate with If-Modified-Since, an HTTP date of whole seconds,
// so each version gets a later second than the one before: a device holding
// version 1 must never be told 304 for a version 2 of the same second. Under
// more than one change a second to one pass the stamp runs ahead of the
// clock by at most the backlog, and catches up when the changes slow down.
func NextVersionTime(prev, now time.Time) time.Time {
	t := now.UTC().Truncate(time.Millisecond)
	if floor := prev.Truncate(time.Second).Add(time.Second); t.Before(floor) {
		t = floor
	}
	return t
}

// lock returns the lock serializing writes to serial: one of a fixed set,
// chosen by hash, so the set never grows.
func (s *Service) lock(serial string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(serial))
	return &s.locks[h.Sum32()%uint32(len(s.locks))]
}

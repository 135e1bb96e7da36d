package passes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// MaxBundle is the most passes one bundle request creates.
const MaxBundle = 10

// Endpoint names the creating call an Idempotency-Key was used with: the
// same key and body sent to another endpoint asks for another answer, so
// it is a different request (422), not a replay.
type Endpoint string

// Creating endpoints.
const (
	EndpointPkpass   Endpoint = "POST /api/pkpass"
	EndpointPasses   Endpoint = "POST /api/passes"
	EndpointPkpasses Endpoint = "POST /api/pkpasses"
)

// CreateOptions are the optional parts of a creating request.
type CreateOptions struct {
	// IdempotencyKey, when not empty, makes a retry return the first answer.
	IdempotencyKey string
	Endpoint       Endpoint
}

// Created is the outcome of a creating request.
type Created struct {
	Passes []*walletwallet.Pass // in request order
	Slugs  []string             // Content-Disposition stems, one per pass
	// Replayed: an earlier request with the same key made these passes;
	// nothing was created or counted now.
	Replayed bool
}

// Recycle gives the archives signed for c back to the pass engine
// (pkpass.Recycle), for a caller that has written its answer and reads them
// no more; the passes' Blob is cleared. The store has copied them by now.
// A replayed or lazily signed pass has no archive signed for c.
func (c *Created) Recycle() {
	if c.Replayed {
		return
	}
	for _, p := range c.Passes {
		if p.Blob != nil {
			pkpass.Recycle(p.Blob)
			p.Blob = nil
		}
	}
}

// MaxIdempotencyKey is the longest Idempotency-Key accepted.
const MaxIdempotencyKey = 255

// CheckIdempotencyKey enforces 1–255 printable ASCII characters.
func CheckIdempotencyKey(k string) error {
	if k == "" || len(k) > MaxIdempotencyKey {
		return walletwallet.Errorf(walletwallet.EINVALID, "Idempotency-Key must be 1 to %d printable ASCII characters (got %d bytes)", MaxIdempotencyKey, len(k))
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return walletwallet.Errorf(walletwallet.EINVALID, "Idempotency-Key must be 1 to %d printable ASCII characters (byte %d is not)", MaxIdempotencyKey, i)
		}
	}
	return nil
}

// Create issues one pass from a POST body.
func (s *Service) Create(ctx context.Context, a *walletwallet.Account, body []byte, o CreateOptions) (*Created, error) {
	now := s.Now()
	req, canon, hash, err := parse(a, body, now)
	if err != nil {
		return nil, err
	}
	return s.createPasses(ctx, a, []*pkpass.Request{req}, [][]byte{canon}, []string{hash}, o, now, nil)
}

// CreateBundle issues 1–MaxBundle passes from their POST bodies, all or
// nothing; each counts one. Errors name the entry (passes[2].barcodeValue …).
func (s *Service) CreateBundle(ctx context.Context, a *walletwallet.Account, bodies [][]byte, o CreateOptions) (*Created, error) {
	if len(bodies) == 0 || len(bodies) > MaxBundle {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "passes must hold 1 to %d pass bodies (got %d)", MaxBundle, len(bodies))
	}
	now := s.Now()
	reqs := make([]*pkpass.Request, len(bodies))
	canons := make([][]byte, len(bodies))
	hashes := make([]string, len(bodies))
	for i, b := range bodies {
		var err error
		if reqs[i], canons[i], hashes[i], err = parse(a, b, now); err != nil {
			return nil, inEntry(i, err)
		}
	}
	return s.createPasses(ctx, a, reqs, canons, hashes, o, now, nil)
}

// createPasses is the one path of every pass creation; ti, when set, makes
// them template passes.
func (s *Service) createPasses(ctx context.Context, a *walletwallet.Account, reqs []*pkpass.Request, canons [][]byte, hashes []string, o CreateOptions, now time.Time, ti *templateIssue) (_ *Created, err error) {
	var done *walletwallet.IdempotencyDone
	if o.IdempotencyKey != "" {
		if err := CheckIdempotencyKey(o.IdempotencyKey); err != nil {
			return nil, err
		}
		claim := &walletwallet.IdempotencyClaim{
			AccountID:   a.ID,
			Key:         o.IdempotencyKey,
			Fingerprint: fingerprint(o.Endpoint, hashes),
			Token:       issuer.NewAuthToken(),
			Now:         now,
		}
		if ti != nil {
			claim.Fingerprint = ti.fingerprint
		}
		rec, err := s.Store.ClaimIdempotency(ctx, claim)
		if err != nil {
			return nil, err
		}
		if rec != nil {
			return s.replay(ctx, a, claim, rec)
		}
		done = &walletwallet.IdempotencyDone{AccountID: a.ID, Key: claim.Key, Token: claim.Token}
		defer func() {
			if err != nil {
				// Only successes are remembered: free the key for a retry,
				// even if the caller has gone away.
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				defer cancel()
				if rerr := s.Store.ReleaseIdempotency(rctx, a.ID, claim.Key, claim.Token); rerr != nil {
					err = errors.Join(err, rerr)
				}
			}
		}()
	}
	q, err := s.checkQuota(ctx, a, now, len(reqs))
	if err != nil {
		return nil, err
	}
	// Millisecond precision is what the web service's tags carry.
	issued := now.UTC().Truncate(time.Millisecond)
	out := &Created{Passes: make([]*walletwallet.Pass, len(reqs)), Slugs: make([]string, len(reqs))}
	for i, req := range reqs {
		p := &walletwallet.Pass{
			PassTypeID:   s.PassTypeID,
			Serial:       issuer.NewSerial(),
			AuthToken:    issuer.NewAuthToken(),
			AccountID:    a.ID,
			Request:      canons[i],
			Hash:         hashes[i],
			FirstIssued:  issued,
			LastModified: issued,
			ShareID:      walletwallet.NewShareID(),
		}
		if ti != nil {
			p.TemplateID, p.TemplateRev, p.Values = ti.id, ti.rev, ti.values[i]
			if ti.lazy {
				out.Passes[i], out.Slugs[i] = p, req.Slug()
				continue
			}
		}
		p.Blob, err = s.Builder.Build(ctx, req, issuer.Meta{Serial: p.Serial, AuthToken: p.AuthToken, FirstIssued: issued, AccountOrg: a.Org})
		if err != nil {
			if len(reqs) > 1 {
				return nil, inEntry(i, err)
			}
			return nil, err
		}
		out.Passes[i], out.Slugs[i] = p, req.Slug()
	}
	if err := s.Store.CreatePasses(ctx, out.Passes, q, done); err != nil {
		switch {
		case walletwallet.ErrorCode(err) == walletwallet.EQUOTA:
			return nil, QuotaError(now)
		case errors.Is(err, walletwallet.ErrTemplateChanged):
			return nil, walletwallet.ErrTemplateChanged
		case done != nil && walletwallet.ErrorCode(err) == walletwallet.ECONFLICT:
			return nil, errKeyBusy
		}
		return nil, err
	}
	if s.Counts != nil {
		s.Counts.PassesCreated(len(out.Passes))
	}
	return out, nil
}

var errKeyBusy = walletwallet.Errorf(walletwallet.ECONFLICT,
	"a request with this Idempotency-Key is still in progress; retry after it has finished")

// fingerprint identifies a creating request: its endpoint and the
// canonical hash of each body, in order.
func fingerprint(e Endpoint, hashes []string) string {
	h := sha256.New()
	h.Write([]byte(e))
	for _, x := range hashes {
		h.Write([]byte{'\n'})
		h.Write([]byte(x))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// replay answers a repeat of a remembered request with the passes the first
// one made, in their current state.
func (s *Service) replay(ctx context.Context, a *walletwallet.Account, c *walletwallet.IdempotencyClaim, rec *walletwallet.IdempotencyRecord) (*Created, error) {
	switch {
	case rec.Fingerprint != c.Fingerprint:
		return nil, walletwallet.Errorf(walletwallet.EUNPROCESSABLE,
			"Idempotency-Key %q was already used with a different request body or endpoint; use a new key for a new request", c.Key)
	case !rec.Done:
		return nil, errKeyBusy
	}
	out := &Created{Replayed: true}
	for _, serial := range rec.Serials {
		p, err := s.Owned(ctx, a, serial, "read")
		if err != nil {
			return nil, err
		}
		req, err := pkpass.Parse(p.Request)
		if err != nil {
			return nil, err
		}
		out.Passes = append(out.Passes, p)
		out.Slugs = append(out.Slugs, req.Slug())
	}
	if len(out.Passes) == 0 {
		return nil, errors.New("passes: idempotency record without serials")
	}
	return out, nil
}

// Serials lists the serial numbers of c's passes.
func (c *Created) Serials() string {
	ss := make([]string, len(c.Passes))
	for i, p := range c.Passes {
		ss[i] = p.Serial
	}
	return strings.Join(ss, ",")
}

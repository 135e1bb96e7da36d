// Package passblob is the one home of "the current signed .pkpass of a
// pass": the stored blob when there is one, else a rebuild from the stored
// request, signed once however many callers ask at the same time and stored
// for the next. The API's downloads, the PassKit web service and the share
// page all take their bytes from here.
package passblob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/walletwallet/walletwallet"
)

// Store is the part of walletwallet.Store a Source needs.
type Store interface {
	Pass(ctx context.Context, passTypeID, serial string) (*walletwallet.Pass, error)
	SetBlob(ctx context.Context, passTypeID, serial string, lastModified time.Time, blob []byte) error
}

// Rebuilder signs a pass again from its stored canonical request (issuer.Issuer).
type Rebuilder interface {
	Rebuild(ctx context.Context, p *walletwallet.Pass) ([]byte, error)
}

// rebuildTimeout bounds a shared rebuild, which outlives the request that
// started it (other requests wait on it too).
const rebuildTimeout = time.Minute

// Source hands out the signed blob of a pass's current version.
type Source struct {
	store     Store
	rebuilder Rebuilder
	log       *slog.Logger
	flights   singleflight.Group
}

// New returns a Source; log nil means slog.Default().
func New(st Store, rb Rebuilder, log *slog.Logger) *Source {
	if log == nil {
		log = slog.Default()
	}
	return &Source{store: st, rebuilder: rb, log: log}
}

// Current returns the signed pass of version p (as read from the store),
// rebuilding it when the store has none. Concurrent calls for one version
// share one rebuild.
func (s *Source) Current(ctx context.Context, p *walletwallet.Pass) ([]byte, error) {
	if p.Blob != nil {
		return p.Blob, nil
	}
	if s.rebuilder == nil {
		return nil, errors.New("passblob: pass has no stored blob and no rebuilder is configured")
	}
	key := p.PassTypeID + "\x00" + p.Serial + "\x00" + strconv.FormatInt(p.LastModified.UnixMilli(), 10)
	ch := s.flights.DoChan(key, func() (any, error) {
		// The rebuild serves every waiter, so it must not die with the
		// caller that happened to start it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rebuildTimeout)
		defer cancel()
		// A caller that read the pass before an earlier rebuild stored its
		// blob arrives here after that flight ended: reuse the blob.
		if cur, err := s.store.Pass(ctx, p.PassTypeID, p.Serial); err == nil &&
			cur.Blob != nil && cur.LastModified.Equal(p.LastModified) {
			return cur.Blob, nil
		}
		b, err := s.rebuilder.Rebuild(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("passblob: rebuild pass %s/%s: %w", p.PassTypeID, p.Serial, err)
		}
		if err := s.store.SetBlob(ctx, p.PassTypeID, p.Serial, p.LastModified, b); err != nil {
			// The caller still gets its pass; the next fetch rebuilds again.
			s.log.WarnContext(ctx, "storing rebuilt pass failed", "pass_type_id", p.PassTypeID, "serial", p.Serial, "err", err)
		}
		return b, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.([]byte), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

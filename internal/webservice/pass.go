package webservice

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/walletwallet/walletwallet"
)

// Last-Modified carries whole seconds while lastModified has milliseconds.
// The API stamps every new version of a pass in a later second than the one
// before (see api.nextVersionTime), so a version's second identifies it and
// "304 iff the version's second <= If-Modified-Since" never hides a newer
// version from a device that holds an older one of the same second.

// etag is an exact validator of one version, for clients that send
// If-None-Match; it is not limited to whole seconds.
func etag(p *walletwallet.Pass) string {
	h := p.Hash
	if len(h) > 16 {
		h = h[:16]
	}
	return `"` + formatTag(p.LastModified) + "-" + h + `"`
}

// etagMatch reports whether an If-None-Match value names tag (weak
// comparison, as RFC 9110 prescribes for If-None-Match).
func etagMatch(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}

// notModified evaluates the request's validators against the version.
// If-None-Match, when present, wins over If-Modified-Since (RFC 9110 §13.2.2).
func notModified(r *http.Request, p *walletwallet.Pass, modSecond time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		return etagMatch(inm, etag(p))
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" {
		return false
	}
	t, err := http.ParseTime(ims)
	if err != nil {
		return false
	}
	return !modSecond.After(t)
}

func (s *service) handlePass(w http.ResponseWriter, r *http.Request) error {
	passTypeID, serial := r.PathValue("passTypeID"), r.PathValue("serial")
	p, err := s.authorize(r, passTypeID, serial)
	if err != nil {
		return err
	}
	modSecond := p.LastModified.Truncate(time.Second)
	h := w.Header()
	h.Set("Last-Modified", modSecond.UTC().Format(http.TimeFormat))
	h.Set("ETag", etag(p))
	// Devices must always revalidate: the pass changes in place.
	h.Set("Cache-Control", "no-cache")
	// Validators are checked before the blob is needed, so a 304 never
	// triggers a rebuild.
	if notModified(r, p, modSecond) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	blob, err := s.blob(r.Context(), p)
	if err != nil {
		// The validators above described a body we are not sending.
		h.Del("Last-Modified")
		h.Del("ETag")
		h.Del("Cache-Control")
		return err
	}
	h.Set("Content-Type", "application/vnd.apple.pkpass")
	h.Set("Content-Length", fmt.Sprint(len(blob)))
	w.WriteHeader(http.StatusOK)
	w.Write(blob)
	return nil
}

// blob returns the signed pass of version p, rebuilding it when the store
// has none. Concurrent requests for one version share one rebuild.
func (s *service) blob(ctx context.Context, p *walletwallet.Pass) ([]byte, error) {
	if p.Blob != nil {
		return p.Blob, nil
	}
	if s.rebuilder == nil {
		return nil, errors.New("webservice: pass has no stored blob and no rebuilder is configured")
	}
	key := p.PassTypeID + "\x00" + p.Serial + "\x00" + formatTag(p.LastModified)
	ch := s.rebuilds.DoChan(key, func() (any, error) {
		// The rebuild serves every waiter, so it must not die with the
		// request that happened to start it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rebuildTimeout)
		defer cancel()
		// A request that read the pass before an earlier rebuild stored
		// its blob arrives here after that flight ended: reuse the blob.
		if cur, err := s.store.Pass(ctx, p.PassTypeID, p.Serial); err == nil &&
			cur.Blob != nil && cur.LastModified.Equal(p.LastModified) {
			return cur.Blob, nil
		}
		b, err := s.rebuilder.Rebuild(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("webservice: rebuild pass %s/%s: %w", p.PassTypeID, p.Serial, err)
		}
		if err := s.store.SetBlob(ctx, p.PassTypeID, p.Serial, p.LastModified, b); err != nil {
			// The device still gets its pass; the next fetch rebuilds again.
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

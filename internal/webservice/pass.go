package webservice

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/walletwallet/walletwallet"
)

// Last-Modified carries whole seconds while lastModified has milliseconds.
// The API stamps every new version of a pass in a later second than the one
// before (see passes.NextVersionTime), so a version's second identifies it and
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
	blob, err := s.blobs.Current(r.Context(), p)
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

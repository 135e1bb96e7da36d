package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/mergepatch"
	"github.com/walletwallet/walletwallet/internal/passes"
)

// The binary face of the API: answers are signed passes (/api/pkpass) or a
// bundle of them (/api/pkpasses).

func (s *server) createPkpass(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	o, err := createOptions(r, passes.EndpointPkpass)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	c, err := s.passes.Create(r.Context(), a, body, o)
	if err != nil {
		return err
	}
	defer c.Recycle() // after the answer is written
	markReplayed(w, c)
	return s.writePass(w, r, c.Passes[0], c.Slugs[0])
}

// getPkpass downloads the current version again; nothing is counted.
func (s *server) getPkpass(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	p, err := s.passes.Get(r.Context(), a, r.PathValue("serial"))
	if err != nil {
		return err
	}
	slug, err := slugOf(p)
	if err != nil {
		return err
	}
	return s.writePass(w, r, p, slug)
}

// writePass answers with the signed pass and the headers of POST /api/pkpass.
func (s *server) writePass(w http.ResponseWriter, r *http.Request, p *walletwallet.Pass, slug string) error {
	blob, err := s.passes.Blob(r.Context(), p)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.apple.pkpass")
	h.Set("Content-Disposition", `attachment; filename="`+slug+`.pkpass"`)
	h.Set("X-Serial-Number", p.Serial)
	h.Set("X-Pass-Url", s.passes.ShareURL(p))
	h.Set("Content-Length", strconv.Itoa(len(blob)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(blob)
	return nil
}

// bundleBody is the body of POST /api/pkpasses. Each entry is kept as its
// raw bytes, so it is validated by the same strict parser as a POST body.
type bundleBody struct {
	Passes []json.RawMessage `json:"passes"`
}

// parseBundle checks the envelope strictly (duplicate keys, unknown
// members, types) before the entries are parsed one by one.
func parseBundle(body []byte) ([][]byte, error) {
	v, err := mergepatch.Decode(body)
	if err != nil {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "malformed JSON: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, `request body must be a JSON object {"passes": [body, …]}`)
	}
	for k := range m {
		if k != "passes" {
			return nil, walletwallet.Errorf(walletwallet.EINVALID, "unknown field %q: the body holds only passes", k)
		}
	}
	if _, ok := m["passes"].([]any); !ok {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "passes is required and must be an array of 1 to %d pass bodies", passes.MaxBundle)
	}
	var b bundleBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "malformed JSON: %v", err)
	}
	out := make([][]byte, len(b.Passes))
	for i, raw := range b.Passes {
		out[i] = raw
	}
	return out, nil
}

// createBundle is POST /api/pkpasses: up to ten passes in one
// application/vnd.apple.pkpasses zip, all or nothing.
func (s *server) createBundle(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	o, err := createOptions(r, passes.EndpointPkpasses)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	bodies, err := parseBundle(body)
	if err != nil {
		return err
	}
	c, err := s.passes.CreateBundle(r.Context(), a, bodies, o)
	if err != nil {
		return err
	}
	defer c.Recycle()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range c.Passes {
		blob, err := s.passes.Blob(r.Context(), p)
		if err != nil {
			return err
		}
		// A .pkpass is already a zip of mostly PNGs: store, don't deflate.
		f, err := zw.CreateHeader(&zip.FileHeader{Name: p.Serial + ".pkpass", Method: zip.Store})
		if err != nil {
			return err
		}
		if _, err := f.Write(blob); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	markReplayed(w, c)
	h := w.Header()
	h.Set("Content-Type", "application/vnd.apple.pkpasses")
	h.Set("Content-Disposition", `attachment; filename="passes.pkpasses"`)
	h.Set("X-Serial-Numbers", c.Serials())
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	return nil
}

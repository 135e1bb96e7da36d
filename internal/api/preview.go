package api

import (
	"net/http"
	"strconv"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/passes"
	"github.com/walletwallet/walletwallet/internal/preview"
)

// previewSide reads ?side=; any other query parameter is refused, as
// unknown body fields are.
func previewSide(r *http.Request) (preview.Side, error) {
	q := r.URL.Query()
	for k := range q {
		if k != "side" {
			return 0, walletwallet.Errorf(walletwallet.EINVALID, "unknown query parameter %q: only side=front|back", k)
		}
	}
	if len(q["side"]) > 1 {
		return 0, walletwallet.Errorf(walletwallet.EINVALID, "side must be given once")
	}
	return passes.ParseSide(q.Get("side"))
}

// postPreview draws a request body as a POST would issue it; it stores and
// counts nothing.
func (s *server) postPreview(w http.ResponseWriter, r *http.Request) error {
	side, err := previewSide(r)
	if err != nil {
		return err
	}
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	png, err := s.passes.Preview(r.Context(), a, body, side)
	if err != nil {
		return err
	}
	writePNG(w, png)
	return nil
}

// passPreview draws the stored current version of a pass.
func (s *server) passPreview(w http.ResponseWriter, r *http.Request) error {
	side, err := previewSide(r)
	if err != nil {
		return err
	}
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	png, err := s.passes.PreviewPass(r.Context(), a, r.PathValue("serial"), side)
	if err != nil {
		return err
	}
	writePNG(w, png)
	return nil
}

func writePNG(w http.ResponseWriter, png []byte) {
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(png)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(png)
}

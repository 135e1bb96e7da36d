package api_test

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/walletwallet/walletwallet"
)

// noisyPNG is a data URI of an image that does not compress, so that a pass
// with it is far above the size from which archives are recycled.
func noisyPNG(t *testing.T, seed uint64) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 120, 150))
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

// TestCreatedArchivesOutliveTheirAnswer: the create endpoints give a new
// pass's archive back to the engine once their answer is written (the
// harness has pkpass.CheckRecycled on, so a given-back archive is
// overwritten at once). Each answer must be the stored pass byte for byte:
// an archive given back before or while its answer is written, or still
// held by the store, would differ.
func TestCreatedArchivesOutliveTheirAnswer(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanPro, 0, "")
		body := func(n uint64) string {
			return `{"style":"eventTicket","barcodeValue":"T-1","barcodeFormat":"QR","logoText":"Gig",
				"backgroundURL":"` + noisyPNG(t, n) + `"}`
		}
		stored := func(serial string) []byte {
			t.Helper()
			r := h.do("GET", "/api/pkpass/"+serial, key, "")
			if r.status != 200 {
				t.Fatalf("download %s: %d %s", serial, r.status, r.body)
			}
			return r.body
		}
		same := func(what string, answer []byte, serial string) {
			t.Helper()
			if len(answer) < 64<<10 {
				t.Fatalf("%s: a %d-byte pass is too small to be recycled", what, len(answer))
			}
			passJSON(t, answer) // lint
			if !bytes.Equal(answer, stored(serial)) {
				t.Fatalf("%s: the answer differs from the stored pass %s", what, serial)
			}
		}

		r := h.do("POST", "/api/pkpass", key, body(1))
		if r.status != 200 {
			t.Fatalf("POST /api/pkpass: %d %s", r.status, r.body)
		}
		same("POST /api/pkpass", r.body, r.header.Get("X-Serial-Number"))

		r = h.do("POST", "/api/passes", key, body(2))
		if r.status != 201 {
			t.Fatalf("POST /api/passes: %d %s", r.status, r.body)
		}
		m := r.json(t)
		blob, err := base64.StdEncoding.DecodeString(m["applePass"].(string))
		if err != nil {
			t.Fatal(err)
		}
		same("POST /api/passes", blob, m["serialNumber"].(string))

		r = h.do("POST", "/api/pkpasses", key, `{"passes": [`+body(3)+`,`+body(4)+`]}`)
		if r.status != 200 {
			t.Fatalf("POST /api/pkpasses: %d %s", r.status, r.body)
		}
		zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
		if err != nil || len(zr.File) != 2 {
			t.Fatalf("bundle: %v, %d files", err, len(zr.File))
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			same("POST /api/pkpasses", b, f.Name[:len(f.Name)-len(".pkpass")])
		}
	})
}

package main

import (
	"bytes"
	"encoding/pem"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestImageFetchConfiguration drives WW_FETCH_ALLOW_CIDRS and WW_FETCH_CA
// through the binary: an operator's internal image host on loopback with its
// own CA is refused by default and fetched once allowed.
func TestImageFetchConfiguration(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 200, 80))
	for x := 0; x < 200; x++ {
		img.Set(x, x%80, color.RGBA{200, 30, 30, 255})
	}
	var pngBytes bytes.Buffer
	png.Encode(&pngBytes, img)
	var hits atomic.Int64
	host := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(pngBytes.Bytes())
	}))
	defer host.Close()
	logo := host.URL + "/brand/logo.png" // https://127.0.0.1:PORT/…
	body := `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"Brand","logoURL":"` + logo + `"}`

	env := testEnv(t, nil)
	env["WW_APNS_URL"] = "https://127.0.0.1:1"
	caFile := filepath.Join(env["WW_DATA_DIR"], "images-ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: host.Certificate().Raw}), 0o600)

	t.Run("refused by default", func(t *testing.T) {
		srv := startServer(t, env)
		key := newKey(t, env, "--plan", "pro")
		r := call(t, "POST", srv.URL+"/api/pkpass", body, bearer(key), jsonCT)
		if r.status != 400 || !strings.HasPrefix(r.json(t)["error"].(string), "logoURL resolves to a private address") {
			t.Fatalf("%d %s", r.status, r.body)
		}
		srv.Stop()
	})
	if hits.Load() != 0 {
		t.Fatalf("the refused fetch reached the host %d times", hits.Load())
	}
	t.Run("allowed range and extra CA", func(t *testing.T) {
		env["WW_FETCH_ALLOW_CIDRS"] = "127.0.0.0/8"
		env["WW_FETCH_CA"] = caFile
		srv := startServer(t, env)
		key := newKey(t, env, "--plan", "pro")
		r := call(t, "POST", srv.URL+"/api/pkpass", body, bearer(key), jsonCT)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		files := unzip(t, r.body)
		for _, f := range []string{"logo.png", "logo@2x.png", "logo@3x.png"} {
			if len(files[f]) == 0 {
				t.Errorf("no %s in the pass", f)
			}
		}
		if hits.Load() != 1 {
			t.Errorf("image host hit %d times, want 1", hits.Load())
		}
	})
}

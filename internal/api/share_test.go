package api_test

import (
	"bytes"
	"encoding/base64"
	"html"
	"image/png"
	"regexp"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/walletwallet/walletwallet"
)

// The share link through real HTTP: the page escapes what the customer
// wrote, its QR code reads back as the link, and the download is the pass.
func TestSharePage(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanPro, 0, `Org "Default" & <Co>`)
		body := `{"barcodeValue":"S-1","barcodeFormat":"QR","logoText":"<script>alert('x')</script>","description":"<img src=x onerror=alert(1)>"}`
		c := createJSON(t, h, key, body)
		shareURL := c["shareUrl"].(string)
		path := strings.TrimPrefix(shareURL, publicURL)
		r := h.do("GET", path, "", "")
		if r.status != 200 || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("GET %s: %d %v", path, r.status, r.header)
		}
		page := r.body
		for _, want := range []string{
			`&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;`,
			`&lt;img src=x onerror=alert(1)&gt;`,
			`Org &#34;Default&#34; &amp; &lt;Co&gt;`, // the account's organization
			`href="` + shareURL + `/pass.pkpass"`,
			"Add to Apple Wallet",
		} {
			if !bytes.Contains(page, []byte(want)) {
				t.Errorf("page lacks %q", want)
			}
		}
		for _, never := range []string{"<script", "<img src=x", c["serialNumber"].(string)} {
			if bytes.Contains(page, []byte(never)) {
				t.Errorf("page contains %q", never)
			}
		}
		if !strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("CSP %q", r.header.Get("Content-Security-Policy"))
		}
		if got := pageQR(t, page); got != shareURL {
			t.Errorf("QR code reads %q, want %q", got, shareURL)
		}

		d := h.do("GET", path+"/pass.pkpass", "", "")
		if d.status != 200 || d.header.Get("Content-Type") != "application/vnd.apple.pkpass" ||
			d.header.Get("Content-Disposition") != `attachment; filename="script-alert-x-script.pkpass"` || d.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("download: %d %v", d.status, d.header)
		}
		if pj, _ := passJSON(t, d.body); pj["serialNumber"] != c["serialNumber"] {
			t.Fatalf("download holds %v", pj["serialNumber"])
		}
		if n := h.count(key); n != 1 {
			t.Fatalf("count %d after share views and downloads, want 1", n)
		}
		for _, p := range []string{"/p/" + walletwallet.NewShareID(), "/p/short", "/p/%00%ff" + strings.Repeat("a", 20), "/p/" + walletwallet.NewShareID() + "/pass.pkpass", "/p/x/pass.pkpass"} {
			if r := h.do("GET", p, "", ""); r.status != 404 {
				t.Errorf("GET %s: %d", p, r.status)
			}
		}
	})
}

// pageQR decodes the inline PNG QR code of a share page with gozxing.
func pageQR(t *testing.T, page []byte) string {
	t.Helper()
	m := regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no inline QR code")
	}
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	// The image is the bare code on its quiet zone, so it is read in
	// gozxing's pure-barcode mode: its finder-pattern search misses about
	// 1 in 60 of these codes (random share ids) that the bits decode fine.
	pure := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, pure)
	if err != nil {
		t.Fatalf("QR code does not decode: %v", err)
	}
	return res.GetText()
}

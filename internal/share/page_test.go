package share

import (
	"bytes"
	"encoding/base64"
	"html"
	"image"
	"image/png"
	"regexp"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

// decodeQR reads the QR code of a share page back with an independent
// decoder, as a phone camera would.
func decodeQR(t *testing.T, page []byte) string {
	t.Helper()
	m := regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no inline PNG QR code in the page:\n%s", page)
	}
	// The attribute is HTML-escaped ('+' may be written &#43;).
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return decodeQRImage(t, img)
}

// decodeQRImage decodes a QR code image with gozxing.
func decodeQRImage(t testing.TB, img image.Image) string {
	t.Helper()
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

func TestRenderEscapesAndQRDecodes(t *testing.T) {
	const url = "https://passes.example.test/p/AbCdEfGhIjKlMnOpQrStUvWx"
	cases := []struct {
		name string
		page Page
		// raw must appear verbatim in the bytes; never must not appear at all.
		raw, never []string
	}{
		{
			name: "hostile strings come out as text",
			page: Page{
				LogoText:     `<script>alert(1)</script>`,
				Organization: `Bob's "Bar" & <Grill>`,
				Description:  `</title><img src=x onerror=alert(2)>`,
				URL:          url, PassURL: url + "/pass.pkpass",
			},
			raw: []string{
				`&lt;script&gt;alert(1)&lt;/script&gt;`,
				`Bob&#39;s &#34;Bar&#34; &amp; &lt;Grill&gt;`,
				`&lt;/title&gt;&lt;img src=x onerror=alert(2)&gt;`,
				`href="` + url + `/pass.pkpass"`,
				`Add to Apple Wallet`,
			},
			never: []string{"<script", "<img src=x", "<Grill>"},
		},
		{
			name: "plain page",
			page: Page{LogoText: "Bayroast Coffee", Organization: "Bayroast Coffee Co.", Description: "Bayroast loyalty card", URL: url, PassURL: url + "/pass.pkpass"},
			raw:  []string{"<h1>Bayroast Coffee</h1>", "Bayroast Coffee Co.", "Bayroast loyalty card"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Render(c.page)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.raw {
				if !bytes.Contains(b, []byte(s)) {
					t.Errorf("page lacks %q:\n%s", s, b)
				}
			}
			for _, s := range c.never {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("page contains unescaped %q", s)
				}
			}
			if got := decodeQR(t, b); got != url {
				t.Errorf("QR code decodes to %q, want %q", got, url)
			}
		})
	}
}

func TestRenderVoided(t *testing.T) {
	b, err := Render(Page{LogoText: "<b>x</b>", Organization: "<i>Org</i>", Voided: true, URL: "https://x.test/p/a"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, "no longer valid") || strings.Contains(s, "Add to Apple Wallet") || strings.Contains(s, "<i>Org</i>") {
		t.Errorf("voided page:\n%s", s)
	}
}

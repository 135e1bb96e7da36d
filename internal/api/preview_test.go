package api_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet"
)

// previewImage checks a preview answer and decodes it.
func previewImage(t *testing.T, r *response) image.Image {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "image/png" {
		t.Fatalf("Content-Type %q", ct)
	}
	img, err := png.Decode(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if img.Bounds().Dx() != 750 {
		t.Errorf("width %d, want 750", img.Bounds().Dx())
	}
	return img
}

// margin is a pixel in the card's left margin, half-way down: always the
// card's background.
func margin(img image.Image) color.RGBA {
	return color.RGBAModel.Convert(img.At(8, img.Bounds().Dy()/2)).(color.RGBA)
}

var (
	darkBg  = color.RGBA{17, 24, 39, 255}
	greenBg = color.RGBA{22, 101, 52, 255}
	backBg  = color.RGBA{242, 242, 247, 255}
)

func TestPostPreview(t *testing.T) {
	h := newHarness(t)
	_, free := h.account(walletwallet.PlanFree, 0, "")
	_, full := h.account(walletwallet.PlanFree, 1, "")
	if r := h.do("POST", "/api/pkpass", full, minimal); r.status != 200 {
		t.Fatalf("fill quota: %d %s", r.status, r.body)
	}

	front := previewImage(t, h.do("POST", "/api/preview", free, bayroast))
	if got := margin(front); got != darkBg {
		t.Errorf("front background %v, want %v", got, darkBg)
	}
	back := previewImage(t, h.do("POST", "/api/preview?side=back", free, bayroast))
	if got := margin(back); got != backBg {
		t.Errorf("back background %v, want %v", got, backBg)
	}
	if front.Bounds() == back.Bounds() {
		t.Errorf("front and back have the same size %v: ?side=back was ignored", front.Bounds())
	}
	green := strings.Replace(bayroast, `"colorPreset": "dark"`, `"colorPreset": "green"`, 1)
	if got := margin(previewImage(t, h.do("POST", "/api/preview?side=front", free, green))); got != greenBg {
		t.Errorf("green preset background %v, want %v", got, greenBg)
	}
	// Not counted, so an account at its limit still previews.
	previewImage(t, h.do("POST", "/api/preview", full, minimal))

	refusals := []struct {
		name, path, key, body, status, want string
	}{
		{"no key", "/api/preview", "", minimal, "401", "missing or invalid API key"},
		{"invalid body", "/api/preview", free, `{"barcodeFormat":"QR"}`, "400", "barcodeValue is required"},
		{"unknown field", "/api/preview", free, `{"barcodeValue":"X","barcodeFormat":"QR","colour":"#fff"}`, "400", "colour"},
		{"pro field on free", "/api/preview", free, `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L","color":"#ff0000"}`, "400", "color is only available on the Pro plan"},
		{"bad side", "/api/preview?side=sideways", free, minimal, "400", "side must be one of: front, back"},
		{"side twice", "/api/preview?side=back&side=front", free, minimal, "400", "side must be given once"},
		{"unknown query", "/api/preview?size=2x", free, minimal, "400", `unknown query parameter "size"`},
		{"malformed JSON", "/api/preview", free, `{"barcodeValue":`, "400", ""},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			r := h.do("POST", c.path, c.key, c.body)
			if itoa(r.status) != c.status || !strings.Contains(r.errorText(t), c.want) {
				t.Errorf("%d %s, want %s containing %q", r.status, r.body, c.status, c.want)
			}
		})
	}
	if r := h.do("POST", "/api/preview", free, minimal, "Content-Type: text/plain"); r.status != 415 {
		t.Errorf("text/plain: %d %s, want 415", r.status, r.body)
	}
	if n := h.count(free); n != 0 {
		t.Errorf("previews counted %d passes, want 0", n)
	}
	if n := h.count(full); n != 1 {
		t.Errorf("account at its limit: count %d, want 1", n)
	}
}

func TestStoredPassPreview(t *testing.T) {
	h := newHarness(t)
	_, key := h.account(walletwallet.PlanFree, 0, "")
	_, other := h.account(walletwallet.PlanFree, 0, "")
	r := h.do("POST", "/api/pkpass", key, bayroast)
	if r.status != 200 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	serial := r.header.Get("X-Serial-Number")
	path := "/api/passes/" + serial + "/preview.png"
	if got := margin(previewImage(t, h.do("GET", path, key, ""))); got != darkBg {
		t.Errorf("stored pass background %v, want %v", got, darkBg)
	}
	// The preview follows the current version.
	green := strings.Replace(bayroast, `"colorPreset": "dark"`, `"colorPreset": "green"`, 1)
	if r := h.do("PUT", "/api/pkpass/"+serial, key, green); r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	if got := margin(previewImage(t, h.do("GET", path, key, ""))); got != greenBg {
		t.Errorf("after PUT background %v, want %v", got, greenBg)
	}
	if got := margin(previewImage(t, h.do("GET", path+"?side=back", key, ""))); got != backBg {
		t.Errorf("back background %v, want %v", got, backBg)
	}
	for _, c := range []struct {
		name, path, key string
		status          int
	}{
		{"another account", path, other, 403},
		{"no key", path, "", 401},
		{"unknown serial", "/api/passes/00000000-0000-4000-8000-000000000000/preview.png", key, 404},
		{"malformed serial", "/api/passes/not-a-serial/preview.png", key, 404},
		{"bad side", path + "?side=top", key, 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.do("GET", c.path, c.key, "")
			if r.status != c.status || r.errorText(t) == "" {
				t.Errorf("%d %s, want %d with an error", r.status, r.body, c.status)
			}
		})
	}
	if r := h.do("POST", path, key, minimal); r.status != 405 || !strings.Contains(r.header.Get("Allow"), "GET") {
		t.Errorf("POST on preview.png: %d Allow %q", r.status, r.header.Get("Allow"))
	}
	if n := h.count(key); n != 2 {
		t.Errorf("count %d, want 2 (the POST and the PUT; previews count nothing)", n)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

package preview

import (
	"encoding/json"
	"image"
	"image/color"
	"strings"
	"testing"
)

func rgbaAt(img image.Image, x, y int) color.RGBA {
	return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
}

func near(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return d(a.R, b.R) <= tol && d(a.G, b.G) <= tol && d(a.B, b.B) <= tol && d(a.A, b.A) <= tol
}

func TestBackgroundIsThePassColour(t *testing.T) {
	cases := []struct {
		name, extra string
		want        color.RGBA
	}{
		{"default dark", ``, color.RGBA{17, 24, 39, 255}},
		{"preset blue", `,"colorPreset":"blue"`, color.RGBA{30, 64, 175, 255}},
		{"custom colour", `,"color":"#ff8800"`, color.RGBA{255, 136, 0, 255}},
		{"light custom colour", `,"color":"#f5f5dc"`, color.RGBA{245, 245, 220, 255}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := render(t, passFor(t, `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"Colour"`+c.extra+`}`), Front)
			b := img.Bounds()
			if b.Dx() != Width {
				t.Fatalf("width %d, want %d", b.Dx(), Width)
			}
			// Points in the margins and between the rows, away from any text.
			for _, p := range []image.Point{{8, b.Dy() / 2}, {Width - 8, b.Dy() / 2}, {Width / 2, 4}, {Width / 2, b.Dy() - 6}, {40, 10}} {
				if got := rgbaAt(img, p.X, p.Y); got != c.want {
					t.Errorf("pixel %v = %v, want %v", p, got, c.want)
				}
			}
			// The rounded corner is transparent, not the colour.
			if got := rgbaAt(img, 0, 0); got.A != 0 {
				t.Errorf("corner pixel %v, want transparent", got)
			}
		})
	}
}

func TestImagesAppearInTheirSlots(t *testing.T) {
	red, green, blue := [3]uint8{220, 20, 20}, [3]uint8{20, 200, 40}, [3]uint8{30, 60, 230}
	rgba := func(c [3]uint8) color.RGBA { return color.RGBA{c[0], c[1], c[2], 255} }
	t.Run("generic: logo and thumbnail", func(t *testing.T) {
		body := `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"Slots",
			"logoURL":"` + solidPNG(t, 320, 100, red) + `","thumbnailURL":"` + solidPNG(t, 180, 180, green) + `",
			"primaryFields":[{"label":"NAME","value":"A value long enough to run under the thumbnail if it were not cut"}]}`
		img := render(t, passFor(t, body), Front)
		// Logo: 160×50 pt at the top left.
		for _, p := range []image.Point{{pad + 10, 30}, {pad + 160, 70}, {pad + 310, 110}} {
			if got := rgbaAt(img, p.X, p.Y); !near(got, rgba(red), 2) {
				t.Errorf("logo pixel %v = %v, want %v", p, got, red)
			}
		}
		// Thumbnail: 90×90 pt at the right of the primary field.
		for _, p := range []image.Point{{Width - pad - 170, headerH + 10}, {Width - pad - 90, headerH + 90}, {Width - pad - 10, headerH + 170}} {
			if got := rgbaAt(img, p.X, p.Y); !near(got, rgba(green), 2) {
				t.Errorf("thumbnail pixel %v = %v, want %v", p, got, green)
			}
		}
		// The primary value stops before the thumbnail: the thumbnail's left edge is untouched.
		for y := headerH; y < headerH+180; y++ {
			if got := rgbaAt(img, Width-pad-180, y); !near(got, rgba(green), 2) {
				t.Fatalf("thumbnail's left column at y=%d is %v: text ran into it", y, got)
			}
		}
		// The logo's slot is not where the strip would be.
		if got := rgbaAt(img, Width/2, headerH+200); near(got, rgba(blue), 10) {
			t.Errorf("found strip colour on a generic pass")
		}
	})
	t.Run("storeCard: strip behind the primary field", func(t *testing.T) {
		body := `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"Strip","stripURL":"` + solidPNG(t, 750, 288, blue) + `",
			"primaryFields":[{"label":"POINTS","value":"250"}]}`
		img := render(t, passFor(t, body), Front)
		for _, p := range []image.Point{{2, headerH + 4}, {Width / 2, headerH + 150}, {Width - 3, headerH + 284}} {
			if got := rgbaAt(img, p.X, p.Y); !near(got, rgba(blue), 2) {
				t.Errorf("strip pixel %v = %v, want %v", p, got, blue)
			}
		}
		// Above and below the strip is the card colour.
		bg := color.RGBA{17, 24, 39, 255}
		for _, p := range []image.Point{{Width / 2, headerH - 4}, {Width / 2, headerH + 292}} {
			if got := rgbaAt(img, p.X, p.Y); got != bg {
				t.Errorf("pixel %v = %v, want the card colour %v", p, got, bg)
			}
		}
	})
	// Styles whose pass.json the engine may not write yet are checked from
	// a pass.json written here, in Apple's format.
	t.Run("eventTicket: background; boardingPass: footer", func(t *testing.T) {
		p := &Pass{JSON: []byte(`{"backgroundColor":"rgb(10, 10, 10)","foregroundColor":"rgb(255, 255, 255)","labelColor":"rgb(200, 200, 200)",
			"logoText":"Gig","barcodes":[{"format":"PKBarcodeFormatQR","message":"T1","messageEncoding":"iso-8859-1"}],
			"eventTicket":{"primaryFields":[{"key":"p","label":"EVENT","value":"Night"}]}}`),
			Files: map[string][]byte{"background@2x.png": pngBytes(t, 360, 440, red)}}
		img := render(t, p, Front)
		for _, pt := range []image.Point{{6, 300}, {Width - 6, 200}, {Width / 2, headerH + 150}} {
			if got := rgbaAt(img, pt.X, pt.Y); !near(got, rgba(red), 3) {
				t.Errorf("background pixel %v = %v, want %v", pt, got, red)
			}
		}
		p = &Pass{JSON: []byte(`{"backgroundColor":"rgb(10, 10, 10)","foregroundColor":"rgb(255, 255, 255)","labelColor":"rgb(200, 200, 200)",
			"barcodes":[{"format":"PKBarcodeFormatPDF417","message":"M1DOE","messageEncoding":"iso-8859-1"}],
			"boardingPass":{"transitType":"PKTransitTypeAir","primaryFields":[{"key":"a","label":"SFO","value":"San Francisco"},{"key":"b","label":"JFK","value":"New York"}]}}`),
			Files: map[string][]byte{"footer@2x.png": pngBytes(t, 572, 30, green)}}
		img = render(t, p, Front)
		y := headerH + 136 + 10 + 15
		if got := rgbaAt(img, Width/2, y); !near(got, rgba(green), 2) {
			t.Errorf("footer pixel (%d,%d) = %v, want %v", Width/2, y, got, green)
		}
	})
}

// longest returns a string of n copies of the widest capital.
func longest(n int) string { return strings.Repeat("W", n) }

func TestLongestValuesStayInsideTheirPlaces(t *testing.T) {
	field := map[string]string{"label": longest(64), "value": longest(256)}
	fields := make([]map[string]string, 10)
	for i := range fields {
		fields[i] = field
	}
	wordy := strings.TrimSpace(strings.Repeat("WWWWWWW ", 32))
	backs := make([]map[string]string, 10)
	for i := range backs {
		backs[i] = map[string]string{"label": longest(64), "value": wordy}
	}
	backs[0] = map[string]string{"label": longest(64), "value": longest(256)}
	logo := solidPNG(t, 320, 100, [3]uint8{200, 0, 0})
	thumb := solidPNG(t, 180, 180, [3]uint8{0, 200, 0})
	strip := solidPNG(t, 750, 288, [3]uint8{0, 0, 200})
	for _, c := range []struct {
		style string
		extra map[string]any
	}{
		{"generic", map[string]any{"thumbnailURL": thumb}},
		{"storeCard", map[string]any{"stripURL": strip}},
		{"coupon", map[string]any{"stripURL": strip}},
		{"eventTicket", map[string]any{"thumbnailURL": thumb, "additionalInfoFields": backs}},
		{"eventTicket", map[string]any{"stripURL": strip}},
		{"boardingPass", map[string]any{"transitType": "air"}},
	} {
		t.Run(c.style, func(t *testing.T) {
			req := map[string]any{
				"style": c.style, "barcodeValue": longest(512), "barcodeFormat": "QR",
				"logoText": longest(64), "description": longest(128), "organizationName": longest(64),
				"headerFields": fields, "primaryFields": fields, "secondaryFields": fields, "auxiliaryFields": fields,
				"backFields": backs, "logoURL": logo,
			}
			for k, v := range c.extra {
				req[k] = v
			}
			body, _ := json.Marshal(req)
			checkPlaces(t, passFor(t, string(body)))
		})
	}
}

// checkPlaces draws both sides with tracing on and fails when a text leaves
// the content area or two drawn things overlap (other than by design).
func checkPlaces(t *testing.T, p *Pass) {
	t.Helper()
	for _, side := range []Side{Front, Back} {
		doc, err := parseDoc(p.JSON)
		if err != nil {
			t.Fatal(err)
		}
		r := newRenderer(doc, p.Files)
		r.tracing = true
		var img *image.RGBA
		if side == Front {
			img = r.front()
		} else {
			img = r.back()
		}
		r.release()
		saveArtefact(t, mustPNG(t, img))
		inner := image.Rect(pad-4, 0, Width-pad+4, img.Bounds().Dy())
		for i, a := range r.boxes {
			if a.kind == "text" && !a.r.In(inner) || !a.r.In(img.Bounds()) {
				t.Errorf("side %d: %s box %v leaves the card's content area %v", side, a.kind, a.r, inner)
			}
			for _, b := range r.boxes[i+1:] {
				if a.r.Overlaps(b.r) && !over(a.kind, b.kind) {
					t.Errorf("side %d: %s box %v overlaps %s box %v", side, a.kind, a.r, b.kind, b.r)
				}
			}
		}
		if n := len(r.boxes); n < 10 {
			t.Errorf("side %d: only %d boxes traced; the test sees nothing", side, n)
		}
	}
}

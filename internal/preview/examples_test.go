package preview

import (
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The engine's examples cover every style it writes; each one, with its
// image URLs swapped for local images, must draw with its barcode readable
// and no text out of its place, front and back.
func TestEveryEngineExample(t *testing.T) {
	files, err := filepath.Glob("../pkpass/testdata/examples/*.json")
	if err != nil || len(files) < 5 {
		t.Fatalf("examples: %v (%d)", err, len(files))
	}
	slotColour := map[string][3]uint8{
		"logoURL": {200, 40, 40}, "iconURL": {40, 40, 200}, "stripURL": {40, 120, 200}, "thumbnailURL": {40, 160, 60},
		"backgroundURL": {90, 30, 120}, "footerURL": {200, 160, 40}, "artworkURL": {160, 60, 140},
	}
	haveCPP := zxingCPP(t)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatal(err)
			}
			for field, c := range slotColour {
				if _, ok := body[field]; ok {
					body[field] = solidPNG(t, 600, 600, c)
				}
			}
			b, _ := json.Marshal(body)
			p := passFor(t, string(b))
			doc, err := parseDoc(p.JSON)
			if err != nil {
				t.Fatal(err)
			}
			for _, side := range []Side{Front, Back} {
				r := newRenderer(doc, p.Files)
				r.tracing = true
				var img *image.RGBA
				if side == Front {
					img = r.front()
				} else {
					img = r.back()
				}
				r.release()
				data := mustPNG(t, img)
				saveArtefact(t, data)
				inner := image.Rect(0, 0, Width, img.Bounds().Dy())
				for i, a := range r.boxes {
					if a.kind == "text" && !a.r.In(image.Rect(pad-4, 0, Width-pad+4, img.Bounds().Dy())) || !a.r.In(inner) {
						t.Errorf("side %d: %s box %v leaves its area", side, a.kind, a.r)
					}
					for _, o := range r.boxes[i+1:] {
						if over(a.kind, o.kind) {
							continue // drawn over on purpose
						}
						if a.r.Overlaps(o.r) {
							t.Errorf("side %d: %s box %v overlaps %s box %v", side, a.kind, a.r, o.kind, o.r)
						}
					}
				}
			}
			bc := doc.barcode()
			if bc == nil || doc.Voided {
				return
			}
			want, _ := body["barcodeValue"].(string)
			img := render(t, p, Front)
			if bc.Format == "PKBarcodeFormatAztec" {
				img = aimed(t, p, img)
			}
			if !haveCPP {
				return
			}
			res := decodeCPP(t, img)
			if len(res) != 1 || res[0].Text != want {
				t.Errorf("zxing-cpp read %+v, want %q", res, want)
			}
		})
	}
}

// over reports whether one of two overlapping boxes is drawn over the other
// by design: text over the strip or the background image, and the
// barcode's alternative text inside its box.
func over(a, b string) bool {
	if a > b {
		a, b = b, a
	}
	switch {
	case a == "background" || b == "background":
		return true
	case a == "strip" && b == "text", a == "alttext" && b == "barcode":
		return true
	}
	return false
}

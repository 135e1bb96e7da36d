package preview

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/images"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// passFor runs a request body through the real pass engine and image
// renderer, as the API does, and returns what the preview draws.
func passFor(t testing.TB, body string) *Pass {
	t.Helper()
	req, err := pkpass.Parse([]byte(body))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	js, err := req.PassJSON(pkpass.PassInfo{PassTypeID: "pass.test", TeamID: "TEAM", Serial: "preview", FirstIssued: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatalf("PassJSON: %v", err)
	}
	p := &Pass{JSON: js, Files: map[string][]byte{}}
	ir := images.NewRenderer(images.Options{})
	for _, ref := range req.Images() {
		vs, err := ir.Slot(context.Background(), ref.Field, ref.URL, ref.Slot)
		if err != nil {
			t.Fatalf("Slot(%s): %v", ref.Field, err)
		}
		for _, v := range vs {
			p.Files[v.Name] = v.Data
		}
	}
	return p
}

func render(t testing.TB, p *Pass, side Side) image.Image {
	t.Helper()
	data, err := Render(p, side)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the preview is not a PNG: %v", err)
	}
	saveArtefact(t, data)
	return img
}

// saveArtefact keeps the PNG for a person to look at when
// WW_PREVIEW_ARTEFACTS names a folder (never inside the repository).
func saveArtefact(t testing.TB, data []byte) {
	dir := os.Getenv("WW_PREVIEW_ARTEFACTS")
	if dir == "" {
		return
	}
	name := filepath.Join(dir, filepath.Base(t.Name())+".png")
	for i := 2; ; i++ {
		if _, err := os.Stat(name); err != nil {
			break
		}
		name = filepath.Join(dir, filepath.Base(t.Name())+"-"+string(rune('0'+i%10))+".png")
	}
	os.WriteFile(name, data, 0o600)
}

// solidPNG is a data URI of a w×h PNG of one colour.
func solidPNG(t testing.TB, w, h int, c [3]uint8) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c[0], c[1], c[2], 255
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return "data:image/png;base64," + b64(buf.Bytes())
}

func pngBytes(t testing.TB, w, h int, c [3]uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c[0], c[1], c[2], 255
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

func mustPNG(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

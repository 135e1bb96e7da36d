package preview

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/aztec"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// decodeGo reads the barcode with gozxing, which has QR, Aztec and Code 128
// readers (no PDF417).
func decodeGo(t *testing.T, img image.Image, format string) (string, bool) {
	t.Helper()
	var rd gozxing.Reader
	switch format {
	case "QR":
		rd = qrcode.NewQRCodeReader()
	case "Aztec":
		rd = aztec.NewAztecReader()
	case "Code128":
		rd = oned.NewCode128Reader()
	default:
		return "", false
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("gozxing bitmap: %v", err)
	}
	res, err := rd.Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("gozxing could not read the %s barcode: %v", format, err)
	}
	return res.GetText(), true
}

// zxingCPP reports whether the zxing-cpp Python binding is installed; CI
// installs it (scripts/test.sh), so there a missing one fails the test.
func zxingCPP(t *testing.T) bool {
	t.Helper()
	if exec.Command("/usr/bin/python3", "-c", "import zxingcpp, numpy").Run() == nil {
		return true
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("python3-zxing-cpp is not installed; scripts/test.sh installs it in CI")
	}
	return false
}

type decoded struct{ Format, Text string }

// decodeCPP reads every barcode in img with zxing-cpp.
func decodeCPP(t *testing.T, img image.Image) []decoded {
	t.Helper()
	b := img.Bounds()
	rgb := make([]byte, 0, 3*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			// Over white, like paper behind the card's transparent corners.
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			over := func(v uint8) byte { return byte((int(v)*int(c.A) + 255*(255-int(c.A))) / 255) }
			rgb = append(rgb, over(c.R), over(c.G), over(c.B))
		}
	}
	path := filepath.Join(t.TempDir(), "rgb.raw")
	if err := os.WriteFile(path, rgb, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", "testdata/zxing_read.py", path, itoa(b.Dx()), itoa(b.Dy())).Output()
	if err != nil {
		t.Fatalf("zxing-cpp: %v", err)
	}
	var res []decoded
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var d decoded
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("zxing-cpp output %q: %v", sc.Text(), err)
		}
		res = append(res, d)
	}
	return res
}

var cppFormat = map[string]string{"QR": "QRCode", "PDF417": "PDF417", "Aztec": "Aztec", "Code128": "Code128"}

func TestBarcodeDecodesToItsValue(t *testing.T) {
	long := strings.Repeat("0123456789abcdefghij", 26)[:512] // barcodeValue's limit
	cases := []struct {
		name, format, value string
	}{
		{"qr short", "QR", "LOYALTY-98765"},
		{"qr longest value", "QR", long},
		{"qr latin-1", "QR", "Café crème"},
		{"qr non-latin", "QR", "東京 カード"},
		{"aztec short", "Aztec", "TICKET-42"},
		{"aztec longest value", "Aztec", long},
		{"pdf417 short", "PDF417", "BOARDING M1DOE/JOHN"},
		{"pdf417 long", "PDF417", long[:300]},
		{"pdf417 longest value", "PDF417", long},
		{"pdf417 latin-1", "PDF417", "Café crème"},
		{"pdf417 7 chars", "PDF417", "ABCDEFG"},
		{"pdf417 64 chars", "PDF417", long[:64]},
		{"pdf417 130 chars", "PDF417", long[:130]},
		{"code128 digits", "Code128", "123456789012"},
		{"code128 mixed", "Code128", "ABC-123-xyz"},
	}
	// Every row count the encoder may choose, through the lengths.
	for _, n := range []int{1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377} {
		cases = append(cases, struct{ name, format, value string }{"pdf417 length " + itoa(n), "PDF417", long[:n]})
	}
	haveCPP := zxingCPP(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"barcodeValue": c.value, "barcodeFormat": c.format, "logoText": "Scan me"})
			p := passFor(t, string(body))
			img := render(t, p, Front)
			if c.format == "Aztec" {
				img = aimed(t, p, img)
			}
			got, ok := decodeGo(t, img, c.format)
			if ok && got != c.value {
				t.Errorf("gozxing read %q, want %q", got, c.value)
			}
			if !haveCPP {
				if !ok {
					t.Skip("no decoder for " + c.format + " here: install python3-zxing-cpp")
				}
				return
			}
			res := decodeCPP(t, img)
			if len(res) != 1 {
				t.Fatalf("zxing-cpp found %d barcodes, want 1: %+v", len(res), res)
			}
			if res[0].Format != cppFormat[c.format] || res[0].Text != c.value {
				t.Errorf("zxing-cpp read %s %q, want %s %q", res[0].Format, res[0].Text, cppFormat[c.format], c.value)
			}
		})
	}
}

// aimed is what a scanner aimed at the barcode sees: the barcode's box and
// a margin of the card around it. ZXing's Aztec detectors (both of them)
// look for the bullseye from the middle of the picture outwards, as a
// camera frame has it, so an Aztec code at the bottom of a tall card is
// read from this view; the other formats are read from the whole card.
func aimed(t *testing.T, p *Pass, img image.Image) image.Image {
	t.Helper()
	doc, err := parseDoc(p.JSON)
	if err != nil {
		t.Fatal(err)
	}
	r := newRenderer(doc, p.Files)
	r.tracing = true
	r.front()
	r.release()
	for _, b := range r.boxes {
		if b.kind == "barcode" {
			view := b.r.Inset(-40).Intersect(img.Bounds())
			return img.(interface {
				SubImage(image.Rectangle) image.Image
			}).SubImage(view)
		}
	}
	t.Fatal("no barcode box was drawn")
	return nil
}

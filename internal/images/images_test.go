package images

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet"
)

// testImage is a w×h opaque gradient, so resizing has something to filter.
func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 0x80, 0xff})
		}
	}
	return img
}

func pngOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func jpegOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngChunk frames one PNG chunk.
func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

// bombPNG is a greyscale PNG declaring w×h whose IDAT holds rows zero rows,
// deflated: a few KiB that would need w×h bytes (and far more as RGBA) to decode.
func bombPNG(t testing.TB, w, h, rows int) []byte {
	t.Helper()
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8 // bit depth; colour type 0 (grey), default compression/filter/interlace
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, w+1)
	for i := 0; i < rows; i++ {
		zw.Write(row)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	b.Write(pngChunk("IHDR", ihdr))
	b.Write(pngChunk("IDAT", z.Bytes()))
	b.Write(pngChunk("IEND", nil))
	return b.Bytes()
}

// jpegDeclaring rewrites a small baseline JPEG's frame header to claim w×h.
func jpegDeclaring(t testing.TB, w, h int) []byte {
	t.Helper()
	b := jpegOf(t, testImage(16, 16))
	i := bytes.Index(b, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0 marker in test JPEG")
	}
	binary.BigEndian.PutUint16(b[i+5:], uint16(h))
	binary.BigEndian.PutUint16(b[i+7:], uint16(w))
	return b
}

func decodedSize(t *testing.T, data []byte) (int, int) {
	t.Helper()
	if sniff(data) != formatPNG {
		t.Fatalf("variant is not a PNG (starts %q)", data[:min(8, len(data))])
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Width, cfg.Height
}

func TestRenderSizes(t *testing.T) {
	type size struct{ w, h int }
	tests := []struct {
		name string
		slot string
		src  image.Image
		want [3]size
	}{
		{"icon square", SlotIcon, testImage(300, 300), [3]size{{38, 38}, {76, 76}, {114, 114}}},
		{"icon wide is cropped", SlotIcon, testImage(400, 100), [3]size{{38, 38}, {76, 76}, {114, 114}}},
		{"icon tiny is scaled up", SlotIcon, testImage(10, 10), [3]size{{38, 38}, {76, 76}, {114, 114}}},
		{"logo wide fits width", SlotLogo, testImage(800, 100), [3]size{{160, 20}, {320, 40}, {480, 60}}},
		{"logo tall fits height", SlotLogo, testImage(100, 200), [3]size{{25, 50}, {50, 100}, {75, 150}}},
		{"logo exact aspect", SlotLogo, testImage(320, 100), [3]size{{160, 50}, {320, 100}, {480, 150}}},
		{"logo 4:1", SlotLogo, testImage(400, 100), [3]size{{160, 40}, {320, 80}, {480, 120}}},
		{"thumbnail square", SlotThumbnail, testImage(1000, 1000), [3]size{{90, 90}, {180, 180}, {270, 270}}},
		{"thumbnail wide", SlotThumbnail, testImage(300, 200), [3]size{{90, 60}, {180, 120}, {270, 180}}},
		// 2:3 and 3:2 are the ends of the range Wallet shows uncropped.
		{"thumbnail 2:3", SlotThumbnail, testImage(200, 300), [3]size{{60, 90}, {120, 180}, {180, 270}}},
		{"thumbnail 3:2", SlotThumbnail, testImage(300, 200), [3]size{{90, 60}, {180, 120}, {270, 180}}},
		// Outside it the centre is cut to the nearest end first: a 50×300
		// photo is framed to 50×75 and then fills the slot's height.
		{"thumbnail 1:6 is framed", SlotThumbnail, testImage(50, 300), [3]size{{60, 90}, {120, 180}, {180, 270}}},
		{"thumbnail 1:2 is framed", SlotThumbnail, testImage(200, 400), [3]size{{60, 90}, {120, 180}, {180, 270}}},
		{"thumbnail 4:1 is framed", SlotThumbnail, testImage(800, 200), [3]size{{90, 60}, {180, 120}, {270, 180}}},
		{"thumbnail 1px line stays in range", SlotThumbnail, testImage(1000, 1), [3]size{{68, 45}, {135, 90}, {203, 135}}},
		{"event ticket strip", SlotStripEvent, testImage(2000, 300), [3]size{{375, 98}, {750, 196}, {1125, 294}}},
		{"background", SlotBackground, testImage(600, 600), [3]size{{180, 220}, {360, 440}, {540, 660}}},
		{"footer", SlotFooter, testImage(600, 100), [3]size{{286, 15}, {572, 30}, {858, 45}}},
		{"artwork", SlotArtwork, testImage(1000, 1000), [3]size{{358, 448}, {716, 896}, {1074, 1344}}},
		{"strip wide", SlotStrip, testImage(2000, 300), [3]size{{375, 144}, {750, 288}, {1125, 432}}},
		{"strip tall", SlotStrip, testImage(300, 2000), [3]size{{375, 144}, {750, 288}, {1125, 432}}},
		{"logo large source shrinks first", SlotLogo, testImage(2048, 2048), [3]size{{50, 50}, {100, 100}, {150, 150}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := render(context.Background(), "logoURL", pngOf(t, tt.src), tt.slot)
			if err != nil {
				t.Fatal(err)
			}
			if len(vs) != 3 {
				t.Fatalf("got %d variants, want 3", len(vs))
			}
			for i, v := range vs {
				if want := VariantName(SlotFile(tt.slot), i+1); v.Name != want {
					t.Errorf("variant %d named %q, want %q", i, v.Name, want)
				}
				w, h := decodedSize(t, v.Data)
				if (size{w, h}) != tt.want[i] {
					t.Errorf("%s is %d×%d, want %d×%d", v.Name, w, h, tt.want[i].w, tt.want[i].h)
				}
			}
		})
	}
}

func TestShrinkAverages(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 5, 2))
	// Two 2×2 blocks and a leftover column that must be ignored.
	vals := [2][5]uint8{{0, 100, 200, 200, 9}, {100, 200, 40, 40, 9}}
	for y := range 2 {
		for x := range 5 {
			src.SetNRGBA(x, y, color.NRGBA{vals[y][x], 0, 0, 0xff})
		}
	}
	got := shrink(src, src.Bounds(), 2)
	if got.Bounds().Dx() != 2 || got.Bounds().Dy() != 1 {
		t.Fatalf("shrunk to %v, want 2×1", got.Bounds())
	}
	for i, want := range []uint8{100, 120} {
		if c := got.RGBAAt(i, 0); c.R != want || c.A != 0xff {
			t.Errorf("pixel %d = %v, want R=%d opaque", i, c, want)
		}
	}
}

func TestVariantNames(t *testing.T) {
	got := []string{VariantName("logo", 1), VariantName("logo", 2), VariantName("strip", 3)}
	want := []string{"logo.png", "logo@2x.png", "strip@3x.png"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("VariantName #%d = %q, want %q", i, got[i], want[i])
		}
	}
}

// TestRenderCrop checks the centre crops pick the middle of the source: a
// source in three vertical bands must give an icon (and a strip from a wide
// source) in the middle band's colour, edges included.
func TestRenderCrop(t *testing.T) {
	green := color.NRGBA{0, 0xff, 0, 0xff}
	bands := func(w, h int) image.Image {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBA{0xff, 0, 0, 0xff}
				switch {
				case x >= w/3 && x < 2*w/3:
					c = green
				case x >= 2*w/3:
					c = color.NRGBA{0, 0, 0xff, 0xff}
				}
				img.SetNRGBA(x, y, c)
			}
		}
		return img
	}
	tests := []struct {
		name string
		slot string
		src  image.Image
	}{
		{"icon from 3:1", SlotIcon, bands(300, 100)},
		{"strip from very wide", SlotStrip, bands(3*375*2, 144*2)},
		// 50×300 in three horizontal bands of 100: the 50×75 frame is the
		// middle of the middle band.
		{"thumbnail from 1:6", SlotThumbnail, transpose(bands(300, 50))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := render(context.Background(), "iconURL", pngOf(t, tt.src), tt.slot)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(vs[0].Data))
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			for _, p := range []image.Point{b.Min, {b.Max.X - 1, b.Min.Y}, {b.Dx() / 2, b.Dy() / 2}, b.Max.Sub(image.Pt(1, 1))} {
				r, g, bl, _ := img.At(p.X, p.Y).RGBA()
				if r>>8 > 8 || g>>8 < 247 || bl>>8 > 8 {
					t.Errorf("pixel %v = (%d,%d,%d), want green", p, r>>8, g>>8, bl>>8)
				}
			}
		})
	}
}

func TestRenderJPEGBecomesPNG(t *testing.T) {
	vs, err := render(context.Background(), "thumbnailURL", jpegOf(t, testImage(600, 300)), SlotThumbnail)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if !bytes.HasPrefix(v.Data, []byte("\x89PNG")) {
			t.Errorf("%s is not PNG", v.Name)
		}
	}
	// 2:1 is framed to 3:2 first.
	if w, h := decodedSize(t, vs[2].Data); w != 270 || h != 180 {
		t.Errorf("@3x is %d×%d, want 270×180", w, h)
	}
}

func TestRenderRefusals(t *testing.T) {
	good := pngOf(t, testImage(64, 64))
	tests := []struct {
		name string
		src  []byte
		want string
	}{
		{"empty", nil, "logoURL is empty"},
		{"not an image", []byte("<html>hello</html>"), "logoURL is not a PNG or JPEG image"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), "logoURL is not a PNG or JPEG image"},
		{"png header only", good[:20], "logoURL is a truncated or corrupt PNG image"},
		{"png truncated pixels", good[:len(good)-40], "logoURL is a truncated or corrupt PNG image"},
		{"jpeg truncated", jpegOf(t, testImage(64, 64))[:300], "logoURL is a truncated or corrupt JPEG image"},
		{"png 20000×20000", bombPNG(t, 20000, 20000, 1), "logoURL is 20000×20000 pixels; the limit is 4096×4096"},
		{"png too wide only", bombPNG(t, 4097, 1, 1), "logoURL is 4097×1 pixels; the limit is 4096×4096"},
		{"jpeg 20000×20000", jpegDeclaring(t, 20000, 20000), "logoURL is 20000×20000 pixels; the limit is 4096×4096"},
		{"over 5 MiB", append(append([]byte{}, good...), make([]byte, MaxBytes)...), "logoURL is larger than 5 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(context.Background(), "logoURL", tt.src, SlotLogo)
			var e *walletwallet.Error
			if !errors.As(err, &e) || e.Code != walletwallet.EINVALID {
				t.Fatalf("err = %v, want an EINVALID *walletwallet.Error", err)
			}
			if e.Message != tt.want {
				t.Errorf("message = %q, want %q", e.Message, tt.want)
			}
		})
	}
	t.Run("exactly 5 MiB accepted", func(t *testing.T) {
		// Trailing bytes after IEND are ignored by decoders, so this is a valid
		// image of exactly the limit.
		src := append(append([]byte{}, good...), make([]byte, MaxBytes-len(good))...)
		if _, err := render(context.Background(), "logoURL", src, SlotLogo); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unknown slot is internal", func(t *testing.T) {
		_, err := render(context.Background(), "logoURL", good, "wallpaper")
		if err == nil || walletwallet.ErrorCode(err) != walletwallet.EINTERNAL {
			t.Fatalf("err = %v, want an internal error", err)
		}
	})
}

// TestRenderBombMemory refuses decompression bombs from their header alone:
// the allocation during the call stays far below what decoding would take.
func TestRenderBombMemory(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
	}{
		// 20000×20000 grey needs 400 MB as Gray and 1.6 GB as RGBA; the 16 MB
		// of zero rows here compress to a few KiB.
		{"zeros png 20000×20000", bombPNG(t, 20000, 20000, 800)},
		{"zeros png 60000×60000", bombPNG(t, 60000, 60000, 100)},
		{"jpeg declaring 20000×20000", jpegDeclaring(t, 20000, 20000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.src) > 1<<20 {
				t.Fatalf("bomb is %d bytes; it should be small", len(tt.src))
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := render(context.Background(), "logoURL", tt.src, SlotLogo)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "the limit is 4096×4096") {
				t.Fatalf("err = %v, want the dimension refusal", err)
			}
			if d := after.TotalAlloc - before.TotalAlloc; d > 50<<20 {
				t.Errorf("allocated %d MiB refusing a bomb, want < 50", d>>20)
			}
		})
	}
}

func TestDefaultIcon(t *testing.T) {
	vs := DefaultIcon()
	want := []struct {
		name string
		side int
	}{{"icon.png", 38}, {"icon@2x.png", 76}, {"icon@3x.png", 114}}
	if len(vs) != len(want) {
		t.Fatalf("got %d variants, want %d", len(vs), len(want))
	}
	for i, w := range want {
		if vs[i].Name != w.name {
			t.Errorf("variant %d named %q, want %q", i, vs[i].Name, w.name)
		}
		if gw, gh := decodedSize(t, vs[i].Data); gw != w.side || gh != w.side {
			t.Errorf("%s is %d×%d, want %d×%d", w.name, gw, gh, w.side, w.side)
		}
	}
	// Drawn, not blank: the centre is opaque and the rounded corner transparent.
	img, err := png.Decode(bytes.NewReader(vs[2].Data))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := img.At(43, 43).RGBA(); a != 0xffff {
		t.Errorf("centre alpha = %d, want opaque", a)
	}
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("corner alpha = %d, want transparent", a)
	}
	// Reused: a second call returns the same bytes without redrawing.
	if again := DefaultIcon(); &again[0].Data[0] != &vs[0].Data[0] {
		t.Error("DefaultIcon rendered again instead of reusing")
	}
}

func BenchmarkRender(b *testing.B) {
	cases := []struct {
		name string
		slot string
		src  image.Image
	}{
		{"logo from 1024×1024", SlotLogo, testImage(1024, 1024)},
		{"strip from 4096×2048", SlotStrip, testImage(4096, 2048)},
		{"icon from 512×512", SlotIcon, testImage(512, 512)},
	}
	for _, c := range cases {
		src := pngOf(b, c.src)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := render(context.Background(), "logoURL", src, c.slot); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// transpose swaps the axes of an image (columns become rows).
func transpose(src image.Image) image.Image {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.Set(y-b.Min.Y, x-b.Min.X, src.At(x, y))
		}
	}
	return dst
}

// Package images turns the images of a pass request into Apple's slot files:
// it decodes PNG and JPEG within strict size limits, resizes into the icon,
// logo, thumbnail and strip slots at @1x/@2x/@3x, draws the built-in icon,
// caches rendered variants by the hash of their source, and fetches https
// images through a dialer that refuses every non-public address.
package images

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"

	"github.com/walletwallet/walletwallet"
)

// Variant is one file of a slot, e.g. {"logo@2x.png", pngBytes}, with the
// SHA-1 and CRC-32 of its bytes: the manifest and the zip need both for
// every pass, and a cached variant is hashed once instead of per pass.
type Variant struct {
	Name  string
	Data  []byte
	SHA1  [sha1.Size]byte
	CRC32 uint32
}

func newVariant(name string, data []byte) Variant {
	return Variant{Name: name, Data: data, SHA1: sha1.Sum(data), CRC32: crc32.ChecksumIEEE(data)}
}

// Limits on a source image.
const (
	MaxBytes     = 5 << 20
	MaxDimension = 4096
)

// Slots a request's images can fill. Each is one row of the table below;
// a slot's file name in the bundle is its file stem (two strip slots of
// different heights both write strip.png).
const (
	SlotIcon       = "icon"
	SlotLogo       = "logo"
	SlotThumbnail  = "thumbnail"
	SlotStrip      = "strip"             // storeCard and coupon
	SlotStripEvent = "strip-eventTicket" // eventTicket's shorter strip
	SlotBackground = "background"
	SlotFooter     = "footer"
	SlotArtwork    = "artwork"
)

// slotSpec is a slot's size in points and how a source is fitted to it.
type slotSpec struct {
	w, h int
	mode fitMode
	// file is the bundle file stem (icon → icon.png, icon@2x.png, …).
	file string
	// key is the stem of the stored variants' asset keys. It changes
	// whenever the slot's rendering changes (size, framing), so variants
	// rendered by an older build are never served for the new rules.
	key string
}

type fitMode int

const (
	fitSquare fitMode = iota // centre-crop to a square, then scale
	fitInside                // keep the aspect ratio inside the box, no padding
	fitCover                 // scale to cover the box, centre-crop the rest
	fitFrame                 // centre-crop into Apple's 2:3–3:2 range, then fit inside
)

// slots follows Apple's current Human Interface Guidelines table of pass
// image sizes (in points) where it differs from the older PassKit
// programming guide: the icon is 38 pt (was 29) and the event ticket strip
// is 375×98 (other strips 375×144). docs/images.md lists the source of each row.
var slots = map[string]slotSpec{
	SlotIcon:       {38, 38, fitSquare, "icon", "icon-38pt"},
	SlotLogo:       {160, 50, fitInside, "logo", "logo"},
	SlotThumbnail:  {90, 90, fitFrame, "thumbnail", "thumbnail-framed"},
	SlotStrip:      {375, 144, fitCover, "strip", "strip"},
	SlotStripEvent: {375, 98, fitCover, "strip", "strip-eventTicket"},
	SlotBackground: {180, 220, fitCover, "background", "background"},
	SlotFooter:     {286, 15, fitCover, "footer", "footer"},
	SlotArtwork:    {358, 448, fitCover, "artwork", "artwork"},
}

// SlotFile is the bundle file stem of a slot ("strip" for SlotStripEvent),
// "" for an unknown slot.
func SlotFile(slot string) string { return slots[slot].file }

// scales are the @1x/@2x/@3x factors Wallet picks from.
var scales = [...]int{1, 2, 3}

// decodeSlots bounds concurrent full decodes across the process: a 4096×4096
// source costs 64 MiB as RGBA, so two at a time keeps the peak predictable
// under a burst of requests.
var decodeSlots = make(chan struct{}, 2)

// VariantName is the bundle file name of a slot at a scale: logo.png, logo@2x.png.
func VariantName(slot string, scale int) string {
	if scale == 1 {
		return slot + ".png"
	}
	return fmt.Sprintf("%s@%dx.png", slot, scale)
}

type format int

const (
	formatUnknown format = iota
	formatPNG
	formatJPEG
)

// sniff decides the format from the bytes alone; names and Content-Type lie.
func sniff(b []byte) format {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return formatJPEG
	}
	return formatUnknown
}

func (f format) String() string {
	if f == formatJPEG {
		return "JPEG"
	}
	return "PNG"
}

// CheckSource validates src's size, format and declared dimensions without
// decoding its pixels, and returns the dimensions.
func CheckSource(field string, src []byte) (w, h int, err error) {
	if len(src) == 0 {
		return 0, 0, walletwallet.Errorf(walletwallet.EINVALID, "%s is empty", field)
	}
	if len(src) > MaxBytes {
		return 0, 0, tooLarge(field)
	}
	f := sniff(src)
	var cfg image.Config
	switch f {
	case formatPNG:
		cfg, err = png.DecodeConfig(bytes.NewReader(src))
	case formatJPEG:
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(src))
	default:
		return 0, 0, notImage(field)
	}
	if err != nil {
		return 0, 0, walletwallet.Errorf(walletwallet.EINVALID, "%s is a truncated or corrupt %s image", field, f)
	}
	if cfg.Width > MaxDimension || cfg.Height > MaxDimension {
		return 0, 0, walletwallet.Errorf(walletwallet.EINVALID, "%s is %d×%d pixels; the limit is %d×%d",
			field, cfg.Width, cfg.Height, MaxDimension, MaxDimension)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return 0, 0, walletwallet.Errorf(walletwallet.EINVALID, "%s has no pixels (%d×%d)", field, cfg.Width, cfg.Height)
	}
	return cfg.Width, cfg.Height, nil
}

func notImage(field string) error {
	return walletwallet.Errorf(walletwallet.EINVALID, "%s is not a PNG or JPEG image", field)
}

func tooLarge(field string) error {
	return walletwallet.Errorf(walletwallet.EINVALID, "%s is larger than 5 MiB", field)
}

// render decodes src (PNG or JPEG, decided by its bytes; dimensions are
// checked from the header before any pixel memory is allocated) and returns
// the three variants of slot. field names the request field in error messages;
// client errors are *walletwallet.Error EINVALID.
func render(ctx context.Context, field string, src []byte, slot string) ([]Variant, error) {
	spec, ok := slots[slot]
	if !ok {
		return nil, fmt.Errorf("images: unknown slot %q", slot)
	}
	if _, _, err := CheckSource(field, src); err != nil {
		return nil, err
	}
	// The slot is held through resizing too: the decoded bitmap and the
	// scaler's scratch space are the large allocations.
	select {
	case decodeSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	scaled, err := decodeAndScale(field, src, spec)
	<-decodeSlots
	if err != nil {
		return nil, err
	}
	out := make([]Variant, len(scaled))
	for i, img := range scaled {
		data, err := encodePNG(img)
		if err != nil {
			return nil, fmt.Errorf("images: encode %s: %w", VariantName(spec.file, scales[i]), err)
		}
		out[i] = newVariant(VariantName(spec.file, scales[i]), data)
	}
	return out, nil
}

// decodeAndScale decodes src (its header already checked) and returns the
// slot's bitmaps at each scale.
func decodeAndScale(field string, src []byte, spec slotSpec) ([]*image.RGBA, error) {
	f := sniff(src)
	var (
		img image.Image
		err error
	)
	if f == formatJPEG {
		img, err = jpeg.Decode(bytes.NewReader(src))
	} else {
		img, err = png.Decode(bytes.NewReader(src))
	}
	if err != nil {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "%s is a truncated or corrupt %s image", field, f)
	}
	sr := crop(spec, img.Bounds())
	b := sr
	// Catmull-Rom's scratch buffer is (output width × source height) float
	// quadruples, over 50 MiB for a tall source at @3x. Averaging whole k×k
	// blocks first (exact area averaging) brings the source down to between
	// one and two times the @3x size, and the smaller scales are derived
	// from the @3x bitmap, so the scratch stays a few MiB.
	top := len(scales) - 1
	dw3, dh3 := size(spec, b, scales[top])
	if k := min(sr.Dx()/dw3, sr.Dy()/dh3); k >= 2 {
		small := shrink(img, sr, k)
		img, sr = small, small.Bounds()
	}
	out := make([]*image.RGBA, len(scales))
	for i := top; i >= 0; i-- {
		dw, dh := size(spec, b, scales[i])
		dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
		if i == top {
			draw.CatmullRom.Scale(dst, dst.Bounds(), img, sr, draw.Src, nil)
		} else {
			draw.CatmullRom.Scale(dst, dst.Bounds(), out[top], out[top].Bounds(), draw.Src, nil)
		}
		out[i] = dst
	}
	return out, nil
}

// shrink averages k×k blocks of sr into a new image: exact area averaging,
// alias-free, reading the source a band of k rows at a time so the only
// large allocation is the result.
func shrink(src image.Image, sr image.Rectangle, k int) *image.RGBA {
	ow, oh := sr.Dx()/k, sr.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, ow, oh))
	band := image.NewRGBA(image.Rect(0, 0, ow*k, k))
	sums := make([]uint32, ow*4)
	n := uint32(k * k)
	for oy := 0; oy < oh; oy++ {
		draw.Draw(band, band.Bounds(), src, image.Pt(sr.Min.X, sr.Min.Y+oy*k), draw.Src)
		clear(sums)
		for y := 0; y < k; y++ {
			row := band.Pix[y*band.Stride : y*band.Stride+ow*k*4]
			for x := 0; x < ow*k; x++ {
				o, p := (x/k)*4, x*4
				sums[o] += uint32(row[p])
				sums[o+1] += uint32(row[p+1])
				sums[o+2] += uint32(row[p+2])
				sums[o+3] += uint32(row[p+3])
			}
		}
		drow := dst.Pix[oy*dst.Stride : oy*dst.Stride+ow*4]
		for i, v := range sums {
			drow[i] = uint8((v + n/2) / n)
		}
	}
	return dst
}

// Default compression: BestCompression costs seconds on smooth, upscaled
// images (long flate match chains) for a few percent fewer bytes.
var pngEncoder = png.Encoder{CompressionLevel: png.DefaultCompression}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := pngEncoder.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// crop is the part of the source a slot shows: a centred square for the
// icon, a centred rectangle of the slot's aspect for the cover slots, for
// the thumbnail the centre of a source outside 2:3–3:2 cut to the nearest
// end of that range (Wallet would crop it anyway, after scaling it down to
// a sliver: a 50×300 photo became 15×90), all of it otherwise.
func crop(spec slotSpec, b image.Rectangle) image.Rectangle {
	w, h := b.Dx(), b.Dy()
	switch spec.mode {
	case fitFrame:
		switch {
		case 2*w > 3*h: // wider than 3:2
			return centred(b, max(1, roundDiv(3*h, 2)), h)
		case 3*w < 2*h: // taller than 2:3
			return centred(b, w, max(1, roundDiv(3*w, 2)))
		}
		return b
	case fitSquare:
		side := min(w, h)
		return centred(b, side, side)
	case fitCover:
		if w*spec.h > h*spec.w {
			// Wider than the slot: keep the height, crop the sides.
			return centred(b, max(1, roundDiv(h*spec.w, spec.h)), h)
		}
		return centred(b, w, max(1, roundDiv(w*spec.h, spec.w)))
	}
	return b
}

// size is a slot's output size in pixels at a scale. Each scale is computed
// from the point size, so a small source is scaled up: @1x, @2x and @3x then
// show the image at the same size in points, which is what Wallet expects.
func size(spec slotSpec, b image.Rectangle, scale int) (dw, dh int) {
	bw, bh := spec.w*scale, spec.h*scale
	if spec.mode != fitInside && spec.mode != fitFrame {
		return bw, bh
	}
	w, h := b.Dx(), b.Dy()
	if w*spec.h >= h*spec.w {
		dw, dh = bw, max(1, roundDiv(h*bw, w))
	} else {
		dw, dh = max(1, roundDiv(w*bh, h)), bh
	}
	if spec.mode == fitFrame {
		// A source of a few pixels cannot be cropped exactly to the range
		// (1000×1 crops to 2×1); the output is held inside it regardless.
		dw = max(min(dw, roundDiv(3*dh, 2)), 1)
		dh = max(min(dh, roundDiv(3*dw, 2)), 1)
	}
	return dw, dh
}

func centred(b image.Rectangle, w, h int) image.Rectangle {
	x := b.Min.X + (b.Dx()-w)/2
	y := b.Min.Y + (b.Dy()-h)/2
	return image.Rect(x, y, x+w, y+h)
}

// roundDiv is a/b rounded half up, for non-negative a and positive b.
func roundDiv(a, b int) int { return (2*a + b) / (2 * b) }

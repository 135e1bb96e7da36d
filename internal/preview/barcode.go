package preview

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"unicode/utf8"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/aztec"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/pdf417"
	"github.com/boombuler/barcode/qr"
)

// symbol is a barcode ready to draw: its modules, and how many pixels each
// module unit takes across and down.
type symbol struct {
	code       barcode.Barcode
	sx, sy     int
	quiet      int // quiet zone, in modules, on every side
	barsHeight int // for a linear code, the height of the bars in pixels
}

// Size limits of the drawn symbol, in pixels.
const (
	squareTarget = 300 // a 2D square code aims at 150 pt, like Wallet
	maxCodeWidth = 640
)

// encodeSymbol encodes the message in its format and picks whole-pixel
// module sizes: a module split across pixels blurs, and scanners then miss
// it. An error means the value cannot be drawn scannably in that format
// (for example a Code 128 value too long for the card).
func encodeSymbol(b *passBarcode) (*symbol, error) {
	msg := b.Message
	if b.MessageEncoding == "iso-8859-1" {
		msg = latin1(msg)
	}
	switch b.Format {
	case "PKBarcodeFormatQR":
		c, err := qr.Encode(msg, qr.M, qr.Auto)
		if err != nil {
			return nil, err
		}
		return square(c, 4, 0)
	case "PKBarcodeFormatAztec":
		c, err := aztec.Encode([]byte(msg), 33, 0)
		if err != nil {
			return nil, err
		}
		// Modules of at most 8 px: Wallet draws a compact Aztec code at about
		// the size its data needs, not blown up to the QR code's size.
		return square(c, 2, 8)
	case "PKBarcodeFormatPDF417":
		return pdf417Symbol(msg)
	case "PKBarcodeFormatCode128":
		c, err := code128.Encode(msg)
		if err != nil {
			return nil, err
		}
		w := c.Bounds().Dx()
		m := maxCodeWidth / (w + 20)
		if m < 1 {
			return nil, fmt.Errorf("the Code 128 symbol is %d modules wide", w)
		}
		m = min(m, 4)
		return &symbol{code: c, sx: m, sy: 1, quiet: 10, barsHeight: 120}, nil
	}
	return nil, fmt.Errorf("unknown barcode format %q", b.Format)
}

// square sizes a 2D square code to about squareTarget pixels, with modules
// of at most maxModule pixels (0: no limit).
func square(c barcode.Barcode, quiet, maxModule int) (*symbol, error) {
	n := c.Bounds().Dx() + 2*quiet
	m := max(squareTarget/n, 1)
	if maxModule > 0 {
		m = min(m, maxModule)
	}
	if n*m > maxCodeWidth {
		return nil, fmt.Errorf("symbol is %d modules wide", n)
	}
	if m < 2 && n*2 <= maxCodeWidth {
		m = 2
	}
	return &symbol{code: c, sx: m, sy: m, quiet: quiet}, nil
}

// latin1 turns a string that fits in ISO 8859-1 into those bytes, as
// Wallet encodes a message whose messageEncoding says so.
func latin1(s string) string {
	if utf8.ValidString(s) {
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 0xff {
				return s
			}
			b = append(b, byte(r))
		}
		return string(b)
	}
	return s
}

// size is the drawn symbol's size in pixels, quiet zone included.
func (s *symbol) size() image.Point {
	b := s.code.Bounds()
	qx, qy := s.quietPx()
	h := b.Dy()*s.sy + 2*qy
	if s.barsHeight > 0 {
		h = s.barsHeight + 2*qy
	}
	return image.Pt(b.Dx()*s.sx+2*qx, h)
}

// quietPx is the quiet zone in pixels across and down; a linear code needs
// it only at its ends, so above and below it keeps a small margin.
func (s *symbol) quietPx() (int, int) {
	if s.barsHeight > 0 {
		return s.quiet * s.sx, 16
	}
	return s.quiet * s.sx, s.quiet * s.sx
}

// draw paints the symbol, black on white, with its top-left corner at at.
func (s *symbol) draw(dst draw.Image, at image.Point) {
	sz := s.size()
	draw.Draw(dst, image.Rectangle{at, at.Add(sz)}, image.White, image.Point{}, draw.Src)
	b := s.code.Bounds()
	qx, qy := s.quietPx()
	ox, oy := at.X+qx, at.Y+qy
	if s.barsHeight > 0 {
		for x := b.Min.X; x < b.Max.X; x++ {
			if dark(s.code.At(x, b.Min.Y)) {
				px := ox + (x-b.Min.X)*s.sx
				draw.Draw(dst, image.Rect(px, oy, px+s.sx, oy+s.barsHeight), image.Black, image.Point{}, draw.Src)
			}
		}
		return
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if dark(s.code.At(x, y)) {
				px, py := ox+(x-b.Min.X)*s.sx, oy+(y-b.Min.Y)*s.sy
				draw.Draw(dst, image.Rect(px, py, px+s.sx, py+s.sy), image.Black, image.Point{}, draw.Src)
			}
		}
	}
}

func dark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

// pdf417Symbol encodes a PDF417 symbol. The encoder computes the left row
// indicator of rows 0, 3, 6, … as (rows-3)/3 where the standard says
// (rows-1)/3; the two agree when the row count is a multiple of three, and
// strict decoders refuse the symbol otherwise. The row count follows from
// the error-correction level, so we take the level nearest to the one the
// standard recommends for the message's length that gives such a count.
func pdf417Symbol(msg string) (*symbol, error) {
	rec := 2
	switch n := len(msg); {
	case n > 320:
		rec = 5
	case n > 160:
		rec = 4
	case n > 40:
		rec = 3
	}
	order := []int{rec}
	for d := 1; d <= 8; d++ {
		if rec+d <= 8 {
			order = append(order, rec+d)
		}
		if rec-d >= 0 {
			order = append(order, rec-d)
		}
	}
	for _, level := range order {
		c, err := pdf417.Encode(msg, byte(level))
		if err != nil {
			continue
		}
		// The encoder draws each row two units tall.
		if rows := c.Bounds().Dy() / 2; rows%3 != 0 {
			continue
		}
		w := c.Bounds().Dx()
		m := min(maxCodeWidth/(w+4), 4)
		if m < 1 {
			continue
		}
		// Rows three modules tall, the usual minimum.
		return &symbol{code: c, sx: m, sy: (3*m + 1) / 2, quiet: 2}, nil
	}
	return nil, fmt.Errorf("PDF417: no symbol of %d bytes fits", len(msg))
}

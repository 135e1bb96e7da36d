package preview

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strconv"
	"strings"

	xdraw "golang.org/x/image/draw"
)

// Layout, in pixels at @2x.
const (
	pad        = 28 // left and right margin of the card's content
	radius     = 28 // corner radius of the card
	headerH    = 140
	logoMaxW   = 320 // the logo slot is 160×50 pt
	logoMaxH   = 100
	rowH       = 92
	labelPx    = 22
	valuePx    = 32
	primaryPx  = 64
	logoTextPx = 34
	// Wallet shows only so many fields of each kind on the front.
	maxHeader    = 3
	maxPrimary   = 1
	maxRow       = 4
	maxBackLines = 12
)

// renderer draws one pass once.
type renderer struct {
	doc                *passDoc
	faces              faces
	bg, fg, label      color.RGBA
	logo, strip, thumb image.Image
	background, footer image.Image

	// tracing records where text and images were drawn, for the tests that
	// check nothing overflows its place.
	tracing bool
	boxes   []traced
	altText bool // the text being drawn sits inside the barcode's box
}

type traced struct {
	kind string
	r    image.Rectangle
}

func newRenderer(doc *passDoc, files map[string][]byte) *renderer {
	r := &renderer{
		doc:   doc,
		faces: facePool.Get().(faces),
		bg:    parseRGB(doc.BackgroundColor, color.RGBA{17, 24, 39, 255}),
		fg:    parseRGB(doc.ForegroundColor, color.RGBA{255, 255, 255, 255}),
		label: parseRGB(doc.LabelColor, color.RGBA{156, 163, 175, 255}),
	}
	r.logo = decodePNG(files["logo@2x.png"])
	r.strip = decodePNG(files["strip@2x.png"])
	r.thumb = decodePNG(files["thumbnail@2x.png"])
	r.background = decodePNG(files["background@2x.png"])
	r.footer = decodePNG(files["footer@2x.png"])
	return r
}

func (r *renderer) release() { facePool.Put(r.faces) }

func (r *renderer) trace(kind string, box image.Rectangle) {
	if r.tracing && !box.Empty() {
		if r.altText {
			kind = "alttext"
		}
		r.boxes = append(r.boxes, traced{kind, box})
	}
}

// decodePNG decodes an image file of the bundle; an unreadable one is left
// out of the preview rather than failing it.
func decodePNG(data []byte) image.Image {
	if len(data) == 0 {
		return nil
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	return img
}

// parseRGB reads pass.json's "rgb(r, g, b)" colours.
func parseRGB(s string, def color.RGBA) color.RGBA {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "rgb(") || !strings.HasSuffix(s, ")") {
		return def
	}
	parts := strings.Split(s[4:len(s)-1], ",")
	if len(parts) != 3 {
		return def
	}
	var v [3]uint8
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 || n > 255 {
			return def
		}
		v[i] = uint8(n)
	}
	return color.RGBA{v[0], v[1], v[2], 255}
}

func firstN(fs []passField, n int) []passField {
	if len(fs) > n {
		return fs[:n]
	}
	return fs
}

// hasStrip reports whether the style draws a strip image behind the primary fields.
func (r *renderer) hasStrip() bool {
	switch r.doc.style {
	case "storeCard", "coupon", "eventTicket":
		return r.strip != nil
	}
	return false
}

// stripHeight is the strip slot's height: 98 pt on event tickets, 144 pt elsewhere.
func (r *renderer) stripHeight() int {
	if r.doc.style == "eventTicket" {
		return 196
	}
	return 288
}

func (r *renderer) bodyHeight() int {
	if r.hasStrip() {
		return r.stripHeight() + 16
	}
	h := 136
	if r.thumb != nil && (r.doc.style == "generic" || r.doc.style == "eventTicket") {
		h = max(h, min(r.thumb.Bounds().Dy(), 180)+16)
	}
	return h
}

// front draws the front of the pass.
func (r *renderer) front() *image.RGBA {
	f := r.doc.fields
	sym, symErr := (*symbol)(nil), error(nil)
	bc := r.doc.barcode()
	if bc != nil && !r.doc.Voided {
		sym, symErr = encodeSymbol(bc)
	}
	// Heights first, so the canvas is allocated once.
	h := headerH + r.bodyHeight()
	if len(f.SecondaryFields) > 0 {
		h += rowH
	}
	if len(f.AuxiliaryFields) > 0 {
		h += rowH
	}
	if r.footer != nil && r.doc.style == "boardingPass" {
		h += r.footer.Bounds().Dy() + 20
	}
	boxW, boxH := r.barcodeBox(sym, bc)
	if boxH > 0 {
		h += boxH + 32
	}
	h += 24

	img := image.NewRGBA(image.Rect(0, 0, Width, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(r.bg), image.Point{}, draw.Src)
	if r.background != nil && r.doc.style == "eventTicket" {
		r.cover(img, r.background, img.Bounds(), "background")
	}

	r.header(img)
	y := headerH
	r.body(img, y)
	y += r.bodyHeight()
	if len(f.SecondaryFields) > 0 {
		r.row(img, f.SecondaryFields, y)
		y += rowH
	}
	if len(f.AuxiliaryFields) > 0 {
		r.row(img, f.AuxiliaryFields, y)
		y += rowH
	}
	if r.footer != nil && r.doc.style == "boardingPass" {
		fb := r.footer.Bounds()
		at := image.Pt((Width-fb.Dx())/2, y+10)
		r.place(img, r.footer, at, "footer")
		y += fb.Dy() + 20
	}
	if boxH > 0 {
		r.drawBarcode(img, sym, symErr, bc, image.Rect((Width-boxW)/2, y+16, (Width+boxW)/2, y+16+boxH))
	}
	roundCorners(img)
	return img
}

func (r *renderer) header(img *image.RGBA) {
	x := pad
	if r.logo != nil {
		b := r.logo.Bounds()
		w, h := min(b.Dx(), logoMaxW), min(b.Dy(), logoMaxH)
		r.scaleInto(img, r.logo, image.Rect(pad, 70-h/2, pad+w, 70-h/2+h), "logo")
		x = pad + w + 16
	}
	// Header fields sit at the right; together they may take 60% of the
	// width, and never the logo's place.
	right := Width - pad
	hs := firstN(r.doc.fields.HeaderFields, maxHeader)
	if len(hs) > 0 {
		budget := min((Width-2*pad)*6/10, right-x) / len(hs)
		for i := len(hs) - 1; i >= 0; i-- {
			fl := hs[i]
			w := min(max(r.width(fl.Label, true, labelPx), r.width(fl.text(), false, valuePx)), budget-12)
			left := right - w
			r.text(img, fl.Label, true, labelPx, r.label, left, 56, w, alignOf(fl.TextAlignment, alignRight))
			r.text(img, fl.text(), false, valuePx, r.fg, left, 98, w, alignOf(fl.TextAlignment, alignRight))
			right = left - 12
		}
		right -= 4
	}
	if r.doc.LogoText != "" && right-x > 20 {
		r.text(img, r.doc.LogoText, true, logoTextPx, r.fg, x, 82, right-x, alignLeft)
	}
}

// width is the advance of s in pixels at that font and size.
func (r *renderer) width(s string, bold bool, px int) int {
	face := r.faces.get(bold, px)
	d := 0
	for _, c := range oneLine(s) {
		if a, ok := face.GlyphAdvance(c); ok {
			d += int(a)
		}
	}
	return (d + 63) >> 6
}

func (r *renderer) body(img *image.RGBA, y int) {
	f := r.doc.fields
	contentW := Width - 2*pad
	if r.doc.style == "boardingPass" {
		ps := firstN(f.PrimaryFields, 2)
		half := contentW/2 - 50
		for i, p := range ps {
			x, a := pad, alignLeft
			if i == 1 {
				x, a = Width-pad-half, alignRight
			}
			r.text(img, p.Label, true, labelPx, r.label, x, y+30, half, a)
			r.text(img, p.text(), false, primaryPx, r.fg, x, y+100, half, a)
		}
		r.text(img, transitGlyph(f.TransitType), true, 48, r.fg, Width/2-40, y+92, 80, alignCenter)
		return
	}
	ps := firstN(f.PrimaryFields, maxPrimary)
	if r.hasStrip() {
		sh := r.stripHeight()
		r.cover(img, r.strip, image.Rect(0, y, Width, y+sh), "strip")
		for _, p := range ps {
			r.text(img, p.text(), false, primaryPx, r.fg, pad, y+86, contentW, alignOf(p.TextAlignment, alignLeft))
			r.text(img, p.Label, true, labelPx, r.label, pad, y+124, contentW, alignOf(p.TextAlignment, alignLeft))
		}
		return
	}
	textW := contentW
	if r.thumb != nil && (r.doc.style == "generic" || r.doc.style == "eventTicket") {
		b := r.thumb.Bounds()
		w, h := min(b.Dx(), 180), min(b.Dy(), 180)
		r.scaleInto(img, r.thumb, image.Rect(Width-pad-w, y, Width-pad, y+h), "thumbnail")
		textW -= w + 20
	}
	for _, p := range ps {
		if r.doc.style == "storeCard" || r.doc.style == "coupon" {
			r.text(img, p.text(), false, primaryPx, r.fg, pad, y+70, textW, alignOf(p.TextAlignment, alignLeft))
			r.text(img, p.Label, true, labelPx, r.label, pad, y+108, textW, alignOf(p.TextAlignment, alignLeft))
			continue
		}
		r.text(img, p.Label, true, labelPx, r.label, pad, y+30, textW, alignOf(p.TextAlignment, alignLeft))
		r.text(img, p.text(), false, primaryPx, r.fg, pad, y+100, textW, alignOf(p.TextAlignment, alignLeft))
	}
}

// transitGlyph stands between a boarding pass's origin and destination
// (the Go fonts have arrows but no vehicle pictographs).
func transitGlyph(string) string { return "→" }

// row draws up to four fields side by side: the first left-aligned, the
// last right-aligned, as Wallet does, unless a field says otherwise.
func (r *renderer) row(img *image.RGBA, fs []passField, y int) {
	fs = firstN(fs, maxRow)
	colW := (Width - 2*pad) / len(fs)
	for i, fl := range fs {
		def := alignLeft
		if len(fs) > 1 && i == len(fs)-1 {
			def = alignRight
		}
		a := alignOf(fl.TextAlignment, def)
		x := pad + i*colW
		w := colW - 12
		if i == len(fs)-1 {
			x, w = pad+i*colW+12, colW-12
			if len(fs) == 1 {
				x, w = pad, colW
			}
		}
		r.text(img, fl.Label, true, labelPx, r.label, x, y+30, w, a)
		r.text(img, fl.text(), false, valuePx, r.fg, x, y+72, w, a)
	}
}

// barcodeBox is the size of the white box that holds the barcode, its
// alternative text, or a note saying why it is not drawn.
func (r *renderer) barcodeBox(sym *symbol, bc *passBarcode) (int, int) {
	switch {
	case r.doc.Voided, bc == nil:
		if r.doc.Voided {
			return 560, 110
		}
		return 0, 0
	case sym == nil:
		return 560, 110
	}
	sz := sym.size()
	h := sz.Y + 24
	if bc.AltText != "" {
		h += 40
	}
	return max(sz.X+24, 240), h
}

func (r *renderer) drawBarcode(img *image.RGBA, sym *symbol, symErr error, bc *passBarcode, box image.Rectangle) {
	fillRounded(img, box, 16, color.RGBA{255, 255, 255, 255})
	r.trace("barcode", box)
	ink := color.RGBA{0, 0, 0, 255}
	if sym == nil {
		msg := "This barcode cannot be shown in the preview"
		if r.doc.Voided {
			msg = "This pass is void"
		} else if symErr != nil && bc != nil {
			msg = "The " + strings.TrimPrefix(bc.Format, "PKBarcodeFormat") + " barcode cannot hold this value"
		}
		r.text(img, msg, true, 26, ink, box.Min.X+20, box.Min.Y+box.Dy()/2+10, box.Dx()-40, alignCenter)
		return
	}
	sz := sym.size()
	at := image.Pt(box.Min.X+(box.Dx()-sz.X)/2, box.Min.Y+12)
	sym.draw(img, at)
	if bc.AltText != "" {
		r.altText = true
		r.text(img, bc.AltText, false, 24, ink, box.Min.X+12, at.Y+sz.Y+30, box.Dx()-24, alignCenter)
		r.altText = false
	}
}

// place draws an image at its own size.
func (r *renderer) place(dst *image.RGBA, src image.Image, at image.Point, kind string) {
	b := src.Bounds()
	rect := image.Rectangle{at, at.Add(b.Size())}
	draw.Draw(dst, rect, src, b.Min, draw.Over)
	r.trace(kind, rect)
}

// scaleInto draws src into rect, scaling only when the sizes differ.
func (r *renderer) scaleInto(dst *image.RGBA, src image.Image, rect image.Rectangle, kind string) {
	if src.Bounds().Size() == rect.Size() {
		r.place(dst, src, rect.Min, kind)
		return
	}
	xdraw.ApproxBiLinear.Scale(dst, rect, src, src.Bounds(), draw.Over, nil)
	r.trace(kind, rect)
}

// cover fills rect with src, scaled to cover it and cropped at the centre.
func (r *renderer) cover(dst *image.RGBA, src image.Image, rect image.Rectangle, kind string) {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	// Crop the source to rect's aspect ratio.
	if sw*rect.Dy() > sh*rect.Dx() {
		cw := sh * rect.Dx() / rect.Dy()
		b = image.Rect(b.Min.X+(sw-cw)/2, b.Min.Y, b.Min.X+(sw-cw)/2+cw, b.Max.Y)
	} else {
		ch := sw * rect.Dy() / rect.Dx()
		b = image.Rect(b.Min.X, b.Min.Y+(sh-ch)/2, b.Max.X, b.Min.Y+(sh-ch)/2+ch)
	}
	if b.Size() == rect.Size() {
		draw.Draw(dst, rect, src, b.Min, draw.Over)
	} else {
		xdraw.ApproxBiLinear.Scale(dst, rect, src, b, draw.Over, nil)
	}
	r.trace(kind, rect)
}

// fillRounded fills rect with c, leaving its corners round (what was
// there before shows outside them).
func fillRounded(img *image.RGBA, rect image.Rectangle, rad int, c color.RGBA) {
	u := image.NewUniform(c)
	draw.Draw(img, image.Rect(rect.Min.X+rad, rect.Min.Y, rect.Max.X-rad, rect.Max.Y), u, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(rect.Min.X, rect.Min.Y+rad, rect.Max.X, rect.Max.Y-rad), u, image.Point{}, draw.Src)
	corners(rect, rad, true, func(x, y int) { img.SetRGBA(x, y, c) })
}

// roundCorners makes the card's corners transparent, as the card is round.
func roundCorners(img *image.RGBA) {
	corners(img.Bounds(), radius, false, func(x, y int) { img.SetRGBA(x, y, color.RGBA{}) })
}

// corners calls f for each pixel of rect's four corner squares that lies
// inside (or, with in false, outside) the rounded corner of radius rad.
func corners(rect image.Rectangle, rad int, in bool, f func(x, y int)) {
	r2 := rad * rad
	for dy := 0; dy < rad; dy++ {
		for dx := 0; dx < rad; dx++ {
			// Distance of the pixel's centre from the corner circle's centre.
			ex, ey := 2*(rad-dx)-1, 2*(rad-dy)-1
			if (ex*ex+ey*ey <= 4*r2) != in {
				continue
			}
			f(rect.Min.X+dx, rect.Min.Y+dy)
			f(rect.Max.X-1-dx, rect.Min.Y+dy)
			f(rect.Min.X+dx, rect.Max.Y-1-dy)
			f(rect.Max.X-1-dx, rect.Max.Y-1-dy)
		}
	}
}

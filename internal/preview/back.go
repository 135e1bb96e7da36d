package preview

import (
	"image"
	"image/color"
	"image/draw"
)

// The back is drawn like Wallet's details sheet: dark text on a light
// ground, whatever the front's colours.
var (
	backGround = color.RGBA{242, 242, 247, 255}
	backInk    = color.RGBA{17, 17, 17, 255}
	backLabel  = color.RGBA{99, 99, 102, 255}
	backRule   = color.RGBA{209, 209, 214, 255}
)

const (
	backLabelPx = 24
	backValuePx = 30
	backLineH   = 40
)

type backEntry struct {
	label string
	lines []string
}

// back draws the back fields (and an event ticket's additional info
// fields), each value wrapped to the card's width.
func (r *renderer) back() *image.RGBA {
	f := r.doc.fields
	contentW := Width - 2*pad
	face := r.faces.get(false, backValuePx)
	var entries []backEntry
	for _, fs := range [][]passField{f.BackFields, f.AdditionalInfoFields} {
		for _, fl := range fs {
			entries = append(entries, backEntry{fl.Label, wrap(face, fl.text(), contentW, maxBackLines)})
		}
	}
	h := 120
	for _, e := range entries {
		h += 24 + 34 + len(e.lines)*backLineH + 12
	}
	if len(entries) == 0 {
		h += 60
	}
	h += 24

	img := image.NewRGBA(image.Rect(0, 0, Width, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(backGround), image.Point{}, draw.Src)
	title := r.doc.LogoText
	if title == "" {
		title = r.doc.OrganizationName
	}
	r.text(img, title, true, 36, backInk, pad, 60, contentW, alignLeft)
	r.text(img, r.doc.Description, false, 26, backLabel, pad, 98, contentW, alignLeft)
	y := 120
	if len(entries) == 0 {
		r.text(img, "This pass has no back fields", false, backValuePx, backLabel, pad, y+44, contentW, alignLeft)
	}
	for _, e := range entries {
		draw.Draw(img, image.Rect(pad, y, Width-pad, y+2), image.NewUniform(backRule), image.Point{}, draw.Src)
		y += 24
		r.text(img, e.label, true, backLabelPx, backLabel, pad, y+24, contentW, alignLeft)
		y += 34
		for _, l := range e.lines {
			r.text(img, l, false, backValuePx, backInk, pad, y+30, contentW, alignLeft)
			y += backLineH
		}
		y += 12
	}
	roundCorners(img)
	return img
}

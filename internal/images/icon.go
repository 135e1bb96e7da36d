package images

import (
	"image"
	"image/color"
	"math"
	"sync"
)

var (
	defaultIconOnce sync.Once
	defaultIcon     []Variant
)

// DefaultIcon is the built-in icon for passes without iconURL, at @1x/@2x/@3x
// (38, 76 and 114 pixels square, the icon slot's size). It is drawn by this package's own code on
// first use and reused; callers must not modify the returned bytes.
func DefaultIcon() []Variant {
	defaultIconOnce.Do(func() {
		for _, s := range scales {
			n := slots[SlotIcon].w * s
			data, err := encodePNG(drawIcon(n))
			if err != nil {
				// Encoding an in-memory RGBA into a buffer cannot fail.
				panic("images: default icon: " + err.Error())
			}
			defaultIcon = append(defaultIcon, newVariant(VariantName(SlotIcon, s), data))
		}
	})
	return append([]Variant(nil), defaultIcon...)
}

// iconShape is one filled rounded rectangle of the icon, in unit coordinates.
type iconShape struct {
	x0, y0, x1, y1, r float64
	c                 color.NRGBA
	gradient          *color.NRGBA // bottom colour when the fill is a vertical gradient
}

// The icon is a wallet with two cards tucked into it on a blue gradient tile,
// drawn as vectors at each size so every scale is sharp.
var iconShapes = []iconShape{
	{0, 0, 1, 1, 0.22, color.NRGBA{0x4f, 0x46, 0xe5, 0xff}, &color.NRGBA{0x0e, 0xa5, 0xe9, 0xff}},
	{0.24, 0.18, 0.78, 0.50, 0.05, color.NRGBA{0xf5, 0x9e, 0x0b, 0xff}, nil},
	{0.20, 0.27, 0.80, 0.58, 0.05, color.NRGBA{0xf4, 0x3f, 0x5e, 0xff}, nil},
	{0.14, 0.40, 0.86, 0.82, 0.09, color.NRGBA{0xff, 0xff, 0xff, 0xff}, nil},
	{0.58, 0.53, 0.86, 0.69, 0.08, color.NRGBA{0xe0, 0xe7, 0xff, 0xff}, nil},
	{0.66, 0.585, 0.74, 0.635, 0.025, color.NRGBA{0x4f, 0x46, 0xe5, 0xff}, nil},
}

// drawIcon renders the icon at n×n pixels with 4×4 supersampling for smooth edges.
func drawIcon(n int) *image.RGBA {
	const ss = 4
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for py := 0; py < n; py++ {
		for px := 0; px < n; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(n)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(n)
					cr, cg, cb, ca := iconSample(x, y)
					r, g, b, a = r+cr, g+cg, b+cb, a+ca
				}
			}
			const k = 255.0 / (ss * ss)
			img.SetRGBA(px, py, color.RGBA{uint8(r*k + 0.5), uint8(g*k + 0.5), uint8(b*k + 0.5), uint8(a*k + 0.5)})
		}
	}
	return img
}

// iconSample returns the premultiplied colour (0..1) at a point: the topmost shape containing it.
func iconSample(x, y float64) (r, g, b, a float64) {
	for i := len(iconShapes) - 1; i >= 0; i-- {
		s := iconShapes[i]
		if !inRoundRect(x, y, s.x0, s.y0, s.x1, s.y1, s.r) {
			continue
		}
		c := s.c
		if s.gradient != nil {
			t := (y - s.y0) / (s.y1 - s.y0)
			c = lerp(c, *s.gradient, t)
		}
		return float64(c.R) / 255, float64(c.G) / 255, float64(c.B) / 255, 1
	}
	return 0, 0, 0, 0
}

func inRoundRect(x, y, x0, y0, x1, y1, r float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	// Distance from the nearest corner centre decides the rounded corners.
	cx := math.Max(x0+r, math.Min(x, x1-r))
	cy := math.Max(y0+r, math.Min(y, y1-r))
	dx, dy := x-cx, y-cy
	return dx*dx+dy*dy <= r*r
}

func lerp(a, b color.NRGBA, t float64) color.NRGBA {
	mix := func(p, q uint8) uint8 { return uint8(float64(p) + (float64(q)-float64(p))*t + 0.5) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

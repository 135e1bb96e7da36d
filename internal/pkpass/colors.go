package pkpass

import (
	"math"
	"strconv"
)

// rgb is an 8-bit sRGB colour.
type rgb struct{ R, G, B uint8 }

// String is "rgb(r, g, b)", appended without fmt: three of them are in
// every pass.json.
func (c rgb) String() string {
	b := make([]byte, 0, len("rgb(255, 255, 255)"))
	b = append(b, "rgb("...)
	b = strconv.AppendUint(b, uint64(c.R), 10)
	b = append(b, ", "...)
	b = strconv.AppendUint(b, uint64(c.G), 10)
	b = append(b, ", "...)
	b = strconv.AppendUint(b, uint64(c.B), 10)
	return string(append(b, ')'))
}

// palette is the three colours of a pass.
type palette struct{ Background, Foreground, Label rgb }

// minContrast is WCAG 2 AA for normal text; pass text is small, so both the
// values and the labels are held to it.
const minContrast = 4.5

var (
	white = rgb{255, 255, 255}
	// black rather than a near-black: against mid-luminance backgrounds only
	// pure black keeps the better of the two foregrounds above 4.5:1.
	black = rgb{0, 0, 0}
)

// presets are deep, saturated backgrounds (Tailwind's 800/900 steps) with
// white values and a light tint of the same hue for labels.
var presets = map[string]palette{
	"dark":   {rgb{17, 24, 39}, white, rgb{156, 163, 175}},
	"blue":   {rgb{30, 64, 175}, white, rgb{191, 219, 254}},
	"green":  {rgb{22, 101, 52}, white, rgb{187, 247, 208}},
	"red":    {rgb{153, 27, 27}, white, rgb{254, 202, 202}},
	"purple": {rgb{107, 33, 168}, white, rgb{233, 213, 255}},
	"orange": {rgb{154, 52, 18}, white, rgb{254, 215, 170}},
}

// parseHex reads "#rrggbb" in either case.
func parseHex(s string) (rgb, bool) {
	if len(s) != 7 || s[0] != '#' {
		return rgb{}, false
	}
	var v [3]uint8
	for i := 0; i < 6; i++ {
		c := s[1+i]
		var n uint8
		switch {
		case c >= '0' && c <= '9':
			n = c - '0'
		case c >= 'a' && c <= 'f':
			n = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			n = c - 'A' + 10
		default:
			return rgb{}, false
		}
		v[i/2] = v[i/2]<<4 | n
	}
	return rgb{v[0], v[1], v[2]}, true
}

// luminance is WCAG 2 relative luminance.
func luminance(c rgb) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// contrast is the WCAG 2 contrast ratio of two colours (1 to 21).
func contrast(a, b rgb) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// mix moves a toward b by t (0..1) in sRGB space.
func mix(a, b rgb, t float64) rgb {
	m := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*t)) }
	return rgb{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B)}
}

// derivePalette picks the foreground with the better contrast against bg,
// and a label that is the foreground muted toward the background as far as
// contrast allows (up to 40%), so labels read as secondary yet stay legible.
func derivePalette(bg rgb) palette {
	fg := white
	if contrast(black, bg) > contrast(white, bg) {
		fg = black
	}
	label := fg
	for t := 0.40; t > 0; t -= 0.05 {
		if c := mix(fg, bg, t); contrast(c, bg) >= minContrast {
			label = c
			break
		}
	}
	return palette{bg, fg, label}
}

// paletteFor resolves the request's colours: a custom colour wins over the
// preset, and no preset means dark; foregroundColor and labelColor (Pro)
// then replace the derived ones.
func (r *Request) paletteFor() palette {
	p, ok := presets[r.ColorPreset]
	if c, custom := parseHex(r.Color); custom {
		p = derivePalette(c)
	} else if !ok {
		p = presets["dark"]
	}
	if c, ok := parseHex(r.ForegroundColor); ok {
		p.Foreground = c
	}
	if c, ok := parseHex(r.LabelColor); ok {
		p.Label = c
	}
	return p
}

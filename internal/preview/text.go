package preview

import (
	"image"
	"image/color"
	"image/draw"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// The Go fonts (BSD licence) are compiled into the binary, so previews look
// the same on every machine and need no font files.
var (
	fontRegular = mustParse(goregular.TTF)
	fontBold    = mustParse(gobold.TTF)
)

func mustParse(ttf []byte) *opentype.Font {
	f, err := opentype.Parse(ttf)
	if err != nil {
		panic("preview: embedded font: " + err.Error())
	}
	return f
}

// faceKey names one font at one pixel size.
type faceKey struct {
	bold bool
	px   int
}

// faces caches font faces; a face is not safe for concurrent use, so each
// renderer takes a set from the pool for the length of one drawing.
type faces map[faceKey]font.Face

var facePool = sync.Pool{New: func() any { return faces{} }}

func (fs faces) get(bold bool, px int) font.Face {
	k := faceKey{bold, px}
	if f, ok := fs[k]; ok {
		return f
	}
	src := fontRegular
	if bold {
		src = fontBold
	}
	f, err := opentype.NewFace(src, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic("preview: face: " + err.Error())
	}
	fs[k] = f
	return f
}

// align is where a line sits in its box.
type align int

const (
	alignLeft align = iota
	alignCenter
	alignRight
)

func alignOf(textAlignment string, def align) align {
	switch textAlignment {
	case "PKTextAlignmentLeft":
		return alignLeft
	case "PKTextAlignmentCenter":
		return alignCenter
	case "PKTextAlignmentRight":
		return alignRight
	}
	return def
}

const ellipsis = "…"

// fit shortens s with an ellipsis until it is at most maxW pixels wide.
func fit(face font.Face, s string, maxW int) string {
	s = oneLine(s)
	limit := fixed.I(maxW)
	if font.MeasureString(face, s) <= limit {
		return s
	}
	// Binary search on the rune count: the widest prefix that still fits
	// together with the ellipsis.
	runes := []rune(s)
	lo, hi := 0, len(runes)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if font.MeasureString(face, string(runes[:mid])+ellipsis) <= limit {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimRight(string(runes[:lo]), " ") + ellipsis
}

// oneLine turns line breaks and tabs into spaces, for single-line slots.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r\t") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
}

// wrap breaks s into lines at most maxW wide (breaking inside words that are
// too long on their own), keeping at most maxLines and marking a cut with an
// ellipsis.
func wrap(face font.Face, s string, maxW, maxLines int) []string {
	limit := fixed.I(maxW)
	var lines []string
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			cand := word
			if line != "" {
				cand = line + " " + word
			}
			if font.MeasureString(face, cand) <= limit {
				line = cand
				continue
			}
			if line != "" {
				lines = append(lines, line)
			}
			// A word wider than the line is split where it must be.
			for font.MeasureString(face, word) > limit {
				n := fitRunes(face, word, limit)
				lines = append(lines, word[:n])
				word = word[n:]
			}
			line = word
		}
		lines = append(lines, line)
	}
	if len(lines) > maxLines {
		lines = lines[:maxLines]
		lines[maxLines-1] = fit(face, lines[maxLines-1]+" "+ellipsis+ellipsis, maxW)
	}
	return lines
}

// fitRunes is the byte length of the longest prefix of s (at least one
// rune) that fits in limit.
func fitRunes(face font.Face, s string, limit fixed.Int26_6) int {
	n := 0
	for i, r := range s {
		end := i + utf8.RuneLen(r)
		if n > 0 && font.MeasureString(face, s[:end]) > limit {
			break
		}
		n = end
	}
	return n
}

// text draws one line of s with its baseline at y inside [x, x+w),
// shortened to fit, and returns the rectangle the drawn ink may occupy.
func (r *renderer) text(dst draw.Image, s string, bold bool, px int, c color.Color, x, y, w int, a align) image.Rectangle {
	face := r.faces.get(bold, px)
	s = fit(face, s, w)
	if s == "" {
		return image.Rectangle{}
	}
	adv := font.MeasureString(face, s).Ceil()
	switch a {
	case alignCenter:
		x += (w - adv) / 2
	case alignRight:
		x += w - adv
	}
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
	m := face.Metrics()
	box := image.Rect(x, y-m.Ascent.Ceil(), x+adv, y+m.Descent.Ceil())
	r.trace("text", box)
	return box
}

// formatDate shows an ISO 8601 value the way Wallet's date and time styles
// do in an English locale.
func formatDate(s, dateStyle, timeStyle string) (string, bool) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return "", false
	}
	var parts []string
	switch dateStyle {
	case "PKDateStyleShort":
		parts = append(parts, t.Format("1/2/06"))
	case "PKDateStyleMedium":
		parts = append(parts, t.Format("Jan 2, 2006"))
	case "PKDateStyleLong":
		parts = append(parts, t.Format("January 2, 2006"))
	case "PKDateStyleFull":
		parts = append(parts, t.Format("Monday, January 2, 2006"))
	}
	switch timeStyle {
	case "PKDateStyleShort":
		parts = append(parts, t.Format("3:04 PM"))
	case "PKDateStyleMedium", "PKDateStyleLong", "PKDateStyleFull":
		parts = append(parts, t.Format("3:04:05 PM"))
	}
	if len(parts) == 0 {
		return s, true
	}
	return strings.Join(parts, " "), true
}

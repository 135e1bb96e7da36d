package pkpass

import (
	"fmt"
	"math"
	"testing"
)

func TestContrastReference(t *testing.T) {
	// Known WCAG values guard the formula the other tests rely on.
	tests := []struct {
		name string
		a, b rgb
		want float64
	}{
		{"black on white", black, white, 21},
		{"same colour", rgb{30, 64, 175}, rgb{30, 64, 175}, 1},
		{"#777 on white", rgb{0x77, 0x77, 0x77}, white, 4.48},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := contrast(tc.a, tc.b); math.Abs(got-tc.want) > 0.01 {
				t.Errorf("contrast = %.3f, want %.2f", got, tc.want)
			}
		})
	}
}

func TestPresetsReadable(t *testing.T) {
	for _, name := range []string{"dark", "blue", "green", "red", "purple", "orange"} {
		t.Run(name, func(t *testing.T) {
			p, ok := presets[name]
			if !ok {
				t.Fatal("missing preset")
			}
			if c := contrast(p.Foreground, p.Background); c < minContrast {
				t.Errorf("foreground contrast %.2f < %.1f", c, minContrast)
			}
			if c := contrast(p.Label, p.Background); c < minContrast {
				t.Errorf("label contrast %.2f < %.1f", c, minContrast)
			}
			if p.Label == p.Foreground {
				t.Error("label not distinct from foreground")
			}
		})
	}
}

// TestDerivedPaletteReadable sweeps the colour cube, including the
// mid-luminance band where white and black are nearly tied.
func TestDerivedPaletteReadable(t *testing.T) {
	check := func(bg rgb) {
		p := derivePalette(bg)
		if p.Foreground != white && p.Foreground != black {
			t.Fatalf("%v: foreground %v is neither white nor black", bg, p.Foreground)
		}
		if c := contrast(p.Foreground, bg); c < minContrast {
			t.Errorf("%v: foreground contrast %.2f < %.1f", bg, c, minContrast)
		}
		if c := contrast(p.Label, bg); c < minContrast {
			t.Errorf("%v: label contrast %.2f < %.1f", bg, c, minContrast)
		}
	}
	for r := 0; r < 256; r += 15 {
		for g := 0; g < 256; g += 15 {
			for b := 0; b < 256; b += 15 {
				check(rgb{uint8(r), uint8(g), uint8(b)})
			}
		}
	}
	for v := 0; v < 256; v++ {
		check(rgb{uint8(v), uint8(v), uint8(v)})
	}
}

func TestDerivedPalette(t *testing.T) {
	tests := []struct {
		name      string
		hex       string
		wantFG    rgb
		wantMuted bool
	}{
		{"saddle brown", "#8B4513", white, true},
		{"navy", "#1e40af", white, true},
		{"white", "#FFFFFF", black, true},
		{"yellow", "#ffd700", black, true},
		{"black", "#000000", white, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bg, ok := parseHex(tc.hex)
			if !ok {
				t.Fatalf("parseHex(%q) failed", tc.hex)
			}
			p := derivePalette(bg)
			if p.Foreground != tc.wantFG {
				t.Errorf("foreground = %v, want %v", p.Foreground, tc.wantFG)
			}
			if (p.Label != p.Foreground) != tc.wantMuted {
				t.Errorf("label %v muted = %v, want %v", p.Label, p.Label != p.Foreground, tc.wantMuted)
			}
		})
	}
}

func TestParseHex(t *testing.T) {
	tests := []struct {
		in   string
		want rgb
		ok   bool
	}{
		{"#1e40af", rgb{0x1e, 0x40, 0xaf}, true},
		{"#1E40AF", rgb{0x1e, 0x40, 0xaf}, true},
		{"#000000", rgb{}, true},
		{"1e40af", rgb{}, false},
		{"#1e40a", rgb{}, false},
		{"#1e40af0", rgb{}, false},
		{"#1e40ag", rgb{}, false},
		{"", rgb{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := parseHex(tc.in)
			if ok != tc.ok || got != tc.want {
				t.Errorf("parseHex = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestRGBString: the hand-appended form is the one pass.json always had.
func TestRGBString(t *testing.T) {
	for _, c := range []rgb{{0, 0, 0}, {255, 255, 255}, {9, 10, 99}, {100, 7, 200}} {
		if got, want := c.String(), fmt.Sprintf("rgb(%d, %d, %d)", c.R, c.G, c.B); got != want {
			t.Errorf("%#v.String() = %q, want %q", c, got, want)
		}
	}
}

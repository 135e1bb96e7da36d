package lint

import (
	"bytes"
	"image/png"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// slotRule is what Apple's tables (the current Human Interface Guidelines,
// and the PassKit guide where the HIG is silent) say of one image slot.
type slotRule struct {
	// styles that show the slot; nil = every style.
	styles []string
	// sizes in points; exact slots must match one of them at each scale,
	// bounded slots (max) must fit inside the first.
	sizes [][2]int
	max   bool
	// aspect bounds a bounded slot's width/height (0 = none).
	minAspect, maxAspect float64
}

// stripSizes depend on the style: event tickets have the short strip.
var stripSizes = map[string][][2]int{
	"eventTicket": {{375, 98}},
	"storeCard":   {{375, 144}, {375, 123}},
	"coupon":      {{375, 144}, {375, 123}},
}

var slotRules = map[string]slotRule{
	// 29 pt was the PassKit guide's icon; the HIG now says 38 pt. Both are
	// accepted, since Wallet scales either.
	"icon":       {sizes: [][2]int{{38, 38}, {29, 29}}},
	"logo":       {sizes: [][2]int{{160, 50}}, max: true},
	"thumbnail":  {styles: []string{"generic", "eventTicket"}, sizes: [][2]int{{90, 90}}, max: true, minAspect: 2.0 / 3, maxAspect: 1.5},
	"strip":      {styles: []string{"storeCard", "coupon", "eventTicket"}},
	"background": {styles: []string{"eventTicket"}, sizes: [][2]int{{180, 220}}},
	"footer":     {styles: []string{"boardingPass"}, sizes: [][2]int{{286, 15}}},
	"artwork":    {styles: []string{"eventTicket"}, sizes: [][2]int{{358, 448}}},
}

var imageName = regexp.MustCompile(`^(?:[A-Za-z0-9_-]+\.lproj/)?([a-z]+)(?:@([23])x)?\.png$`)

// checkImages: every image is a PNG of a slot the style has, at the size the
// slot and scale call for; the icon is present.
func checkImages(r *Report, files map[string][]byte, names []string, pass map[string]any) {
	style := ""
	for _, s := range styles {
		if _, ok := pass[s]; ok {
			style = s
		}
	}
	poster := false
	if schemes, _ := pass["preferredStyleSchemes"].([]any); len(schemes) > 0 && schemes[0] == "posterEventTicket" {
		poster = true
	}
	icons := map[int]bool{}
	for _, name := range names {
		m := imageName.FindStringSubmatch(name)
		if m == nil {
			if strings.HasSuffix(strings.ToLower(name), ".png") || strings.HasSuffix(strings.ToLower(name), ".jpg") {
				r.add(Warning, "image", "%s is not a file name Wallet looks for", name)
			}
			continue
		}
		slot, scale := m[1], 1
		if m[2] != "" {
			scale, _ = strconv.Atoi(m[2])
		}
		rule, known := slotRules[slot]
		if !known {
			r.add(Warning, "image", "%s: Wallet has no %s image slot", name, slot)
			continue
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(files[name]))
		if err != nil {
			r.add(Error, "image", "%s is not a PNG: %v", name, err)
			continue
		}
		if slot == "icon" && !strings.Contains(name, "/") {
			icons[scale] = true
		}
		if style != "" && rule.styles != nil && !slices.Contains(rule.styles, style) {
			r.add(Error, "image-slot", "%s: a %s pass has no %s slot", name, style, slot)
			continue
		}
		if slot == "artwork" && !poster {
			r.add(Error, "image-slot", "%s: only poster event tickets show artwork", name)
		}
		sizes := rule.sizes
		if slot == "strip" {
			sizes = stripSizes[style]
		}
		checkSize(r, name, slot, rule, sizes, scale, cfg.Width, cfg.Height)
	}
	if !icons[1] && !icons[2] && !icons[3] {
		r.add(Error, "icon", "the pass has no icon.png: Wallet refuses it")
	} else {
		for _, s := range []int{1, 2, 3} {
			if !icons[s] {
				r.add(Warning, "icon", "icon%s.png is missing", scaleSuffix(s))
			}
		}
	}
}

func scaleSuffix(s int) string {
	if s == 1 {
		return ""
	}
	return "@" + strconv.Itoa(s) + "x"
}

func checkSize(r *Report, name, slot string, rule slotRule, sizes [][2]int, scale, w, h int) {
	if len(sizes) == 0 {
		return
	}
	if rule.max {
		bw, bh := sizes[0][0]*scale, sizes[0][1]*scale
		if w > bw || h > bh {
			r.add(Error, "image-size", "%s is %d×%d; the %s slot at @%dx holds at most %d×%d", name, w, h, slot, scale, bw, bh)
		}
		if a := float64(w) / float64(h); rule.maxAspect > 0 && (a < rule.minAspect*0.98 || a > rule.maxAspect*1.02) {
			r.add(Warning, "image-size", "%s has aspect %.2f; Wallet crops a %s outside 2:3–3:2", name, a, slot)
		}
		return
	}
	var want []string
	for _, s := range sizes {
		if w == s[0]*scale && h == s[1]*scale {
			return
		}
		want = append(want, strconv.Itoa(s[0]*scale)+"×"+strconv.Itoa(s[1]*scale))
	}
	r.add(Error, "image-size", "%s is %d×%d; the %s slot at @%dx is %s", name, w, h, slot, scale, strings.Join(want, " or "))
}

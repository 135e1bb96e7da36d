package pkpass

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// validate applies the field table's rules in its order, which is the
// order a client most wants to hear about them: the barcode, the
// at-least-one rule, then the API page's field table, then Part 2's fields.
// Only the first failure is reported.
func (d *decoded) validate() error {
	for i := range requestFields {
		if c := requestFields[i].check; c != nil {
			if err := c(d); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkBarcodeValue(d *decoded) error {
	if d.barcodeValueBad || d.req.BarcodeValue == "" {
		return invalid("barcodeValue is required and must be a non-empty string")
	}
	return maxLen("barcodeValue", d.req.BarcodeValue, MaxBarcodeValue)
}

func checkBarcodeFormat(d *decoded) error {
	r := &d.req
	if _, ok := barcodeFormats[r.BarcodeFormat]; d.barcodeFormatBad || !ok {
		return invalid("barcodeFormat must be one of: QR, PDF417, Aztec, Code128")
	}
	return checkBarcode(r.BarcodeFormat, r.BarcodeValue)
}

func checkAtLeastOne(d *decoded) error {
	if r := &d.req; r.Title == "" && len(r.PrimaryFields) == 0 && r.LogoText == "" {
		return invalid("At least one of title, primaryFields, or logoText is required")
	}
	return nil
}

func checkColorPreset(d *decoded) error {
	if _, ok := presets[d.req.ColorPreset]; ok || d.req.ColorPreset == "" {
		return nil
	}
	return invalid("colorPreset must be one of: dark, blue, green, red, purple, orange")
}

func checkExpiration(d *decoded) error {
	if r := &d.req; d.expirationGiven && (d.expirationRange || r.ExpirationDays < 1 || r.ExpirationDays > MaxExpirationDays) {
		return invalid("expirationDays must be between 1 and %d", MaxExpirationDays)
	}
	return nil
}

func checkStyle(d *decoded) error {
	if s := d.req.RequestedStyle; s != "" && !slices.Contains(Styles, s) {
		return invalid("style must be one of: %s", strings.Join(Styles, ", "))
	}
	return nil
}

// checkStyles refuses what the resolved style lacks: a field or image slot
// of other styles (naming both), and the slot combinations Wallet cannot
// show. Part 1's message for a thumbnail next to a strip comes first, so
// Part 1 requests are answered as before.
func checkStyles(d *decoded) error {
	r := &d.req
	style := r.Style()
	if r.ThumbnailURL != "" && r.StripURL != "" && style == StyleStoreCard {
		return invalid("thumbnailURL cannot be combined with stripURL: a storeCard pass has no thumbnail slot")
	}
	for _, f := range styledFields {
		if f.allowedOn(style) || !f.given(r) {
			continue
		}
		if f.image != "" {
			return invalid("%s is not available on %s passes: that style has no %s slot (only %s)", f.name, style, f.image, styleList(f.styles))
		}
		return invalid("%s is not available on %s passes (only %s)", f.name, style, styleList(f.styles))
	}
	if style == StyleEventTicket && r.StripURL != "" && (r.ThumbnailURL != "" || r.BackgroundURL != "") {
		return invalid("stripURL cannot be combined with thumbnailURL or backgroundURL: an eventTicket shows a strip, or a background and thumbnail, not both")
	}
	if r.ArtworkURL != "" && !r.Poster {
		return invalid("artworkURL needs poster: true: only poster event tickets have artwork")
	}
	if style == StyleBoardingPass && r.TransitType == "" {
		return invalid("transitType is required with style boardingPass: one of air, boat, bus, train, generic")
	}
	return nil
}

// styledFields are the rows that only some styles have. It is filled in
// init because checkStyles is itself part of the table.
var styledFields []*reqField

func init() {
	for i := range requestFields {
		if f := &requestFields[i]; f.styles != nil {
			styledFields = append(styledFields, f)
		}
	}
}

// checkLegacyLabel: the legacy pair counts as given only when non-empty: an
// empty label or value could not become a valid field anyway.
func checkLegacyLabel(d *decoded) error {
	r := &d.req
	if (r.Label != "") != (r.Value != "") {
		return invalid("label and value must be given together")
	}
	return maxLen("label", r.Label, MaxFieldLabel)
}

func (d *decoded) validateLocations() error {
	locs := d.req.Locations
	if len(locs) > MaxLocations {
		return invalid("locations must have at most %d items", MaxLocations)
	}
	for i, l := range locs {
		p := "locations[" + strconv.Itoa(i) + "]."
		if !d.latGiven[i] {
			return invalid("%slatitude is required", p)
		}
		if !(l.Latitude >= -90 && l.Latitude <= 90) {
			return invalid("%slatitude must be between -90 and 90", p)
		}
		if !d.lonGiven[i] {
			return invalid("%slongitude is required", p)
		}
		if !(l.Longitude >= -180 && l.Longitude <= 180) {
			return invalid("%slongitude must be between -180 and 180", p)
		}
		if l.Altitude != nil && math.IsInf(*l.Altitude, 0) {
			return invalid("%saltitude must be a finite number", p)
		}
		if err := maxLen(p+"relevantText", l.RelevantText, MaxRelevantText); err != nil {
			return err
		}
	}
	return nil
}

func maxLen(path, s string, max int) error {
	// Byte length bounds rune count from above, so most strings skip the count.
	if len(s) > max && utf8.RuneCountInString(s) > max {
		return invalid("%s must be at most %d characters", path, max)
	}
	return nil
}

// acceptableImageURL admits https URLs with a host and base64 PNG or JPEG data
// URIs. Nothing is fetched or decoded here; the images package does that and
// enforces the address and size rules.
func acceptableImageURL(s string) bool {
	if len(s) > 5 && strings.EqualFold(s[:5], "data:") {
		for _, prefix := range []string{"data:image/png;base64,", "data:image/jpeg;base64,"} {
			if len(s) > len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
				return true
			}
		}
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Opaque != "" {
		return false
	}
	return u.Hostname() != ""
}

// resolveLegacy applies title/cardLabel and label/value to the field arrays so
// that rendering sees only the modern shape.
func (d *decoded) resolveLegacy() {
	r := &d.req
	if r.Title != "" && len(r.PrimaryFields) == 0 {
		label := r.CardLabel
		if label == "" {
			label = "CARD"
		}
		r.PrimaryFields = []Field{{Label: label, Value: r.Title}}
		if r.LogoText == "" {
			r.LogoText = r.Title
		}
	}
	if r.Label != "" && r.Value != "" {
		r.SecondaryFields = append([]Field{{Label: r.Label, Value: r.Value}}, r.SecondaryFields...)
	}
}

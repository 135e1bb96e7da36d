package pkpass

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// validate applies the rules in the order a client most wants to hear about
// them: the barcode, the at-least-one rule, then the API page's field table.
// Only the first failure is reported.
func (d *decoded) validate() error {
	r := &d.req
	if d.barcodeValueBad || r.BarcodeValue == "" {
		return invalid("barcodeValue is required and must be a non-empty string")
	}
	if err := maxLen("barcodeValue", r.BarcodeValue, MaxBarcodeValue); err != nil {
		return err
	}
	if _, ok := barcodeFormats[r.BarcodeFormat]; d.barcodeFormatBad || !ok {
		return invalid("barcodeFormat must be one of: QR, PDF417, Aztec, Code128")
	}
	if err := checkBarcode(r.BarcodeFormat, r.BarcodeValue); err != nil {
		return err
	}
	if r.Title == "" && len(r.PrimaryFields) == 0 && r.LogoText == "" {
		return invalid("At least one of title, primaryFields, or logoText is required")
	}
	for _, c := range []struct {
		name, v string
		max     int
	}{
		{"logoText", r.LogoText, MaxLogoText},
		{"description", r.Description, MaxDescription},
		{"organizationName", r.OrganizationName, MaxOrganizationName},
	} {
		if err := maxLen(c.name, c.v, c.max); err != nil {
			return err
		}
	}
	for _, name := range fieldArrays {
		fields := *r.fieldArray(name)
		n := len(fields)
		if name == "secondaryFields" && r.Label != "" && r.Value != "" {
			n++ // the legacy pair is prepended, and counts
		}
		if n > MaxFields {
			return invalid("%s must have at most %d items", name, MaxFields)
		}
		for i, f := range fields {
			p := name + "[" + strconv.Itoa(i) + "]."
			if err := maxLen(p+"label", f.Label, MaxFieldLabel); err != nil {
				return err
			}
			if f.Value == "" {
				return invalid("%svalue is required", p)
			}
			if err := maxLen(p+"value", f.Value, MaxFieldValue); err != nil {
				return err
			}
			if err := maxLen(p+"changeMessage", f.ChangeMessage, MaxChangeMessage); err != nil {
				return err
			}
		}
	}
	if err := d.validateLocations(); err != nil {
		return err
	}
	switch r.ColorPreset {
	case "", "dark", "blue", "green", "red", "purple", "orange":
	default:
		return invalid("colorPreset must be one of: dark, blue, green, red, purple, orange")
	}
	if d.expirationGiven && (d.expirationRange || r.ExpirationDays < 1 || r.ExpirationDays > MaxExpirationDays) {
		return invalid("expirationDays must be between 1 and %d", MaxExpirationDays)
	}
	if r.Color != "" {
		if _, ok := parseHex(r.Color); !ok {
			return invalid("color must be a hex colour like #1e40af")
		}
	}
	for _, ref := range []ImageRef{
		{Field: "logoURL", URL: r.LogoURL},
		{Field: "thumbnailURL", URL: r.ThumbnailURL},
		{Field: "stripURL", URL: r.StripURL},
		{Field: "iconURL", URL: r.IconURL},
	} {
		if ref.URL != "" && !acceptableImageURL(ref.URL) {
			return invalid("URL must use HTTPS protocol (%s): give an https:// URL or a data:image/png;base64, or data:image/jpeg;base64, URI", ref.Field)
		}
	}
	if r.ThumbnailURL != "" && r.StripURL != "" {
		return invalid("thumbnailURL cannot be combined with stripURL: a storeCard pass has no thumbnail slot")
	}
	if err := maxLen("title", r.Title, MaxTitle); err != nil {
		return err
	}
	if err := maxLen("cardLabel", r.CardLabel, MaxCardLabel); err != nil {
		return err
	}
	// The legacy pair counts as given only when non-empty: an empty label or
	// value could not become a valid field anyway.
	if (r.Label != "") != (r.Value != "") {
		return invalid("label and value must be given together")
	}
	if err := maxLen("label", r.Label, MaxFieldLabel); err != nil {
		return err
	}
	return maxLen("value", r.Value, MaxFieldValue)
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

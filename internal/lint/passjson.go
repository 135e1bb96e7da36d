package lint

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

var styles = []string{"boardingPass", "coupon", "eventTicket", "generic", "storeCard"}

var fieldGroups = []string{"headerFields", "primaryFields", "secondaryFields", "auxiliaryFields", "backFields", "additionalInfoFields"}

var (
	rgbColor  = regexp.MustCompile(`^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$`)
	barcodeFm = []string{"PKBarcodeFormatQR", "PKBarcodeFormatPDF417", "PKBarcodeFormatAztec", "PKBarcodeFormatCode128"}
)

// w3cDate parses the W3C profile of ISO 8601 Wallet accepts: a date-time
// with an offset, seconds optional.
func w3cDate(s string) bool {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// checkPassJSON checks pass.json's keys and returns it decoded (nil when
// it cannot be read).
func checkPassJSON(r *Report, raw []byte) map[string]any {
	if raw == nil {
		return nil
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		r.add(Error, "pass.json", "pass.json is not a JSON object: %v", err)
		return nil
	}
	str := func(k string) string { s, _ := p[k].(string); return s }
	if v, ok := p["formatVersion"].(float64); !ok || v != 1 {
		r.add(Error, "required-key", "formatVersion must be 1")
	}
	for _, k := range []string{"passTypeIdentifier", "teamIdentifier", "serialNumber", "organizationName", "description"} {
		if str(k) == "" {
			r.add(Error, "required-key", "%s is missing or empty", k)
		}
	}
	if s := str("serialNumber"); s != "" && len(s) < 16 {
		r.add(Warning, "required-key", "serialNumber %q is short: a guessable serial lets others fetch the pass's updates", s)
	}

	var style string
	for _, s := range styles {
		if _, ok := p[s]; ok {
			if style != "" {
				r.add(Error, "style", "pass.json has two style keys, %s and %s", style, s)
			}
			style = s
		}
	}
	if style == "" {
		r.add(Error, "style", "pass.json has no style key (one of %s)", strings.Join(styles, ", "))
	}

	// The web service: both keys or neither, https, a token of 16+ characters.
	ws, tok := str("webServiceURL"), str("authenticationToken")
	switch {
	case ws != "" && tok == "":
		r.add(Error, "web-service", "webServiceURL without authenticationToken")
	case ws == "" && tok != "":
		r.add(Error, "web-service", "authenticationToken without webServiceURL")
	case ws != "":
		if u, err := url.Parse(ws); err != nil || u.Scheme != "https" || u.Host == "" {
			r.add(Error, "web-service", "webServiceURL %q is not https: iOS will not register the pass for updates", ws)
		}
		if len(tok) < 16 {
			r.add(Error, "web-service", "authenticationToken has %d characters; Wallet needs at least 16", len(tok))
		}
	}
	if str("appLaunchURL") != "" {
		if ids, _ := p["associatedStoreIdentifiers"].([]any); len(ids) == 0 {
			r.add(Warning, "app", "appLaunchURL has no effect without associatedStoreIdentifiers")
		}
	}

	for _, k := range []string{"backgroundColor", "foregroundColor", "labelColor"} {
		if v, ok := p[k]; ok {
			s, _ := v.(string)
			if m := rgbColor.FindStringSubmatch(s); m == nil || atoi(m[1]) > 255 || atoi(m[2]) > 255 || atoi(m[3]) > 255 {
				r.add(Error, "color", "%s %q is not rgb(r, g, b) with 0–255 components", k, s)
			}
		}
	}
	for _, k := range []string{"expirationDate", "relevantDate"} {
		if s := str(k); p[k] != nil && !w3cDate(s) {
			r.add(Error, "date", "%s %q is not an ISO 8601 date-time with offset", k, s)
		}
	}
	if rds, ok := p["relevantDates"].([]any); ok {
		for i, rd := range rds {
			m, _ := rd.(map[string]any)
			start, _ := time.Parse(time.RFC3339, asString(m["startDate"]))
			end, _ := time.Parse(time.RFC3339, asString(m["endDate"]))
			if !start.IsZero() && !end.IsZero() && end.Sub(start) > 24*time.Hour {
				r.add(Warning, "date", "relevantDates[%d] spans more than 24 hours; Wallet uses at most a day per interval", i)
			}
			for _, k := range []string{"date", "startDate", "endDate"} {
				if v, ok := m[k]; ok {
					if s, _ := v.(string); !w3cDate(s) {
						r.add(Error, "date", "relevantDates[%d].%s %v is not an ISO 8601 date-time with offset", i, k, v)
					}
				}
			}
		}
	}
	checkBarcodes(r, p)
	if style != "" {
		checkFields(r, style, p[style])
	}
	checkPoster(r, p, style)
	return p
}

func checkBarcodes(r *Report, p map[string]any) {
	bcs, ok := p["barcodes"].([]any)
	if !ok {
		if _, old := p["barcode"]; !old {
			return // a pass without a barcode is valid
		}
		bcs = []any{p["barcode"]}
	}
	for i, b := range bcs {
		m, _ := b.(map[string]any)
		f, _ := m["format"].(string)
		if !slices.Contains(barcodeFm, f) {
			r.add(Error, "barcode", "barcodes[%d].format %q is not a PassKit barcode format", i, f)
		}
		if msg, _ := m["message"].(string); msg == "" {
			r.add(Error, "barcode", "barcodes[%d].message is missing", i)
		}
		if enc, _ := m["messageEncoding"].(string); enc == "" {
			r.add(Error, "barcode", "barcodes[%d].messageEncoding is missing", i)
		}
	}
}

// checkFields: unique keys across the style's groups, values present,
// dates where a date style says so, and the style's own requirements.
func checkFields(r *Report, style string, v any) {
	d, ok := v.(map[string]any)
	if !ok {
		r.add(Error, "style", "%s must be a dictionary of field groups", style)
		return
	}
	if style == "boardingPass" {
		if t, _ := d["transitType"].(string); !slices.Contains([]string{"PKTransitTypeAir", "PKTransitTypeBoat", "PKTransitTypeBus", "PKTransitTypeGeneric", "PKTransitTypeTrain"}, t) {
			r.add(Error, "style", "boardingPass needs transitType (PKTransitTypeAir …), has %q", t)
		}
	}
	if _, ok := d["additionalInfoFields"]; ok && style != "eventTicket" {
		r.add(Warning, "style", "additionalInfoFields are shown only on event tickets")
	}
	keys := map[string]string{}
	for _, g := range fieldGroups {
		items, _ := d[g].([]any)
		for i, it := range items {
			f, _ := it.(map[string]any)
			k, _ := f["key"].(string)
			where := g + "[" + strconv.Itoa(i) + "]"
			if k == "" {
				r.add(Error, "field-key", "%s has no key", where)
			} else if prev, dup := keys[k]; dup {
				r.add(Error, "field-key", "%s repeats key %q of %s: Wallet drops one of them", where, k, prev)
			} else {
				keys[k] = where
			}
			val, has := f["value"]
			if !has {
				r.add(Error, "field", "%s has no value", where)
			}
			if f["dateStyle"] != nil || f["timeStyle"] != nil {
				if s, _ := val.(string); !w3cDate(s) {
					r.add(Error, "date", "%s has a date style but its value %v is not an ISO 8601 date-time with offset", where, val)
				}
			}
			if f["numberStyle"] != nil || f["currencyCode"] != nil {
				if _, isNum := val.(float64); !isNum {
					r.add(Error, "field", "%s has a number style but its value is not a JSON number", where)
				}
			}
		}
	}
}

// checkPoster: a poster event ticket (preferredStyleSchemes starting with
// posterEventTicket) is an eventTicket with the semantics its layout shows.
func checkPoster(r *Report, p map[string]any, style string) {
	schemes, _ := p["preferredStyleSchemes"].([]any)
	if len(schemes) == 0 || schemes[0] != "posterEventTicket" {
		return
	}
	if style != "eventTicket" {
		r.add(Error, "poster", "preferredStyleSchemes asks for posterEventTicket on a %s pass", style)
	}
	sem, _ := p["semantics"].(map[string]any)
	for _, k := range []string{"eventName", "venueName"} {
		if s, _ := sem[k].(string); s == "" {
			r.add(Error, "poster", "a poster event ticket needs semantics.%s", k)
		}
	}
	// Apple's "Creating a poster event pass using semantic tags": without
	// these Wallet shows the classic layout instead.
	switch sem["eventType"] {
	case "PKEventTypeSports":
		for _, k := range []string{"homeTeamAbbreviation", "awayTeamAbbreviation"} {
			if s, _ := sem[k].(string); s == "" {
				r.add(Warning, "poster", "a sports poster ticket needs semantics.%s, or Wallet shows the classic layout", k)
			}
		}
	case "PKEventTypeLivePerformance":
		if names, _ := sem["performerNames"].([]any); len(names) == 0 {
			r.add(Warning, "poster", "a live performance poster ticket needs semantics.performerNames, or Wallet shows the classic layout")
		}
	}
	if !slices.Contains(schemes, any("eventTicket")) {
		r.add(Warning, "poster", "preferredStyleSchemes should end with eventTicket, for iOS before 18")
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

package pkpass

import (
	"math"
	"strconv"
	"strings"
)

// decoded is a request body mapped onto Request, plus what the rules need
// to know that Request cannot hold (presence and raw types).
type decoded struct {
	req Request
	// barcodeValueBad/barcodeFormatBad: present with a non-string value;
	// they get their field's required message, not a generic type error.
	barcodeValueBad, barcodeFormatBad bool
	expirationGiven                   bool
	expirationRange                   bool // integer literal too large for int
	latGiven, lonGiven                []bool
}

// topLevel lists every documented request field; anything else is refused.
var topLevel = map[string]bool{
	"barcodeValue": true, "barcodeFormat": true, "logoText": true, "description": true,
	"organizationName": true, "primaryFields": true, "secondaryFields": true,
	"headerFields": true, "backFields": true, "locations": true, "colorPreset": true,
	"expirationDays": true, "color": true, "logoURL": true, "thumbnailURL": true,
	"stripURL": true, "iconURL": true, "title": true, "cardLabel": true, "label": true,
	"value": true,
}

var fieldKeys = map[string]bool{"label": true, "value": true, "changeMessage": true}

var locationKeys = map[string]bool{"latitude": true, "longitude": true, "altitude": true, "relevantText": true}

// mapper walks the decoded tree. Unknown names are the likeliest root cause of
// any other problem (a typo), so they are reported first: a type error is
// only remembered and returned if the whole body has no unknown name.
type mapper struct {
	d       decoded
	typeErr error
}

func (m *mapper) typeError(path, what string) {
	if m.typeErr == nil {
		m.typeErr = invalid("%s must be %s", path, what)
	}
}

func unknownField(path, name string, known map[string]bool) error {
	for k := range known {
		if strings.EqualFold(k, name) {
			return invalid("unknown field %q (field names are case-sensitive: did you mean %q?)", path, k)
		}
	}
	return invalid("unknown field %q", path)
}

func mapRequest(root value) (*decoded, error) {
	if root.kind != kindObject {
		return nil, invalid("request body must be a JSON object")
	}
	m := &mapper{}
	r := &m.d.req
	for _, mb := range root.obj {
		v := mb.val
		switch mb.key {
		case "serialNumber", "authenticationToken":
			return nil, invalid("%s is set by the server and cannot be sent", mb.key)
		case "barcodeValue":
			m.d.barcodeValueBad = v.kind != kindString && v.kind != kindNull
			r.BarcodeValue = v.str
			if v.kind != kindString {
				r.BarcodeValue = ""
			}
		case "barcodeFormat":
			m.d.barcodeFormatBad = v.kind != kindString && v.kind != kindNull
			r.BarcodeFormat = v.str
			if v.kind != kindString {
				r.BarcodeFormat = ""
			}
		case "logoText":
			m.str(&r.LogoText, v, mb.key)
		case "description":
			m.str(&r.Description, v, mb.key)
		case "organizationName":
			m.str(&r.OrganizationName, v, mb.key)
		case "primaryFields", "secondaryFields", "headerFields", "backFields":
			if err := m.fields(r.fieldArray(mb.key), v, mb.key); err != nil {
				return nil, err
			}
		case "locations":
			if err := m.locations(v); err != nil {
				return nil, err
			}
		case "colorPreset":
			m.str(&r.ColorPreset, v, mb.key)
		case "expirationDays":
			m.expiration(v)
		case "color":
			m.str(&r.Color, v, mb.key)
		case "logoURL":
			m.str(&r.LogoURL, v, mb.key)
		case "thumbnailURL":
			m.str(&r.ThumbnailURL, v, mb.key)
		case "stripURL":
			m.str(&r.StripURL, v, mb.key)
		case "iconURL":
			m.str(&r.IconURL, v, mb.key)
		case "title":
			m.str(&r.Title, v, mb.key)
		case "cardLabel":
			m.str(&r.CardLabel, v, mb.key)
		case "label":
			m.str(&r.Label, v, mb.key)
		case "value":
			m.str(&r.Value, v, mb.key)
		default:
			return nil, unknownField(mb.key, mb.key, topLevel)
		}
	}
	if m.typeErr != nil {
		return nil, m.typeErr
	}
	return &m.d, nil
}

// str sets an optional string; null leaves it absent. It reports whether a
// string was given.
func (m *mapper) str(dst *string, v value, path string) bool {
	switch v.kind {
	case kindString:
		*dst = v.str
		return true
	case kindNull:
	default:
		m.typeError(path, "a string")
	}
	return false
}

func (m *mapper) array(v value, path string) ([]value, bool) {
	switch v.kind {
	case kindArray:
		return v.arr, true
	case kindNull:
	default:
		m.typeError(path, "an array")
	}
	return nil, false
}

func (m *mapper) fields(dst *[]Field, v value, name string) error {
	items, ok := m.array(v, name)
	if !ok {
		return nil
	}
	out := make([]Field, len(items))
	for i, it := range items {
		path := name + "[" + strconv.Itoa(i) + "]"
		if it.kind != kindObject {
			m.typeError(path, "an object")
			continue
		}
		for _, mb := range it.obj {
			p := path + "." + mb.key
			switch mb.key {
			case "label":
				m.str(&out[i].Label, mb.val, p)
			case "value":
				m.str(&out[i].Value, mb.val, p)
			case "changeMessage":
				m.str(&out[i].ChangeMessage, mb.val, p)
			default:
				return unknownField(p, mb.key, fieldKeys)
			}
		}
	}
	*dst = out
	return nil
}

func (m *mapper) locations(v value) error {
	items, ok := m.array(v, "locations")
	if !ok {
		return nil
	}
	r := &m.d.req
	r.Locations = make([]Location, len(items))
	m.d.latGiven = make([]bool, len(items))
	m.d.lonGiven = make([]bool, len(items))
	for i, it := range items {
		path := "locations[" + strconv.Itoa(i) + "]"
		if it.kind != kindObject {
			m.typeError(path, "an object")
			continue
		}
		loc := &r.Locations[i]
		for _, mb := range it.obj {
			p := path + "." + mb.key
			switch mb.key {
			case "latitude":
				m.d.latGiven[i] = m.number(&loc.Latitude, mb.val, p)
			case "longitude":
				m.d.lonGiven[i] = m.number(&loc.Longitude, mb.val, p)
			case "altitude":
				var alt float64
				if m.number(&alt, mb.val, p) {
					loc.Altitude = &alt
				}
			case "relevantText":
				m.str(&loc.RelevantText, mb.val, p)
			default:
				return unknownField(p, mb.key, locationKeys)
			}
		}
	}
	return nil
}

// number sets a float from a number literal. A literal beyond float64 range
// becomes ±Inf, which the range rules then refuse.
func (m *mapper) number(dst *float64, v value, path string) bool {
	switch v.kind {
	case kindNumber:
		f, err := strconv.ParseFloat(v.str, 64)
		if err != nil && !math.IsInf(f, 0) {
			m.typeError(path, "a number")
			return false
		}
		*dst = f
		return true
	case kindNull:
	default:
		m.typeError(path, "a number")
	}
	return false
}

// expiration accepts only an integer literal: 1.0 and 1e2 are refused even
// though they denote integers, because a client sending them most likely
// computed a fractional value by mistake.
func (m *mapper) expiration(v value) {
	switch v.kind {
	case kindNull:
		return
	case kindNumber:
		if !strings.ContainsAny(v.str, ".eE") {
			m.d.expirationGiven = true
			n, err := strconv.Atoi(v.str)
			if err != nil {
				m.d.expirationRange = true
			}
			m.d.req.ExpirationDays = n
			return
		}
	}
	m.typeError("expirationDays", "an integer")
}

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
	// raw keeps the decoded trees of object fields (semantics, userInfo)
	// for rules that need more than their canonical bytes.
	raw map[string]value
	// present holds the top-level members given with a non-null value.
	present map[string]bool
	// barcodeValueBad/barcodeFormatBad: present with a non-string value;
	// they get their field's required message, not a generic type error.
	barcodeValueBad, barcodeFormatBad bool
	expirationGiven                   bool
	expirationRange                   bool // integer literal too large for int
	latGiven, lonGiven                []bool
}

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
	// Sized up front: growing present member by member cost several
	// allocations a body.
	m := &mapper{d: decoded{raw: make(map[string]value, 2), present: make(map[string]bool, len(root.obj))}}
	for _, mb := range root.obj {
		switch mb.key {
		case "serialNumber", "authenticationToken":
			return nil, invalid("%s is set by the server and cannot be sent", mb.key)
		}
		f, ok := fieldIndex[mb.key]
		if !ok {
			return nil, unknownField(mb.key, mb.key, knownFields)
		}
		if err := f.decode(m, mb.val, mb.key); err != nil {
			return nil, err
		}
		if mb.val.kind != kindNull {
			m.d.present[mb.key] = true
		}
	}
	if m.typeErr != nil {
		return nil, m.typeErr
	}
	return &m.d, nil
}

// given reports whether a top-level member was sent with a non-null value.
func (d *decoded) given(name string) bool { return d.present[name] }

func decodeBarcodeValue(m *mapper, v value, _ string) error {
	m.d.barcodeValueBad = v.kind != kindString && v.kind != kindNull
	m.d.req.BarcodeValue = ""
	if v.kind == kindString {
		m.d.req.BarcodeValue = v.str
	}
	return nil
}

func decodeBarcodeFormat(m *mapper, v value, _ string) error {
	m.d.barcodeFormatBad = v.kind != kindString && v.kind != kindNull
	m.d.req.BarcodeFormat = ""
	if v.kind == kindString {
		m.d.req.BarcodeFormat = v.str
	}
	return nil
}

func decodeLocations(m *mapper, v value, _ string) error { return m.locations(v) }

func decodeExpiration(m *mapper, v value, _ string) error {
	m.expiration(v)
	return nil
}

// boolean sets an optional boolean; null leaves it false.
func (m *mapper) boolean(dst *bool, v value, path string) {
	switch v.kind {
	case kindBool:
		*dst = v.b
	case kindNull:
	default:
		m.typeError(path, "a boolean")
	}
}

// integer sets an optional int from an integer literal (1.0 and 1e2 are
// refused, as for expirationDays). A literal beyond int range is clamped
// so that the field's range rule refuses it. It reports whether a number
// was given.
func (m *mapper) integer(dst *int, v value, path string) bool {
	switch v.kind {
	case kindNull:
		return false
	case kindNumber:
		if !strings.ContainsAny(v.str, ".eE") {
			n, err := strconv.Atoi(v.str)
			if err != nil {
				n = math.MaxInt
				if strings.HasPrefix(v.str, "-") {
					n = math.MinInt
				}
			}
			*dst = n
			return true
		}
	}
	m.typeError(path, "an integer")
	return false
}

// object keeps an optional JSON object as canonical bytes (sorted keys, no
// whitespace, nulls dropped), so that pass.json and the request hash see
// the same thing whatever the client's spelling.
func objectDecoder(name string, ptr func(*Request) *[]byte) func(*mapper, value, string) error {
	return func(m *mapper, v value, path string) error {
		switch v.kind {
		case kindNull:
		case kindObject:
			*ptr(&m.d.req) = appendCanonical(make([]byte, 0, 1024), v)
			m.d.raw[name] = v
		default:
			m.typeError(path, "an object")
		}
		return nil
	}
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
		if it.kind != kindObject {
			m.typeError(name+"["+strconv.Itoa(i)+"]", "an object")
			continue
		}
		for _, mb := range it.obj {
			k, ok := fieldKeyIndex[mb.key]
			if !ok {
				return unknownField(fieldAt{name, i}.String()+mb.key, mb.key, fieldKeyNames)
			}
			// A member's path ("name[i].key") is only used in a type error,
			// so it is built only when the decoder reports one: the member
			// is decoded again with it (decoders only set the field). A
			// poster ticket's fields saved about 60 allocations this way.
			had := m.typeErr != nil
			k.decode(m, &out[i], mb.val, "")
			if !had && m.typeErr != nil {
				m.typeErr = nil
				k.decode(m, &out[i], mb.val, fieldAt{name, i}.String()+mb.key)
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

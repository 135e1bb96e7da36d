package pkpass

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// passWriter writes pass.json in exactly the bytes encoding/json's Encoder
// produces with SetEscapeHTML(false) and SetIndent("", "  "), but appends
// the values a pass is made of directly instead of going through
// reflection, MarshalJSON, a compaction pass and an indentation pass (a
// quarter of a millisecond for a poster ticket). Types it does not know
// are encoded by encoding/json and indented here, so the output stays the
// same for every value; TestPassWriterMatchesEncodingJSON holds it to that.
type passWriter struct {
	buf   []byte
	depth int
}

func (w *passWriter) newline() {
	w.buf = append(w.buf, '\n')
	for i := 0; i < w.depth; i++ {
		w.buf = append(w.buf, ' ', ' ')
	}
}

// key starts an object member: the separator, the line and `"key": `.
func (w *passWriter) key(k string, first bool) {
	if !first {
		w.buf = append(w.buf, ',')
	}
	w.newline()
	w.buf = appendEncString(w.buf, k)
	w.buf = append(w.buf, ':', ' ')
}

func (w *passWriter) open(c byte) {
	w.buf = append(w.buf, c)
	w.depth++
}

func (w *passWriter) close(c byte) {
	w.depth--
	w.newline()
	w.buf = append(w.buf, c)
}

func (w *passWriter) value(v any) error {
	switch v := v.(type) {
	case string:
		w.buf = appendEncString(w.buf, v)
	case int:
		w.buf = strconv.AppendInt(w.buf, int64(v), 10)
	case bool:
		w.buf = strconv.AppendBool(w.buf, v)
	case json.RawMessage:
		if len(v) == 0 {
			w.buf = append(w.buf, "null"...)
			return nil
		}
		return w.indent(v)
	case object:
		if len(v) == 0 {
			w.buf = append(w.buf, '{', '}')
			return nil
		}
		w.open('{')
		for i, m := range v {
			w.key(m.key, i == 0)
			if err := w.value(m.val); err != nil {
				return err
			}
		}
		w.close('}')
	case []string:
		w.strings(v)
	case []passBarcode:
		// Every pass has one; through encoding/json and indent it cost
		// an encoder, a buffer and a validation pass.
		if len(v) == 0 {
			w.buf = append(w.buf, '[', ']')
			return nil
		}
		w.open('[')
		for i := range v {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.newline()
			w.open('{')
			w.key("format", true)
			w.buf = appendEncString(w.buf, v[i].Format)
			w.key("message", false)
			w.buf = appendEncString(w.buf, v[i].Message)
			w.key("messageEncoding", false)
			w.buf = appendEncString(w.buf, v[i].MessageEncoding)
			w.optString("altText", v[i].AltText)
			w.close('}')
		}
		w.close(']')
	case []passField:
		if len(v) == 0 {
			w.buf = append(w.buf, '[', ']')
			return nil
		}
		w.open('[')
		for i := range v {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.newline()
			if err := w.field(&v[i]); err != nil {
				return err
			}
		}
		w.close(']')
	default:
		return w.generic(v)
	}
	return nil
}

func (w *passWriter) strings(ss []string) {
	if ss == nil {
		w.buf = append(w.buf, "null"...)
		return
	}
	if len(ss) == 0 {
		w.buf = append(w.buf, '[', ']')
		return
	}
	w.open('[')
	for i, s := range ss {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.newline()
		w.buf = appendEncString(w.buf, s)
	}
	w.close(']')
}

// field writes one passField as its struct tags say (omitempty where they do).
func (w *passWriter) field(f *passField) error {
	w.open('{')
	w.key("key", true)
	w.buf = appendEncString(w.buf, f.Key)
	w.optString("label", f.Label)
	w.key("value", false)
	switch v := f.Value.(type) {
	case json.Number:
		if v == "" {
			w.buf = append(w.buf, '0')
		} else if isNumberLiteral(string(v)) {
			w.buf = append(w.buf, v...)
		} else if err := w.generic(v); err != nil { // encoding/json's error
			return err
		}
	default:
		if err := w.value(v); err != nil {
			return err
		}
	}
	w.optString("changeMessage", f.ChangeMessage)
	w.optString("textAlignment", f.TextAlignment)
	w.optString("dateStyle", f.DateStyle)
	w.optString("timeStyle", f.TimeStyle)
	w.optBool("isRelative", f.IsRelative)
	w.optBool("ignoresTimeZone", f.IgnoresTimeZone)
	w.optString("numberStyle", f.NumberStyle)
	w.optString("currencyCode", f.CurrencyCode)
	if f.DataDetectorTypes != nil {
		w.key("dataDetectorTypes", false)
		w.strings(*f.DataDetectorTypes)
	}
	w.optString("attributedValue", f.AttributedValue)
	w.close('}')
	return nil
}

func (w *passWriter) optString(k, v string) {
	if v != "" {
		w.key(k, false)
		w.buf = appendEncString(w.buf, v)
	}
}

func (w *passWriter) optBool(k string, v bool) {
	if v {
		w.key(k, false)
		w.buf = append(w.buf, "true"...)
	}
}

// generic encodes v with encoding/json and indents it in place.
func (w *passWriter) generic(v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return w.indent(bytes.TrimSuffix(b.Bytes(), []byte{'\n'}))
}

// indent appends one JSON value, given in valid JSON, the way encoding/json
// compacts and then indents it without HTML escaping: whitespace outside
// strings dropped, empty containers as {} and [], strings copied as they
// are (encoding/json escapes U+2028 and U+2029 in raw values only together
// with HTML characters).
func (w *passWriter) indent(src []byte) error {
	if !json.Valid(src) {
		// Only a server bug gets here; let encoding/json say what is wrong.
		_, err := json.Marshal(json.RawMessage(src))
		return err
	}
	base := w.depth
	pending := false // an opened container whose first line is not written yet
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if pending && c != '}' && c != ']' {
			pending = false
			w.depth++
			w.newline()
		}
		switch c {
		case '{', '[':
			pending = true
			w.buf = append(w.buf, c)
		case ',':
			w.buf = append(w.buf, c)
			w.newline()
		case ':':
			w.buf = append(w.buf, c, ' ')
		case '}', ']':
			if pending {
				pending = false
			} else {
				w.depth--
				w.newline()
			}
			w.buf = append(w.buf, c)
		case '"':
			i = w.copyString(src, i)
		default:
			w.buf = append(w.buf, c)
		}
	}
	w.depth = base
	return nil
}

// copyString copies the string literal starting at src[i] (a quote) and
// returns the index of its closing quote.
func (w *passWriter) copyString(src []byte, i int) int {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++ // the escaped byte belongs to the string
		case '"':
			w.buf = append(w.buf, src[i:j+1]...)
			return j
		}
	}
	w.buf = append(w.buf, src[i:]...) // unreachable for valid JSON
	return len(src) - 1
}

// appendEncString is encoding/json's string encoding without HTML escapes.
func appendEncString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// isNumberLiteral reports whether s is a JSON number, as encoding/json
// requires of a json.Number it writes.
func isNumberLiteral(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}

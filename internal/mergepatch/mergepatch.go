// Package mergepatch applies JSON merge patches (RFC 7396) to JSON
// documents. It is strict where RFC 7396 leaves room, because the patched
// result is validated as a request body afterwards and the patch itself is
// client input: invalid UTF-8, duplicate object keys and trailing data are
// refused rather than silently resolved.
package mergepatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of a patch (and of the document it applies to),
// so a hostile patch cannot make the decoder recurse without limit.
const MaxDepth = 64

// Apply returns the result of merging patch into doc, as compact JSON with
// object keys sorted (encoding/json's map order). Numbers keep their exact
// text. An empty doc is treated as null, as the RFC's algorithm allows.
func Apply(doc, patch []byte) ([]byte, error) {
	p, err := decode(patch)
	if err != nil {
		return nil, fmt.Errorf("merge patch: %w", err)
	}
	var d any
	if len(bytes.TrimSpace(doc)) > 0 {
		if d, err = decode(doc); err != nil {
			return nil, fmt.Errorf("document: %w", err)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Merge(d, p)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Merge is RFC 7396's MergePatch(Target, Patch) on decoded values
// (map[string]any, []any, string, json.Number, bool, nil). A patch that is
// not an object replaces the target whole; inside an object, null removes
// a member and an object merges recursively. target is not modified.
func Merge(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	out := make(map[string]any, len(tm)+len(pm))
	if ok {
		for k, v := range tm {
			out[k] = v
		}
	}
	for k, v := range pm {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = Merge(out[k], v)
	}
	return out
}

// Decode strictly parses one JSON value into the types Merge works on.
func Decode(b []byte) (any, error) { return decode(b) }

func decode(b []byte) (any, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("body is not valid UTF-8")
	}
	if err := checkSurrogates(b); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := value(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// value reads one value token by token, so duplicate keys can be seen
// (decoding into a map would keep the last one silently).
func value(dec *json.Decoder, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", MaxDepth)
	}
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, errors.New("empty body: expected a JSON value")
	}
	if err != nil {
		return nil, syntaxError(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, syntaxError(err)
				}
				k := kt.(string) // the decoder only yields strings in key position
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("duplicate key %q", k)
				}
				v, err := value(dec, depth+1)
				if err != nil {
					return nil, err
				}
				m[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxError(err)
			}
			return m, nil
		case '[':
			a := []any{}
			for dec.More() {
				v, err := value(dec, depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxError(err)
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %q", t)
	default:
		return t, nil // string, json.Number, bool or nil
	}
}

func syntaxError(err error) error {
	return fmt.Errorf("malformed JSON: %v", err)
}

// checkSurrogates refuses \uD800–\uDFFF escapes that are not a high-low
// pair: they name no character, and encoding/json would silently turn
// them into U+FFFD where a request body is refused for them.
func checkSurrogates(b []byte) error {
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(b):
			if b[i+1] != 'u' {
				i++ // skip the escaped character (it may be a quote)
				continue
			}
			r, ok := hex4(b, i+2)
			switch {
			case !ok:
				return nil // malformed: the decoder says so
			case r >= 0xd800 && r <= 0xdbff:
				if lo, ok := hex4(b, i+8); i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' && ok && lo >= 0xdc00 && lo <= 0xdfff {
					i += 11
					continue
				}
				return errors.New("unpaired surrogate escape in a string")
			case r >= 0xdc00 && r <= 0xdfff:
				return errors.New("unpaired surrogate escape in a string")
			}
			i += 5
		}
	}
	return nil
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

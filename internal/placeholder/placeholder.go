// Package placeholder is the template engine: it finds the {{name}} markers
// in the string values of a pass design and renders the design with a
// pass's values. It does no I/O and knows no pass rules (internal/pkpass
// validates what it renders).
//
// A design is compiled once from its canonical JSON (internal/pkpass's
// encoding: sorted keys, no whitespace, minimal escapes) into literal byte
// runs and placeholders; rendering splices each value's escaped content
// between the runs. Because the canonical encoding escapes character by
// character, the result is the canonical encoding of the rendered body, so
// its hash is the pass's body hash without decoding or re-encoding anything:
// a template change can rehash 100,000 passes in a fraction of a second.
package placeholder

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// MaxName is the longest placeholder name.
const MaxName = 64

// marker is a {{…}} without braces inside; its content must be a name.
var marker = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

// ValidName reports whether s can name a placeholder: 1–64 ASCII letters,
// digits or '_'.
func ValidName(s string) bool {
	if s == "" || len(s) > MaxName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// segment is a literal run followed, unless it is the last, by a placeholder.
type segment struct {
	lit  []byte
	name string // "" for the last segment
}

// String is a string value of the design that holds placeholders.
type String struct {
	Path string // e.g. "headerFields[0].value"
	Text string
}

// Design is a compiled design.
type Design struct {
	canon   []byte
	segs    []segment
	names   []string // sorted, distinct
	strings []String // in path order
}

// Compile compiles a design from its canonical JSON. A {{…}} whose content
// is not a valid name is an EINVALID error naming the field.
func Compile(canon []byte) (*Design, error) {
	var tree any
	dec := json.NewDecoder(bytes.NewReader(canon))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "pass must be a JSON object: %v", err)
	}
	d := &Design{canon: canon}
	seen := map[string]bool{}
	var walkErr error
	walk(tree, "", func(path, s string) {
		found := false
		for _, m := range marker.FindAllStringSubmatch(s, -1) {
			if !ValidName(m[1]) {
				if walkErr == nil {
					walkErr = walletwallet.Errorf(walletwallet.EINVALID,
						"pass.%s: %q is not a placeholder: names are 1 to %d letters, digits or _ between {{ and }}", path, m[0], MaxName)
				}
				continue
			}
			found = true
			if !seen[m[1]] {
				seen[m[1]] = true
				d.names = append(d.names, m[1])
			}
		}
		if found {
			d.strings = append(d.strings, String{Path: path, Text: s})
		}
	})
	if walkErr != nil {
		return nil, walkErr
	}
	sort.Strings(d.names)
	d.segs = split(canon)
	return d, nil
}

// walk calls fn for every string value (not key) of v, with its path, in
// sorted key order.
func walk(v any, path string, fn func(path, s string)) {
	switch x := v.(type) {
	case string:
		fn(path, x)
	case []any:
		for i, e := range x {
			walk(e, path+"["+strconv.Itoa(i)+"]", fn)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walk(x[k], p, fn)
		}
	}
}

// split cuts canonical JSON at the placeholders of its string values.
// Markers are found in the raw bytes of each value string: braces, letters,
// digits and '_' are never escaped, so a marker's bytes are its text.
func split(canon []byte) []segment {
	var segs []segment
	start := 0
	for i := 0; i < len(canon); i++ {
		if canon[i] != '"' {
			continue
		}
		j := i + 1
		for ; j < len(canon) && canon[j] != '"'; j++ {
			if canon[j] == '\\' {
				j++
			}
		}
		if j+1 < len(canon) && canon[j+1] == ':' {
			i = j // a key
			continue
		}
		body := canon[i+1 : j]
		for _, m := range marker.FindAllSubmatchIndex(body, -1) {
			name := string(body[m[2]:m[3]])
			if !ValidName(name) {
				continue
			}
			segs = append(segs, segment{lit: canon[start : i+1+m[0]], name: name})
			start = i + 1 + m[1]
		}
		i = j
	}
	return append(segs, segment{lit: canon[start:]})
}

// Names are the design's placeholders, sorted.
func (d *Design) Names() []string { return d.names }

// Strings are the design's string values that hold placeholders.
func (d *Design) Strings() []String { return d.strings }

// Canonical is the design's canonical JSON.
func (d *Design) Canonical() []byte { return d.canon }

// MissingError says a placeholder has neither a value nor a default.
type MissingError struct{ Name string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("values.%s is required: the template's placeholder {{%s}} has no default", e.Name, e.Name)
}

// Lookup gives a placeholder's value, or false when it has none.
type Lookup func(name string) (string, bool)

// With looks a name up in values, then in defaults.
func With(values, defaults map[string]string) Lookup {
	return func(name string) (string, bool) {
		if v, ok := values[name]; ok {
			return v, true
		}
		v, ok := defaults[name]
		return v, ok
	}
}

// AppendRender appends the canonical rendered body to dst.
func (d *Design) AppendRender(dst []byte, look Lookup) ([]byte, error) {
	for _, s := range d.segs {
		dst = append(dst, s.lit...)
		if s.name == "" {
			continue
		}
		v, ok := look(s.name)
		if !ok {
			return nil, &MissingError{Name: s.name}
		}
		dst = pkpass.AppendStringContent(dst, v)
	}
	return dst, nil
}

// Render returns the canonical rendered body and its hash (lowercase hex
// SHA-256, the pass's body hash).
func (d *Design) Render(look Lookup) ([]byte, string, error) {
	body, err := d.AppendRender(make([]byte, 0, len(d.canon)+64), look)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body)
	return body, hex.EncodeToString(sum[:]), nil
}

// Unknown returns the first name of values (sorted) that is no placeholder
// of the design, or "".
func (d *Design) Unknown(values map[string]string) string {
	var bad []string
	for k := range values {
		if i := sort.SearchStrings(d.names, k); i == len(d.names) || d.names[i] != k {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	sort.Strings(bad)
	return bad[0]
}

// Has reports whether name is a placeholder of the design.
func (d *Design) Has(name string) bool {
	i := sort.SearchStrings(d.names, name)
	return i < len(d.names) && d.names[i] == name
}

// List is the names as the API lists them: "a, b".
func (d *Design) List() string { return strings.Join(d.names, ", ") }

// ParseValues decodes a stored canonical values object.
func ParseValues(b []byte) (map[string]string, error) {
	m := map[string]string{}
	if len(b) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("placeholder: stored values: %w", err)
	}
	return m, nil
}

// WithStored looks a name up in a stored values object (b, as ParseValues
// reads it), then in defaults. A template change rehashes every pass of the
// template from its stored values while the change's answer waits, and
// decoding each object into a map through encoding/json was 3.7 µs a pass,
// more than the render and hash together (a profile of the 100,000-pass
// update). What EncodeValues writes without an escape is read here as
// substrings of one string; anything else (an escape, whitespace, a value
// that is not a string) goes through ParseValues, so both read every object
// alike (TestWithStoredMatchesParseValues).
func WithStored(b []byte, defaults map[string]string) (Lookup, error) {
	pairs, ok := plainValues(b)
	if !ok {
		m, err := ParseValues(b)
		if err != nil {
			return nil, err
		}
		return With(m, defaults), nil
	}
	return func(name string) (string, bool) {
		// From the end: a repeated key's last value wins, as in a map
		// decoded by encoding/json.
		for i := len(pairs) - 2; i >= 0; i -= 2 {
			if pairs[i] == name {
				return pairs[i+1], true
			}
		}
		v, ok := defaults[name]
		return v, ok
	}, nil
}

// plainValues splits an object of strings with no escapes and no
// whitespace into key, value, key, value…; false for anything else.
func plainValues(b []byte) ([]string, bool) {
	if len(b) == 0 {
		return nil, true
	}
	s := string(b)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	if s == "{}" {
		return nil, true
	}
	pairs := make([]string, 0, 8)
	i := 1
	for {
		k, next, ok := plainString(s, i)
		if !ok || next >= len(s) || s[next] != ':' {
			return nil, false
		}
		v, next, ok := plainString(s, next+1)
		if !ok || next >= len(s) {
			return nil, false
		}
		pairs = append(pairs, k, v)
		switch s[next] {
		case '}':
			return pairs, next == len(s)-1
		case ',':
			i = next + 1
		default:
			return nil, false
		}
	}
}

// plainString reads the string starting with a quote at s[i] and returns
// its content and the index after its closing quote; false if s[i] is not a
// quote or the string holds an escape or a control character (or is not
// valid UTF-8, which encoding/json would replace).
func plainString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			v := s[i+1 : j]
			return v, j + 1, utf8.ValidString(v)
		case c == '\\' || c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

// EncodeValues is the canonical JSON of a values object (sorted keys, the
// canonical escapes), as stored.
func EncodeValues(m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = pkpass.AppendStringContent(b, k)
		b = append(b, '"', ':', '"')
		b = pkpass.AppendStringContent(b, m[k])
		b = append(b, '"')
	}
	return append(b, '}')
}

package pkpass

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// fieldKey is one member of a field object ({label, value, …}) and how it
// is decoded; checkFieldOptions holds the rules and passFieldOf the output.
type fieldKey struct {
	name   string
	decode func(m *mapper, f *Field, v value, path string)
}

var (
	alignments = map[string]string{"left": "PKTextAlignmentLeft", "center": "PKTextAlignmentCenter",
		"right": "PKTextAlignmentRight", "natural": "PKTextAlignmentNatural"}
	dateStyles = map[string]string{"none": "PKDateStyleNone", "short": "PKDateStyleShort",
		"medium": "PKDateStyleMedium", "long": "PKDateStyleLong", "full": "PKDateStyleFull"}
	numberStyles = map[string]string{"decimal": "PKNumberStyleDecimal", "percent": "PKNumberStylePercent",
		"scientific": "PKNumberStyleScientific", "spellOut": "PKNumberStyleSpellOut"}
	detectors = map[string]string{"phoneNumber": "PKDataDetectorTypePhoneNumber", "link": "PKDataDetectorTypeLink",
		"address": "PKDataDetectorTypeAddress", "calendarEvent": "PKDataDetectorTypeCalendarEvent"}
)

func fieldStr(get func(*Field) *string) func(*mapper, *Field, value, string) {
	return func(m *mapper, f *Field, v value, path string) { m.str(get(f), v, path) }
}

func fieldBool(get func(*Field) *bool) func(*mapper, *Field, value, string) {
	return func(m *mapper, f *Field, v value, path string) { m.boolean(get(f), v, path) }
}

// fieldKeys is the field object's table, in the order rules are checked
// and pass.json writes them.
var fieldKeys = []fieldKey{
	{name: "label", decode: fieldStr(func(f *Field) *string { return &f.Label })},
	{name: "value", decode: fieldStr(func(f *Field) *string { return &f.Value })},
	{name: "changeMessage", decode: fieldStr(func(f *Field) *string { return &f.ChangeMessage })},
	{name: "textAlignment", decode: fieldStr(func(f *Field) *string { return &f.TextAlignment })},
	{name: "dateStyle", decode: fieldStr(func(f *Field) *string { return &f.DateStyle })},
	{name: "timeStyle", decode: fieldStr(func(f *Field) *string { return &f.TimeStyle })},
	{name: "isRelative", decode: fieldBool(func(f *Field) *bool { return &f.IsRelative })},
	{name: "ignoresTimeZone", decode: fieldBool(func(f *Field) *bool { return &f.IgnoresTimeZone })},
	{name: "numberStyle", decode: fieldStr(func(f *Field) *string { return &f.NumberStyle })},
	{name: "currencyCode", decode: fieldStr(func(f *Field) *string { return &f.CurrencyCode })},
	{name: "dataDetectorTypes", decode: decodeDetectors},
	{name: "attributedValue", decode: fieldStr(func(f *Field) *string { return &f.AttributedValue })},
}

var fieldKeyIndex = func() map[string]*fieldKey {
	m := map[string]*fieldKey{}
	for i := range fieldKeys {
		m[fieldKeys[i].name] = &fieldKeys[i]
	}
	return m
}()

var fieldKeyNames = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range fieldKeys {
		m[k.name] = true
	}
	return m
}()

// decodeDetectors keeps an empty array as empty (no detectors), distinct
// from absent (Wallet's default: all of them).
func decodeDetectors(m *mapper, f *Field, v value, path string) {
	items, ok := m.array(v, path)
	if !ok {
		return
	}
	f.DataDetectorTypes = make([]string, 0, len(items))
	for i, it := range items {
		if it.kind != kindString {
			m.typeError(path+"["+strconv.Itoa(i)+"]", "a string")
			continue
		}
		f.DataDetectorTypes = append(f.DataDetectorTypes, it.str)
	}
}

var (
	decimalNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`)
	currencyCode  = regexp.MustCompile(`^[A-Z]{3}$`)
)

// onlyAnchorMarkup reports whether the only markup in s is <a href="…">
// (the URL without any of "<>) and </a>: every '<' must start one of the
// two tags and no '>' may stand outside them. (A regexp replacing the tags
// and then looking for '<' or '>' said the same, with an allocation and
// a backtracking run per back field.)
func onlyAnchorMarkup(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '>':
			return false
		case '<':
			rest := s[i:]
			if strings.HasPrefix(rest, "</a>") {
				i += len("</a>") - 1
				continue
			}
			const open = `<a href="`
			if !strings.HasPrefix(rest, open) {
				return false
			}
			end := strings.IndexAny(rest[len(open):], `"<>`)
			if end < 0 || !strings.HasPrefix(rest[len(open)+end:], `">`) {
				return false
			}
			i += len(open) + end + len(`">`) - 1
		}
	}
	return true
}

// validateFields applies a field array's rules: count, then each field's
// Part 1 limits, then its options.
func (d *decoded) validateFields(name string, fields []Field) error {
	r := &d.req
	n := len(fields)
	if name == "secondaryFields" && r.Label != "" && r.Value != "" {
		n++ // the legacy pair is prepended, and counts
	}
	if n > MaxFields {
		return invalid("%s must have at most %d items", name, MaxFields)
	}
	for i, f := range fields {
		p := fieldAt{name, i}
		if err := p.maxLen("label", f.Label, MaxFieldLabel); err != nil {
			return err
		}
		if f.Value == "" {
			return invalid("%svalue is required", p)
		}
		if err := p.maxLen("value", f.Value, MaxFieldValue); err != nil {
			return err
		}
		if err := p.maxLen("changeMessage", f.ChangeMessage, MaxChangeMessage); err != nil {
			return err
		}
		if err := checkFieldOptions(name == "backFields", p, f); err != nil {
			return err
		}
	}
	return nil
}

// fieldAt is the path prefix of field i of a field array, "name[i].",
// formatted only when an error names it (building it for every field was
// several allocations a field).
type fieldAt struct {
	name string
	i    int
}

func (p fieldAt) String() string { return p.name + "[" + strconv.Itoa(p.i) + "]." }

func (p fieldAt) maxLen(key, s string, max int) error {
	if len(s) <= max {
		return nil // byte length bounds rune count from above
	}
	return maxLen(p.String()+key, s, max)
}

func checkFieldOptions(back bool, p fieldAt, f Field) error {
	for _, c := range []struct {
		key, v string
		enum   map[string]string
		list   string
	}{
		{"textAlignment", f.TextAlignment, alignments, "left, center, right, natural"},
		{"dateStyle", f.DateStyle, dateStyles, "none, short, medium, long, full"},
		{"timeStyle", f.TimeStyle, dateStyles, "none, short, medium, long, full"},
		{"numberStyle", f.NumberStyle, numberStyles, "decimal, percent, scientific, spellOut"},
	} {
		if _, ok := c.enum[c.v]; c.v != "" && !ok {
			return invalid("%s%s must be one of: %s", p, c.key, c.list)
		}
	}
	if f.DateStyle != "" || f.TimeStyle != "" {
		if _, err := time.Parse(time.RFC3339, f.Value); err != nil {
			return invalid("%svalue must be an ISO 8601 date-time with offset, like 2026-05-11T20:00:00+02:00, when dateStyle or timeStyle is set", p)
		}
	} else if f.IsRelative || f.IgnoresTimeZone {
		return invalid("%sisRelative and ignoresTimeZone need dateStyle or timeStyle", p)
	}
	if f.CurrencyCode != "" && !currencyCode.MatchString(f.CurrencyCode) {
		return invalid("%scurrencyCode must be an ISO 4217 code of 3 upper-case letters, like EUR", p)
	}
	if f.Numeric() {
		if f.DateStyle != "" || f.TimeStyle != "" {
			return invalid("%s: a field is a date or a number, not both", strings.TrimSuffix(p.String(), "."))
		}
		if !decimalNumber.MatchString(f.Value) {
			return invalid("%svalue must be a decimal number like 12.50 when numberStyle or currencyCode is set", p)
		}
	}
	if f.DataDetectorTypes != nil {
		if !back {
			return invalid("%sdataDetectorTypes is only available on backFields", p)
		}
		for j, t := range f.DataDetectorTypes {
			if _, ok := detectors[t]; !ok {
				return invalid("%sdataDetectorTypes[%d] must be one of: phoneNumber, link, address, calendarEvent", p, j)
			}
		}
	}
	if f.AttributedValue != "" {
		if !back {
			return invalid("%sattributedValue is only available on backFields", p)
		}
		if err := p.maxLen("attributedValue", f.AttributedValue, MaxAttributedValue); err != nil {
			return err
		}
		if !onlyAnchorMarkup(f.AttributedValue) {
			return invalid(`%sattributedValue may contain only <a href="…">…</a> markup`, p)
		}
	}
	return nil
}

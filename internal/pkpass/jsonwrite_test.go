package pkpass

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// passJSONByEncodingJSON is how pass.json was written before passWriter:
// an ordered object encoded by encoding/json with indentation. It is the
// reference the direct writer must match byte for byte.
func passJSONByEncodingJSON(t testing.TB, r *Request, info PassInfo) []byte {
	t.Helper()
	c := &passCtx{r: r, info: info, pal: r.paletteFor()}
	values := make(map[string]any, len(passKeys))
	for k, f := range derivedKeys {
		values[k] = f(c)
	}
	for i := range requestFields {
		if f := &requestFields[i]; f.pass != nil {
			values[f.passKey] = f.pass(r)
		}
	}
	values[r.Style()] = r.styleDict()
	doc := make(object, 0, len(passKeys))
	for _, k := range passKeys {
		if v := values[k]; v != nil {
			doc = append(doc, member2{k, v})
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// awkward strings: every escape encoding/json makes, invalid UTF-8 (which
// only server-side values can carry), line and paragraph separators, HTML.
var awkward = []string{
	"", "plain", "quote\" backslash\\ slash/", "\b\f\n\r\t\x00\x01\x1f\x7f",
	"<b>&amp;</b>", "line\u2028para\u2029end", "bad \xff utf-8 \xe2\x80", "emoji 😀 é",
	"\xe2\x80\xa8\xe2\x80\xa9",
}

func TestPassWriterMatchesEncodingJSON(t *testing.T) {
	check := func(t *testing.T, r *Request, info PassInfo) {
		t.Helper()
		got, err := r.PassJSON(info)
		if err != nil {
			t.Fatal(err)
		}
		if want := passJSONByEncodingJSON(t, r, info); !bytes.Equal(got, want) {
			t.Fatalf("direct writer differs from encoding/json:\ngot:\n%s\nwant:\n%s", got, want)
		}
	}
	for name, body := range examples(t) {
		t.Run(name, func(t *testing.T) {
			check(t, mustParse(t, string(body)), testInfo)
			voided := testInfo
			voided.Voided, voided.WebServiceURL = true, ""
			check(t, mustParse(t, string(body)), voided)
		})
	}
	t.Run("awkward strings", func(t *testing.T) {
		for _, s := range awkward {
			q := func(prefix string) string {
				b, _ := json.Marshal(prefix + strings.ToValidUTF8(s, "?"))
				return string(b)
			}
			body := `{"barcodeValue":` + q("b") + `,"altText":` + q("a") + `,"barcodeFormat":"QR","logoText":` + q("t") +
				`,"style":"eventTicket","poster":true,"semantics":{"eventName":` + q("e") + `,"venueName":"v","seats":[]},` +
				`"userInfo":{"a":[],"b":{},"c":[{"d":` + q("") + `}]},` +
				`"primaryFields":[{"label":` + q("") + `,"value":` + q("v") + `}],` +
				`"backFields":[{"label":"n","value":"12.50","numberStyle":"decimal"},{"label":"l","value":"x","dataDetectorTypes":[]}]}`
			r := mustParse(t, body)
			info := testInfo
			info.Serial, info.DefaultOrg = s+"serial", s
			info.FirstIssued = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			check(t, r, info)
		}
	})
}

func TestAppendEncStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range awkward {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got, want := string(appendEncString(nil, s)), strings.TrimSuffix(buf.String(), "\n"); got != want {
			t.Errorf("appendEncString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestIsNumberLiteral(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "12.50", "-1.5e-3", "1E+9", "0.0"} {
		if !isNumberLiteral(s) {
			t.Errorf("isNumberLiteral(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1x", "NaN"} {
		if isNumberLiteral(s) {
			t.Errorf("isNumberLiteral(%q) = true", s)
		}
	}
}

package placeholder

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet/internal/pkpass"
)

func compile(t *testing.T, body string) *Design {
	t.Helper()
	canon, _, err := pkpass.Canonical([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Compile(canon)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestValidName(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{
		{"a", true}, {"member_ID_2", true}, {strings.Repeat("x", 64), true},
		{"", false}, {strings.Repeat("x", 65), false}, {"a b", false}, {"a-b", false}, {"é", false}, {"a.b", false},
	} {
		if ValidName(c.s) != c.ok {
			t.Errorf("ValidName(%q) = %v", c.s, !c.ok)
		}
	}
}

func TestCompileFindsPlaceholders(t *testing.T) {
	cases := []struct {
		name, body string
		names      []string
		strs       []string // paths of strings holding placeholders
		err        string
	}{
		{"values anywhere", `{"t": "{{a}} and {{b}}", "f": [{"v": "{{c}}"}], "n": 3}`, []string{"a", "b", "c"}, []string{"f[0].v", "t"}, ""},
		{"repeated", `{"t": "{{a}}{{a}}", "u": "{{a}}"}`, []string{"a"}, []string{"t", "u"}, ""},
		{"keys are not placeholders", `{"o": {"{{k}}": "x"}}`, nil, nil, ""},
		{"lone braces are text", `{"t": "{x} and {{ alone"}`, nil, nil, ""},
		{"spaces inside are a typo", `{"t": "{{ name }}"}`, nil, nil, `pass.t: "{{ name }}" is not a placeholder`},
		{"bad name", `{"f": [{"v": "{{a b}}"}]}`, nil, nil, `pass.f[0].v: "{{a b}}" is not a placeholder`},
		{"empty name", `{"t": "{{}}"}`, nil, nil, `pass.t: "{{}}" is not a placeholder`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			canon, _, err := pkpass.Canonical([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			d, err := Compile(canon)
			if c.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Names(), c.names) {
				t.Fatalf("names = %v, want %v", d.Names(), c.names)
			}
			var paths []string
			for _, s := range d.Strings() {
				paths = append(paths, s.Path)
			}
			if !slices.Equal(paths, c.strs) {
				t.Fatalf("strings = %v, want %v", paths, c.strs)
			}
		})
	}
}

// The fast render is the canonical encoding of the rendered body, whatever
// the values hold, so its hash is the body hash every other path computes.
func TestRenderIsCanonical(t *testing.T) {
	d := compile(t, `{"z": "{{a}}", "a": {"k": "pre {{b}} post", "{{a}}": "key stays"}, "n": [1, "{{a}}{{b}}"]}`)
	values := []map[string]string{
		{"a": "plain", "b": "text"},
		{"a": `quote " and \ backslash`, "b": "new\nline\ttab\x01ctl"},
		{"a": "ünïcødé ✓", "b": "</script>&<>"},
		{"a": "", "b": "{{a}}"}, // a value is never expanded again
	}
	for _, v := range values {
		body, hash, err := d.Render(With(v, nil))
		if err != nil {
			t.Fatal(err)
		}
		canon, chash, err := pkpass.Canonical(body)
		if err != nil {
			t.Fatalf("render of %q is not JSON: %v (%s)", v, err, body)
		}
		if !bytes.Equal(canon, body) || chash != hash {
			t.Fatalf("render of %q is not canonical:\n%s\n%s", v, body, canon)
		}
		sum := sha256.Sum256(body)
		if hex.EncodeToString(sum[:]) != hash {
			t.Fatal("hash is not the body's SHA-256")
		}
		if !bytes.Contains(body, []byte(`"{{a}}":"key stays"`)) {
			t.Fatalf("a key was substituted: %s", body)
		}
	}
}

func TestRenderValuesDefaultsMissing(t *testing.T) {
	d := compile(t, `{"t": "{{a}}-{{b}}"}`)
	cases := []struct {
		values, defaults map[string]string
		want, missing    string
	}{
		{map[string]string{"a": "1", "b": "2"}, nil, `{"t":"1-2"}`, ""},
		{map[string]string{"a": "1"}, map[string]string{"b": "d"}, `{"t":"1-d"}`, ""},
		{map[string]string{"a": "1", "b": "own"}, map[string]string{"b": "d"}, `{"t":"1-own"}`, ""},
		{map[string]string{"b": "2"}, nil, "", "a"},
	}
	for _, c := range cases {
		body, _, err := d.Render(With(c.values, c.defaults))
		var miss *MissingError
		switch {
		case c.missing != "":
			if !errors.As(err, &miss) || miss.Name != c.missing || !strings.HasPrefix(err.Error(), "values."+c.missing+" is required") {
				t.Fatalf("%v: err = %v, want missing %s", c.values, err, c.missing)
			}
		case err != nil || string(body) != c.want:
			t.Fatalf("%v: %s %v, want %s", c.values, body, err, c.want)
		}
	}
	if got := d.Unknown(map[string]string{"a": "", "zz": "", "c": ""}); got != "c" {
		t.Fatalf("Unknown = %q, want the first unknown name c", got)
	}
}

func TestEncodeValuesRoundTrip(t *testing.T) {
	m := map[string]string{"b": "x\"y", "a": "ü\n"}
	enc := EncodeValues(m)
	if string(enc) != `{"a":"ü\n","b":"x\"y"}` {
		t.Fatalf("encoded %s", enc)
	}
	back, err := ParseValues(enc)
	if err != nil || len(back) != 2 || back["a"] != m["a"] || back["b"] != m["b"] {
		t.Fatalf("round trip: %v %v", back, err)
	}
}

func BenchmarkRenderHash(b *testing.B) {
	canon, _, _ := pkpass.Canonical([]byte(`{"title": "Coffee Club", "barcodeValue": "M-{{member}}", "barcodeFormat": "QR",
		"headerFields": [{"label": "Tier", "value": "{{tier}}"}], "primaryFields": [{"label": "Name", "value": "{{name}}"}],
		"backFields": [{"label": "Terms", "value": "` + strings.Repeat("Terms and conditions apply. ", 10) + `"}]}`))
	d, _ := Compile(canon)
	v := map[string]string{"member": "000123", "name": "Ada Lovelace", "tier": "Gold"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := d.Render(With(v, nil)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWithStoredMatchesParseValues checks the map-free reading of stored
// values against encoding/json's: the same answer for every name, the same
// refusals.
func TestWithStoredMatchesParseValues(t *testing.T) {
	cases := []string{
		``, `{}`, `{"a":"1"}`, `{"a":"1","b":""}`, `{"member":"000123","name":"Member 123"}`,
		`{"a":"x\"y"}`, `{"a":"ü\n"}`, `{"a":"\u00e9"}`, `{"a":"1","a":"2"}`, `{ "a": "1" }`,
		`{"a":null}`, `{"a":1}`, `{"a":"1",}`, `{"a":"1"`, `{"a"}`, `{"a":"1"}x`, `[]`, `"a"`, `{`,
		"{\"a\":\"\xff\"}", "{\"a\":\"\x01\"}", `{"":"empty key"}`, `{"a":"{}"}`, `{"a":"b\\"}`,
	}
	for _, m := range []map[string]string{{"k": "v"}, {"x": "a\"b", "y": "\t"}, {"long": strings.Repeat("é", 50)}} {
		cases = append(cases, string(EncodeValues(m)))
	}
	defaults := map[string]string{"a": "default a", "z": "default z"}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) { compareStored(t, []byte(c), defaults) })
	}
}

func FuzzWithStored(f *testing.F) {
	f.Add([]byte(`{"a":"1","b":"2"}`))
	f.Add([]byte(`{"a":"x\"y"}`))
	f.Fuzz(func(t *testing.T, b []byte) { compareStored(t, b, map[string]string{"a": "d"}) })
}

func compareStored(t *testing.T, b []byte, defaults map[string]string) {
	t.Helper()
	m, perr := ParseValues(b)
	look, err := WithStored(b, defaults)
	if (perr == nil) != (err == nil) {
		t.Fatalf("WithStored(%q) error %v, ParseValues error %v", b, err, perr)
	}
	if err != nil {
		if err.Error() != perr.Error() {
			t.Fatalf("WithStored(%q) error %q, want ParseValues's %q", b, err, perr)
		}
		return
	}
	want := With(m, defaults)
	names := []string{"missing", ""}
	for k := range m {
		names = append(names, k)
	}
	for k := range defaults {
		names = append(names, k)
	}
	for _, n := range names {
		gv, gok := look(n)
		wv, wok := want(n)
		if gv != wv || gok != wok {
			t.Fatalf("WithStored(%q)(%q) = %q, %v; want %q, %v", b, n, gv, gok, wv, wok)
		}
	}
}

package mergepatch

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The examples of RFC 7396, Appendix A, in order, then cases of our own.
func TestApply(t *testing.T) {
	cases := []struct {
		name, doc, patch, want string
	}{
		{"A1 replace member", `{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{"A2 add member", `{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{"A3 null removes", `{"a":"b"}`, `{"a":null}`, `{}`},
		{"A4 remove one of two", `{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{"A5 array replaced", `{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{"A6 value replaced by array", `{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{"A7 nested merge", `{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{"A8 array of objects replaced whole", `{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{"A9 array patch replaces array", `["a","b"]`, `["c","d"]`, `["c","d"]`},
		{"A10 array patch replaces object", `{"a":"b"}`, `["c"]`, `["c"]`},
		{"A11 null patch", `{"a":"foo"}`, `null`, `null`},
		{"A12 string patch", `{"a":"foo"}`, `"bar"`, `"bar"`},
		{"A13 untouched null stays", `{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{"A14 array target replaced by object", `[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{"A15 deep object created, nulls dropped", `{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
		{"empty document", ``, `{"a":1}`, `{"a":1}`},
		{"empty patch is a no-op", `{"a":1,"b":[2]}`, `{}`, `{"a":1,"b":[2]}`},
		{"numbers keep their text", `{"n":1.50}`, `{"m":12345678901234567890}`, `{"m":12345678901234567890,"n":1.50}`},
		{"keys come out sorted", `{"z":1,"a":2}`, `{"m":3}`, `{"a":2,"m":3,"z":1}`},
		{"html is not escaped", `{}`, `{"a":"<b>&"}`, `{"a":"<b>&"}`},
		{"surrogate pair and escaped quotes", `{}`, `{"a":"\ud83d\ude00 \\\" \\u"}`, `{"a":"😀 \\\" \\u"}`},
		{"common pattern headerFields", `{"barcodeValue":"X","headerFields":[{"label":"P","value":"1"}]}`,
			`{"headerFields":[{"label":"POINTS","value":"1,300","changeMessage":"Now at %@ points"}]}`,
			`{"barcodeValue":"X","headerFields":[{"changeMessage":"Now at %@ points","label":"POINTS","value":"1,300"}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Apply([]byte(c.doc), []byte(c.patch))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("Apply(%s, %s) = %s, want %s", c.doc, c.patch, got, c.want)
			}
		})
	}
}

// Appendix A, example 13's target keeps its explicit null when the patch
// does not touch it (Merge works on values; Apply's caller decides what null
// means).
func TestMergeKeepsUntouchedNull(t *testing.T) {
	got := Merge(map[string]any{"e": nil}, map[string]any{"a": json.Number("1")})
	want := map[string]any{"e": nil, "a": json.Number("1")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestMergeDoesNotModifyTarget(t *testing.T) {
	target := map[string]any{"a": map[string]any{"b": "c"}}
	Merge(target, map[string]any{"a": map[string]any{"b": nil}})
	if target["a"].(map[string]any)["b"] != "c" {
		t.Error("Merge changed its target")
	}
}

func TestApplyRefuses(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2)
	cases := []struct {
		name, patch, want string
	}{
		{"duplicate key", `{"a":1,"a":2}`, `duplicate key "a"`},
		{"nested duplicate key", `{"x":{"b":1,"b":1}}`, `duplicate key "b"`},
		{"trailing data", `{"a":1} {}`, "unexpected data after the JSON value"},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "not valid UTF-8"},
		{"empty", ``, "empty body"},
		{"malformed", `{"a":}`, "malformed JSON"},
		{"unterminated", `{"a":1`, "malformed JSON"},
		{"too deep", deep, "nesting deeper than"},
		{"lone high surrogate", `{"a":"\ud800"}`, "unpaired surrogate"},
		{"lone low surrogate", `{"a":"x\udc00"}`, "unpaired surrogate"},
		{"high surrogate before another escape", `{"a":"\ud800\u0041"}`, "unpaired surrogate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Apply([]byte(`{}`), []byte(c.patch))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Apply(%q) error = %v, want it to contain %q", c.patch, err, c.want)
			}
		})
	}
}

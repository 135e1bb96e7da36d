package pkpass

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"testing"
)

func TestCanonical(t *testing.T) {
	const base = `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L","primaryFields":[{"label":"a","value":"1"}],"expirationDays":30}`
	tests := []struct {
		name  string
		other string
		same  bool
	}{
		{"identical", base, true},
		{"key order", `{"logoText":"L","expirationDays":30,"primaryFields":[{"value":"1","label":"a"}],"barcodeFormat":"QR","barcodeValue":"X"}`, true},
		{"whitespace", "{ \"barcodeValue\" : \"X\",\n\t\"barcodeFormat\": \"QR\", \"logoText\": \"L\", \"primaryFields\": [ { \"label\": \"a\", \"value\": \"1\" } ], \"expirationDays\": 30 }\n", true},
		{"null equals absent", `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L","color":null,"primaryFields":[{"label":"a","value":"1","changeMessage":null}],"expirationDays":30}`, true},
		{"escapes equal their characters", `{"barcodeValue":"\u0058","barcodeFormat":"Q\u0052","logoText":"L","primaryFields":[{"label":"a","value":"1"}],"expirationDays":30}`, true},
		{"value change", `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L","primaryFields":[{"label":"a","value":"2"}],"expirationDays":30}`, false},
		{"number change", `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L","primaryFields":[{"label":"a","value":"1"}],"expirationDays":31}`, false},
		{"added member", `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L","primaryFields":[{"label":"a","value":"1"}],"expirationDays":30,"description":"d"}`, false},
		{"array order counts", `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L","primaryFields":[{"label":"a","value":"1"},{"value":"2"}],"expirationDays":30}`, false},
	}
	_, baseHash, err := Canonical([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, h, err := Canonical([]byte(tc.other))
			if err != nil {
				t.Fatal(err)
			}
			if (h == baseHash) != tc.same {
				t.Errorf("hash equal = %v, want %v", h == baseHash, tc.same)
			}
		})
	}
}

func TestCanonicalForm(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"sorted, compact", `{ "b" : 1, "a" : [ true, false, null ] }`, `{"a":[true,false,null],"b":1}`},
		{"nested nulls dropped", `{"x":{"y":null,"z":{"w":null}}}`, `{"x":{"z":{}}}`},
		{"number literal kept", `{"n":1.50e+2,"m":-0}`, `{"m":-0,"n":1.50e+2}`},
		{"minimal string escapes", `{"s":"\u003c\/\"\\\n\u0001\u2028é"}`, "{\"s\":\"</\\\"\\\\\\n\\u0001\u2028é\"}"},
		{"byte order of keys", `{"b":1,"B":2,"é":3,"a":4}`, `{"B":2,"a":4,"b":1,"é":3}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, h, err := Canonical([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("Canonical = %s, want %s", got, tc.want)
			}
			sum := sha256.Sum256(got)
			if h != hex.EncodeToString(sum[:]) {
				t.Errorf("hash %s is not the SHA-256 of the canonical bytes", h)
			}
		})
	}
}

func TestCanonicalRejectsInvalidJSON(t *testing.T) {
	for name, in := range map[string]string{
		"duplicate": `{"a":1,"a":1}`,
		"trailing":  `{} x`,
		"utf-8":     "{\"a\":\"\xc3\"}",
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := Canonical([]byte(in)); err == nil {
				t.Error("Canonical succeeded")
			}
		})
	}
}

// TestCanonicalRoundTrip: the canonical form is what gets stored, so parsing
// it back must give exactly the request the original body gave.
func TestCanonicalRoundTrip(t *testing.T) {
	for name, b := range examples(t) {
		t.Run(name, func(t *testing.T) {
			want := mustParse(t, string(b))
			canon, _, err := Canonical(b)
			if err != nil {
				t.Fatal(err)
			}
			got := mustParse(t, string(canon))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(canonical) = %+v, want %+v", got, want)
			}
			again, _, err := Canonical(canon)
			if err != nil || string(again) != string(canon) {
				t.Errorf("Canonical is not idempotent: %s vs %s (%v)", again, canon, err)
			}
		})
	}
}

package pkpass

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden pass.json files in testdata/golden")

// testInfo is the fixed server side of every golden pass.json.
var testInfo = PassInfo{
	PassTypeID:    "pass.dev.walletwallet.local",
	TeamID:        "DEVTEAM001",
	Serial:        "8f4c3a2e-1b2d-4c5e-9f60-7a8b9c0d1e2f",
	AuthToken:     "0123456789abcdef0123456789abcdef",
	WebServiceURL: "https://passes.example.com/",
	DefaultOrg:    "Example Org",
	FirstIssued:   time.Date(2026, 5, 11, 22, 23, 28, 273e6, time.UTC),
}

// examples returns the request bodies in testdata/examples by name (file stem).
func examples(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "examples", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".json")] = b
	}
	return out
}

func mustParse(t testing.TB, body string) *Request {
	t.Helper()
	r, err := Parse([]byte(body))
	if err != nil {
		t.Fatalf("Parse(%s): %v", body, err)
	}
	return r
}

func TestPassJSONGolden(t *testing.T) {
	for name, body := range examples(t) {
		t.Run(name, func(t *testing.T) {
			r := mustParse(t, string(body))
			got, err := r.PassJSON(testInfo)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", name+".pass.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("pass.json differs from %s (run with -update after checking):\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// decodePass renders r and decodes the result generically, for assertions
// on single keys.
func decodePass(t *testing.T, r *Request, info PassInfo) map[string]any {
	t.Helper()
	b, err := r.PassJSON(info)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("pass.json is not JSON: %v\n%s", err, b)
	}
	return m
}

func TestPassJSONKeys(t *testing.T) {
	noWS := testInfo
	noWS.WebServiceURL, noWS.AuthToken = "", ""
	noOrg := testInfo
	noOrg.DefaultOrg = ""
	tests := []struct {
		name  string
		body  string
		info  PassInfo
		check func(t *testing.T, m map[string]any)
	}{
		{"organization falls back to the default", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L"}`, testInfo,
			wantKey("organizationName", "Example Org")},
		{"organization falls back to the constant", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L"}`, noOrg,
			wantKey("organizationName", DefaultOrganization)},
		{"request organization wins", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L","organizationName":"Mine"}`, testInfo,
			wantKey("organizationName", "Mine")},
		{"description from logoText", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L"}`, testInfo,
			wantKey("description", "L")},
		{"description from title", `{"barcodeValue":"1","barcodeFormat":"QR","title":"T","primaryFields":[{"value":"v"}]}`, testInfo,
			// primaryFields given, so title does not fill logoText
			func(t *testing.T, m map[string]any) {
				wantKey("description", "T")(t, m)
				wantAbsent("logoText")(t, m)
			}},
		{"description Pass", `{"barcodeValue":"1","barcodeFormat":"QR","primaryFields":[{"value":"v"}]}`, testInfo,
			wantKey("description", "Pass")},
		{"no logoText key when empty", `{"barcodeValue":"1","barcodeFormat":"QR","primaryFields":[{"value":"v"}]}`, testInfo,
			wantAbsent("logoText")},
		{"no expirationDate without expirationDays", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L"}`, testInfo,
			wantAbsent("expirationDate")},
		{"expirationDate from first issue", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L","expirationDays":1}`, testInfo,
			wantKey("expirationDate", "2026-05-12T22:23:28Z")},
		{"no web service keys offline", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L"}`, noWS,
			func(t *testing.T, m map[string]any) {
				wantAbsent("webServiceURL")(t, m)
				wantAbsent("authenticationToken")(t, m)
			}},
		{"latin-1 barcode", `{"barcodeValue":"Caf\u00e9","barcodeFormat":"QR","logoText":"L"}`, testInfo,
			wantBarcode("PKBarcodeFormatQR", "Café", "iso-8859-1")},
		{"non-latin-1 barcode", `{"barcodeValue":"\u6771\u4eac","barcodeFormat":"Aztec","logoText":"L"}`, testInfo,
			wantBarcode("PKBarcodeFormatAztec", "東京", "utf-8")},
		{"code128", `{"barcodeValue":"1","barcodeFormat":"Code128","logoText":"L"}`, testInfo,
			wantBarcode("PKBarcodeFormatCode128", "1", "iso-8859-1")},
		{"pdf417", `{"barcodeValue":"1","barcodeFormat":"PDF417","logoText":"L"}`, testInfo,
			wantBarcode("PKBarcodeFormatPDF417", "1", "iso-8859-1")},
		{"strip makes storeCard", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L","stripURL":"https://x.example/s.png"}`, testInfo,
			func(t *testing.T, m map[string]any) {
				wantAbsent("generic")(t, m)
				if _, ok := m["storeCard"]; !ok {
					t.Error("no storeCard key")
				}
			}},
		{"positional keys", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L","backFields":[{"value":"a"},{"value":"b"},{"value":"c"}]}`, testInfo,
			func(t *testing.T, m map[string]any) {
				back := m["generic"].(map[string]any)["backFields"].([]any)
				for i, want := range []string{"back0", "back1", "back2"} {
					if got := back[i].(map[string]any)["key"]; got != want {
						t.Errorf("backFields[%d].key = %v, want %s", i, got, want)
					}
				}
			}},
		{"preset colours", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L","colorPreset":"blue"}`, testInfo,
			wantKey("backgroundColor", "rgb(30, 64, 175)")},
		{"custom colour beats preset", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L","colorPreset":"blue","color":"#ffffff"}`, testInfo,
			func(t *testing.T, m map[string]any) {
				wantKey("backgroundColor", "rgb(255, 255, 255)")(t, m)
				wantKey("foregroundColor", "rgb(0, 0, 0)")(t, m)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, decodePass(t, mustParse(t, tc.body), tc.info))
		})
	}
}

func wantKey(key string, want any) func(*testing.T, map[string]any) {
	return func(t *testing.T, m map[string]any) {
		t.Helper()
		if got, ok := m[key]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", key, got, ok, want)
		}
	}
}

func wantAbsent(key string) func(*testing.T, map[string]any) {
	return func(t *testing.T, m map[string]any) {
		t.Helper()
		if got, ok := m[key]; ok {
			t.Errorf("%s present (%v), want absent", key, got)
		}
	}
}

func wantBarcode(format, message, encoding string) func(*testing.T, map[string]any) {
	return func(t *testing.T, m map[string]any) {
		t.Helper()
		bcs, _ := m["barcodes"].([]any)
		if len(bcs) != 1 {
			t.Fatalf("barcodes = %v, want one", m["barcodes"])
		}
		bc := bcs[0].(map[string]any)
		if bc["format"] != format || bc["message"] != message || bc["messageEncoding"] != encoding {
			t.Errorf("barcode = %v, want %s %q %s", bc, format, message, encoding)
		}
		if _, ok := m["barcode"]; ok {
			t.Error("deprecated singular barcode key present")
		}
	}
}

func TestPassJSONInfoErrors(t *testing.T) {
	r := mustParse(t, `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L","expirationDays":3}`)
	tests := []struct {
		name   string
		modify func(*PassInfo)
	}{
		{"no pass type id", func(i *PassInfo) { i.PassTypeID = "" }},
		{"no team id", func(i *PassInfo) { i.TeamID = "" }},
		{"no serial", func(i *PassInfo) { i.Serial = "" }},
		{"web service URL without slash", func(i *PassInfo) { i.WebServiceURL = "https://x.example" }},
		{"short token", func(i *PassInfo) { i.AuthToken = "short" }},
		{"expiry without first issue", func(i *PassInfo) { i.FirstIssued = time.Time{} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info := testInfo
			tc.modify(&info)
			if _, err := r.PassJSON(info); err == nil {
				t.Error("PassJSON succeeded, want error")
			}
		})
	}
}

// TestPositionalKeysStable checks that changing a value keeps its key, which
// is what lets Wallet show the field's changeMessage after a PUT.
func TestPositionalKeysStable(t *testing.T) {
	ex := examples(t)
	before := decodePass(t, mustParse(t, string(ex["bayroast"])), testInfo)
	after := decodePass(t, mustParse(t, strings.Replace(string(ex["bayroast"]), `"250"`, `"500"`, 1)), testInfo)
	sec := func(m map[string]any) map[string]any {
		return m["generic"].(map[string]any)["secondaryFields"].([]any)[0].(map[string]any)
	}
	b, a := sec(before), sec(after)
	if b["key"] != "secondary0" || a["key"] != b["key"] {
		t.Errorf("keys %v → %v, want secondary0 both", b["key"], a["key"])
	}
	if a["value"] != "500" || a["changeMessage"] != "You now have %@ points" {
		t.Errorf("after = %v", a)
	}
}

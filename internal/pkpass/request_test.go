package pkpass

import (
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet"
)

// body builds a valid request with extra members appended (each extra must
// start with a comma).
func body(extra string) string {
	return `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L"` + extra + `}`
}

// fields builds a JSON array of n fields.
func fields(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = `{"value":"v"}`
	}
	return "[" + strings.Join(items, ",") + "]"
}

func rep(s string, n int) string { return strings.Repeat(s, n) }

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // exact prefix of the message
	}{
		// Strict JSON.
		{"invalid utf-8", "{\"barcodeValue\":\"\xff\",\"barcodeFormat\":\"QR\",\"logoText\":\"L\"}", "request body is not valid UTF-8"},
		{"empty body", ``, "malformed JSON: unexpected end of input"},
		{"truncated", `{"barcodeValue":"X"`, "malformed JSON: "},
		{"trailing comma", `{"barcodeValue":"X",}`, "malformed JSON: "},
		{"single quotes", `{'barcodeValue':'X'}`, "malformed JSON: "},
		{"bad literal", `{"barcodeValue":tru}`, "malformed JSON: "},
		{"leading zero", body(`,"expirationDays":01`), "malformed JSON: "},
		{"bare dot number", body(`,"expirationDays":1.`), "malformed JSON: "},
		{"control char in string", "{\"barcodeValue\":\"a\tb\"}", "malformed JSON: control character"},
		{"bad escape", `{"barcodeValue":"\x41"}`, "malformed JSON: invalid escape"},
		{"lone surrogate", `{"barcodeValue":"\ud800"}`, "malformed JSON: unpaired surrogate"},
		{"reversed surrogates", `{"barcodeValue":"\udc00\ud800"}`, "malformed JSON: unpaired surrogate"},
		{"too deep", body(`,"x":` + rep("[", 40) + rep("]", 40)), "request body nests deeper than 32 levels"},
		{"trailing data", body(``) + ` {}`, "unexpected data after the JSON object"},
		{"trailing garbage", body(``) + `x`, "unexpected data after the JSON object"},
		{"two objects no space", body(``) + body(``), "unexpected data after the JSON object"},
		{"duplicate top-level key", body(`,"logoText":"M"`), `duplicate field "logoText"`},
		{"duplicate nested key", body(`,"primaryFields":[{"value":"a","value":"b"}]`), `duplicate field "primaryFields[0].value"`},
		{"duplicate in big object", body(`,"x":{` + bigObject(40) + `,"k7":1}`), `duplicate field "x.k7"`},
		{"syntax error beats duplicate", body(`,"logoText":"M"`) + `,`, "unexpected data after"},
		{"array at top level", `[]`, "request body must be a JSON object"},
		{"string at top level", `"x"`, "request body must be a JSON object"},
		{"null at top level", `null`, "request body must be a JSON object"},
		{"unknown field", body(`,"colour":"#000000"`), `unknown field "colour"`},
		{"case-variant name", `{"BarcodeValue":"X","barcodeFormat":"QR","logoText":"L"}`, `unknown field "BarcodeValue" (field names are case-sensitive: did you mean "barcodeValue"?)`},
		{"unknown nested field", body(`,"primaryFields":[{"lable":"a","value":"b"}]`), `unknown field "primaryFields[0].lable"`},
		{"unknown location field", body(`,"locations":[{"latitude":1,"longitude":1,"lat":1}]`), `unknown field "locations[0].lat"`},
		{"unknown beats earlier type error", body(`,"description":5,"typo":1`), `unknown field "typo"`},
		{"serialNumber", body(`,"serialNumber":"abc"`), "serialNumber is set by the server and cannot be sent"},
		{"serialNumber null", body(`,"serialNumber":null`), "serialNumber is set by the server and cannot be sent"},
		{"authenticationToken", body(`,"authenticationToken":"abc"`), "authenticationToken is set by the server and cannot be sent"},
		{"string given number", body(`,"description":5`), "description must be a string"},
		{"string given bool", body(`,"organizationName":true`), "organizationName must be a string"},
		{"string given object", body(`,"color":{}`), "color must be a string"},
		{"array given object", body(`,"primaryFields":{}`), "primaryFields must be an array"},
		{"array given string", body(`,"locations":"here"`), "locations must be an array"},
		{"element not object", body(`,"headerFields":["x"]`), "headerFields[0] must be an object"},
		{"element null", body(`,"backFields":[null]`), "backFields[0] must be an object"},
		{"field value number", body(`,"secondaryFields":[{"value":250}]`), "secondaryFields[0].value must be a string"},
		{"field label number", body(`,"secondaryFields":[{"label":1,"value":"v"}]`), "secondaryFields[0].label must be a string"},
		{"latitude string", body(`,"locations":[{"latitude":"1","longitude":1}]`), "locations[0].latitude must be a number"},
		{"altitude bool", body(`,"locations":[{"latitude":1,"longitude":1,"altitude":false}]`), "locations[0].altitude must be a number"},
		{"expirationDays fraction", body(`,"expirationDays":1.5`), "expirationDays must be an integer"},
		{"expirationDays 1.0", body(`,"expirationDays":1.0`), "expirationDays must be an integer"},
		{"expirationDays exponent", body(`,"expirationDays":1e2`), "expirationDays must be an integer"},
		{"expirationDays string", body(`,"expirationDays":"3"`), "expirationDays must be an integer"},

		// barcodeValue.
		{"barcodeValue missing", `{"barcodeFormat":"QR","logoText":"L"}`, "barcodeValue is required and must be a non-empty string"},
		{"barcodeValue null", `{"barcodeValue":null,"barcodeFormat":"QR","logoText":"L"}`, "barcodeValue is required and must be a non-empty string"},
		{"barcodeValue empty", `{"barcodeValue":"","barcodeFormat":"QR","logoText":"L"}`, "barcodeValue is required and must be a non-empty string"},
		{"barcodeValue number", `{"barcodeValue":12345,"barcodeFormat":"QR","logoText":"L"}`, "barcodeValue is required and must be a non-empty string"},
		{"barcodeValue too long", `{"barcodeValue":"` + rep("é", 513) + `","barcodeFormat":"QR","logoText":"L"}`, "barcodeValue must be at most 512 characters"},
		{"barcodeValue before barcodeFormat", `{"logoText":"L"}`, "barcodeValue is required"},

		// barcodeFormat.
		{"barcodeFormat missing", `{"barcodeValue":"X","logoText":"L"}`, "barcodeFormat must be one of: QR, PDF417, Aztec, Code128"},
		{"barcodeFormat null", `{"barcodeValue":"X","barcodeFormat":null,"logoText":"L"}`, "barcodeFormat must be one of: QR, PDF417, Aztec, Code128"},
		{"barcodeFormat lowercase", `{"barcodeValue":"X","barcodeFormat":"qr","logoText":"L"}`, "barcodeFormat must be one of: QR, PDF417, Aztec, Code128"},
		{"barcodeFormat unknown", `{"barcodeValue":"X","barcodeFormat":"EAN13","logoText":"L"}`, "barcodeFormat must be one of: QR, PDF417, Aztec, Code128"},
		// What each symbology can draw (issue 9 item 5).
		{"Code128 non-ASCII", `{"barcodeValue":"CAFÉ-1","barcodeFormat":"Code128","logoText":"L"}`, `barcodeValue cannot be encoded as Code128: Code128 holds ASCII characters only, and character 4 is 'É'`},
		{"Code128 emoji", `{"barcodeValue":"A😀","barcodeFormat":"Code128","logoText":"L"}`, `barcodeValue cannot be encoded as Code128: Code128 holds ASCII characters only, and character 2 is '😀'`},
		{"PDF417 over capacity in utf-8", `{"barcodeValue":"` + rep("日", 345) + `","barcodeFormat":"PDF417","logoText":"L"}`, "barcodeValue cannot be encoded as PDF417: it is 1035 bytes in utf-8 and PDF417 holds at most 1033"},
		{"Aztec over capacity in utf-8", `{"barcodeValue":"` + rep("😀", 479) + `","barcodeFormat":"Aztec","logoText":"L"}`, "barcodeValue cannot be encoded as Aztec: it is 1916 bytes in utf-8 and Aztec holds at most 1914"},
		{"barcode capacity before other rules", `{"barcodeValue":"é","barcodeFormat":"Code128"}`, "barcodeValue cannot be encoded as Code128"},
		{"barcodeFormat number", `{"barcodeValue":"X","barcodeFormat":1,"logoText":"L"}`, "barcodeFormat must be one of: QR, PDF417, Aztec, Code128"},

		// At least one of.
		{"none of title primary logoText", `{"barcodeValue":"X","barcodeFormat":"QR"}`, "At least one of title, primaryFields, or logoText is required"},
		{"empty strings and array do not count", `{"barcodeValue":"X","barcodeFormat":"QR","title":"","logoText":"","primaryFields":[]}`, "At least one of title, primaryFields, or logoText is required"},
		{"nulls do not count", `{"barcodeValue":"X","barcodeFormat":"QR","title":null,"logoText":null,"primaryFields":null}`, "At least one of title, primaryFields, or logoText is required"},

		// Lengths, in the field table's order.
		{"logoText too long", `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"` + rep("a", 65) + `"}`, "logoText must be at most 64 characters"},
		{"description too long", body(`,"description":"` + rep("a", 129) + `"`), "description must be at most 128 characters"},
		{"organizationName too long", body(`,"organizationName":"` + rep("a", 65) + `"`), "organizationName must be at most 64 characters"},
		{"field label too long", body(`,"primaryFields":[{"label":"` + rep("a", 65) + `","value":"v"}]`), "primaryFields[0].label must be at most 64 characters"},
		{"field value too long", body(`,"secondaryFields":[{"value":"v"},{"value":"v"},{"value":"v"},{"value":"` + rep("a", 257) + `"}]`), "secondaryFields[3].value must be at most 256 characters"},
		{"changeMessage too long", body(`,"headerFields":[{"value":"v","changeMessage":"` + rep("a", 129) + `"}]`), "headerFields[0].changeMessage must be at most 128 characters"},
		{"field value missing", body(`,"headerFields":[{"label":"l"}]`), "headerFields[0].value is required"},
		{"field value null", body(`,"backFields":[{"value":null}]`), "backFields[0].value is required"},
		{"field value empty", body(`,"primaryFields":[{"value":""}]`), "primaryFields[0].value is required"},
		{"too many primary", body(`,"primaryFields":` + fields(11)), "primaryFields must have at most 10 items"},
		{"too many secondary", body(`,"secondaryFields":` + fields(11)), "secondaryFields must have at most 10 items"},
		{"too many header", body(`,"headerFields":` + fields(11)), "headerFields must have at most 10 items"},
		{"too many back", body(`,"backFields":` + fields(11)), "backFields must have at most 10 items"},
		{"legacy pair counts toward secondary", body(`,"secondaryFields":` + fields(10) + `,"label":"a","value":"b"`), "secondaryFields must have at most 10 items"},

		// Locations.
		{"too many locations", body(`,"locations":[` + strings.TrimSuffix(rep(`{"latitude":1,"longitude":1},`, 11), ",") + `]`), "locations must have at most 10 items"},
		{"latitude missing", body(`,"locations":[{"longitude":1}]`), "locations[0].latitude is required"},
		{"latitude null", body(`,"locations":[{"latitude":null,"longitude":1}]`), "locations[0].latitude is required"},
		{"longitude missing", body(`,"locations":[{"latitude":1}]`), "locations[0].longitude is required"},
		{"latitude high", body(`,"locations":[{"latitude":90.0001,"longitude":1}]`), "locations[0].latitude must be between -90 and 90"},
		{"latitude low", body(`,"locations":[{"latitude":1,"longitude":1},{"latitude":-91,"longitude":1}]`), "locations[1].latitude must be between -90 and 90"},
		{"latitude overflow", body(`,"locations":[{"latitude":1e400,"longitude":1}]`), "locations[0].latitude must be between -90 and 90"},
		{"longitude high", body(`,"locations":[{"latitude":1,"longitude":180.5}]`), "locations[0].longitude must be between -180 and 180"},
		{"longitude low", body(`,"locations":[{"latitude":1,"longitude":-181}]`), "locations[0].longitude must be between -180 and 180"},
		{"altitude overflow", body(`,"locations":[{"latitude":1,"longitude":1,"altitude":-1e999}]`), "locations[0].altitude must be a finite number"},
		{"relevantText too long", body(`,"locations":[{"latitude":1,"longitude":1,"relevantText":"` + rep("a", 129) + `"}]`), "locations[0].relevantText must be at most 128 characters"},

		// Presets, expiry, colour.
		{"colorPreset unknown", body(`,"colorPreset":"pink"`), "colorPreset must be one of: dark, blue, green, red, purple, orange"},
		{"colorPreset case", body(`,"colorPreset":"Dark"`), "colorPreset must be one of: dark, blue, green, red, purple, orange"},
		{"expirationDays zero", body(`,"expirationDays":0`), "expirationDays must be between 1 and 3650"},
		{"expirationDays negative", body(`,"expirationDays":-1`), "expirationDays must be between 1 and 3650"},
		{"expirationDays too big", body(`,"expirationDays":3651`), "expirationDays must be between 1 and 3650"},
		{"expirationDays overflow", body(`,"expirationDays":99999999999999999999999`), "expirationDays must be between 1 and 3650"},
		{"color without hash", body(`,"color":"1e40af"`), "color must be a hex colour like #1e40af"},
		{"color short", body(`,"color":"#fff"`), "color must be a hex colour like #1e40af"},
		{"color not hex", body(`,"color":"#12345g"`), "color must be a hex colour like #1e40af"},
		{"color name", body(`,"color":"red"`), "color must be a hex colour like #1e40af"},

		// Image URLs.
		{"http logo", body(`,"logoURL":"http://example.com/l.png"`), "URL must use HTTPS protocol (logoURL)"},
		{"ftp thumbnail", body(`,"thumbnailURL":"ftp://example.com/t.png"`), "URL must use HTTPS protocol (thumbnailURL)"},
		{"javascript strip", body(`,"stripURL":"javascript:alert(1)"`), "URL must use HTTPS protocol (stripURL)"},
		{"relative icon", body(`,"iconURL":"/icon.png"`), "URL must use HTTPS protocol (iconURL)"},
		{"https without host", body(`,"iconURL":"https:///icon.png"`), "URL must use HTTPS protocol (iconURL)"},
		{"https opaque", body(`,"iconURL":"https:icon.png"`), "URL must use HTTPS protocol (iconURL)"},
		{"unparseable https", body(`,"logoURL":"https://exa mple.com/%zz"`), "URL must use HTTPS protocol (logoURL)"},
		{"gif data URI", body(`,"logoURL":"data:image/gif;base64,R0lGOD"`), "URL must use HTTPS protocol (logoURL)"},
		{"non-base64 data URI", body(`,"logoURL":"data:image/png,abc"`), "URL must use HTTPS protocol (logoURL)"},
		{"empty data URI", body(`,"logoURL":"data:image/png;base64,"`), "URL must use HTTPS protocol (logoURL)"},
		{"thumbnail with strip", body(`,"thumbnailURL":"https://x.example/t.png","stripURL":"https://x.example/s.png"`), "thumbnailURL cannot be combined with stripURL: a storeCard pass has no thumbnail slot"},

		// Legacy.
		{"title too long", `{"barcodeValue":"X","barcodeFormat":"QR","title":"` + rep("a", 65) + `"}`, "title must be at most 64 characters"},
		{"cardLabel too long", body(`,"cardLabel":"` + rep("a", 33) + `"`), "cardLabel must be at most 32 characters"},
		{"label without value", body(`,"label":"a"`), "label and value must be given together"},
		{"value without label", body(`,"value":"a"`), "label and value must be given together"},
		{"legacy label too long", body(`,"label":"` + rep("a", 65) + `","value":"v"`), "label must be at most 64 characters"},
		{"legacy value too long", body(`,"label":"l","value":"` + rep("a", 257) + `"`), "value must be at most 256 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(tc.body))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want %q", r, tc.want)
			}
			var we *walletwallet.Error
			if !errors.As(err, &we) || we.Code != walletwallet.EINVALID {
				t.Fatalf("error %v is not an EINVALID *walletwallet.Error", err)
			}
			if !strings.HasPrefix(we.Message, tc.want) {
				t.Errorf("message %q does not start with %q", we.Message, tc.want)
			}
		})
	}
}

func bigObject(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = `"k` + itoa(i) + `":1`
	}
	return strings.Join(items, ",")
}

func TestParseAccepts(t *testing.T) {
	alt := 12.5
	tests := []struct {
		name string
		body string
		want Request
	}{
		{"minimal", `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L"}`,
			Request{BarcodeValue: "X", BarcodeFormat: "QR", LogoText: "L"}},
		{"whitespace everywhere", " \t\r\n{ \"barcodeValue\" : \"X\" ,\n\"barcodeFormat\":\"Aztec\", \"logoText\":\"L\" }\n ",
			Request{BarcodeValue: "X", BarcodeFormat: "Aztec", LogoText: "L"}},
		{"nulls are absent", body(`,"description":null,"color":null,"locations":null,"expirationDays":null,"primaryFields":[{"value":"v","label":null,"changeMessage":null}]`),
			Request{BarcodeValue: "X", BarcodeFormat: "QR", LogoText: "L", PrimaryFields: []Field{{Value: "v"}}}},
		{"escapes decoded", `{"barcodeValue":"a\"b\\c\/d\n\u00e9\ud83d\ude00","barcodeFormat":"QR","logoText":"L"}`,
			Request{BarcodeValue: "a\"b\\c/d\né😀", BarcodeFormat: "QR", LogoText: "L"}},
		{"Code128 takes all of ASCII", `{"barcodeValue":"` + "~ !\\u007f" + `","barcodeFormat":"Code128","logoText":"L"}`,
			Request{BarcodeValue: "~ !\u007f", BarcodeFormat: "Code128", LogoText: "L"}},
		{"PDF417 at capacity", `{"barcodeValue":"` + rep("日", 344) + `a","barcodeFormat":"PDF417","logoText":"L"}`,
			Request{BarcodeValue: rep("日", 344) + "a", BarcodeFormat: "PDF417", LogoText: "L"}},
		{"Aztec at capacity", `{"barcodeValue":"` + rep("😀", 478) + `aa","barcodeFormat":"Aztec","logoText":"L"}`,
			Request{BarcodeValue: rep("😀", 478) + "aa", BarcodeFormat: "Aztec", LogoText: "L"}},
		{"QR holds 512 four-byte characters", `{"barcodeValue":"` + rep("😀", 512) + `","barcodeFormat":"QR","logoText":"L"}`,
			Request{BarcodeValue: rep("😀", 512), BarcodeFormat: "QR", LogoText: "L"}},
		{"limits are inclusive", `{"barcodeValue":"` + rep("é", 512) + `","barcodeFormat":"PDF417","logoText":"` + rep("ü", 64) + `","expirationDays":3650}`,
			Request{BarcodeValue: rep("é", 512), BarcodeFormat: "PDF417", LogoText: rep("ü", 64), ExpirationDays: 3650}},
		{"ten fields and locations", body(`,"backFields":` + fields(10) + `,"locations":[` + strings.TrimSuffix(rep(`{"latitude":-90,"longitude":180},`, 10), ",") + `]`),
			Request{BarcodeValue: "X", BarcodeFormat: "QR", LogoText: "L", BackFields: repeatField(Field{Value: "v"}, 10), Locations: repeatLoc(Location{Latitude: -90, Longitude: 180}, 10)}},
		{"location with altitude", body(`,"locations":[{"latitude":1.5,"longitude":-2,"altitude":12.5,"relevantText":"hi"}]`),
			Request{BarcodeValue: "X", BarcodeFormat: "QR", LogoText: "L", Locations: []Location{{Latitude: 1.5, Longitude: -2, Altitude: &alt, RelevantText: "hi"}}}},
		{"image URLs", body(`,"logoURL":"https://cdn.example.com/l.png?v=1","iconURL":"data:image/png;base64,iVBORw0KGgo=","thumbnailURL":"DATA:image/JPEG;base64,/9j/4AAQ","color":"#1E40af"`),
			Request{BarcodeValue: "X", BarcodeFormat: "QR", LogoText: "L", LogoURL: "https://cdn.example.com/l.png?v=1", IconURL: "data:image/png;base64,iVBORw0KGgo=", ThumbnailURL: "DATA:image/JPEG;base64,/9j/4AAQ", Color: "#1E40af"}},
		{"empty optional strings are absent", body(`,"color":"","logoURL":"","colorPreset":"","label":"","value":""`),
			Request{BarcodeValue: "X", BarcodeFormat: "QR", LogoText: "L"}},
		{"legacy title", `{"barcodeValue":"X","barcodeFormat":"QR","title":"Gym"}`,
			Request{BarcodeValue: "X", BarcodeFormat: "QR", LogoText: "Gym", Title: "Gym", PrimaryFields: []Field{{Label: "CARD", Value: "Gym"}}}},
		{"legacy title with cardLabel keeps logoText", `{"barcodeValue":"X","barcodeFormat":"QR","title":"Gym","cardLabel":"MEMBER","logoText":"Brand","primaryFields":[]}`,
			Request{BarcodeValue: "X", BarcodeFormat: "QR", LogoText: "Brand", Title: "Gym", CardLabel: "MEMBER", PrimaryFields: []Field{{Label: "MEMBER", Value: "Gym"}}}},
		{"title ignored when primaryFields given", `{"barcodeValue":"X","barcodeFormat":"QR","title":"Gym","cardLabel":"M","primaryFields":[{"value":"P"}]}`,
			Request{BarcodeValue: "X", BarcodeFormat: "QR", Title: "Gym", CardLabel: "M", PrimaryFields: []Field{{Value: "P"}}}},
		{"legacy label and value prepend", body(`,"label":"SINCE","value":"2024","secondaryFields":[{"value":"v"}]`),
			Request{BarcodeValue: "X", BarcodeFormat: "QR", LogoText: "L", Label: "SINCE", Value: "2024", SecondaryFields: []Field{{Label: "SINCE", Value: "2024"}, {Value: "v"}}}},
		{"legacy pair makes ten", body(`,"label":"a","value":"b","secondaryFields":` + fields(9)),
			Request{BarcodeValue: "X", BarcodeFormat: "QR", LogoText: "L", Label: "a", Value: "b", SecondaryFields: append([]Field{{Label: "a", Value: "b"}}, repeatField(Field{Value: "v"}, 9)...)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mustParse(t, tc.body)
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", *got, tc.want)
			}
		})
	}
}

func repeatField(f Field, n int) []Field {
	out := make([]Field, n)
	for i := range out {
		out[i] = f
	}
	return out
}

func repeatLoc(l Location, n int) []Location {
	out := make([]Location, n)
	for i := range out {
		out[i] = l
	}
	return out
}

func TestCheckPlan(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		plan  walletwallet.Plan
		want  string // "" = allowed
	}{
		{"free without pro fields", `,"colorPreset":"blue","expirationDays":5`, walletwallet.PlanFree, ""},
		{"free color", `,"color":"#000000"`, walletwallet.PlanFree, "color is only available on the Pro plan"},
		{"free logo", `,"logoURL":"https://x.example/l.png"`, walletwallet.PlanFree, "logoURL is only available on the Pro plan"},
		{"free thumbnail", `,"thumbnailURL":"https://x.example/l.png"`, walletwallet.PlanFree, "thumbnailURL is only available on the Pro plan"},
		{"free strip", `,"stripURL":"https://x.example/l.png"`, walletwallet.PlanFree, "stripURL is only available on the Pro plan"},
		{"free icon", `,"iconURL":"https://x.example/l.png"`, walletwallet.PlanFree, "iconURL is only available on the Pro plan"},
		{"order color first", `,"iconURL":"https://x.example/i.png","color":"#000000","logoURL":"https://x.example/l.png"`, walletwallet.PlanFree, "color is only available on the Pro plan"},
		{"order logo before icon", `,"iconURL":"https://x.example/i.png","logoURL":"https://x.example/l.png"`, walletwallet.PlanFree, "logoURL is only available on the Pro plan"},
		{"unresolved trial is not pro", `,"color":"#000000"`, walletwallet.PlanTrial, "color is only available on the Pro plan"},
		{"pro everything", `,"color":"#000000","logoURL":"https://x.example/l.png","iconURL":"https://x.example/i.png","stripURL":"https://x.example/s.png"`, walletwallet.PlanPro, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := mustParse(t, body(tc.extra)).CheckPlan(tc.plan)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckPlan: %v", err)
				}
				return
			}
			var we *walletwallet.Error
			if !errors.As(err, &we) || we.Code != walletwallet.EINVALID || we.Message != tc.want {
				t.Errorf("CheckPlan = %v, want EINVALID %q", err, tc.want)
			}
		})
	}
}

func TestImagesAndStyle(t *testing.T) {
	tests := []struct {
		name      string
		extra     string
		wantStyle string
		want      []ImageRef
	}{
		{"none", ``, "generic", nil},
		{"field order logo thumbnail icon", `,"iconURL":"https://x.example/i","thumbnailURL":"https://x.example/t","logoURL":"https://x.example/l"`, "generic",
			[]ImageRef{{"logoURL", "logo", "https://x.example/l"}, {"thumbnailURL", "thumbnail", "https://x.example/t"}, {"iconURL", "icon", "https://x.example/i"}}},
		{"strip", `,"stripURL":"https://x.example/s","logoURL":"https://x.example/l"`, "storeCard",
			[]ImageRef{{"logoURL", "logo", "https://x.example/l"}, {"stripURL", "strip", "https://x.example/s"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustParse(t, body(tc.extra))
			if got := r.Images(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Images = %v, want %v", got, tc.want)
			}
			if got := r.Style(); got != tc.wantStyle {
				t.Errorf("Style = %q, want %q", got, tc.wantStyle)
			}
		})
	}
}

func TestSlug(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"logoText", Request{LogoText: "Membership Card"}, "membership-card"},
		{"title wins", Request{Title: "Gym  Pass!", LogoText: "Other"}, "gym-pass"},
		{"runs and trims", Request{LogoText: "--Bayroast & Co.--"}, "bayroast-co"},
		{"digits kept", Request{LogoText: "Order #456"}, "order-456"},
		{"non-ascii dropped", Request{LogoText: "Café Zoë"}, "caf-zo"},
		{"nothing usable", Request{LogoText: "東京"}, "pass"},
		{"empty", Request{}, "pass"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.req.Slug(); got != tc.want {
				t.Errorf("Slug = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestParseHugeBodies: bodies far outside the schema are refused with the
// right message, and without building a tree proportional to their size.
func TestParseHugeBodies(t *testing.T) {
	zeros := rep("0,", 500_000) + "0"
	tests := []struct {
		name     string
		body     string
		want     string
		maxAlloc uint64 // bytes allocated by Parse
	}{
		{"huge unknown array", body(`,"x":[` + zeros + `]`), `unknown field "x"`, 4 << 20},
		{"huge field array", body(`,"backFields":[` + strings.TrimSuffix(rep(`{"value":"v"},`, 50_000), ",") + `]`), "backFields must have at most 10 items", 4 << 20},
		{"huge nested object", body(`,"x":{` + bigObject(50_000) + `}`), `unknown field "x"`, 8 << 20},
		{"many top-level members", `{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L",` + bigObject(maxChildren+50) + `}`, `unknown field "k0"`, 2 << 20},
		{"wide and nested", body(`,"x":[` + strings.TrimSuffix(rep(`[[`+zeros[:199]+`]],`, 2000), ",") + `]`), `unknown field "x"`, 4 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte(tc.body)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Parse(b)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want prefix %q", err, tc.want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > tc.maxAlloc {
				t.Errorf("Parse of %d bytes allocated %d bytes, want at most %d", len(b), got, tc.maxAlloc)
			}
			if _, _, err := Canonical(b); err == nil {
				t.Error("Canonical succeeded on a truncated body")
			}
		})
	}
}

package pkpass

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet"
)

const (
	p256Key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEgWoPOHdDtMes7fz1u9dLVuYka3zVHZfsFOaIy0rBAkT678KsDrttQf1VuUBhfsYlmMiIPo7uO08qvZibB9ctcg=="
	p384Key = "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEft0+TBuIwgi0KpYFIKZ89QQ4fHmlSnGBQCgxfM98BSIhpYGMfm1+feVmD5t2uCBf8Fv4yccm+1ekJ/CY1h1SthR58qRc1RGJ8JF/+daq7w7cNszlSAUPsGQrvBYYYLgS"
	img     = "https://img.example.com/a.png"
)

// TestPart2Errors: every Part 2 rule with its exact message.
func TestPart2Errors(t *testing.T) {
	tests := []struct{ name, extra, want string }{
		{"style unknown", `,"style":"ticket"`, "style must be one of: generic, storeCard, eventTicket, coupon, boardingPass"},
		{"style not a string", `,"style":1`, "style must be a string"},
		{"boardingPass needs transitType", `,"style":"boardingPass"`, "transitType is required with style boardingPass: one of air, boat, bus, train, generic"},
		{"transitType elsewhere", `,"transitType":"air"`, "transitType is not available on generic passes (only boardingPass)"},
		{"transitType unknown", `,"style":"boardingPass","transitType":"rocket"`, "transitType must be one of: air, boat, bus, train, generic"},
		{"additionalInfoFields elsewhere", `,"style":"coupon","additionalInfoFields":[{"value":"v"}]`, "additionalInfoFields is not available on coupon passes (only eventTicket)"},
		{"auxiliaryFields limit", `,"auxiliaryFields":` + fields(11), "auxiliaryFields must have at most 10 items"},
		{"auxiliaryFields value required", `,"auxiliaryFields":[{"label":"a"}]`, "auxiliaryFields[0].value is required"},
		{"unknown field option", `,"primaryFields":[{"value":"v","align":"left"}]`, `unknown field "primaryFields[0].align"`},
		{"textAlignment", `,"primaryFields":[{"value":"v","textAlignment":"middle"}]`, "primaryFields[0].textAlignment must be one of: left, center, right, natural"},
		{"dateStyle", `,"primaryFields":[{"value":"2026-05-11T20:00:00+02:00","dateStyle":"tiny"}]`, "primaryFields[0].dateStyle must be one of: none, short, medium, long, full"},
		{"date value", `,"primaryFields":[{"value":"tomorrow","timeStyle":"short"}]`, "primaryFields[0].value must be an ISO 8601 date-time with offset, like 2026-05-11T20:00:00+02:00, when dateStyle or timeStyle is set"},
		{"date without offset", `,"primaryFields":[{"value":"2026-05-11T20:00:00","dateStyle":"short"}]`, "primaryFields[0].value must be an ISO 8601 date-time with offset"},
		{"isRelative alone", `,"primaryFields":[{"value":"v","isRelative":true}]`, "primaryFields[0].isRelative and ignoresTimeZone need dateStyle or timeStyle"},
		{"isRelative type", `,"primaryFields":[{"value":"v","isRelative":"yes"}]`, "primaryFields[0].isRelative must be a boolean"},
		{"numberStyle", `,"primaryFields":[{"value":"1","numberStyle":"roman"}]`, "primaryFields[0].numberStyle must be one of: decimal, percent, scientific, spellOut"},
		{"number value", `,"primaryFields":[{"value":"12,50","currencyCode":"EUR"}]`, "primaryFields[0].value must be a decimal number like 12.50 when numberStyle or currencyCode is set"},
		{"currency code", `,"primaryFields":[{"value":"12.50","currencyCode":"eur"}]`, "primaryFields[0].currencyCode must be an ISO 4217 code of 3 upper-case letters, like EUR"},
		{"date and number", `,"primaryFields":[{"value":"1","numberStyle":"decimal","dateStyle":"short"}]`, "primaryFields[0].value must be an ISO 8601 date-time"},
		{"detectors on front", `,"primaryFields":[{"value":"v","dataDetectorTypes":["link"]}]`, "primaryFields[0].dataDetectorTypes is only available on backFields"},
		{"detector unknown", `,"backFields":[{"value":"v","dataDetectorTypes":["link","email"]}]`, "backFields[0].dataDetectorTypes[1] must be one of: phoneNumber, link, address, calendarEvent"},
		{"attributedValue on front", `,"headerFields":[{"value":"v","attributedValue":"<a href=\"https://x\">x</a>"}]`, "headerFields[0].attributedValue is only available on backFields"},
		{"attributedValue markup", `,"backFields":[{"value":"v","attributedValue":"<b>bold</b>"}]`, `backFields[0].attributedValue may contain only <a href="…">…</a> markup`},
		{"attributedValue length", `,"backFields":[{"value":"v","attributedValue":"` + rep("a", 513) + `"}]`, "backFields[0].attributedValue must be at most 512 characters"},
		{"relevantDates limit", `,"relevantDates":[` + strings.TrimSuffix(rep(`{"date":"2026-05-11T20:00:00Z"},`, 11), ",") + `]`, "relevantDates must have at most 10 items"},
		{"relevantDate format", `,"relevantDates":[{"date":"2026-05-11"}]`, "relevantDates[0].date must be an ISO 8601 date-time with offset, like 2026-05-11T20:00:00+02:00"},
		{"relevantDates both", `,"relevantDates":[{"date":"2026-05-11T20:00:00Z","startDate":"2026-05-11T20:00:00Z"}]`, "relevantDates[0] must have either date or startDate and endDate, not both"},
		{"relevantDates start only", `,"relevantDates":[{"startDate":"2026-05-11T20:00:00Z"}]`, "relevantDates[0] must have date, or startDate and endDate"},
		{"relevantDates order", `,"relevantDates":[{"startDate":"2026-05-11T20:00:00Z","endDate":"2026-05-11T19:00:00Z"}]`, "relevantDates[0].endDate must be after startDate"},
		{"relevantDates unknown", `,"relevantDates":[{"when":"x"}]`, `unknown field "relevantDates[0].when"`},
		{"beacons limit", `,"beacons":[` + strings.TrimSuffix(rep(`{"proximityUUID":"E2C56DB5-DFFB-48D2-B060-D0F5A71096E0"},`, 11), ",") + `]`, "beacons must have at most 10 items"},
		{"beacon uuid", `,"beacons":[{"proximityUUID":"nope"}]`, "beacons[0].proximityUUID must be a UUID like E2C56DB5-DFFB-48D2-B060-D0F5A71096E0"},
		{"beacon uuid missing", `,"beacons":[{"major":1}]`, "beacons[0].proximityUUID is required"},
		{"beacon major", `,"beacons":[{"proximityUUID":"E2C56DB5-DFFB-48D2-B060-D0F5A71096E0","major":65536}]`, "beacons[0].major must be between 0 and 65535"},
		{"beacon minor type", `,"beacons":[{"proximityUUID":"E2C56DB5-DFFB-48D2-B060-D0F5A71096E0","minor":1.5}]`, "beacons[0].minor must be an integer"},
		{"maxDistance zero", `,"maxDistance":0`, "maxDistance must be a positive integer (metres)"},
		{"maxDistance negative", `,"maxDistance":-5`, "maxDistance must be a positive integer (metres)"},
		{"maxDistance huge", `,"maxDistance":-99999999999999999999999`, "maxDistance must be a positive integer (metres)"},
		{"groupingIdentifier style", `,"groupingIdentifier":"g"`, "groupingIdentifier is not available on generic passes (only eventTicket or boardingPass)"},
		{"groupingIdentifier length", `,"style":"eventTicket","groupingIdentifier":"` + rep("g", 65) + `"`, "groupingIdentifier must be at most 64 characters"},
		{"sharingProhibited type", `,"sharingProhibited":"true"`, "sharingProhibited must be a boolean"},
		{"appLaunchURL scheme", `,"appLaunchURL":"open-me"`, "appLaunchURL must be a URL with a scheme, like myapp://open"},
		{"appLaunchURL length", `,"appLaunchURL":"myapp://` + rep("a", 510) + `"`, "appLaunchURL must be at most 512 characters"},
		{"store ids limit", `,"associatedStoreIdentifiers":[1,2,3,4,5,6,7,8,9,10,11]`, "associatedStoreIdentifiers must have at most 10 items"},
		{"store id zero", `,"associatedStoreIdentifiers":[0]`, "associatedStoreIdentifiers[0] must be a positive integer"},
		{"store id string", `,"associatedStoreIdentifiers":["1"]`, "associatedStoreIdentifiers[0] must be an integer"},
		{"userInfo not object", `,"userInfo":[1]`, "userInfo must be an object"},
		{"userInfo too big", `,"userInfo":{"a":"` + rep("x", 4100) + `"}`, "userInfo must be at most 4096 bytes as compact JSON (it is 4108)"},
		{"semantics unknown tag", `,"semantics":{"eventName":"x","seatMap":"y"}`, "semantics.seatMap is not one of Apple's semantic tags"},
		{"semantics string", `,"semantics":{"eventName":5}`, "semantics.eventName must be a string"},
		{"semantics date", `,"semantics":{"eventStartDate":"soon"}`, "semantics.eventStartDate must be an ISO 8601 date-time with offset, like 2026-05-11T20:00:00+02:00"},
		{"semantics number", `,"semantics":{"flightNumber":"123"}`, "semantics.flightNumber must be a number"},
		{"semantics location", `,"semantics":{"venueLocation":{"latitude":1}}`, "semantics.venueLocation.longitude is required"},
		{"semantics person", `,"semantics":{"passengerName":{"givenName":"A","surname":"B"}}`, "semantics.passengerName.surname is not one of: familyName, givenName, middleName, namePrefix, nameSuffix, nickname, phoneticRepresentation"},
		{"semantics seats", `,"semantics":{"seats":[{"seatRow":"F","seatNumber":12}]}`, "semantics.seats[0].seatNumber must be a string"},
		{"semantics currency", `,"semantics":{"totalPrice":{"amount":"12,00","currencyCode":"EUR"}}`, `semantics.totalPrice.amount must be a decimal number as a string, like "12.50"`},
		{"semantics eventType", `,"semantics":{"eventType":"concert"}`, "semantics.eventType must be one of: PKEventTypeGeneric, PKEventTypeLivePerformance, PKEventTypeMovie, PKEventTypeSports, PKEventTypeConference, PKEventTypeConvention, PKEventTypeWorkshop, PKEventTypeSocialGathering"},
		{"semantics bool", `,"semantics":{"silenceRequested":1}`, "semantics.silenceRequested must be a boolean"},
		{"semantics security programs", `,"semantics":{"passengerEligibleSecurityPrograms":["PKTransitSecurityProgramCLEAR","TSA"]}`, "semantics.passengerEligibleSecurityPrograms[1] must be one of: PKTransitSecurityProgramTSAPreCheck, PKTransitSecurityProgramTSAPreCheckTouchlessID, PKTransitSecurityProgramOSS, PKTransitSecurityProgramITI, PKTransitSecurityProgramITD, PKTransitSecurityProgramGlobalEntry, PKTransitSecurityProgramCLEAR"},
		{"semantics capabilities array", `,"semantics":{"passengerCapabilities":"PKPassengerCapabilityCarryon"}`, "semantics.passengerCapabilities must be an array"},
		{"semantics capability", `,"semantics":{"passengerCapabilities":["carryon"]}`, "semantics.passengerCapabilities[0] must be one of: PKPassengerCapabilityPreboarding, PKPassengerCapabilityPriorityBoarding, PKPassengerCapabilityCarryon, PKPassengerCapabilityPersonalItem"},
		{"semantics iOS 26 bool", `,"semantics":{"internationalDocumentsAreVerified":"yes"}`, "semantics.internationalDocumentsAreVerified must be a boolean"},
		{"poster style", `,"poster":true`, "poster is not available on generic passes (only eventTicket)"},
		{"poster needs eventName", `,"style":"eventTicket","poster":true,"semantics":{"venueName":"Hall"}`, "poster needs semantics.eventName (a poster ticket shows the event and venue names)"},
		{"poster needs venueName", `,"style":"eventTicket","poster":true,"semantics":{"eventName":"Gig"}`, "poster needs semantics.venueName (a poster ticket shows the event and venue names)"},
		{"localizations tag", `,"localizations":{"french":{"a":"b"}}`, `localizations.french: "french" is not a language tag like fr, pt-BR or zh-Hans`},
		{"localizations languages", `,"localizations":{` + langs(21) + `}`, "localizations must have at most 20 languages"},
		{"localizations strings", `,"localizations":{"fr":{` + bigStrings(201) + `}}`, "localizations.fr must have at most 200 strings"},
		{"localizations value", `,"localizations":{"fr":{"a":"` + rep("é", 257) + `"}}`, "localizations.fr.a must be at most 256 characters"},
		{"localizations key", `,"localizations":{"fr":{"` + rep("k", 257) + `":"v"}}`, "localizations.fr: keys must be 1 to 256 characters"},
		{"localizations non-string", `,"localizations":{"fr":{"a":1}}`, "localizations.fr.a must be a string"},
		{"nfc message", `,"nfc":{"message":"","encryptionPublicKey":"` + p256Key + `"}`, "nfc.message must be 1 to 64 bytes"},
		{"nfc message long", `,"nfc":{"message":"` + rep("é", 33) + `","encryptionPublicKey":"` + p256Key + `"}`, "nfc.message must be 1 to 64 bytes"},
		{"nfc base64", `,"nfc":{"message":"m","encryptionPublicKey":"%%%"}`, "nfc.encryptionPublicKey must be the base64 of a P-256 SubjectPublicKeyInfo"},
		{"nfc not spki", `,"nfc":{"message":"m","encryptionPublicKey":"aGVsbG8="}`, "nfc.encryptionPublicKey is not a SubjectPublicKeyInfo"},
		{"nfc P-384", `,"nfc":{"message":"m","encryptionPublicKey":"` + p384Key + `"}`, "nfc.encryptionPublicKey must be a P-256 (prime256v1) key"},
		{"nfc unknown", `,"nfc":{"message":"m","key":"x"}`, `unknown field "nfc.key"`},
		{"foregroundColor", `,"foregroundColor":"white"`, "foregroundColor must be a hex colour like #1e40af"},
		{"labelColor", `,"labelColor":"#12345"`, "labelColor must be a hex colour like #1e40af"},
		{"altText", `,"altText":"` + rep("a", 65) + `"`, "altText must be at most 64 characters"},
		// Slots per style.
		{"background on generic", `,"backgroundURL":"` + img + `"`, "backgroundURL is not available on generic passes: that style has no background slot (only eventTicket)"},
		{"footer on eventTicket", `,"style":"eventTicket","footerURL":"` + img + `"`, "footerURL is not available on eventTicket passes: that style has no footer slot (only boardingPass)"},
		{"thumbnail on coupon", `,"style":"coupon","thumbnailURL":"` + img + `"`, "thumbnailURL is not available on coupon passes: that style has no thumbnail slot (only generic or eventTicket)"},
		{"thumbnail on storeCard without strip", `,"style":"storeCard","thumbnailURL":"` + img + `"`, "thumbnailURL is not available on storeCard passes: that style has no thumbnail slot (only generic or eventTicket)"},
		{"strip on boardingPass", `,"style":"boardingPass","transitType":"air","stripURL":"` + img + `"`, "stripURL is not available on boardingPass passes: that style has no strip slot (only storeCard, coupon or eventTicket)"},
		{"strip on generic", `,"style":"generic","stripURL":"` + img + `"`, "stripURL is not available on generic passes: that style has no strip slot (only storeCard, coupon or eventTicket)"},
		{"eventTicket strip and background", `,"style":"eventTicket","stripURL":"` + img + `","backgroundURL":"` + img + `"`, "stripURL cannot be combined with thumbnailURL or backgroundURL: an eventTicket shows a strip, or a background and thumbnail, not both"},
		{"eventTicket strip and thumbnail", `,"style":"eventTicket","stripURL":"` + img + `","thumbnailURL":"` + img + `"`, "stripURL cannot be combined with thumbnailURL or backgroundURL"},
		{"artwork without poster", `,"style":"eventTicket","artworkURL":"` + img + `"`, "artworkURL needs poster: true: only poster event tickets have artwork"},
		{"new image URL http", `,"style":"eventTicket","backgroundURL":"http://x.example/b.png"`, "URL must use HTTPS protocol (backgroundURL)"},
		// Part 1 precedence holds with Part 2 present.
		{"Part 1 strip and thumbnail", `,"stripURL":"` + img + `","thumbnailURL":"` + img + `"`, "thumbnailURL cannot be combined with stripURL: a storeCard pass has no thumbnail slot"},
		{"barcode before style", `,"style":"nope","barcodeValue":""`, "barcodeValue is required and must be a non-empty string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := body(tc.extra)
			if strings.Contains(tc.extra, `"barcodeValue"`) {
				b = `{"barcodeFormat":"QR","logoText":"L"` + tc.extra + `}`
			}
			_, err := Parse([]byte(b))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want prefix %q", err, tc.want)
			}
			if walletwallet.ErrorCode(err) != walletwallet.EINVALID {
				t.Errorf("code %v, want EINVALID", walletwallet.ErrorCode(err))
			}
		})
	}
}

func langs(n int) string {
	var parts []string
	for i := 0; i < n; i++ {
		parts = append(parts, `"`+string(rune('a'+i/26))+string(rune('a'+i%26))+`":{"k":"v"}`)
	}
	return strings.Join(parts, ",")
}

func bigStrings(n int) string {
	var parts []string
	for i := 0; i < n; i++ {
		parts = append(parts, `"k`+itoa(i)+`":"v"`)
	}
	return strings.Join(parts, ",")
}

// TestPart2Plan: the Pro-only Part 2 fields are gated like Part 1's.
func TestPart2Plan(t *testing.T) {
	for _, tc := range []struct{ extra, want string }{
		{`,"style":"eventTicket","backgroundURL":"` + img + `"`, "backgroundURL is only available on the Pro plan"},
		{`,"style":"boardingPass","transitType":"train","footerURL":"` + img + `"`, "footerURL is only available on the Pro plan"},
		{`,"nfc":{"message":"m","encryptionPublicKey":"` + p256Key + `"}`, "nfc is only available on the Pro plan"},
		{`,"foregroundColor":"#ffffff"`, "foregroundColor is only available on the Pro plan"},
		{`,"labelColor":"#ffffff"`, "labelColor is only available on the Pro plan"},
		{`,"labelColor":"#ffffff","color":"#000000"`, "color is only available on the Pro plan"},
	} {
		err := mustParse(t, body(tc.extra)).CheckPlan(walletwallet.PlanFree)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: CheckPlan = %v, want %q", tc.extra, err, tc.want)
		}
		if err := mustParse(t, body(tc.extra)).CheckPlan(walletwallet.PlanPro); err != nil {
			t.Errorf("%s: pro refused: %v", tc.extra, err)
		}
	}
	// Free Part 2 fields pass the gate.
	free := `,"style":"eventTicket","auxiliaryFields":[{"value":"a"}],"relevantDates":[{"date":"2026-05-11T20:00:00Z"}],"semantics":{"eventName":"x"},"localizations":{"fr":{"a":"b"}},"altText":"x"`
	if err := mustParse(t, body(free)).CheckPlan(walletwallet.PlanFree); err != nil {
		t.Errorf("free fields refused: %v", err)
	}
}

// TestFieldTable checks the table's own consistency: every pass.json key
// has exactly one producer and a place in the key order, every field
// decodes and has a presence test, and names are unique.
func TestFieldTable(t *testing.T) {
	producers := map[string]int{}
	for k := range derivedKeys {
		producers[k]++
	}
	seen := map[string]bool{}
	for _, f := range requestFields {
		if f.name == "" {
			if f.check == nil {
				t.Error("a rule row without a check")
			}
			continue
		}
		if seen[f.name] {
			t.Errorf("%s declared twice", f.name)
		}
		seen[f.name] = true
		if f.decode == nil || f.given == nil || f.doc == "" {
			t.Errorf("%s lacks decode, given or doc", f.name)
		}
		if (f.pass == nil) != (f.passKey == "") {
			t.Errorf("%s: passKey and pass go together", f.name)
		}
		if f.passKey != "" {
			producers[f.passKey]++
		}
		if f.image != "" && f.text == nil {
			t.Errorf("%s: image row without text pointer", f.name)
		}
	}
	for _, s := range Styles {
		producers[s]++ // styleDict
	}
	for k, n := range producers {
		if n != 1 {
			t.Errorf("pass.json key %s has %d producers", k, n)
		}
		if !slices.Contains(passKeys, k) {
			t.Errorf("pass.json key %s is not in passKeys", k)
		}
	}
	for _, k := range passKeys {
		if producers[k] == 0 {
			t.Errorf("passKeys lists %s, which nothing produces", k)
		}
	}
}

// TestPart2PassJSON: what each new field writes.
func TestPart2PassJSON(t *testing.T) {
	tests := []struct {
		name, extra string
		check       func(t *testing.T, m map[string]any)
	}{
		{"style key holds the fields", `,"style":"coupon","auxiliaryFields":[{"value":"a"}]`, func(t *testing.T, m map[string]any) {
			wantAbsent("generic")(t, m)
			aux := m["coupon"].(map[string]any)["auxiliaryFields"].([]any)[0].(map[string]any)
			if aux["key"] != "aux0" {
				t.Errorf("aux key %v", aux["key"])
			}
		}},
		{"transit type", `,"style":"boardingPass","transitType":"train"`, func(t *testing.T, m map[string]any) {
			if got := m["boardingPass"].(map[string]any)["transitType"]; got != "PKTransitTypeTrain" {
				t.Errorf("transitType %v", got)
			}
		}},
		{"info fields", `,"style":"eventTicket","additionalInfoFields":[{"value":"a"},{"value":"b"}]`, func(t *testing.T, m map[string]any) {
			info := m["eventTicket"].(map[string]any)["additionalInfoFields"].([]any)
			if info[1].(map[string]any)["key"] != "info1" {
				t.Errorf("info %v", info)
			}
		}},
		{"numeric value is a number", `,"primaryFields":[{"value":"12.50","currencyCode":"EUR"},{"value":"12.50"}]`, func(t *testing.T, m map[string]any) {
			pf := m["generic"].(map[string]any)["primaryFields"].([]any)
			if v := pf[0].(map[string]any)["value"]; v != 12.5 {
				t.Errorf("numeric value %#v, want 12.5", v)
			}
			if v := pf[1].(map[string]any)["value"]; v != "12.50" {
				t.Errorf("plain value %#v, want the string", v)
			}
		}},
		{"options as PassKit constants", `,"backFields":[{"value":"2026-05-11T20:00:00+02:00","dateStyle":"short","timeStyle":"none","isRelative":true,"textAlignment":"right","dataDetectorTypes":[]}]`, func(t *testing.T, m map[string]any) {
			f := m["generic"].(map[string]any)["backFields"].([]any)[0].(map[string]any)
			for k, want := range map[string]any{"dateStyle": "PKDateStyleShort", "timeStyle": "PKDateStyleNone", "isRelative": true, "textAlignment": "PKTextAlignmentRight"} {
				if f[k] != want {
					t.Errorf("%s = %v, want %v", k, f[k], want)
				}
			}
			if d, ok := f["dataDetectorTypes"].([]any); !ok || len(d) != 0 {
				t.Errorf("empty dataDetectorTypes not kept: %v", f["dataDetectorTypes"])
			}
		}},
		{"relevantDate fallback", `,"relevantDates":[{"startDate":"2026-05-11T18:00:00+02:00","endDate":"2026-05-11T23:00:00+02:00"},{"date":"2026-06-01T10:00:00Z"}]`, func(t *testing.T, m map[string]any) {
			wantKey("relevantDate", "2026-05-11T18:00:00+02:00")(t, m)
			if len(m["relevantDates"].([]any)) != 2 {
				t.Errorf("relevantDates %v", m["relevantDates"])
			}
		}},
		{"poster", `,"style":"eventTicket","poster":true,"semantics":{"eventName":"Gig","venueName":"Hall"}`, func(t *testing.T, m map[string]any) {
			wantKey("eventLogoText", "L")(t, m)
			if s, _ := json.Marshal(m["preferredStyleSchemes"]); string(s) != `["posterEventTicket","eventTicket"]` {
				t.Errorf("preferredStyleSchemes %s", s)
			}
		}},
		{"iOS 26 boarding tags", `,"style":"boardingPass","transitType":"air","semantics":{"boardingZone":"2","departureCityName":"London",
			"membershipProgramStatus":"Gold","ticketFareClass":"Saver","internationalDocumentsAreVerified":true,
			"passengerCapabilities":["PKPassengerCapabilityPriorityBoarding"],"departureLocationSecurityPrograms":["PKTransitSecurityProgramTSAPreCheck"],
			"loungePlaceIDs":["I1"],"passengerServiceSSRs":["WCHR"],"destinationLocationTimeZone":"America/Chicago"}`, func(t *testing.T, m map[string]any) {
			sem := m["semantics"].(map[string]any)
			if sem["boardingZone"] != "2" || sem["internationalDocumentsAreVerified"] != true || len(sem["passengerCapabilities"].([]any)) != 1 {
				t.Errorf("semantics %v", sem)
			}
		}},
		{"pro colours override", `,"color":"#000000","foregroundColor":"#ff0000","labelColor":"#00ff00"`, func(t *testing.T, m map[string]any) {
			wantKey("foregroundColor", "rgb(255, 0, 0)")(t, m)
			wantKey("labelColor", "rgb(0, 255, 0)")(t, m)
			wantKey("backgroundColor", "rgb(0, 0, 0)")(t, m)
		}},
		{"alt text", `,"altText":"Member 12"`, func(t *testing.T, m map[string]any) {
			if got := m["barcodes"].([]any)[0].(map[string]any)["altText"]; got != "Member 12" {
				t.Errorf("altText %v", got)
			}
		}},
		{"scalars", `,"style":"eventTicket","maxDistance":50,"groupingIdentifier":"tour","sharingProhibited":true,"appLaunchURL":"myapp://t","associatedStoreIdentifiers":[123456789],"userInfo":{"z":1,"a":[true]}`, func(t *testing.T, m map[string]any) {
			wantKey("maxDistance", 50.0)(t, m)
			wantKey("groupingIdentifier", "tour")(t, m)
			wantKey("sharingProhibited", true)(t, m)
			wantKey("appLaunchURL", "myapp://t")(t, m)
			if s, _ := json.Marshal(m["userInfo"]); string(s) != `{"a":[true],"z":1}` {
				t.Errorf("userInfo %s", s)
			}
		}},
		{"nfc", `,"nfc":{"message":"m","encryptionPublicKey":"` + p256Key + `","requiresAuthentication":true}`, func(t *testing.T, m map[string]any) {
			n := m["nfc"].(map[string]any)
			if n["message"] != "m" || n["encryptionPublicKey"] != p256Key || n["requiresAuthentication"] != true {
				t.Errorf("nfc %v", n)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, decodePass(t, mustParse(t, body(tc.extra)), testInfo))
		})
	}
}

func TestLocalizationFiles(t *testing.T) {
	r := mustParse(t, body(`,"localizations":{"fr":{"Coffee \"Rewards\"":"Récompenses\ncafé","A\\B":"x"},"pt-BR":{"a":"b"}}`))
	files := r.LocalizationFiles()
	if len(files) != 2 || files[0].Name != "fr.lproj/pass.strings" || files[1].Name != "pt-BR.lproj/pass.strings" {
		t.Fatalf("files %+v", files)
	}
	want := "\"A\\\\B\" = \"x\";\n\"Coffee \\\"Rewards\\\"\" = \"Récompenses\\ncafé\";\n"
	if string(files[0].Data) != want {
		t.Errorf("fr strings =\n%s\nwant\n%s", files[0].Data, want)
	}
}

func TestFieldsDescribesTheTable(t *testing.T) {
	got := map[string]FieldInfo{}
	for _, f := range Fields() {
		got[f.Name] = f
	}
	if len(got) != len(knownFields) {
		t.Errorf("Fields lists %d fields, the decoder knows %d", len(got), len(knownFields))
	}
	if f := got["footerURL"]; !f.Pro || f.Slot != "footer" || !slices.Equal(f.Styles, []string{StyleBoardingPass}) {
		t.Errorf("footerURL = %+v", f)
	}
	if f := got["barcodeValue"]; f.Pro || f.Styles != nil || !strings.Contains(f.Rule, "512") {
		t.Errorf("barcodeValue = %+v", f)
	}
}

// TestStylesDocListsEveryField keeps docs/styles.md true: every field
// Part 2 added is documented there.
func TestStylesDocListsEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../docs/styles.md")
	if err != nil {
		t.Fatal(err)
	}
	part1 := "barcodeValue barcodeFormat logoText description organizationName primaryFields secondaryFields headerFields backFields locations colorPreset expirationDays color logoURL thumbnailURL stripURL iconURL title cardLabel label value"
	for _, f := range Fields() {
		if !strings.Contains(" "+part1+" ", " "+f.Name+" ") && !strings.Contains(string(doc), "`"+f.Name+"`") {
			t.Errorf("docs/styles.md does not document %s", f.Name)
		}
	}
}

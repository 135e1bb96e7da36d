package pkpass

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/walletwallet/walletwallet"
)

// FuzzParseBuild drives the whole engine: whatever the body, Parse either
// refuses it with a client error or everything after it succeeds and agrees.
func FuzzParseBuild(f *testing.F) {
	for _, b := range examples(f) {
		f.Add(b)
	}
	for _, s := range []string{
		`{"barcodeValue":"X","barcodeFormat":"QR","title":"T","label":"a","value":"b"}`,
		`{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L","a":1,"a":2}`,
		`{"barcodeValue":"\ud83d\ude00","barcodeFormat":"QR","logoText":"L"} `,
		`{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L","locations":[{"latitude":-0,"longitude":1e2,"altitude":null}]}`,
		"{\"barcodeValue\":\"\xff\"}",
		`[1,{"a":[null,true,false,-1.5e-3]}]`,
		`{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L","style":"eventTicket","poster":true,"semantics":{"eventName":"a","venueName":"b","seats":[{"seatRow":"1"}]},"localizations":{"fr":{"a":"b\n\""}}}`,
		`{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L","style":"boardingPass","transitType":"air","auxiliaryFields":[{"value":"1.5","numberStyle":"decimal"}],"relevantDates":[{"date":"2026-01-01T00:00:00Z"}],"beacons":[{"proximityUUID":"E2C56DB5-DFFB-48D2-B060-D0F5A71096E0","major":1}]}`,
		`{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L","style":"boardingPass","transitType":"air","semantics":{"boardingZone":"2","passengerCapabilities":["PKPassengerCapabilityCarryon"],"passengerEligibleSecurityPrograms":["PKTransitSecurityProgramCLEAR"],"internationalDocumentsAreVerified":true}}`,
	} {
		f.Add([]byte(s))
	}
	sign := func(m []byte) ([]byte, error) { return append([]byte("sig:"), m[:min(8, len(m))]...), nil }

	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := Parse(body)
		// The strict decoder may be stricter than encoding/json (depth,
		// lone surrogates) but never more lenient.
		if err == nil && !json.Valid(body) {
			t.Fatalf("Parse accepted invalid JSON %q", body)
		}
		canon, hash, cerr := Canonical(body)
		if err != nil {
			var we *walletwallet.Error
			if !errors.As(err, &we) || we.Code != walletwallet.EINVALID || we.Message == "" {
				t.Fatalf("Parse error %v is not an EINVALID client error", err)
			}
			// No claim about Canonical here: it is defined on Parsed bodies
			// only, and dropping nulls can hide e.g. {"serialNumber":null}.
			_ = canon
			return
		}
		if cerr != nil {
			t.Fatalf("Canonical failed on a Parsed body: %v", cerr)
		}
		r2, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical %q does not parse: %v", canon, err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("Parse(canonical) = %+v, want %+v", r2, r)
		}
		canon2, hash2, err := Canonical(canon)
		if err != nil || !bytes.Equal(canon2, canon) || hash2 != hash {
			t.Fatalf("Canonical not idempotent: %q → %q", canon, canon2)
		}

		if err := r.CheckPlan(walletwallet.PlanPro); err != nil {
			t.Fatalf("CheckPlan(pro): %v", err)
		}
		if err := r.CheckPlan(walletwallet.PlanFree); err != nil && walletwallet.ErrorCode(err) != walletwallet.EINVALID {
			t.Fatalf("CheckPlan(free): %v", err)
		}
		pj, err := r.PassJSON(testInfo)
		if err != nil {
			t.Fatalf("PassJSON: %v", err)
		}
		if want := passJSONByEncodingJSON(t, r, testInfo); !bytes.Equal(pj, want) {
			t.Fatalf("direct pass.json writer differs from encoding/json:\ngot:\n%s\nwant:\n%s", pj, want)
		}
		var doc map[string]any
		if err := json.Unmarshal(pj, &doc); err != nil {
			t.Fatalf("pass.json is not JSON: %v", err)
		}
		if _, ok := doc[r.Style()]; !ok {
			t.Fatalf("pass.json has no %s key", r.Style())
		}
		// Localizations become bundle files: their names must always be safe.
		out, err := Bundle(append([]File{{Name: "pass.json", Data: pj}}, r.LocalizationFiles()...), sign)
		if err != nil {
			t.Fatalf("Bundle: %v", err)
		}
		if _, err := zip.NewReader(bytes.NewReader(out), int64(len(out))); err != nil {
			t.Fatalf("bundle is not a zip: %v", err)
		}
		if s := r.Slug(); s == "" {
			t.Fatal("empty slug")
		}
	})
}

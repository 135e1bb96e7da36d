package pkpass

import (
	"reflect"
	"testing"
)

// ParseCanonical must agree with Parse and Canonical called apart, and fail
// exactly when Parse fails.
func TestParseCanonicalAgrees(t *testing.T) {
	bodies := []string{
		`{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x"}`,
		` { "logoText" : "x", "barcodeFormat":"QR","barcodeValue":"1", "color": null } `,
		`{"barcodeValue":"G","barcodeFormat":"Aztec","title":"Gym","label":"a","value":"b","expirationDays":30}`,
		`{"barcodeValue":"1","barcodeFormat":"QR"}`,
		`{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x","bogus":1}`,
		`{"barcodeValue":"1",`,
	}
	for _, b := range bodies {
		req, canon, hash, err := ParseCanonical([]byte(b))
		want, werr := Parse([]byte(b))
		if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
			t.Errorf("%s: errors differ: %v vs %v", b, err, werr)
			continue
		}
		if err != nil {
			continue
		}
		wc, wh, _ := Canonical([]byte(b))
		if !reflect.DeepEqual(req, want) || string(canon) != string(wc) || hash != wh {
			t.Errorf("%s: ParseCanonical differs from Parse + Canonical", b)
		}
	}
}

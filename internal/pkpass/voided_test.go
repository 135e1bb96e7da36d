package pkpass

import (
	"encoding/json"
	"testing"
)

func TestPassJSONVoided(t *testing.T) {
	req, err := Parse([]byte(`{"barcodeValue":"X","barcodeFormat":"QR","logoText":"L"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, voided := range []bool{false, true} {
		b, err := req.PassJSON(PassInfo{PassTypeID: "pass.x", TeamID: "T", Serial: "s", Voided: voided})
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		v, present := doc["voided"]
		if present != voided || (voided && v != true) {
			t.Errorf("Voided %v: pass.json voided = %v (present %v)", voided, v, present)
		}
	}
}

package api_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet"
)

func smallPNG(t *testing.T) string {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 400, 500)))
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

// TestEveryStyleThroughTheAPI: Part 2 styles go through POST like Part 1
// passes (and lint clean, via passJSON); their refusals are 400s naming the
// field and the rule that store and count nothing.
func TestEveryStyleThroughTheAPI(t *testing.T) {
	h := newHarness(t)
	_, pro := h.account(walletwallet.PlanPro, 0, "")
	_, free := h.account(walletwallet.PlanFree, 0, "")
	img := smallPNG(t)
	poster := `{"style":"eventTicket","poster":true,"barcodeValue":"T-1","barcodeFormat":"QR","logoText":"Gig",
		"semantics":{"eventName":"Gig","venueName":"Hall","seats":[{"seatRow":"F","seatNumber":"12"}]},
		"secondaryFields":[{"label":"ROW","value":"F"}],"relevantDates":[{"date":"2026-05-11T20:00:00+02:00"}],
		"localizations":{"fr":{"ROW":"RANG"},"de":{"ROW":"REIHE"},"ja":{"ROW":"列"}},
		"backgroundURL":"` + img + `","artworkURL":"` + img + `"}`
	r := h.do("POST", "/api/pkpass", pro, poster)
	if r.status != 200 {
		t.Fatalf("poster POST: %d %s", r.status, r.body)
	}
	pj, files := passJSON(t, r.body)
	if _, ok := pj["eventTicket"]; !ok || pj["eventLogoText"] != "Gig" {
		t.Errorf("pass.json: %v", pj)
	}
	for _, f := range []string{"artwork@3x.png", "background@2x.png", "ja.lproj/pass.strings"} {
		if _, ok := files[f]; !ok {
			t.Errorf("bundle lacks %s", f)
		}
	}
	r = h.do("POST", "/api/pkpass", pro, `{"style":"boardingPass","transitType":"train","barcodeValue":"B","barcodeFormat":"Aztec","logoText":"Rail"}`)
	if r.status != 200 {
		t.Fatalf("boarding pass POST: %d %s", r.status, r.body)
	}
	before := h.count(pro)
	freeBefore := h.count(free)
	for _, tc := range []struct{ key, body, want string }{
		{free, `{"style":"eventTicket","barcodeValue":"T","barcodeFormat":"QR","logoText":"L","backgroundURL":"` + img + `"}`, "backgroundURL is only available on the Pro plan"},
		{pro, `{"style":"eventTicket","barcodeValue":"T","barcodeFormat":"QR","logoText":"L","footerURL":"` + img + `"}`, "footerURL is not available on eventTicket passes"},
		{pro, `{"style":"boardingPass","barcodeValue":"T","barcodeFormat":"QR","logoText":"L"}`, "transitType is required with style boardingPass"},
		{pro, `{"barcodeValue":"CAFÉ","barcodeFormat":"Code128","logoText":"L"}`, "barcodeValue cannot be encoded as Code128"},
		{pro, `{"barcodeValue":"T","barcodeFormat":"QR","logoText":"L","semantics":{"seatMap":"x"}}`, "semantics.seatMap is not one of Apple's semantic tags"},
	} {
		r := h.do("POST", "/api/pkpass", tc.key, tc.body)
		if r.status != 400 || !strings.HasPrefix(r.errorText(t), tc.want) {
			t.Errorf("%s: %d %s, want 400 %q", tc.body, r.status, r.body, tc.want)
		}
	}
	if h.count(pro) != before || h.count(free) != freeBefore {
		t.Errorf("refused requests were counted: pro %d→%d, free %d→%d", before, h.count(pro), freeBefore, h.count(free))
	}
}

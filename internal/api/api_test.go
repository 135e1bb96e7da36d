package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/api"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

const minimal = `{ "barcodeValue": "MEMBER-12345", "barcodeFormat": "QR", "logoText": "Membership Card" }`

const bayroast = `{ "barcodeValue": "LOYALTY-98765", "barcodeFormat": "QR", "logoText": "Bayroast Coffee", "organizationName": "Bayroast Coffee Co.", "description": "Bayroast loyalty card", "primaryFields": [{"label": "CARD", "value": "Coffee Rewards"}], "secondaryFields": [ { "label": "POINTS", "value": "250", "changeMessage": "You now have %@ points" }, {"label": "TIER", "value": "Gold"} ], "headerFields": [{"label": "BALANCE", "value": "$25.00"}], "backFields": [ {"label": "TERMS", "value": "Points expire after 90 days of inactivity."}, {"label": "SUPPORT", "value": "https://example.com/help"} ], "locations": [ {"latitude": 37.331741, "longitude": -122.030333, "relevantText": "Welcome back to Bayroast"} ], "colorPreset": "dark", "expirationDays": 365 }`

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// pngURI is a small real PNG as a data URI, for the Pro image fields.
var pngURI = func() string {
	img := image.NewRGBA(image.Rect(0, 0, 120, 60))
	for x := 0; x < 120; x++ {
		for y := 0; y < 60; y++ {
			img.Set(x, y, color.RGBA{uint8(2 * x), uint8(4 * y), 90, 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}()

func TestCreatePass(t *testing.T) {
	h := newHarness(t)
	_, key := h.account(walletwallet.PlanFree, 0, "")
	r := h.do("POST", "/api/pkpass", key, minimal)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/vnd.apple.pkpass" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="membership-card.pkpass"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	serial := r.header.Get("X-Serial-Number")
	if !uuidV4.MatchString(serial) {
		t.Errorf("serial %q is not a UUIDv4", serial)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "X-Serial-Number") {
		t.Errorf("CORS headers missing: %v", r.header)
	}
	pj, files := passJSON(t, r.body)
	if pj["serialNumber"] != serial {
		t.Errorf("pass.json serial %v, header %s", pj["serialNumber"], serial)
	}
	if tok, _ := pj["authenticationToken"].(string); len(tok) < 32 {
		t.Errorf("authenticationToken %q shorter than 32", tok)
	}
	if pj["webServiceURL"] != "https://passes.example.test/" || pj["passTypeIdentifier"] != passTypeID || pj["organizationName"] != "WalletWallet" {
		t.Errorf("pass.json: %v", pj)
	}
	for _, f := range []string{"pass.json", "manifest.json", "signature", "icon.png", "icon@2x.png", "icon@3x.png"} {
		if _, ok := files[f]; !ok {
			t.Errorf("bundle lacks %s", f)
		}
	}
	if _, ok := pj["expirationDate"]; ok {
		t.Error("expirationDate without expirationDays")
	}
	if got := h.count(key); got != 1 {
		t.Errorf("usage count %d, want 1", got)
	}
	p, err := h.st.Pass(context.Background(), passTypeID, serial)
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Blob) != string(r.body) {
		t.Error("stored blob differs from the answer")
	}
	if canon, _, _ := pkpass.Canonical([]byte(minimal)); string(p.Request) != string(canon) {
		t.Errorf("stored request %s is not the canonical %s", p.Request, canon)
	}
}

func TestOrganizationFallbacks(t *testing.T) {
	h := newHarness(t)
	_, withOrg := h.account(walletwallet.PlanFree, 0, "Gym Co")
	_, without := h.account(walletwallet.PlanFree, 0, "")
	cases := []struct {
		name, key, body, want string
	}{
		{"request wins", withOrg, `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x","organizationName":"Req Org"}`, "Req Org"},
		{"account default", withOrg, minimal, "Gym Co"},
		{"server default", without, minimal, "WalletWallet"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("POST", "/api/pkpass", tc.key, tc.body)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			pj, _ := passJSON(t, r.body)
			if pj["organizationName"] != tc.want {
				t.Errorf("organizationName %v, want %s", pj["organizationName"], tc.want)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	h := newHarness(t)
	id, key := h.account(walletwallet.PlanFree, 0, "")
	_ = id
	revokedKey := func() string {
		_, k := h.account(walletwallet.PlanFree, 0, "")
		if _, err := h.st.RevokeKey(context.Background(), api.HashKey(k), time.Now()); err != nil {
			t.Fatal(err)
		}
		return k
	}()
	cases := []struct {
		name    string
		headers []string
		status  int
	}{
		{"no header", []string{"Authorization: <none>"}, 401},
		{"other scheme", []string{"Authorization: Basic " + key}, 401},
		{"bare key", []string{"Authorization: " + key}, 401},
		{"malformed key", []string{"Authorization: Bearer ww_live_XYZ"}, 401},
		{"uppercase hex", []string{"Authorization: Bearer " + strings.ToUpper(key)}, 401},
		{"unknown key", []string{"Authorization: Bearer " + api.NewKey()}, 401},
		{"revoked key", []string{"Authorization: Bearer " + revokedKey}, 401},
		{"two headers", []string{"Authorization: Bearer " + key, "Authorization+: Bearer " + key}, 401},
		{"scheme case-insensitive", []string{"Authorization: bearer " + key}, 200},
		{"good", []string{"Authorization: Bearer " + key}, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/auth/usage", "/api/pkpass"} {
				method, body := "GET", ""
				if path == "/api/pkpass" {
					method, body = "POST", minimal
				}
				r := h.do(method, path, "", body, tc.headers...)
				if r.status != tc.status {
					t.Fatalf("%s: status %d, want %d: %s", path, r.status, tc.status, r.body)
				}
				if tc.status == 401 && !strings.Contains(r.errorText(t), "API key") {
					t.Errorf("401 message: %s", r.body)
				}
			}
		})
	}
	if got := h.count(key); got != 2 {
		t.Errorf("count %d, want 2 (only the two good POSTs)", got)
	}
}

func TestBadRequestsStoreAndCountNothing(t *testing.T) {
	h := newHarness(t)
	_, key := h.account(walletwallet.PlanFree, 0, "")
	big := `{"barcodeValue":"` + strings.Repeat("a", 1<<20) + `","barcodeFormat":"QR","logoText":"x"}`
	cases := []struct {
		name    string
		body    string
		headers []string
		status  int
		msg     string
	}{
		{"no content type", minimal, []string{"Content-Type: <none>"}, 415, "Content-Type must be application/json"},
		{"text/plain", minimal, []string{"Content-Type: text/plain"}, 415, "application/json"},
		{"charset ok", minimal, []string{"Content-Type: application/json; charset=utf-8"}, 200, ""},
		{"too large", big, nil, 413, "1 MiB"},
		{"malformed", `{"barcodeValue":`, nil, 400, "malformed JSON"},
		{"unknown field", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x","colour":"#fff"}`, nil, 400, `unknown field "colour"`},
		{"case-variant field", `{"BarcodeValue":"1","barcodeFormat":"QR","logoText":"x"}`, nil, 400, `unknown field "BarcodeValue"`},
		{"duplicate key", `{"barcodeValue":"1","barcodeValue":"2","barcodeFormat":"QR","logoText":"x"}`, nil, 400, "duplicate"},
		{"trailing data", minimal + `{}`, nil, 400, ""},
		{"missing barcodeValue", `{"barcodeFormat":"QR","logoText":"x"}`, nil, 400, "barcodeValue is required and must be a non-empty string"},
		{"bad format", `{"barcodeValue":"1","barcodeFormat":"qr","logoText":"x"}`, nil, 400, "barcodeFormat must be one of: QR, PDF417, Aztec, Code128"},
		{"nothing to show", `{"barcodeValue":"1","barcodeFormat":"QR"}`, nil, 400, "At least one of title, primaryFields, or logoText is required"},
		{"expiration", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x","expirationDays":0}`, nil, 400, "expirationDays must be between 1 and 3650"},
		{"latitude", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x","locations":[{"latitude":91,"longitude":0}]}`, nil, 400, "locations[0].latitude must be between -90 and 90"},
		{"serialNumber", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x","serialNumber":"abc"}`, nil, 400, "serialNumber"},
		{"authenticationToken", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x","authenticationToken":"abc"}`, nil, 400, "authenticationToken"},
		{"pro field on free", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x","color":"#1e40af"}`, nil, 400, "color is only available on the Pro plan"},
		{"logo on free", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x","logoURL":"` + pngURI + `"}`, nil, 400, "logoURL is only available on the Pro plan"},
	}
	want := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("POST", "/api/pkpass", key, tc.body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, tc.status, r.body)
			}
			if tc.status == 200 {
				want++
				return
			}
			if !strings.HasPrefix(r.errorText(t), tc.msg) && !strings.Contains(r.errorText(t), tc.msg) {
				t.Errorf("error %q, want %q", r.errorText(t), tc.msg)
			}
			if r.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Error("error answers need CORS headers too")
			}
		})
	}
	if got := h.count(key); got != want {
		t.Errorf("count %d, want %d", got, want)
	}
}

func TestProGatingAndTrial(t *testing.T) {
	h := newHarness(t)
	_, trialKey := h.account(walletwallet.PlanTrial, 0, "")
	_, proKey := h.account(walletwallet.PlanPro, 0, "")
	branded := `{"barcodeValue":"VIP-001","barcodeFormat":"QR","logoText":"VIP Access","color":"#8B4513","logoURL":"` + pngURI + `","iconURL":"` + pngURI + `","thumbnailURL":"` + pngURI + `"}`
	for _, key := range []string{trialKey, proKey} {
		r := h.do("POST", "/api/pkpass", key, branded)
		if r.status != 200 {
			t.Fatalf("pro pass: %d %s", r.status, r.body)
		}
		_, files := passJSON(t, r.body)
		for _, f := range []string{"logo.png", "logo@2x.png", "logo@3x.png", "thumbnail@3x.png", "icon@2x.png"} {
			if _, ok := files[f]; !ok {
				t.Errorf("missing %s", f)
			}
		}
	}
	u := h.usage(trialKey)
	if u["plan"] != "pro" || u["limit"].(float64) != 100000 {
		t.Errorf("trial usage: %v", u)
	}
	// 31 days later the trial is over: the account is free.
	h.setNow(h.clock().Add(31 * 24 * time.Hour))
	r := h.do("POST", "/api/pkpass", trialKey, branded)
	if r.status != 400 || r.errorText(t) != "color is only available on the Pro plan" {
		t.Fatalf("after trial: %d %s", r.status, r.body)
	}
	u = h.usage(trialKey)
	if u["plan"] != "free" || u["limit"].(float64) != 1000 {
		t.Errorf("expired trial usage: %v", u)
	}
	if r := h.do("POST", "/api/pkpass", proKey, branded); r.status != 200 {
		t.Errorf("pro stays pro: %d", r.status)
	}
}

func TestQuotaAndMonthRollover(t *testing.T) {
	h := newHarness(t)
	h.setNow(time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC))
	_, key := h.account(walletwallet.PlanFree, 2, "")
	for i := 0; i < 2; i++ {
		if r := h.do("POST", "/api/pkpass", key, minimal); r.status != 200 {
			t.Fatalf("post %d: %d %s", i, r.status, r.body)
		}
	}
	r := h.do("POST", "/api/pkpass", key, minimal)
	if r.status != 429 {
		t.Fatalf("third post: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["error"] != "Rate limit exceeded" || m["resetDate"] != "2026-12-01" || m["message"] != "Monthly limit reached. Resets on 2026-12-01" {
		t.Errorf("429 body: %s", r.body)
	}
	u := h.usage(key)
	if u["count"].(float64) != 2 || u["remaining"].(float64) != 0 || u["limit"].(float64) != 2 || u["resetDate"] != "2026-12-01" || u["plan"] != "free" {
		t.Errorf("usage at limit: %v", u)
	}
	h.setNow(time.Date(2026, 12, 1, 0, 0, 1, 0, time.UTC))
	if r := h.do("POST", "/api/pkpass", key, minimal); r.status != 200 {
		t.Fatalf("new month: %d %s", r.status, r.body)
	}
	u = h.usage(key)
	if u["count"].(float64) != 1 || u["remaining"].(float64) != 1 || u["resetDate"] != "2027-01-01" {
		t.Errorf("usage in the new month: %v", u)
	}
}

func TestConcurrentPostsExactQuota(t *testing.T) {
	h := newHarness(t)
	_, key := h.account(walletwallet.PlanFree, 20, "")
	var wg sync.WaitGroup
	statuses := make(chan int, 60)
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- h.do("POST", "/api/pkpass", key, minimal).status
		}()
	}
	wg.Wait()
	close(statuses)
	got := map[int]int{}
	for s := range statuses {
		got[s]++
	}
	if got[200] != 20 || got[429] != 40 {
		t.Fatalf("statuses %v, want 20×200 and 40×429", got)
	}
	if c := h.count(key); c != 20 {
		t.Fatalf("usage %d, want 20", c)
	}
}

func post(t *testing.T, h *harness, key, body string) string {
	t.Helper()
	r := h.do("POST", "/api/pkpass", key, body)
	if r.status != 200 {
		t.Fatalf("post: %d %s", r.status, r.body)
	}
	return r.header.Get("X-Serial-Number")
}

func TestUpdatePass(t *testing.T) {
	h := newHarness(t)
	_, key := h.account(walletwallet.PlanFree, 3, "")
	_, other := h.account(walletwallet.PlanFree, 0, "")
	serial := post(t, h, key, bayroast)
	stored, _ := h.st.Pass(context.Background(), passTypeID, serial)

	t.Run("unknown serial", func(t *testing.T) {
		r := h.do("PUT", "/api/pkpass/00000000-0000-4000-8000-000000000000", key, bayroast)
		if r.status != 404 || !strings.Contains(r.errorText(t), "no pass") {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	// Serials that cannot name a pass get the unknown serial's answer, before
	// any query (PostgreSQL refuses NUL bytes and invalid UTF-8: a 500).
	for _, bad := range []string{"%00", serial + "%00", "%ff%fe", "%c0%ae%c0%ae", "not-a-uuid", strings.ToUpper(serial) + "0"} {
		t.Run("malformed serial "+bad, func(t *testing.T) {
			before := h.count(key)
			r := h.do("PUT", "/api/pkpass/"+bad, key, bayroast)
			if r.status != 404 || !strings.Contains(r.errorText(t), "no pass") {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if after := h.count(key); after != before {
				t.Fatalf("usage %d → %d: a refused PUT counted", before, after)
			}
		})
	}
	t.Run("other account", func(t *testing.T) {
		r := h.do("PUT", "/api/pkpass/"+serial, other, bayroast)
		if r.status != 403 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("partial body", func(t *testing.T) {
		r := h.do("PUT", "/api/pkpass/"+serial, key, `{ "headerFields": [{ "label": "POINTS", "value": "1,300", "changeMessage": "Now at %@ points" }] }`)
		if r.status != 400 || !strings.HasPrefix(r.errorText(t), "barcodeValue is required") {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("server-owned fields", func(t *testing.T) {
		r := h.do("PUT", "/api/pkpass/"+serial, key, strings.Replace(bayroast, `{ "barcodeValue"`, `{ "serialNumber": "x", "barcodeValue"`, 1))
		if r.status != 400 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("unchanged, reordered and respaced", func(t *testing.T) {
		// MarshalIndent sorts the keys and adds whitespace: other order, other spacing.
		var m map[string]any
		json.Unmarshal([]byte(bayroast), &m)
		reordered, _ := json.MarshalIndent(m, "", "\t")
		if string(reordered) == bayroast {
			t.Fatal("not reordered")
		}
		r := h.do("PUT", "/api/pkpass/"+serial, key, string(reordered))
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		m = r.json(t)
		if m["unchanged"] != true || m["notifiedDevices"].(float64) != 0 || m["serialNumber"] != serial || int64(m["lastUpdated"].(float64)) != stored.LastModified.UnixMilli() {
			t.Errorf("answer %v", m)
		}
		if c := h.count(key); c != 1 {
			t.Errorf("unchanged PUT counted: %d", c)
		}
	})
	var changedAt int64
	t.Run("changed", func(t *testing.T) {
		h.setNow(h.clock().Add(time.Second))
		changed := strings.Replace(bayroast, `"value": "250"`, `"value": "500"`, 1)
		r := h.do("PUT", "/api/pkpass/"+serial, key, changed)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		m := r.json(t)
		changedAt = int64(m["lastUpdated"].(float64))
		if m["unchanged"] != false || changedAt != h.clock().UnixMilli() || m["notifiedDevices"].(float64) != 0 {
			t.Errorf("answer %v", m)
		}
		if r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Error("no CORS on PUT")
		}
		p, _ := h.st.Pass(context.Background(), passTypeID, serial)
		pj, _ := passJSON(t, p.Blob)
		sec := pj["generic"].(map[string]any)["secondaryFields"].([]any)[0].(map[string]any)
		if sec["value"] != "500" || sec["key"] != "secondary0" || sec["changeMessage"] != "You now have %@ points" {
			t.Errorf("stored blob not replaced: %v", sec)
		}
		if pj["serialNumber"] != serial || pj["authenticationToken"] != stored.AuthToken {
			t.Error("serial or token changed by PUT")
		}
		// expirationDays counts from the first issue, not from the update.
		wantExp := stored.FirstIssued.Add(365 * 24 * time.Hour).UTC().Format(time.RFC3339)
		if pj["expirationDate"] != wantExp {
			t.Errorf("expirationDate %v, want %s", pj["expirationDate"], wantExp)
		}
		if c := h.count(key); c != 2 {
			t.Errorf("count %d, want 2", c)
		}
	})
	t.Run("same millisecond still moves forward", func(t *testing.T) {
		r := h.do("PUT", "/api/pkpass/"+serial, key, strings.Replace(bayroast, `"value": "250"`, `"value": "501"`, 1))
		if r.status != 200 || int64(r.json(t)["lastUpdated"].(float64)) <= changedAt {
			t.Fatalf("%d %s (previous %d)", r.status, r.body, changedAt)
		}
	})
	t.Run("changed at the limit is 429 and writes nothing", func(t *testing.T) {
		r := h.do("PUT", "/api/pkpass/"+serial, key, strings.Replace(bayroast, `"value": "250"`, `"value": "999"`, 1))
		if r.status != 429 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		p, _ := h.st.Pass(context.Background(), passTypeID, serial)
		if strings.Contains(string(p.Request), "999") {
			t.Error("refused PUT was stored")
		}
	})
	t.Run("unchanged at the limit is still fine", func(t *testing.T) {
		r := h.do("PUT", "/api/pkpass/"+serial, key, strings.Replace(bayroast, `"value": "250"`, `"value": "501"`, 1))
		if r.status != 200 || r.json(t)["unchanged"] != true {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestNotifiedDevicesAndKick(t *testing.T) {
	h := newHarness(t)
	_, key := h.account(walletwallet.PlanPro, 0, "")
	serial := post(t, h, key, minimal)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := h.st.Register(ctx, &walletwallet.Registration{DeviceID: fmt.Sprintf("dev%d", i), PushToken: fmt.Sprintf("tok%d", i), PassTypeID: passTypeID, Serial: serial}); err != nil {
			t.Fatal(err)
		}
	}
	r := h.do("PUT", "/api/pkpass/"+serial, key, strings.Replace(minimal, "MEMBER-12345", "MEMBER-54321", 1))
	if r.status != 200 || r.json(t)["notifiedDevices"].(float64) != 3 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if !h.woken(0) {
		t.Error("the store announced no push job: the job runner would wait for its poll")
	}
	if n, _ := h.st.PendingPushJobs(ctx); n != 1 {
		t.Errorf("pending push jobs %d, want 1", n)
	}
}

func TestRestartKeepsPassesAndCounts(t *testing.T) {
	h := newHarness(t)
	_, key := h.account(walletwallet.PlanFree, 0, "")
	serial := post(t, h, key, minimal)
	h.restart()
	if c := h.count(key); c != 1 {
		t.Fatalf("count after restart %d", c)
	}
	r := h.do("PUT", "/api/pkpass/"+serial, key, strings.Replace(minimal, "12345", "99999", 1))
	if r.status != 200 || r.json(t)["unchanged"] != false {
		t.Fatalf("update after restart: %d %s", r.status, r.body)
	}
	if c := h.count(key); c != 2 {
		t.Fatalf("count %d, want 2", c)
	}
}

func TestRoutesAndCORS(t *testing.T) {
	h := newHarness(t)
	_, key := h.account(walletwallet.PlanFree, 0, "")
	cases := []struct {
		name, method, path string
		headers            []string
		status             int
		check              func(t *testing.T, r *response)
	}{
		{"unknown route", "GET", "/api/nope", nil, 404, nil},
		{"wrong method", "GET", "/api/pkpass", nil, 405, func(t *testing.T, r *response) {
			if r.header.Get("Allow") != "POST" {
				t.Errorf("Allow %q", r.header.Get("Allow"))
			}
		}},
		{"delete pkpass", "DELETE", "/api/pkpass/abc", nil, 405, func(t *testing.T, r *response) {
			if r.header.Get("Allow") != "GET, HEAD, PATCH, PUT" {
				t.Errorf("Allow %q", r.header.Get("Allow"))
			}
		}},
		{"preflight", "OPTIONS", "/api/pkpass", []string{"Origin: https://shop.example", "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: authorization, content-type"}, 204, func(t *testing.T, r *response) {
			if !strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "POST") {
				t.Errorf("Allow-Methods %q", r.header.Get("Access-Control-Allow-Methods"))
			}
			ah := r.header.Get("Access-Control-Allow-Headers")
			if !strings.Contains(ah, "Authorization") || !strings.Contains(ah, "Content-Type") {
				t.Errorf("Allow-Headers %q", ah)
			}
		}},
		{"preflight PUT", "OPTIONS", "/api/pkpass/abc", []string{"Access-Control-Request-Method: PUT"}, 204, func(t *testing.T, r *response) {
			if !strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "PUT") {
				t.Errorf("Allow-Methods %q", r.header.Get("Access-Control-Allow-Methods"))
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.method, tc.path, key, "", tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if r.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Error("no CORS header")
			}
			if tc.status >= 400 {
				r.errorText(t)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestConcurrentPutsToOnePass(t *testing.T) {
	h := newHarness(t)
	_, key := h.account(walletwallet.PlanPro, 0, "")
	serial := post(t, h, key, minimal)
	const n = 16
	var wg sync.WaitGroup
	stamps := make(chan int64, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.do("PUT", "/api/pkpass/"+serial, key, strings.Replace(minimal, "MEMBER-12345", fmt.Sprintf("MEMBER-%d", i), 1))
			if r.status != 200 || r.json(t)["unchanged"] != false {
				t.Errorf("PUT %d: %d %s", i, r.status, r.body)
				return
			}
			stamps <- int64(r.json(t)["lastUpdated"].(float64))
		}()
	}
	wg.Wait()
	close(stamps)
	seconds := map[int64]bool{}
	for ms := range stamps {
		if seconds[ms/1000] {
			t.Errorf("two versions share the second %d", ms/1000)
		}
		seconds[ms/1000] = true
	}
	if len(seconds) != n {
		t.Errorf("%d versions, want %d", len(seconds), n)
	}
	if c := h.count(key); c != n+1 {
		t.Errorf("count %d, want %d", c, n+1)
	}
}

func TestLegacyFieldsThroughTheAPI(t *testing.T) {
	h := newHarness(t)
	_, key := h.account(walletwallet.PlanFree, 0, "")
	r := h.do("POST", "/api/pkpass", key, `{"barcodeValue":"G-1","barcodeFormat":"PDF417","title":"Gold Gym","cardLabel":"MEMBER","label":"Since","value":"2019"}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="gold-gym.pkpass"` {
		t.Errorf("slug from title: %q", cd)
	}
	pj, _ := passJSON(t, r.body)
	g := pj["generic"].(map[string]any)
	primary := g["primaryFields"].([]any)[0].(map[string]any)
	secondary := g["secondaryFields"].([]any)[0].(map[string]any)
	if primary["label"] != "MEMBER" || primary["value"] != "Gold Gym" || primary["key"] != "primary0" {
		t.Errorf("title/cardLabel → primaryFields[0]: %v", primary)
	}
	if secondary["label"] != "Since" || secondary["value"] != "2019" {
		t.Errorf("label/value → secondaryFields[0]: %v", secondary)
	}
	if pj["logoText"] != "Gold Gym" || pj["description"] != "Gold Gym" {
		t.Errorf("title fills logoText and description: %v %v", pj["logoText"], pj["description"])
	}
	if b := pj["barcodes"].([]any)[0].(map[string]any); b["format"] != "PKBarcodeFormatPDF417" || b["message"] != "G-1" {
		t.Errorf("barcodes: %v", b)
	}
}

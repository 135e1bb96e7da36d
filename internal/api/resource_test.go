package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// The pass as a resource through real HTTP, on SQLite and on PostgreSQL:
// every status of the contract's table.

// createJSON posts body to /api/passes and returns the decoded answer.
func createJSON(t *testing.T, h *harness, key, body string, headers ...string) map[string]any {
	t.Helper()
	r := h.do("POST", "/api/passes", key, body, headers...)
	if r.status != 201 {
		t.Fatalf("POST /api/passes: %d %s", r.status, r.body)
	}
	return r.json(t)
}

func TestPassResourceStatuses(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanPro, 0, "")
		_, other := h.account(walletwallet.PlanPro, 0, "")

		// POST /api/passes: 201, Location, share URL, the signed pass inline.
		r := h.do("POST", "/api/passes", key, bayroast)
		if r.status != 201 {
			t.Fatalf("POST /api/passes: %d %s", r.status, r.body)
		}
		created := r.json(t)
		serial, _ := created["serialNumber"].(string)
		if !uuidV4.MatchString(serial) || r.header.Get("Location") != "/api/passes/"+serial {
			t.Fatalf("serial %q, Location %q", serial, r.header.Get("Location"))
		}
		shareURL, _ := created["shareUrl"].(string)
		if !strings.HasPrefix(shareURL, publicURL+"/p/") || !walletwallet.ValidShareID(strings.TrimPrefix(shareURL, publicURL+"/p/")) {
			t.Fatalf("shareUrl %q", shareURL)
		}
		if _, ok := created["lastUpdated"].(float64); !ok {
			t.Fatalf("lastUpdated %v", created["lastUpdated"])
		}
		blob, err := base64.StdEncoding.DecodeString(created["applePass"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if pj, _ := passJSON(t, blob); pj["serialNumber"] != serial {
			t.Fatalf("applePass holds serial %v", pj["serialNumber"])
		}
		if c := h.count(key); c != 1 {
			t.Fatalf("count %d after one POST", c)
		}

		// POST /api/pkpass names its share link too.
		r = h.do("POST", "/api/pkpass", key, minimal)
		pkSerial := r.header.Get("X-Serial-Number")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("X-Pass-Url"), publicURL+"/p/") {
			t.Fatalf("POST /api/pkpass: %d, X-Pass-Url %q", r.status, r.header.Get("X-Pass-Url"))
		}
		if d := h.do("GET", "/api/passes/"+pkSerial, key, "").json(t); d["shareUrl"] != r.header.Get("X-Pass-Url") {
			t.Fatalf("shareUrl %v, X-Pass-Url %q", d["shareUrl"], r.header.Get("X-Pass-Url"))
		}
		if !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "X-Pass-Url") {
			t.Errorf("X-Pass-Url not exposed: %q", r.header.Get("Access-Control-Expose-Headers"))
		}

		// GET /api/passes/{serial}.
		d := h.do("GET", "/api/passes/"+serial, key, "")
		if d.status != 200 {
			t.Fatalf("GET: %d %s", d.status, d.body)
		}
		dm := d.json(t)
		var stored map[string]any
		json.Unmarshal([]byte(bayroast), &stored)
		if dm["status"] != "active" || dm["passTypeIdentifier"] != passTypeID || dm["devices"] != 0.0 || dm["installs"] != 0.0 ||
			dm["templateId"] != nil || dm["shareUrl"] != shareURL || dm["createdAt"] != created["lastUpdated"] ||
			fmt.Sprint(dm["request"]) != fmt.Sprint(stored) {
			t.Fatalf("GET /api/passes/{serial} = %s", d.body)
		}
		if _, has := dm["templateId"]; !has {
			t.Error("templateId missing (must be null)")
		}
		// Devices and installs follow registrations.
		ctx := context.Background()
		for _, dev := range []string{"dev1", "dev2", "dev1"} {
			if _, err := h.st.Register(ctx, &walletwallet.Registration{DeviceID: dev, PushToken: "tok" + dev, PassTypeID: passTypeID, Serial: serial}); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.st.Unregister(ctx, "dev2", passTypeID, serial); err != nil {
			t.Fatal(err)
		}
		if dm := h.do("GET", "/api/passes/"+serial, key, "").json(t); dm["devices"] != 1.0 || dm["installs"] != 2.0 {
			t.Fatalf("devices %v installs %v, want 1, 2", dm["devices"], dm["installs"])
		}

		// GET /api/pkpass/{serial}: the current pass again, not counted.
		g := h.do("GET", "/api/pkpass/"+serial, key, "")
		if g.status != 200 || g.header.Get("Content-Type") != "application/vnd.apple.pkpass" ||
			g.header.Get("X-Serial-Number") != serial || g.header.Get("Content-Disposition") != `attachment; filename="bayroast-coffee.pkpass"` ||
			!bytes.Equal(g.body, blob) {
			t.Fatalf("GET /api/pkpass: %d %v", g.status, g.header)
		}
		if c := h.count(key); c != 2 {
			t.Fatalf("count %d after a download, want 2", c)
		}

		// Another account's key: 403 on every route that names the pass;
		// unknown and malformed serials: 404; no key: 401.
		routes := []struct{ method, path, body string }{
			{"GET", "/api/passes/%s", ""},
			{"GET", "/api/pkpass/%s", ""},
			{"PUT", "/api/passes/%s", minimal},
			{"PUT", "/api/pkpass/%s", minimal},
			{"PATCH", "/api/passes/%s", `{"logoText":"x"}`},
			{"PATCH", "/api/pkpass/%s", `{"logoText":"x"}`},
			{"DELETE", "/api/passes/%s", ""},
		}
		for _, rt := range routes {
			for _, c := range []struct {
				name, serial, key string
				status            int
			}{
				{"another account", serial, other, 403},
				{"unknown serial", "0b6f4b8e-2b0c-4e5a-9d55-8d7b1c9e0f11", key, 404},
				{"malformed serial", "not-a-serial", key, 404},
				{"NUL in serial", "%00" + serial[3:], key, 404},
				{"invalid UTF-8 in serial", "%ff%fe" + serial[2:], key, 404},
				{"no key", serial, "", 401},
			} {
				path := fmt.Sprintf(rt.path, c.serial)
				res := h.do(rt.method, path, c.key, rt.body)
				if res.status != c.status || res.errorText(t) == "" {
					t.Errorf("%s %s (%s): %d %s, want %d", rt.method, path, c.name, res.status, res.body, c.status)
				}
			}
		}
		for _, rt := range []struct{ method, path, body string }{{"GET", "/api/passes", ""}, {"POST", "/api/passes", minimal}, {"POST", "/api/pkpasses", `{"passes":[` + minimal + `]}`}} {
			if res := h.do(rt.method, rt.path, "", rt.body); res.status != 401 {
				t.Errorf("%s %s without a key: %d", rt.method, rt.path, res.status)
			}
		}
		if c := h.count(key); c != 2 {
			t.Fatalf("count %d after refused requests, want 2", c)
		}
		if d := h.do("GET", "/api/passes/"+serial, key, "").json(t); d["status"] != "active" || fmt.Sprint(d["request"]) != fmt.Sprint(stored) {
			t.Fatalf("a refused request changed the pass: %v", d)
		}
	})
}

func TestPatch(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanFree, 3, "")
		serial := createJSON(t, h, key, bayroast)["serialNumber"].(string)
		cases := []struct {
			name, body, ctype string
			status            int
			// errPrefix is how the error must start; check inspects the stored body.
			errPrefix string
			count     int
			check     func(t *testing.T, req map[string]any)
		}{
			{"the API page's headerFields pattern", `{"headerFields": [{ "label": "POINTS", "value": "1,300", "changeMessage": "Now at %@ points" }]}`,
				"application/merge-patch+json", 200, "", 2, func(t *testing.T, req map[string]any) {
					hf := req["headerFields"].([]any)[0].(map[string]any)
					if hf["value"] != "1,300" || req["logoText"] != "Bayroast Coffee" || len(req["secondaryFields"].([]any)) != 2 {
						t.Errorf("merged body %v", req)
					}
				}},
			{"same patch again is a free no-op", `{"headerFields": [{ "label": "POINTS", "value": "1,300", "changeMessage": "Now at %@ points" }]}`,
				"application/json", 200, "", 2, nil},
			{"serialNumber in a patch", `{"serialNumber": "x"}`, "application/merge-patch+json", 400, "serialNumber is server-owned", 2, nil},
			{"authenticationToken in a patch", `{"authenticationToken": "x"}`, "application/json", 400, "authenticationToken is server-owned", 2, nil},
			{"removing a required field", `{"barcodeValue": null}`, "application/merge-patch+json", 400,
				"barcodeValue is required and must be a non-empty string", 2, nil},
			{"a merged value breaking a rule", `{"expirationDays": 4000}`, "application/merge-patch+json", 400, "expirationDays must be between 1 and 3650", 2, nil},
			{"Pro field on Free", `{"color": "#112233"}`, "application/merge-patch+json", 400, "color is only available on the Pro plan", 2, nil},
			{"unknown field", `{"colour": "red"}`, "application/merge-patch+json", 400, "", 2, nil},
			{"not an object", `["x"]`, "application/merge-patch+json", 400, "a merge patch must be a JSON object", 2, nil},
			{"duplicate key", `{"logoText":"a","logoText":"b"}`, "application/merge-patch+json", 400, "malformed merge patch", 2, nil},
			{"lone surrogate, as a POST body would be refused", `{"logoText":"\ud800"}`, "application/merge-patch+json", 400, "malformed merge patch", 2, nil},
			{"wrong content type", `{"logoText":"a"}`, "text/plain", 415, "Content-Type must be application/merge-patch+json or application/json", 2, nil},
			{"null removes an optional field", `{"locations": null, "expirationDays": null}`, "application/merge-patch+json", 200, "", 3, func(t *testing.T, req map[string]any) {
				if _, has := req["locations"]; has {
					t.Errorf("locations still there: %v", req)
				}
			}},
			{"changed patch at the limit", `{"logoText": "Bayroast"}`, "application/merge-patch+json", 429, "Rate limit exceeded", 3, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := h.do("PATCH", "/api/passes/"+serial, key, c.body, "Content-Type: "+c.ctype)
				if r.status != c.status {
					t.Fatalf("%d %s, want %d", r.status, r.body, c.status)
				}
				if c.status != 200 && !strings.HasPrefix(r.errorText(t), c.errPrefix) {
					t.Errorf("error %q, want it to start with %q", r.errorText(t), c.errPrefix)
				}
				if got := h.count(key); got != c.count {
					t.Errorf("count %d, want %d", got, c.count)
				}
				if c.check != nil {
					c.check(t, h.do("GET", "/api/passes/"+serial, key, "").json(t)["request"].(map[string]any))
				}
			})
		}
		// The backFields sentinel through the other path, then the pass.json it made.
		r := h.do("PATCH", "/api/pkpass/"+serial, key, `{"headerFields": null}`, "Content-Type: application/merge-patch+json")
		if r.status != 429 {
			t.Fatalf("PATCH at the limit via /api/pkpass: %d %s", r.status, r.body)
		}
	})
}

func TestVoid(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanPro, 0, "")
		c := createJSON(t, h, key, `{"barcodeValue":"V-1","barcodeFormat":"QR","logoText":"<script>alert(1)</script>"}`)
		serial := c["serialNumber"].(string)
		shareURL := c["shareUrl"].(string)
		ctx := context.Background()
		if _, err := h.st.Register(ctx, &walletwallet.Registration{DeviceID: "dev1", PushToken: "tok1", PassTypeID: passTypeID, Serial: serial}); err != nil {
			t.Fatal(err)
		}
		before := h.kicks.Load()
		r := h.do("DELETE", "/api/passes/"+serial, key, "")
		if r.status != 200 {
			t.Fatalf("DELETE: %d %s", r.status, r.body)
		}
		v := r.json(t)
		if v["serialNumber"] != serial || v["status"] != "voided" || v["notifiedDevices"] != 1.0 || v["lastUpdated"].(float64) <= c["lastUpdated"].(float64) {
			t.Fatalf("DELETE answer %s", r.body)
		}
		if !h.woken(before) {
			t.Error("void did not wake the job runner")
		}
		again := h.do("DELETE", "/api/passes/"+serial, key, "").json(t)
		if again["notifiedDevices"] != 0.0 || again["status"] != "voided" || again["lastUpdated"] != v["lastUpdated"] {
			t.Fatalf("second DELETE %v", again)
		}
		if n := h.count(key); n != 1 {
			t.Fatalf("count %d after voiding, want 1", n)
		}
		// The stored version says voided.
		g := h.do("GET", "/api/pkpass/"+serial, key, "")
		if pj, _ := passJSON(t, g.body); pj["voided"] != true {
			t.Fatalf("voided pass.json: %v", pj["voided"])
		}
		for _, w := range []struct{ method, path, body string }{
			{"PUT", "/api/passes/" + serial, minimal}, {"PUT", "/api/pkpass/" + serial, minimal},
			{"PATCH", "/api/passes/" + serial, `{"logoText":"x"}`}, {"PATCH", "/api/pkpass/" + serial, `{"logoText":"x"}`},
		} {
			res := h.do(w.method, w.path, key, w.body)
			if res.status != 409 || !strings.Contains(res.errorText(t), "voided") {
				t.Errorf("%s %s on a voided pass: %d %s", w.method, w.path, res.status, res.body)
			}
		}
		if n := h.count(key); n != 1 {
			t.Fatalf("count %d after refused writes, want 1", n)
		}
		if d := h.do("GET", "/api/passes/"+serial, key, "").json(t); d["status"] != "voided" {
			t.Fatalf("status %v", d["status"])
		}
		// The share link answers 410.
		path := strings.TrimPrefix(shareURL, publicURL)
		if res := h.do("GET", path, "", ""); res.status != 410 || !strings.Contains(string(res.body), "no longer valid") {
			t.Errorf("share page of a voided pass: %d %s", res.status, res.body)
		}
		if res := h.do("GET", path+"/pass.pkpass", "", ""); res.status != 410 {
			t.Errorf("share download of a voided pass: %d", res.status)
		}
	})
}

func TestList(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanPro, 0, "")
		_, other := h.account(walletwallet.PlanPro, 0, "")
		var want []string
		for i := range 7 {
			h.setNow(h.clock().Add(time.Second))
			want = append([]string{createJSON(t, h, key, fmt.Sprintf(`{"barcodeValue":"L-%d","barcodeFormat":"QR","logoText":"L"}`, i))["serialNumber"].(string)}, want...)
		}
		createJSON(t, h, other, minimal)
		if r := h.do("DELETE", "/api/passes/"+want[2], key, ""); r.status != 200 {
			t.Fatal(r.status)
		}
		list := func(q string) []string {
			t.Helper()
			var got []string
			for range 20 {
				r := h.do("GET", "/api/passes"+q, key, "")
				if r.status != 200 {
					t.Fatalf("GET /api/passes%s: %d %s", q, r.status, r.body)
				}
				var page struct {
					Passes []struct {
						SerialNumber, Status string
						CreatedAt            int64
						Devices              *int
						TemplateID           *string
					}
					NextCursor *string
				}
				json.Unmarshal(r.body, &page)
				for _, p := range page.Passes {
					if p.Devices == nil || p.CreatedAt == 0 || (p.SerialNumber == want[2]) != (p.Status == "voided") {
						t.Fatalf("entry %+v", p)
					}
					got = append(got, p.SerialNumber)
				}
				if page.NextCursor == nil {
					return got
				}
				base, _, _ := strings.Cut(q, "&cursor=")
				q = base + "&cursor=" + url.QueryEscape(*page.NextCursor)
			}
			t.Fatal("listing does not end")
			return nil
		}
		if got := list("?limit=3"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("listing %v, want %v", got, want)
		}
		if got := list("?limit=200&status=voided"); fmt.Sprint(got) != fmt.Sprint([]string{want[2]}) {
			t.Fatalf("voided %v", got)
		}
		if got := list("?status=active&limit=2"); len(got) != 6 {
			t.Fatalf("active %v", got)
		}
		if got := list("?limit=50"); len(got) != 7 {
			t.Fatalf("default-size page %v", got)
		}
		for _, q := range []string{"?limit=abc", "?limit=0", "?limit=201", "?limit=-1", "?status=bogus", "?cursor=garbage", "?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("1.5.x")), "?page=2", "?limit=1&limit=2"} {
			if r := h.do("GET", "/api/passes"+q, key, ""); r.status != 400 || r.errorText(t) == "" {
				t.Errorf("GET /api/passes%s: %d %s", q, r.status, r.body)
			}
		}
	})
}

func TestIdempotency(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanPro, 0, "")
		first := h.do("POST", "/api/passes", key, minimal, "Idempotency-Key: order-1")
		if first.status != 201 || first.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: %d %v", first.status, first.header)
		}
		serial := first.json(t)["serialNumber"]
		// Key order and spacing are not a different body.
		replay := h.do("POST", "/api/passes", key, `{"logoText":"Membership Card","barcodeFormat":"QR","barcodeValue":"MEMBER-12345"}`, "Idempotency-Key: order-1")
		if replay.status != 201 || replay.header.Get("Idempotent-Replayed") != "true" || replay.json(t)["serialNumber"] != serial {
			t.Fatalf("replay: %d %s %v", replay.status, replay.body, replay.header)
		}
		cases := []struct {
			name, method, path, body string
			headers                  []string
			status                   int
		}{
			{"same key, other body", "POST", "/api/passes", bayroast, []string{"Idempotency-Key: order-1"}, 422},
			{"same key and body, other endpoint", "POST", "/api/pkpass", minimal, []string{"Idempotency-Key: order-1"}, 422},
			{"empty key", "POST", "/api/passes", minimal, []string{"Idempotency-Key: "}, 400},
			{"key too long", "POST", "/api/passes", minimal, []string{"Idempotency-Key: " + strings.Repeat("k", 256)}, 400},
			{"non-ASCII key", "POST", "/api/passes", minimal, []string{"Idempotency-Key: clé"}, 400},
			{"two keys", "POST", "/api/passes", minimal, []string{"Idempotency-Key: a", "Idempotency-Key+: b"}, 400},
			{"invalid body with a key", "POST", "/api/passes", `{"barcodeFormat":"QR"}`, []string{"Idempotency-Key: order-2"}, 400},
			{"longest key", "POST", "/api/pkpass", minimal, []string{"Idempotency-Key: " + strings.Repeat("k", 255)}, 200},
			{"bundle with a key", "POST", "/api/pkpasses", `{"passes":[` + minimal + `]}`, []string{"Idempotency-Key: bundle-1"}, 200},
		}
		wantCount := 1
		for _, c := range cases {
			r := h.do(c.method, c.path, key, c.body, c.headers...)
			if r.status != c.status {
				t.Errorf("%s: %d %s, want %d", c.name, r.status, r.body, c.status)
			}
			if c.status < 300 {
				wantCount++
			}
		}
		if n := h.count(key); n != wantCount {
			t.Fatalf("count %d, want %d", n, wantCount)
		}
		// The invalid body did not take its key: a valid body may use it.
		if r := h.do("POST", "/api/passes", key, minimal, "Idempotency-Key: order-2"); r.status != 201 || r.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("key after a 400: %d %v", r.status, r.header)
		}
		// The bundle replays with the same serials and zip.
		b1 := h.do("POST", "/api/pkpasses", key, `{"passes":[`+minimal+`]}`, "Idempotency-Key: bundle-1")
		if b1.status != 200 || b1.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("bundle replay %d %v", b1.status, b1.header)
		}
		// Past 24 hours the key is new again.
		h.setNow(h.clock().Add(walletwallet.IdempotencyTTL))
		if r := h.do("POST", "/api/passes", key, minimal, "Idempotency-Key: order-1"); r.status != 201 || r.header.Get("Idempotent-Replayed") != "" || r.json(t)["serialNumber"] == serial {
			t.Fatalf("after 24 h: %d %v", r.status, r.header)
		}
	})
}

// Twenty identical requests with one key at once create one pass and count
// one: the others are told the first is running (409) or get its answer.
func TestIdempotencyConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanPro, 0, "")
		var wg sync.WaitGroup
		var mu sync.Mutex
		serials := map[string]int{}
		statuses := map[int]int{}
		start := make(chan struct{})
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := h.do("POST", "/api/passes", key, minimal, "Idempotency-Key: burst")
				mu.Lock()
				defer mu.Unlock()
				statuses[r.status]++
				if r.status == 201 {
					var m map[string]any
					json.Unmarshal(r.body, &m)
					serials[m["serialNumber"].(string)]++
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(serials) != 1 || statuses[201]+statuses[409] != 20 {
			t.Fatalf("statuses %v, serials %v", statuses, serials)
		}
		if n := h.count(key); n != 1 {
			t.Fatalf("count %d, want 1", n)
		}
		r := h.do("GET", "/api/passes", key, "")
		if got := len(r.json(t)["passes"].([]any)); got != 1 {
			t.Fatalf("%d passes stored, want 1", got)
		}
	})
}

func TestBundle(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanFree, 6, "")
		bodies := []string{minimal, bayroast, `{"barcodeValue":"B-3","barcodeFormat":"Code128","title":"Third"}`}
		r := h.do("POST", "/api/pkpasses", key, `{"passes":[`+strings.Join(bodies, ",")+`]}`)
		if r.status != 200 || r.header.Get("Content-Type") != "application/vnd.apple.pkpasses" {
			t.Fatalf("POST /api/pkpasses: %d %s", r.status, r.body)
		}
		serials := strings.Split(r.header.Get("X-Serial-Numbers"), ",")
		zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
		if err != nil {
			t.Fatal(err)
		}
		if len(serials) != 3 || len(zr.File) != 3 {
			t.Fatalf("serials %v, %d files", serials, len(zr.File))
		}
		wantBarcodes := []string{"MEMBER-12345", "LOYALTY-98765", "B-3"}
		for i, f := range zr.File {
			if f.Name != serials[i]+".pkpass" {
				t.Fatalf("entry %d is %q, want %s.pkpass", i, f.Name, serials[i])
			}
			rc, _ := f.Open()
			var buf bytes.Buffer
			buf.ReadFrom(rc)
			rc.Close()
			pj, _ := passJSON(t, buf.Bytes())
			if pj["serialNumber"] != serials[i] || pj["barcodes"].([]any)[0].(map[string]any)["message"] != wantBarcodes[i] {
				t.Fatalf("entry %d pass.json %v", i, pj)
			}
		}
		if n := h.count(key); n != 3 {
			t.Fatalf("count %d, want 3", n)
		}
		many := make([]string, 11)
		for i := range many {
			many[i] = minimal
		}
		cases := []struct {
			name, body string
			status     int
			errPrefix  string
		}{
			{"an invalid entry names it", `{"passes":[` + minimal + `,` + minimal + `,{"barcodeFormat":"QR","logoText":"x"}]}`, 400, "passes[2].barcodeValue is required"},
			{"a Pro field on Free", `{"passes":[{"barcodeValue":"x","barcodeFormat":"QR","logoText":"x","color":"#000000"}]}`, 400, "passes[0].color is only available on the Pro plan"},
			{"eleven", `{"passes":[` + strings.Join(many, ",") + `]}`, 400, "passes must hold 1 to 10"},
			{"none", `{"passes":[]}`, 400, "passes must hold 1 to 10"},
			{"not an array", `{"passes":{}}`, 400, "passes is required and must be an array"},
			{"unknown member", `{"passes":[` + minimal + `],"x":1}`, 400, `unknown field "x"`},
			{"duplicate member", `{"passes":[` + minimal + `],"passes":[]}`, 400, "malformed JSON"},
			{"more than remain", `{"passes":[` + strings.Join(bodies, ",") + `,` + minimal + `]}`, 429, "Rate limit exceeded"},
		}
		for _, c := range cases {
			r := h.do("POST", "/api/pkpasses", key, c.body)
			if r.status != c.status || !strings.HasPrefix(r.errorText(t), c.errPrefix) {
				t.Errorf("%s: %d %q, want %d %q", c.name, r.status, r.errorText(t), c.status, c.errPrefix)
			}
		}
		if n := h.count(key); n != 3 {
			t.Fatalf("count %d after refused bundles, want 3", n)
		}
		if got := len(h.do("GET", "/api/passes", key, "").json(t)["passes"].([]any)); got != 3 {
			t.Fatalf("%d passes stored, want 3", got)
		}
		// Exactly what remains fits.
		if r := h.do("POST", "/api/pkpasses", key, `{"passes":[`+strings.Join(bodies, ",")+`]}`); r.status != 200 {
			t.Fatalf("bundle of the last 3: %d %s", r.status, r.body)
		}
	})
}

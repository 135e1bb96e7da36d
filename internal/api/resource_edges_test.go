package api_test

import (
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet"
)

// The HTTP rules every route shares, on the new routes: content types,
// body size, methods, CORS preflights.
func TestResourceRoutesHTTPRules(t *testing.T) {
	h := newHarness(t)
	_, key := h.account(walletwallet.PlanPro, 0, "")
	serial := createJSON(t, h, key, minimal)["serialNumber"].(string)
	big := `{"logoText":"` + strings.Repeat("x", 1<<20) + `"}`
	cases := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		check                    func(t *testing.T, r *response)
	}{
		{"POST /api/passes needs JSON", "POST", "/api/passes", minimal, []string{"Content-Type: text/plain"}, 415, nil},
		{"POST /api/pkpasses needs JSON", "POST", "/api/pkpasses", `{"passes":[]}`, []string{"Content-Type: <none>"}, 415, nil},
		{"PATCH takes merge-patch+json with parameters", "PATCH", "/api/passes/" + serial, `{"logoText":"New"}`, []string{"Content-Type: application/merge-patch+json; charset=utf-8"}, 200, nil},
		{"PATCH body over 1 MiB", "PATCH", "/api/passes/" + serial, big, nil, 413, nil},
		{"POST on a pass", "POST", "/api/passes/" + serial, minimal, nil, 405, func(t *testing.T, r *response) {
			if got := r.header.Get("Allow"); got != "DELETE, GET, HEAD, PATCH, PUT" {
				t.Errorf("Allow %q", got)
			}
		}},
		{"DELETE on the list", "DELETE", "/api/passes", "", nil, 405, func(t *testing.T, r *response) {
			if got := r.header.Get("Allow"); got != "GET, HEAD, POST" {
				t.Errorf("Allow %q", got)
			}
		}},
		{"GET on the bundle route", "GET", "/api/pkpasses", "", nil, 405, nil},
		{"preflight for DELETE with an Idempotency-Key", "OPTIONS", "/api/passes/" + serial,
			"", []string{"Access-Control-Request-Method: DELETE", "Access-Control-Request-Headers: authorization, idempotency-key"}, 204, func(t *testing.T, r *response) {
				if !strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "DELETE") || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Idempotency-Key") {
					t.Errorf("preflight headers %v", r.header)
				}
			}},
		{"answers expose the new headers", "GET", "/api/pkpass/" + serial, "", nil, 200, func(t *testing.T, r *response) {
			for _, h := range []string{"X-Pass-Url", "X-Serial-Numbers", "Idempotent-Replayed", "Location"} {
				if !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), h) {
					t.Errorf("%s not exposed: %q", h, r.header.Get("Access-Control-Expose-Headers"))
				}
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(c.method, c.path, key, c.body, c.headers...)
			if r.status != c.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, c.status)
			}
			if c.status >= 400 && r.errorText(t) == "" {
				t.Errorf("no JSON error: %s", r.body)
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
	if n := h.count(key); n != 2 {
		t.Errorf("count %d, want 2 (the POST and the one PATCH)", n)
	}
}

// A request refused for the quota remembers nothing: the same key works
// once the quota allows it (here: next month).
func TestIdempotencyKeyFreedAfter429(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanFree, 1, "")
		createJSON(t, h, key, minimal)
		if r := h.do("POST", "/api/passes", key, bayroast, "Idempotency-Key: k-429"); r.status != 429 {
			t.Fatalf("over the limit: %d %s", r.status, r.body)
		}
		if r := h.do("POST", "/api/pkpasses", key, `{"passes":[`+minimal+`]}`, "Idempotency-Key: k-429b"); r.status != 429 {
			t.Fatalf("bundle over the limit: %d %s", r.status, r.body)
		}
		h.setNow(h.clock().AddDate(0, 1, 0))
		if r := h.do("POST", "/api/passes", key, bayroast, "Idempotency-Key: k-429"); r.status != 201 || r.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("key after a 429: %d %v %s", r.status, r.header, r.body)
		}
	})
}

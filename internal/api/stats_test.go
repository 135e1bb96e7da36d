package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// TestStats: GET /api/stats follows creates, a changed version, an unchanged
// PUT, installs, an uninstall and a void, for the caller's account only, and
// the month part starts again at zero in the next UTC month.
func TestStats(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		// Registrations are stamped with the real time: keep every event in one month.
		now := time.Now().UTC()
		h.setNow(now)
		_, key := h.account(walletwallet.PlanPro, 0, "")
		_, otherKey := h.account(walletwallet.PlanPro, 0, "")
		stats := func(key string) string {
			t.Helper()
			res := h.do(http.MethodGet, "/api/stats", key, "")
			if res.status != http.StatusOK {
				t.Fatalf("GET /api/stats: %d %s", res.status, res.body)
			}
			return strings.TrimSpace(string(res.body))
		}
		const zero = `{"passes":{"active":0,"voided":0},"devices":0,"installs":0,"uninstalls":0,"month":{"created":0,"updated":0,"installs":0,"uninstalls":0}}`
		if got := stats(key); got != zero {
			t.Fatalf("new account: %s", got)
		}

		var serials []string
		for range 3 {
			res := h.do(http.MethodPost, "/api/passes", key, minimal)
			if res.status != http.StatusCreated {
				t.Fatalf("create: %d %s", res.status, res.body)
			}
			serials = append(serials, res.json(t)["serialNumber"].(string))
		}
		h.do(http.MethodPost, "/api/passes", otherKey, minimal)
		if r := h.do(http.MethodPatch, "/api/passes/"+serials[0], key, `{"logoText":"New"}`, "Content-Type: application/merge-patch+json"); r.status != 200 {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		if r := h.do(http.MethodPatch, "/api/passes/"+serials[0], key, `{"logoText":"New"}`, "Content-Type: application/merge-patch+json"); r.status != 200 {
			t.Fatalf("same patch: %d %s", r.status, r.body)
		}
		for i, dev := range []string{"d1", "d2", "d3"} {
			if _, err := h.st.Register(ctx, &walletwallet.Registration{DeviceID: dev, PushToken: "t" + dev, PassTypeID: devPassTypeID(t, h, key, serials[i%2]), Serial: serials[i%2]}); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.st.Unregister(ctx, "d2", devPassTypeID(t, h, key, serials[1]), serials[1]); err != nil {
			t.Fatal(err)
		}
		if r := h.do(http.MethodDelete, "/api/passes/"+serials[2], key, ""); r.status != 200 {
			t.Fatalf("void: %d %s", r.status, r.body)
		}
		want := `{"passes":{"active":2,"voided":1},"devices":2,"installs":3,"uninstalls":1,"month":{"created":3,"updated":1,"installs":3,"uninstalls":1}}`
		if got := stats(key); got != want {
			t.Fatalf("stats\n got %s\nwant %s", got, want)
		}
		if got := stats(otherKey); got != `{"passes":{"active":1,"voided":0},"devices":0,"installs":0,"uninstalls":0,"month":{"created":1,"updated":0,"installs":0,"uninstalls":0}}` {
			t.Fatalf("other account: %s", got)
		}
		// The pass resource's counts agree with the account's.
		var p struct{ Devices, Installs int }
		json.Unmarshal(h.do(http.MethodGet, "/api/passes/"+serials[0], key, "").body, &p)
		if p.Devices != 2 || p.Installs != 2 {
			t.Fatalf("pass counts %+v", p)
		}

		h.setNow(walletwallet.NextMonthStart(now))
		want = `{"passes":{"active":2,"voided":1},"devices":2,"installs":3,"uninstalls":1,"month":{"created":0,"updated":0,"installs":0,"uninstalls":0}}`
		if got := stats(key); got != want {
			t.Fatalf("next month\n got %s\nwant %s", got, want)
		}
		if r := h.do(http.MethodGet, "/api/stats", "", ""); r.status != http.StatusUnauthorized {
			t.Fatalf("no key: %d", r.status)
		}
	})
}

// devPassTypeID reads the pass type of a pass through the API.
func devPassTypeID(t *testing.T, h *harness, key, serial string) string {
	t.Helper()
	res := h.do(http.MethodGet, "/api/passes/"+serial, key, "")
	id, _ := res.json(t)["passTypeIdentifier"].(string)
	if id == "" {
		t.Fatalf("GET /api/passes/%s: %d %s", serial, res.status, res.body)
	}
	return id
}

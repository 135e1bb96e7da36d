package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/issuer"
)

// BenchmarkListPasses is GET /api/passes over real HTTP on loopback for an
// account holding 100,000 passes: the first page and a page 99,000 passes
// deep must cost the same (each is one index range).
//
//	go test -run '^$' -bench ListPasses -benchtime 2s ./internal/api
//	scripts/with-postgres.sh go test -run '^$' -bench ListPasses -benchtime 2s ./internal/api
func BenchmarkListPasses(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			t := &testing.T{}
			var h *harness
			if backend == "postgres" {
				if !havePostgres() {
					b.Skip("WW_TEST_POSTGRES_URL not set")
				}
				h = newPGHarness(t)
			} else {
				h = newHarness(t)
			}
			defer h.stop()
			id, key := h.account(walletwallet.PlanPro, 1<<40, "")
			const total = 100_000
			seed(b, h, id, total)
			client := &http.Client{}
			get := func(b *testing.B, q string) map[string]any {
				req, _ := http.NewRequest("GET", h.srv.URL+"/api/passes"+q, nil)
				req.Header.Set("Authorization", "Bearer "+key)
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				defer res.Body.Close()
				var m map[string]any
				if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode != 200 {
					b.Fatalf("%d %v", res.StatusCode, err)
				}
				return m
			}
			// Walk to the deep cursor with the largest pages.
			cursor := ""
			for seen := 0; seen < total-1000; seen += 200 {
				q := "?limit=200"
				if cursor != "" {
					q += "&cursor=" + url.QueryEscape(cursor)
				}
				cursor = get(b, q)["nextCursor"].(string)
			}
			for _, c := range []struct{ name, q string }{
				{"first page of 50", "?limit=50"},
				{"page of 50 at 99,000", "?limit=50&cursor=" + url.QueryEscape(cursor)},
				{"first page of 200", "?limit=200"},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						if n := len(get(b, c.q)["passes"].([]any)); n == 0 {
							b.Fatal("empty page")
						}
					}
				})
			}
		})
	}
}

// seed stores n passes of the account directly (signing 100,000 passes
// through the API would take minutes and measure nothing of the listing).
func seed(b *testing.B, h *harness, accountID int64, n int) {
	b.Helper()
	ctx := context.Background()
	q := walletwallet.Quota{Month: walletwallet.Month(h.clock()), Limit: 1 << 40}
	base := h.clock().Add(-time.Duration(n) * time.Second)
	for done := 0; done < n; {
		batch := make([]*walletwallet.Pass, 0, 1000)
		for i := 0; i < 1000 && done < n; i++ {
			t := base.Add(time.Duration(done) * time.Second)
			batch = append(batch, &walletwallet.Pass{
				PassTypeID: passTypeID, Serial: issuer.NewSerial(), AuthToken: issuer.NewAuthToken(), AccountID: accountID,
				Request: []byte(minimal), Hash: "h", FirstIssued: t, LastModified: t, Blob: []byte("x"),
			})
			done++
		}
		if err := h.st.CreatePasses(ctx, batch, q, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatchVsPut changes a pass through PATCH (a two-field merge patch)
// and through PUT (the whole body) over real HTTP on SQLite; every request
// is a change, so each signs, counts and stores a new version.
//
//	go test -run '^$' -bench PatchVsPut -benchtime 3s ./internal/api
func BenchmarkPatchVsPut(b *testing.B) {
	t := &testing.T{}
	h := newHarness(t)
	defer h.stop()
	_, key := h.account(walletwallet.PlanPro, 1<<40, "")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	send := func(b *testing.B, method, path, ctype, body string) {
		req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", ctype)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("%s %s: %d", method, path, res.StatusCode)
		}
	}
	for _, c := range []struct {
		name string
		send func(b *testing.B, serial string, i int64)
	}{
		{"PUT", func(b *testing.B, serial string, i int64) {
			send(b, "PUT", "/api/pkpass/"+serial, "application/json",
				strings.Replace(bayroast, `"value": "$25.00"`, fmt.Sprintf(`"value": "$%d.00"`, i), 1))
		}},
		{"PATCH", func(b *testing.B, serial string, i int64) {
			send(b, "PATCH", "/api/pkpass/"+serial, "application/merge-patch+json",
				fmt.Sprintf(`{"headerFields": [{"label": "BALANCE", "value": "$%d.00"}]}`, i))
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetParallelism(4) // 8 clients on 2 cores, each on its own pass
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				serial := post(t, h, key, bayroast)
				for pb.Next() {
					c.send(b, serial, n.Add(1))
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
		})
	}
}

func havePostgres() bool { return os.Getenv("WW_TEST_POSTGRES_URL") != "" }

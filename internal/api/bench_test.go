package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// BenchmarkPOST is the whole POST path over real HTTP on loopback: auth,
// parse, plan gate, quota, images (built-in icon), sign, SQLite write, answer.
// The tests' self-check (lint every pass) is off, as in production.
func BenchmarkPOST(b *testing.B) { benchPOST(b, 0) }

// BenchmarkPOSTWithWebhooks is BenchmarkPOST for an account with two
// webhooks: each pass's event also queues two deliveries (not sent here).
// Compare the two with -cpuprofile to see what recording the event costs.
func BenchmarkPOSTWithWebhooks(b *testing.B) { benchPOST(b, 2) }

func benchPOST(b *testing.B, hooks int) {
	t := &testing.T{}
	h := &harness{t: t, now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), path: filepath.Join(b.TempDir(), "ww.db"), logs: &syncBuffer{}, noLint: true}
	h.start()
	acct, key := h.account(walletwallet.PlanPro, 1<<40, "")
	for i := range hooks {
		w := &walletwallet.Webhook{ID: walletwallet.NewWebhookID(), AccountID: acct, URL: fmt.Sprintf("https://hooks%d.example/", i),
			Events: walletwallet.AllEventTypes, SealedSecret: []byte("sealed")}
		if err := h.st.CreateWebhook(context.Background(), w); err != nil {
			b.Fatal(err)
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.SetParallelism(4) // 8 clients on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", h.srv.URL+"/api/pkpass", strings.NewReader(bayroast))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			// Read to the end, as a client keeping its connection does:
			// closing an unread body makes the transport dial anew.
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 {
				b.Fatalf("status %d, %v", res.StatusCode, err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "passes/s")
}

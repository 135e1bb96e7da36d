package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet"
)

// BenchmarkPostPreview is POST /api/preview over real HTTP on loopback, one
// client: auth, parse, plan gate, pass.json, draw, PNG, answer.
func BenchmarkPostPreview(b *testing.B) {
	t := &testing.T{}
	h := newHarness(t)
	defer h.stop()
	_, key := h.account(walletwallet.PlanPro, 0, "")
	client := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/preview", strings.NewReader(bayroast))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "previews/s")
}

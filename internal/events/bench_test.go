package events

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// BenchmarkDeliver is deliveries per second from a real SQLite store to an
// HTTPS receiver on loopback answering 204 at once: b.N events are recorded
// first, then the runner is started and the clock runs until every delivery
// is closed. It measures the claim/POST/finish loop, not the receiver.
//
//	go test -run XXX -bench Deliver -benchtime 2000x ./internal/events
func BenchmarkDeliver(b *testing.B) {
	rc := newReceiver(b, func(int, http.ResponseWriter, *http.Request) {})
	r := newIdleRig(b, rc.URL+"/bench")
	ctx := context.Background()
	now := time.Now()
	for left := b.N; left > 0; left -= 500 {
		ps := make([]*walletwallet.Pass, min(left, 500))
		for i := range ps {
			ps[i] = &walletwallet.Pass{PassTypeID: testPassType, Serial: newSerial(), AuthToken: strings.Repeat("a", 40),
				AccountID: r.account.ID, Request: []byte(fmt.Sprintf(`{"i":%d}`, i)), Hash: "h", FirstIssued: now, LastModified: now}
		}
		if err := r.st.CreatePasses(ctx, ps, walletwallet.Quota{Month: walletwallet.Month(now), Limit: 1 << 40}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	r.start(b, rc, DeliveryOptions{})
	for r.pending(b) > 0 {
		time.Sleep(2 * time.Millisecond)
	}
	b.StopTimer()
	if got := r.results.get()["ok"]; got != b.N {
		b.Fatalf("%d delivered, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

package push

import (
	"fmt"
	"github.com/walletwallet/walletwallet/internal/jobs"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/push/apnstest"
)

// BenchmarkDrain drains one fan-out job of n targets to the double over real
// TLS HTTP/2 (both ends in this process) and reports pushes per second.
func BenchmarkDrain(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		for _, cfg := range []struct{ conns, concurrency int }{{1, 128}, {1, 256}, {2, 256}, {4, 512}} {
			b.Run(fmt.Sprintf("targets=%d/conns=%d/concurrency=%d", n, cfg.conns, cfg.concurrency), func(b *testing.B) {
				s := newDouble(b, apnstest.WithMaxConcurrentStreams(1000))
				client := certClient(b, s, newClientCert(b), cfg.conns)
				q := newFakeQueue(nil)
				toks := tokens("b", n)
				q.addPass(testTopic, "bench", toks)
				wake := make(chan struct{}, 1)
				_, reports, _ := startWorkerB(b, WorkerOptions{
					Queue: q, Pusher: client, Logger: newLogger(&logBuffer{}), Concurrency: cfg.concurrency, Wake: wake,
				})
				// The first job warms the connection; each timed loop
				// enqueues and drains one more.
				if r := <-reports; r.Pushed != n {
					b.Fatalf("warm-up pushed %d", r.Pushed)
				}
				var total time.Duration
				for b.Loop() {
					start := time.Now()
					q.enqueue(testTopic, "bench")
					wake <- struct{}{} // as the store does after a changed PUT
					r := <-reports
					if r.Outcome != jobs.Finished || r.Pushed != n {
						b.Fatalf("report = %+v", r)
					}
					total += time.Since(start)
				}
				b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "pushes/s")
				b.ReportMetric(total.Seconds()/float64(b.N), "s/drain")
			})
		}
	}
}

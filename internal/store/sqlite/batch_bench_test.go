package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/cputime"
	"github.com/walletwallet/walletwallet/internal/store/storetest"
)

// BenchmarkCreatePassesBatch is one CreatePasses of n passes (each with an
// 8 KB blob) per durable commit, and reports the process's CPU per pass
// (cpu-us/pass: the writer, the checkpointer and the kernel's work for the
// writes and the fsync, all on the cores a server signs on). n=1 is a POST
// at concurrency 8 on two cores, where groups average 1.2 operations; the
// larger n show how much of that is per commit rather than per pass.
func BenchmarkCreatePassesBatch(b *testing.B) {
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			db := openTemp(b)
			ctx := context.Background()
			now := time.Now()
			a := &walletwallet.Account{Email: storetest.NewSerial() + "@example.com", Plan: walletwallet.PlanPro, CreatedAt: now}
			if err := db.CreateAccount(ctx, a); err != nil {
				b.Fatal(err)
			}
			q := walletwallet.Quota{Month: walletwallet.Month(now), Limit: 1 << 40}
			blob := bytes.Repeat([]byte("0123456789"), 800)
			req := bytes.Repeat([]byte(`{"key":"value"}`), 80)
			cpu0 := cpuTime(b)
			passes := 0
			for b.Loop() {
				ps := make([]*walletwallet.Pass, n)
				for i := range ps {
					ps[i] = &walletwallet.Pass{PassTypeID: storetest.PassTypeID, Serial: storetest.NewSerial(),
						AuthToken: storetest.NewSerial(), AccountID: a.ID, Request: req, Hash: storetest.NewSerial(),
						FirstIssued: now, LastModified: now, Blob: blob}
				}
				if err := db.CreatePasses(ctx, ps, q, nil); err != nil {
					b.Fatal(err)
				}
				passes += n
			}
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(passes), "cpu-us/pass")
		})
	}
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	d, err := cputime.Process()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

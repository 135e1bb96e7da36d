package storetest

import (
	"bytes"
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/cputime"
)

// BenchmarkCreatePass measures CreatePass with a 10 KB blob, the size of a
// typical signed pass.
func BenchmarkCreatePass(b *testing.B, s walletwallet.Store) {
	ctx := context.Background()
	a := newAccount(b, s, 0)
	blob := bytes.Repeat([]byte("0123456789"), 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p := passFor(a, `{"description":"bench"}`)
		p.Blob = blob
		if err := s.CreatePass(ctx, p, bigQuota); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreatePasses measures one CreatePasses of n passes per
// operation (a bulk issue stores its passes so; n=1 is one POST's create),
// each with a 10 KB blob, the size of a typical signed pass. It reports the
// time per pass and the process's CPU per pass (cpu-us/pass: for SQLite the
// writer, the checkpointer and the kernel's writes and fsync, all on the
// cores a server signs on; for PostgreSQL the client's side only).
func BenchmarkCreatePasses(b *testing.B, s walletwallet.Store, n int) {
	ctx := context.Background()
	a := newAccount(b, s, 0)
	blob := bytes.Repeat([]byte("0123456789"), 1024)
	passes := 0
	start := time.Now()
	cpu0, err := cputime.Process()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ps := make([]*walletwallet.Pass, n)
		for i := range ps {
			ps[i] = passFor(a, `{"description":"bench"}`)
			ps[i].Blob = blob
		}
		if err := s.CreatePasses(ctx, ps, bigQuota, nil); err != nil {
			b.Fatal(err)
		}
		passes += n
	}
	cpu1, err := cputime.Process()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(passes), "us/pass")
	b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(passes), "cpu-us/pass")
}

// BenchmarkRegisterConcurrent registers a new device per operation, to one
// of four passes of one account, from 8 goroutines per processor: devices
// installing passes at once, which share the pass rows' counts and the
// account's counter rows.
func BenchmarkRegisterConcurrent(b *testing.B, s walletwallet.Store) {
	ctx := context.Background()
	a := newAccount(b, s, 0)
	ps := []*walletwallet.Pass{newPass(b, s, a), newPass(b, s, a), newPass(b, s, a), newPass(b, s, a)}
	var next atomic.Int64
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			p := ps[i%int64(len(ps))]
			created, err := s.Register(ctx, &walletwallet.Registration{DeviceID: "dev" + strconv.FormatInt(i, 10),
				PushToken: "tok" + strconv.FormatInt(i, 10), PassTypeID: p.PassTypeID, Serial: p.Serial})
			if err != nil || !created {
				b.Errorf("Register #%d: created %v, %v", i, created, err)
				return
			}
		}
	})
}

// BenchmarkUpdatePass measures a changed PUT of a pass with devices
// registrations. seed inserts that many registrations for the pass in bulk,
// since registering them one by one would take longer than the benchmark.
func BenchmarkUpdatePass(b *testing.B, s walletwallet.Store, devices int, seed func(passTypeID, serial string, n int)) {
	ctx := context.Background()
	p := newPass(b, s, newAccount(b, s, 0))
	seed(p.PassTypeID, p.Serial, devices)
	if n := countOf(b, s, p); n != devices {
		b.Fatalf("seeded %d registrations, want %d", n, devices)
	}
	blob := bytes.Repeat([]byte("0123456789"), 1024)
	prev := p.Hash
	at := t0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		at = at.Add(time.Millisecond)
		u := changeOf(p, `{"v":`+strconv.Itoa(i+1)+`}`, at)
		u.PrevHash, u.Blob = prev, blob
		res, err := s.UpdatePass(ctx, u, bigQuota)
		if err != nil {
			b.Fatal(err)
		}
		if res.NotifiedDevices != devices {
			b.Fatalf("NotifiedDevices = %d, want %d", res.NotifiedDevices, devices)
		}
		prev = u.Hash
	}
}

// SeedEventPass creates an account and one pass for benchmarks of event
// recording, and with hooks that many webhooks taking every event type.
func SeedEventPass(b *testing.B, s walletwallet.Store, hooks int) *walletwallet.Pass {
	a := newAccount(b, s, 0)
	for i := range hooks {
		w := newWebhook(a, "https://hooks.example/"+strconv.Itoa(i), walletwallet.AllEventTypes...)
		if err := s.CreateWebhook(context.Background(), w); err != nil {
			b.Fatal(err)
		}
	}
	return newPass(b, s, a)
}

// TemplateSeed inserts n passes of template tp (values {"i": "<k>"}, hash
// "seed", revision tp.Rev), each with one registration, in bulk: issuing
// them one by one would take longer than the benchmark.
type TemplateSeed func(tp *walletwallet.Template, n int)

// BenchmarkTemplateDrain measures a template job's store work for a
// change of n passes with a device each, step by step and without the
// pushes: each fold batch of batch passes, then the push pages of that
// batch and the cursor saves, as internal/push runs them (not overlapped
// here, so each cost shows on its own).
func BenchmarkTemplateDrain(b *testing.B, s walletwallet.Store, n, batch, page int, seed TemplateSeed) {
	ctx := context.Background()
	a := newAccount(b, s, 0)
	tp := newTemplate(b, s, a, `{"v":0}`)
	seed(tp, n)
	var fold, targets, advance time.Duration
	for i := 0; b.Loop(); i++ {
		design := `{"v":` + strconv.Itoa(i+1) + `}`
		c := change(tp, design, t0.Add(time.Duration(i+1)*time.Second))
		res, err := s.UpdateTemplate(ctx, c, bigQuota)
		if err != nil {
			b.Fatal(err)
		}
		if res.UpdatedPasses != n {
			b.Fatalf("UpdatedPasses = %d, want %d", res.UpdatedPasses, n)
		}
		tp.Rev = res.Rev
		job, err := s.ClaimTemplatePushJob(ctx, "bench", time.Now(), time.Now().Add(time.Hour))
		if err != nil || job == nil {
			b.Fatalf("claim: %v %v", job, err)
		}
		pushed := 0
		for {
			start := time.Now()
			fr, err := s.FoldTemplate(ctx, &walletwallet.TemplateFold{TemplateID: tp.ID, PassTypeID: PassTypeID,
				Rev: res.Rev, After: job.CursorSerial, Limit: batch, At: c.At, Rehash: c.Rehash})
			if err != nil {
				b.Fatal(err)
			}
			fold += time.Since(start)
			upTo := ""
			if fr.Scanned >= batch {
				upTo = fr.Last
			}
			for {
				start = time.Now()
				ts, err := s.TemplatePushTargets(ctx, job, upTo, page)
				targets += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if len(ts) == 0 {
					break
				}
				pushed += len(ts)
				last := ts[len(ts)-1]
				start = time.Now()
				if err := s.AdvanceTemplatePushJob(ctx, job.ID, "bench", last.Serial, last.RegistrationID); err != nil {
					b.Fatal(err)
				}
				advance += time.Since(start)
				job.CursorSerial, job.CursorID = last.Serial, last.RegistrationID
			}
			if upTo == "" {
				break
			}
		}
		if pushed != n {
			b.Fatalf("pushed %d devices, want %d", pushed, n)
		}
		if err := s.FinishTemplatePushJob(ctx, job.ID, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	per := float64(b.N) * float64(n)
	b.ReportMetric(fold.Seconds()*1e6/per, "fold-µs/pass")
	b.ReportMetric(targets.Seconds()*1e6/per, "pages-µs/device")
	b.ReportMetric(advance.Seconds()*1e6/per, "cursor-µs/device")
	b.ReportMetric((fold+targets+advance).Seconds()/float64(b.N), "store-s/op")
}

package storetest

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
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

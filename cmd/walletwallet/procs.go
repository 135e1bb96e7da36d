package main

import (
	"log/slog"
	"runtime"
	"sync"

	"github.com/walletwallet/walletwallet/internal/signing"
)

// processorPlan is how many processors serve gives the Go scheduler and how
// many signatures it lets run at once (0: no bound), given GOMAXPROCS from
// the environment, the scheduler's current count (the cores, or the
// container's CPU limit) and whether a signature keeps its processor
// (signing.SignerHoldsProcessor). An operator's GOMAXPROCS is left as it
// is, and so are the builds that sign in C, which give their processor up
// during a signature.
//
// Otherwise, with the pure-Go signer, serve takes one processor more than
// the cores and bounds the signatures to the cores. Go's scheduler does not preempt a running
// goroutine before 10 ms, and a pure-Go RSA signature holds its processor
// for about 1.5 ms. With as many processors as cores, the store's single
// writer, which every create waits for, waited for a signature to end
// whenever all the processors were signing, and so did every handler whose
// commit was done. The cores stood a fifth idle while requests queued. With
// a spare processor those steps run at once and the kernel, which does
// preempt, shares the cores (BENCHMARKS.md, "Session 2026-12-02").
func processorPlan(envGOMAXPROCS string, current int, signerHoldsProcessor bool) (procs, signingSlots int) {
	if envGOMAXPROCS != "" || !signerHoldsProcessor {
		return current, 0
	}
	return current + 1, current
}

var spareOnce sync.Once

// spareProcessor applies processorPlan once per process and logs it.
func spareProcessor(getenv func(string) string, log *slog.Logger) {
	spareOnce.Do(func() {
		cores := runtime.GOMAXPROCS(0)
		procs, slots := processorPlan(getenv("GOMAXPROCS"), cores, signing.SignerHoldsProcessor())
		if procs != cores {
			runtime.GOMAXPROCS(procs)
		}
		signing.LimitConcurrent(slots)
		log.Info("processors", "cores", cores, "go_procs", procs, "signing_slots", slots)
	})
}

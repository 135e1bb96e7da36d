package pkpass

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// A large bundle's archive is written into a recycled buffer when its last
// owner gave one back with Recycle. A poster ticket is ~650 KB, nearly all
// of it the images copied in; in a fresh allocation each of those pages was
// faulted in again (the runtime returns freed pages to the system) and the
// allocation paced the garbage collector, together ~0.5 ms a pass, more than
// the rest of the engine outside the signature (BENCHMARKS.md, issue 11).
// A recycled buffer is already mapped and makes no garbage.
//
// Buffers are pooled by capacity, one pool per power of two (the one at or
// below the capacity) from 32 KiB to 16 MiB; smaller archives are not worth
// it and larger ones are not kept. A request takes from the pool of its own
// power of two and uses what it gets if that is large enough: archives made
// from one template differ by a few bytes, and a new buffer's capacity is
// rounded up to whole pages. A new buffer is written without being cleared
// first (bytes.Join), as before there were pools.
const (
	minRecycledShift = 15 // 32 KiB
	maxRecycledShift = 24 // 16 MiB
)

var recycled [maxRecycledShift + 1]sync.Pool

// checkRecycled, when set, makes Recycle overwrite a buffer and drop it
// instead of keeping it, so that a use after Recycle reads garbage in tests
// instead of, one day, another pass's bytes.
var checkRecycled atomic.Bool

// CheckRecycled turns on the check of Recycle's callers (test harnesses).
func CheckRecycled() { checkRecycled.Store(true) }

// Recycle gives back the archive of a bundle whose bytes nobody reads any
// more (the answer has been written, the store has copied it), for a later
// Bundle to write into. Calling it is optional; calling it for a blob still
// in use corrupts that use.
func Recycle(blob []byte) {
	shift, ok := recycledShift(cap(blob))
	if !ok {
		return
	}
	blob = blob[:cap(blob)]
	if checkRecycled.Load() {
		for i := range blob {
			blob[i] = 0xdb
		}
		return
	}
	recycled[shift].Put(&blob)
}

// archiveBuffer returns a recycled buffer of length n, or nil when there is
// none large enough.
func archiveBuffer(n int) []byte {
	shift, ok := recycledShift(n)
	if !ok {
		return nil
	}
	p, _ := recycled[shift].Get().(*[]byte)
	if p == nil || cap(*p) < n {
		return nil // one a little too small is left to the collector
	}
	return (*p)[:n]
}

// recycledShift is the pool of a capacity or length n.
func recycledShift(n int) (int, bool) {
	shift := bits.Len(uint(n)) - 1
	return shift, n > 0 && shift >= minRecycledShift && shift <= maxRecycledShift
}

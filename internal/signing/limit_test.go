package signing

import (
	"crypto"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLimitConcurrent: with a bound of 2, a third signature waits until one
// of two running ones ends; without it, all eight run at once.
func TestLimitConcurrent(t *testing.T) {
	id, _, err := NewTestChain("", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		limit int
		want  int // signatures running at once at most, of 8 started together
	}{
		{"bounded", 2, 2},
		{"unbounded", 0, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var running, most atomic.Int32
			release := make(chan struct{})
			orig := signDigest
			signDigest = func(key crypto.Signer, digest []byte) ([]byte, error) {
				n := running.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				<-release
				running.Add(-1)
				return orig(key, digest)
			}
			LimitConcurrent(tc.limit)
			t.Cleanup(func() { signDigest = orig; LimitConcurrent(0) })

			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Go(func() {
					_, err := id.Sign([]byte("manifest"))
					errs <- err
				})
			}
			deadline := time.Now().Add(10 * time.Second)
			for running.Load() < int32(tc.want) {
				if time.Now().After(deadline) {
					t.Fatalf("only %d signatures started, want %d", running.Load(), tc.want)
				}
				time.Sleep(time.Millisecond)
			}
			// Were the bound missing, the others would be inside long before this.
			time.Sleep(50 * time.Millisecond)
			if got := running.Load(); got != int32(tc.want) {
				t.Fatalf("%d signatures running at once, want %d", got, tc.want)
			}
			close(release)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			if got := most.Load(); got != int32(tc.want) {
				t.Errorf("at most %d ran at once, want %d", got, tc.want)
			}
		})
	}
}

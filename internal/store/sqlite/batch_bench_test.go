package sqlite

import (
	"fmt"
	"testing"

	"github.com/walletwallet/walletwallet/internal/store/storetest"
)

// BenchmarkCreatePassesBatch is one durable commit of n passes. n=1 is a
// POST at concurrency 8 on two cores, where groups average 1.2 operations;
// the larger n show how much of that is per commit rather than per pass.
func BenchmarkCreatePassesBatch(b *testing.B) {
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { storetest.BenchmarkCreatePasses(b, openTemp(b), n) })
	}
}

package cputime

import (
	"crypto/sha256"
	"testing"
)

// TestProcessCountsWork: spinning on a hash moves the figure forward.
func TestProcessCountsWork(t *testing.T) {
	before, err := Process()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(nil)
	for range 200_000 {
		sum = sha256.Sum256(sum[:])
	}
	after, err := Process()
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Errorf("CPU time went from %v to %v over 200,000 hashes (%x)", before, after, sum[:2])
	}
}

package walletwallet

import (
	"strings"
	"testing"
)

func TestShareIDShape(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewShareID()
		if len(id) < 22 || !ValidShareID(id) || seen[id] {
			t.Fatalf("id %q: length %d, valid %v, repeated %v", id, len(id), ValidShareID(id), seen[id])
		}
		seen[id] = true
	}
	// Ids the migration gave older passes (24 hex digits) are valid too.
	if !ValidShareID("0123456789abcdef01234567") {
		t.Error("a migrated id is refused")
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", 23), strings.Repeat("a", 25), strings.Repeat("a", 23) + "=", strings.Repeat("a", 23) + "\x00", strings.Repeat("a", 22) + "é"} {
		if ValidShareID(bad) {
			t.Errorf("ValidShareID(%q) = true", bad)
		}
	}
}

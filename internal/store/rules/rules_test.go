package rules

import (
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

func TestNextLastModified(t *testing.T) {
	stored := time.Date(2026, 11, 5, 10, 0, 0, 123_000_000, time.UTC)
	tests := []struct {
		name      string
		requested time.Time
		want      time.Time
	}{
		{"later request is kept", stored.Add(2 * time.Second), stored.Add(2 * time.Second)},
		{"sub-millisecond part is dropped", stored.Add(time.Second + 456*time.Microsecond), stored.Add(time.Second)},
		{"same millisecond moves one on", stored.Add(400 * time.Microsecond), stored.Add(time.Millisecond)},
		{"clock behind moves one on", stored.Add(-time.Hour), stored.Add(time.Millisecond)},
		{"local zone comes back UTC", stored.Add(time.Minute).In(time.FixedZone("x", 3600)), stored.Add(time.Minute)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := NextLastModified(stored, tc.requested)
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Fatalf("NextLastModified = %v, want %v UTC", got, tc.want)
			}
		})
	}
}

func TestDecideUpdate(t *testing.T) {
	lm := time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC)
	cur := StoredPass{Owner: 7, Hash: "h1", LastModified: lm, Devices: 3}
	tests := []struct {
		name          string
		owner         int64
		hash, prev    string
		wantCode      string
		wantUnchanged bool
	}{
		{"change", 7, "h2", "h1", "", false},
		{"another account", 8, "h2", "h1", walletwallet.EFORBIDDEN, false},
		{"another account, same body", 8, "h1", "h1", walletwallet.EFORBIDDEN, false},
		{"same body", 7, "h1", "h0", "", true},
		{"stale", 7, "h2", "h0", walletwallet.ECONFLICT, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := DecideUpdate(cur, &walletwallet.PassUpdate{Serial: "s", AccountID: tc.owner, Hash: tc.hash, PrevHash: tc.prev})
			if got := walletwallet.ErrorCode(err); got != tc.wantCode {
				t.Fatalf("code %q (%v), want %q", got, err, tc.wantCode)
			}
			if unchanged := res != nil && res.Unchanged; unchanged != tc.wantUnchanged {
				t.Fatalf("result %+v, unchanged want %v", res, tc.wantUnchanged)
			}
			if tc.wantUnchanged && !res.LastModified.Equal(lm) {
				t.Fatalf("unchanged LastModified %v, want %v", res.LastModified, lm)
			}
			if tc.wantCode == "" && !tc.wantUnchanged && res != nil {
				t.Fatalf("a change must be written, got result %+v", res)
			}
		})
	}
}

func TestCreateTimes(t *testing.T) {
	first := time.Date(2026, 1, 2, 3, 4, 5, 6_789_000, time.UTC)
	f, l := CreateTimes(&walletwallet.Pass{FirstIssued: first})
	if !f.Equal(first.Truncate(time.Millisecond)) || !l.Equal(f) {
		t.Fatalf("zero last-modified: %v %v", f, l)
	}
	later := first.Add(time.Hour)
	if _, l := CreateTimes(&walletwallet.Pass{FirstIssued: first, LastModified: later}); !l.Equal(later.Truncate(time.Millisecond)) {
		t.Fatalf("given last-modified: %v", l)
	}
	if f, _ := CreateTimes(&walletwallet.Pass{}); time.Since(f) > time.Minute || f.Location() != time.UTC {
		t.Fatalf("zero first-issued: %v", f)
	}
}

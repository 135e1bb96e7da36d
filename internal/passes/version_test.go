package passes

import (
	"testing"
	"time"
)

func TestNextVersionTime(t *testing.T) {
	base := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		prev, now time.Time
		want      time.Time
	}{
		{"clock well ahead", base, base.Add(5*time.Second + 123*time.Millisecond), base.Add(5*time.Second + 123*time.Millisecond)},
		{"same second moves to the next", base.Add(100 * time.Millisecond), base.Add(900 * time.Millisecond), base.Add(time.Second)},
		{"same millisecond", base.Add(100 * time.Millisecond), base.Add(100 * time.Millisecond), base.Add(time.Second)},
		{"clock behind the previous stamp", base.Add(3 * time.Second), base.Add(time.Second), base.Add(4 * time.Second)},
		{"next second keeps its milliseconds", base.Add(999 * time.Millisecond), base.Add(1001 * time.Millisecond), base.Add(1001 * time.Millisecond)},
		{"sub-millisecond dropped", base, base.Add(2*time.Second + 1500*time.Microsecond), base.Add(2*time.Second + time.Millisecond)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := NextVersionTime(tc.prev, tc.now)
			if !got.Equal(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if got.Truncate(time.Second) == tc.prev.Truncate(time.Second) {
				t.Fatal("new version shares the previous version's second")
			}
		})
	}
}

package rules

import (
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
)

// TestRehasher checks the parallel rehash against what a loop over the rows
// in order gives: the counts of the changed rows, or the error of the first
// failing row however the batches fall on the workers.
func TestRehasher(t *testing.T) {
	cases := []struct {
		rows int
		fail []int // indexes whose rehash fails
	}{
		{0, nil}, {1, nil}, {rehashBatch - 1, nil}, {rehashBatch, nil}, {rehashBatch + 1, nil}, {5000, nil},
		{1, []int{0}}, {300, []int{299}}, {5000, []int{4000, 1200, 3000}}, {5000, []int{17, 4999}},
		{5000, []int{rehashBatch * 3}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.rows, c.fail), func(t *testing.T) {
			failing := map[string]bool{}
			for _, i := range c.fail {
				failing[strconv.Itoa(i)] = true
			}
			var calls atomic.Int64
			rh := NewRehasher(func(serial string, values []byte) (string, error) {
				calls.Add(1)
				if failing[serial] {
					return "", fmt.Errorf("pass %s fails", serial)
				}
				return "h-" + string(values), nil // every third row keeps its hash (below)
			})
			wantChanged, wantDevices, firstFail := 0, 0, -1
			stopped := false
			for i := range c.rows {
				v := strconv.Itoa(i % 7)
				hash := "old"
				if i%3 == 0 {
					hash = "h-" + v
				}
				if failing[strconv.Itoa(i)] && firstFail < 0 {
					firstFail = i
				}
				if firstFail < 0 && hash != "h-"+v {
					wantChanged++
					wantDevices += i % 4
				}
				if !rh.Add(RehashRow{PassType: "pt", Serial: strconv.Itoa(i), Hash: hash, Registrations: i % 4, Values: []byte(v)}) {
					stopped = true
					break
				}
			}
			changed, devices, pt, err := rh.Wait()
			if firstFail >= 0 {
				want := fmt.Sprintf("pass %d fails", firstFail)
				if err == nil || err.Error() != want {
					t.Fatalf("err = %v, want %q", err, want)
				}
				return
			}
			if err != nil || stopped {
				t.Fatalf("err %v, stopped %v", err, stopped)
			}
			if changed != wantChanged || devices != wantDevices || int(calls.Load()) != c.rows {
				t.Fatalf("changed %d devices %d calls %d, want %d %d %d", changed, devices, calls.Load(), wantChanged, wantDevices, c.rows)
			}
			if (changed > 0) != (pt == "pt") {
				t.Fatalf("pass type %q with %d changed", pt, changed)
			}
		})
	}
}

// TestRehasherStopsAdding: after a failure Add refuses more rows, so a
// store stops reading a large template early.
func TestRehasherStopsAdding(t *testing.T) {
	boom := errors.New("boom")
	rh := NewRehasher(func(string, []byte) (string, error) { return "", boom })
	added := 0
	for i := range 1_000_000 {
		if !rh.Add(RehashRow{Serial: strconv.Itoa(i)}) {
			break
		}
		added++
	}
	if _, _, _, err := rh.Wait(); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if added == 1_000_000 {
		t.Fatal("Add never refused a row after the first failure")
	}
}

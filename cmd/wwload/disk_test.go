package main

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"testing"
)

func TestDiskCost(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := diskCost(&out, dir, 5); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^mode=disk dir=(\S+) commits=5 frames=16 frame-write-cpu=([0-9.]+)us fsync-cpu=([0-9.]+)us fsync-wall=([0-9.]+)us\n$`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("output %q does not have the documented fields", out.String())
	}
	if m[1] != dir {
		t.Errorf("dir = %q, want %q", m[1], dir)
	}
	for _, v := range m[2:] {
		if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 {
			t.Errorf("figure %q is not a non-negative number", v)
		}
	}
	// The scratch file is gone: a load run leaves nothing in the data folder.
	if left, err := os.ReadDir(dir); err != nil || len(left) != 0 {
		t.Errorf("left in %s: %v (%v)", dir, left, err)
	}
}

func TestDiskCostRefusesNoCommits(t *testing.T) {
	dir := t.TempDir()
	if err := diskCost(new(bytes.Buffer), dir, 0); err == nil {
		t.Fatal("n=0 accepted")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("n=0 created %v", left)
	}
}

package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/walletwallet/walletwallet/internal/cputime"
)

// diskFrames is what one pass creation asks of the disk on SQLite: a commit
// of about this many WAL frames (the pass row, its indexes, its blob's
// pages, its event, the usage and stats rows), then one sync.
const diskFrames = 16

// diskCost is -mode disk: what writing a commit's WAL frames and syncing
// them costs on the disk under dir, measured the way SQLite does it (a
// 24-byte frame header and a 4 KiB page per frame, two writes, then fsync).
// The CPU of a write and of a sync is counted against the same cores the
// server signs on, and the sync's wall time is time a commit waits: on a
// virtual disk both can be many times what they are on bare metal, which is
// the part of the POST rate no change to the server's code removes.
func diskCost(w io.Writer, dir string, n int) error {
	if n < 1 {
		return fmt.Errorf("-n must be 1 or more, got %d", n)
	}
	f, err := os.CreateTemp(dir, "wwload-disk-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	page, header := make([]byte, 4096), make([]byte, 24)
	var off int64
	commit := func() error {
		for range diskFrames {
			if _, err := f.WriteAt(header, off); err != nil {
				return err
			}
			if _, err := f.WriteAt(page, off+int64(len(header))); err != nil {
				return err
			}
			// A WAL is rewritten from its start after a checkpoint: 4 MiB
			// of it is reused the same way here.
			if off += int64(len(header) + len(page)); off > 4<<20 {
				off = 0
			}
		}
		return nil
	}
	// The writes alone, then the writes with a sync after each commit: the
	// difference is the sync's.
	writeCPU, writeWall, err := measure(n, commit)
	if err != nil {
		return err
	}
	syncCPU, syncWall, err := measure(n, func() error {
		if err := commit(); err != nil {
			return err
		}
		return f.Sync()
	})
	if err != nil {
		return err
	}
	// On a disk whose sync is free (tmpfs) the difference is noise around
	// zero: it is reported as zero, never below.
	us := func(d time.Duration) float64 { return max(0, float64(d.Nanoseconds())/1e3/float64(n)) }
	fmt.Fprintf(w, "mode=disk dir=%s commits=%d frames=%d frame-write-cpu=%.1fus fsync-cpu=%.1fus fsync-wall=%.1fus\n",
		dir, n, diskFrames, us(writeCPU)/diskFrames, us(syncCPU-writeCPU), us(syncWall-writeWall))
	return nil
}

// measure runs fn n times and returns the process's CPU time and the wall
// time it took.
func measure(n int, fn func() error) (cpu, wall time.Duration, err error) {
	c0, err := cputime.Process()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	for range n {
		if err := fn(); err != nil {
			return 0, 0, err
		}
	}
	wall = time.Since(start)
	c1, err := cputime.Process()
	return c1 - c0, wall, err
}

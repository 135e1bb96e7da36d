package sqlite

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestCheckpointsLeaveTheWriter: the writer's connection checkpoints only
// past the backstop (not at SQLite's default 1,000 pages), and the
// checkpointer copies every committed frame after a burst of commits, so
// the next write starts the log afresh instead of growing it.
func TestCheckpointsLeaveTheWriter(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	var pages int
	if err := db.w.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if pages != writerBackstopPages {
		t.Fatalf("writer wal_autocheckpoint = %d, want %d", pages, writerBackstopPages)
	}
	if err := db.write(ctx, func(tx *wtx) error { return tx.exec(ctx, `CREATE TABLE scratch (b BLOB)`) }); err != nil {
		t.Fatal(err)
	}
	// More than SQLite's default threshold of 1,000 pages, in many commits.
	blob := bytes.Repeat([]byte{0xa5}, 16<<10)
	insert := func(n int) int64 {
		for i := 0; i < n; i++ {
			if err := db.write(ctx, func(tx *wtx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO scratch (b) VALUES (?)`, blob)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		return db.commits.Load()
	}
	after := insert(300)
	r := waitCheckpoint(t, db, after)
	if r.Busy != 0 || r.Log == 0 || r.Copied != r.Log {
		t.Fatalf("checkpoint after 300 commits of 16 KiB = %+v, want every frame copied", r)
	}
	// One 16 KiB row is a handful of frames: a log that kept growing would
	// hold hundreds.
	after = insert(1)
	r = waitCheckpoint(t, db, after)
	if r.Log > 50 || r.Copied != r.Log {
		t.Fatalf("checkpoint after one more commit = %+v, want a restarted log of a few frames, copied whole", r)
	}
}

// waitCheckpoint waits for a checkpointer run that began after commit
// number commits and returns its outcome. An earlier run may still end
// after that commit: it reports the log as it was, not what the commit did.
func waitCheckpoint(t *testing.T, db *DB, commits int64) checkpointResult {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if r := db.lastCheckpoint.Load(); r != nil && r.After >= commits {
			return *r
		}
		if time.Now().After(deadline) {
			t.Fatal("the checkpointer did not run within 30 s of a commit")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

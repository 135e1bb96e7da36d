package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// WAL checkpoints run on their own connection and goroutine, not inside the
// writer's commits. With SQLite's default (wal_autocheckpoint=1000), the
// commit that pushes the log past 1,000 pages copies them all into the
// database file and syncs it before it returns, and every request waiting
// on the single writer waits for that copy: under POST load that was the
// stall that left the cores idle while requests queued. A PASSIVE checkpoint
// on another connection copies the same pages while the writer goes on
// appending; the writer then restarts the log at its next transaction once
// everything was copied and no reader still needs the old frames.
const (
	// checkpointEvery is the longest the checkpointer waits after a commit.
	// Copying a batch of commits at once costs fewer syncs of the database
	// file than copying each.
	checkpointEvery = 100 * time.Millisecond

	// writerBackstopPages is the writer's own wal_autocheckpoint: only if
	// the checkpointer falls this far behind (64 MiB of log) does a commit
	// copy pages itself, so the log cannot grow without bound.
	writerBackstopPages = 16384
)

// checkpointParams are the checkpointer connection's: it never writes rows.
const checkpointParams = "_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)"

// checkpointer copies committed WAL frames into the database file after
// commits, until the store closes.
func (db *DB) checkpointer() {
	defer close(db.cpDone)
	for {
		select {
		case <-db.closing:
			return
		case <-db.committed:
		}
		select {
		case <-db.closing:
			return
		case <-time.After(checkpointEvery):
		}
		before := db.commits.Load()
		r, err := db.checkpoint(context.Background())
		if err != nil {
			slog.Warn("sqlite: background checkpoint failed; the writer's own checkpoint is the backstop", "err", err)
			continue
		}
		r.After = before
		db.lastCheckpoint.Store(&r)
	}
}

// checkpointResult is what PRAGMA wal_checkpoint reports: whether it was
// blocked, the frames in the log, and how many of them are now in the
// database file; After is how many commits came before the run began.
type checkpointResult struct {
	Busy, Log, Copied int
	After             int64
}

// checkpoint runs one PASSIVE checkpoint: it copies what it can without
// waiting for the writer or any reader.
func (db *DB) checkpoint(ctx context.Context) (checkpointResult, error) {
	var r checkpointResult
	err := db.cp.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&r.Busy, &r.Log, &r.Copied)
	return r, err
}

// noteCommit wakes the checkpointer; a wake-up already pending covers this
// commit too.
func (db *DB) noteCommit() {
	db.commits.Add(1)
	select {
	case db.committed <- struct{}{}:
	default:
	}
}

// openCheckpointer opens the checkpointer's one connection.
func openCheckpointer(ctx context.Context, path string) (*sql.DB, error) {
	cp, err := sql.Open("sqlite", path+"?"+checkpointParams)
	if err != nil {
		return nil, err
	}
	cp.SetMaxOpenConns(1)
	cp.SetMaxIdleConns(1)
	cp.SetConnMaxLifetime(0)
	cp.SetConnMaxIdleTime(0)
	if err := cp.PingContext(ctx); err != nil {
		cp.Close()
		return nil, err
	}
	return cp, nil
}

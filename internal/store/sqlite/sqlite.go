// Package sqlite is the SQLite backend of walletwallet.Store (modernc.org/sqlite,
// pure Go). One writer connection serialises every write transaction, which
// starts with BEGIN IMMEDIATE so concurrent writers queue on the lock instead
// of failing with SQLITE_BUSY; a pool of query-only connections serves reads
// from the WAL concurrently.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/migrations"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// DB is a walletwallet.Store on one SQLite file.
type DB struct {
	w  *sql.DB // the only writer: MaxOpenConns(1)
	r  *sql.DB // query-only readers
	cp *sql.DB // the checkpointer's one connection (checkpoint.go)
	ws *stmts  // prepared statements of w
	rd reader  // r with prepared statements

	ops        chan *writeOp // to the writer goroutine
	closing    chan struct{}
	writerDone chan struct{}
	committed  chan struct{} // wakes the checkpointer
	cpDone     chan struct{}
	// commits counts this handle's commits and lastCheckpoint keeps the
	// latest checkpoint's outcome, with the commits before it began (for
	// tests: a run that began before a commit says nothing about it).
	commits        atomic.Int64
	lastCheckpoint atomic.Pointer[checkpointResult]
	closeOnce      sync.Once

	mu   sync.Mutex
	subs map[chan struct{}]struct{}
	// hooks is set once any webhook exists: only then can a recorded event
	// have queued a delivery worth waking the runner for.
	hooks atomic.Bool
}

// busy_timeout comes first: the other pragmas may need a lock that another
// process (the CLI writing next to serve) holds for a moment. The writer
// leaves checkpoints to the checkpointer (checkpoint.go) up to a backstop.
var (
	writerParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(writerBackstopPages) + ")&_txlock=immediate"
	readerParams = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=query_only(1)"
)

// Open opens (creating if needed) the database file at path and applies
// pending migrations.
func Open(ctx context.Context, path string) (_ *DB, err error) {
	defer walletwallet.Wrap(&err, "sqlite.Open(%q)", path)
	if path == "" || path == ":memory:" {
		// Separate reader and writer pools would each see their own memory database.
		return nil, errors.New("a file path is required")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	if err := ownerOnly(path); err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", path+"?"+writerParams)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", path+"?"+readerParams)
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, 2*runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	cp, err := openCheckpointer(ctx, path)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	db := &DB{w: w, r: r, cp: cp, ws: newStmts(w), rd: reader{newStmts(r)}, subs: make(map[chan struct{}]struct{}),
		ops: make(chan *writeOp), closing: make(chan struct{}), writerDone: make(chan struct{}),
		committed: make(chan struct{}, 1), cpDone: make(chan struct{})}
	var anyHook bool
	if err := r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks)`).Scan(&anyHook); err != nil {
		w.Close()
		r.Close()
		cp.Close()
		return nil, err
	}
	db.hooks.Store(anyHook)
	go db.writer()
	go db.checkpointer()
	return db, nil
}

// ownerOnly creates the database file readable and writable by its owner
// only, before SQLite opens it: the file holds every pass's authentication
// token. SQLite gives the -wal and -shm files it creates the database file's
// mode, so they follow. Files an older version left wider are narrowed.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return err
			}
		}
	}
	return nil
}

// migrate connects the writer and applies pending migrations. Two processes
// (serve and a CLI command) starting on a fresh file at once collide twice:
// switching the new file to WAL can fail with SQLITE_BUSY without waiting,
// and goose holds no lock on SQLite, so the loser's migration fails on a
// table the winner has just created (its transaction rolls back whole).
// Trying again then finds the other's work done.
func migrate(ctx context.Context, w *sql.DB) error {
	for attempt := 1; ; attempt++ {
		err := w.PingContext(ctx)
		if err == nil {
			err = migrations.UpSQLite(ctx, w)
		}
		if err == nil || attempt == 5 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
}

// Ping checks both pools can reach the file.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite ping: %w", err)
	}
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite ping: %w", err)
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.closing) })
	<-db.writerDone
	<-db.cpDone
	db.ws.close()
	db.rd.close()
	// The writer closes last: the last connection to close checkpoints
	// the whole log and removes it.
	return errors.Join(db.cp.Close(), db.r.Close(), db.w.Close())
}

// PushJobNotifications signals the returned channel after every committed
// enqueue of a push job by this handle. Other processes do not enqueue jobs
// on SQLite (only serve writes passes), so in-process signals suffice.
func (db *DB) PushJobNotifications(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	db.mu.Lock()
	db.subs[ch] = struct{}{}
	db.mu.Unlock()
	go func() {
		<-ctx.Done()
		db.mu.Lock()
		delete(db.subs, ch)
		db.mu.Unlock()
	}()
	return ch
}

func (db *DB) notifyPushJob() {
	db.mu.Lock()
	defer db.mu.Unlock()
	for ch := range db.subs {
		// The buffer of one holds a pending wake-up; more would say nothing new.
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// write runs fn in a write transaction and returns its error, or the
// commit's. The single writer goroutine runs the functions that are waiting
// together in one transaction, each inside its own savepoint, so one fsync
// commits a whole group: with synchronous=FULL (nothing that was answered 2xx
// is lost, even on power failure) that keeps throughput where NORMAL had it.
// A function's error rolls back only its own savepoint; the others commit.
// write waits for the outcome even if ctx ends: once handed over, the
// operation either commits or fails for everyone in the group.
func (db *DB) write(ctx context.Context, fn func(tx *wtx) error) error {
	op := &writeOp{fn: fn, done: make(chan error, 1)}
	select {
	case db.ops <- op:
	case <-db.closing:
		return errClosed
	}
	return <-op.done
}

var errClosed = errors.New("sqlite: database is closed")

// maxGroup bounds how many operations share one transaction.
const maxGroup = 64

type writeOp struct {
	fn   func(tx *wtx) error
	done chan error
}

// writer is the one goroutine that writes: it takes whatever operations are
// waiting and commits them as a group.
func (db *DB) writer() {
	defer close(db.writerDone)
	group := make([]*writeOp, 0, maxGroup)
	for {
		select {
		case op := <-db.ops:
			group = append(group[:0], op)
		case <-db.closing:
			return
		}
	more:
		for len(group) < maxGroup {
			select {
			case op := <-db.ops:
				group = append(group, op)
			default:
				break more
			}
		}
		db.commitGroup(group)
	}
}

func (db *DB) commitGroup(group []*writeOp) {
	// The callers' contexts are not used for the transaction: cancelling one
	// would interrupt SQLite, which rolls back the whole transaction.
	ctx := context.Background()
	errs := make([]error, len(group))
	t := &wtx{s: db.ws}
	fail := func(err error) {
		for _, op := range group {
			op.done <- err
		}
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	t.tx = tx
	if len(group) == 1 {
		errs[0] = group[0].fn(t)
		if errs[0] != nil {
			tx.Rollback()
			db.prepareMissed(ctx, t.missed)
			group[0].done <- errs[0]
			return
		}
	} else {
		for i, op := range group {
			// The two fixed savepoint statements come from the cache; the
			// rare rollback (two statements in one text) is compiled each time.
			if _, err := t.ExecContext(ctx, "SAVEPOINT op"); err != nil {
				tx.Rollback()
				fail(err)
				return
			}
			errs[i] = op.fn(t)
			var err error
			if errs[i] == nil {
				_, err = t.ExecContext(ctx, "RELEASE op")
			} else {
				err = t.exec(ctx, "ROLLBACK TO op; RELEASE op")
			}
			if err != nil {
				// The transaction is no longer sound: nobody's work commits.
				tx.Rollback()
				fail(err)
				return
			}
		}
	}
	err = tx.Commit()
	if err == nil {
		db.noteCommit()
	}
	db.prepareMissed(ctx, t.missed)
	if err == nil && t.recorded && db.hooks.Load() {
		db.notifyPushJob()
	}
	for i, op := range group {
		if errs[i] == nil {
			errs[i] = err
		}
		op.done <- errs[i]
	}
}

// prepareMissed caches the statements a transaction ran uncached, now that
// the writer's connection is free again. A failure only means they stay uncached.
func (db *DB) prepareMissed(ctx context.Context, queries []string) {
	for _, q := range queries {
		db.ws.get(ctx, q)
	}
}

// millis stores times as integer Unix milliseconds.
func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// msTime scans an integer-millisecond column into a time.Time.
func msTime(t *time.Time) any { return (*millisTime)(t) }

type millisTime time.Time

func (m *millisTime) Scan(v any) error {
	ms, ok := v.(int64)
	if !ok {
		return fmt.Errorf("sqlite: time column holds %T, want integer milliseconds", v)
	}
	*m = millisTime(fromMillis(ms))
	return nil
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// countUsage adds one to the account's counter for q.Month unless it has
// reached q.Limit; EQUOTA otherwise. The conditional upsert is the whole
// check, so it stays exact however many requests race.
func countUsage(ctx context.Context, tx *wtx, accountID int64, q walletwallet.Quota) error {
	if q.Limit <= 0 {
		return rules.QuotaReached(q)
	}
	var n int64
	err := tx.QueryRowContext(ctx, `
		INSERT INTO usage (account_id, month, count) VALUES (?, ?, 1)
		ON CONFLICT (account_id, month) DO UPDATE SET count = usage.count + 1
		WHERE usage.count < ?
		RETURNING count`, accountID, q.Month, q.Limit).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return rules.QuotaReached(q)
	}
	return err
}

// nullBytes keeps an absent blob NULL rather than an empty value.
func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

package rules

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Rehasher runs a TemplateChange's Rehash over the rows a store reads, on
// every core, while the store goes on reading. A template change's answer
// waits for the rehash of every pass of the template; on one goroutine the
// 100,000-pass benchmark spent half of it rendering and hashing while the
// other core idled, and the reading (SQLite's row steps, pgx's decoding)
// can overlap with it.
//
// The result is the one a loop over the rows in order gives: the counts of
// the passes whose hash changed, and, when Rehash fails, the error of the
// first failing row in reading order (the caller's message names that
// pass), whichever goroutine met it. Rehash must be safe for concurrent use.
type Rehasher struct {
	rehash func(serial string, values []byte) (string, error)
	work   chan []RehashRow
	wg     sync.WaitGroup

	workers int
	started bool        // the workers are running
	batch   []RehashRow // rows not yet handed to a worker
	next    int         // reading index of the next row added
	failed  atomic.Bool // a row has failed (err is set)

	mu               sync.Mutex // guards the fields below
	changed, devices int
	passType         string
	err              error
	errAt            int // reading index of err's row
}

// RehashRow is one active pass as a change reads it. Values must not be
// reused by the caller after Add.
type RehashRow struct {
	PassType, Serial, Hash string
	Registrations          int
	Values                 []byte
	index                  int
}

// rehashBatch rows go to a worker at a time: enough to make the hand-off
// negligible next to ~2 µs of work a row, few enough that a small template
// still spreads over the cores.
const rehashBatch = 256

// NewRehasher returns a Rehasher for rehash.
func NewRehasher(rehash func(serial string, values []byte) (string, error)) *Rehasher {
	n := max(1, runtime.GOMAXPROCS(0))
	return &Rehasher{rehash: rehash, workers: n}
}

// Add queues one row. It returns false once a row has failed: the caller
// can stop reading, the result no longer depends on later rows.
func (r *Rehasher) Add(row RehashRow) bool {
	if r.failed.Load() {
		return false
	}
	row.index = r.next
	r.next++
	if r.batch == nil {
		r.batch = make([]RehashRow, 0, rehashBatch)
	}
	r.batch = append(r.batch, row)
	if len(r.batch) == rehashBatch {
		r.flush()
	}
	return true
}

func (r *Rehasher) flush() {
	if len(r.batch) == 0 {
		return
	}
	if !r.started {
		r.started = true
		r.work = make(chan []RehashRow, r.workers)
		for range r.workers {
			r.wg.Add(1)
			go r.worker()
		}
	}
	r.work <- r.batch
	r.batch = nil
}

func (r *Rehasher) worker() {
	defer r.wg.Done()
	for rows := range r.work {
		r.run(rows)
	}
}

// run rehashes rows in order, stopping at the first failure, and adds its
// counts under the lock once.
func (r *Rehasher) run(rows []RehashRow) {
	changed, devices, passType := 0, 0, ""
	for _, row := range rows {
		h, err := r.rehash(row.Serial, row.Values)
		if err != nil {
			r.mu.Lock()
			if r.err == nil || row.index < r.errAt {
				r.err, r.errAt = err, row.index
			}
			r.mu.Unlock()
			r.failed.Store(true)
			return // this batch's counts no longer matter
		}
		if h != row.Hash {
			changed++
			devices += row.Registrations
			passType = row.PassType
		}
	}
	r.mu.Lock()
	r.changed += changed
	r.devices += devices
	if passType != "" {
		r.passType = passType
	}
	r.mu.Unlock()
}

// Wait rehashes what is left and returns the result (see Rehasher). The
// caller calls it once, also when reading failed, so no goroutine outlives
// the change.
func (r *Rehasher) Wait() (changed, devices int, passType string, err error) {
	if !r.started {
		// A template of one batch or less: no goroutine is worth starting.
		rows := r.batch
		r.batch = nil
		r.run(rows)
	} else {
		r.flush()
		close(r.work)
		r.wg.Wait()
	}
	if r.err != nil {
		return 0, 0, "", r.err
	}
	return r.changed, r.devices, r.passType, nil
}

package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// memQueue is one kind's table in memory with the store's lease semantics.
type memQueue struct {
	mu   sync.Mutex
	rows map[int64]*memRow
}

type memRow struct {
	owner    string
	until    time.Time
	attempts int
	done     bool
}

type memJob struct {
	id       int64
	attempts int
}

func (j memJob) JobID() int64     { return j.id }
func (j memJob) JobAttempts() int { return j.attempts }
func (j memJob) LogAttrs() []any  { return nil }

func newQueue(ids ...int64) *memQueue {
	q := &memQueue{rows: map[int64]*memRow{}}
	for _, id := range ids {
		q.rows[id] = &memRow{}
	}
	return q
}

func (q *memQueue) Claim(_ context.Context, owner string, now, until time.Time) (Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for id := int64(1); id <= int64(len(q.rows)); id++ {
		r := q.rows[id]
		if r != nil && !r.done && r.until.Before(now) {
			r.owner, r.until = owner, until
			r.attempts++
			return memJob{id, r.attempts}, nil
		}
	}
	return nil, nil
}

func (q *memQueue) SetLease(_ context.Context, id int64, owner string, until time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	r := q.rows[id]
	if r == nil || r.done || r.owner != owner {
		return walletwallet.Errorf(walletwallet.ECONFLICT, "not leased")
	}
	r.until = until
	return nil
}

func (q *memQueue) row(id int64) memRow {
	q.mu.Lock()
	defer q.mu.Unlock()
	return *q.rows[id]
}

// steal gives the job to someone else, as another instance would after an expiry.
func (q *memQueue) steal(id int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.rows[id].owner = "thief"
}

type handlerFunc func(ctx context.Context, owner string, j Job) (Outcome, error)

func (f handlerFunc) Work(ctx context.Context, owner string, j Job) (Outcome, error) {
	return f(ctx, owner, j)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func start(t *testing.T, o Options, kinds ...Kind) (stop func()) {
	t.Helper()
	o.Logger = quiet()
	r := New(o)
	for _, k := range kinds {
		r.Register(k)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func report(t *testing.T, ch chan Report) Report {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("no report: the runner is stuck")
		return Report{}
	}
}

func TestRunnerOutcomes(t *testing.T) {
	t.Run("finished job is not worked again", func(t *testing.T) {
		q := newQueue(1)
		reports := make(chan Report, 10)
		start(t, Options{Poll: 5 * time.Millisecond}, Kind{Name: "k", Queue: q, Done: func(r Report) { reports <- r },
			Handler: handlerFunc(func(_ context.Context, _ string, j Job) (Outcome, error) {
				q.mu.Lock()
				q.rows[j.JobID()].done = true
				q.mu.Unlock()
				return Finished, nil
			})})
		if r := report(t, reports); r.Outcome != Finished || r.Kind != "k" {
			t.Fatalf("report %+v", r)
		}
		select {
		case r := <-reports:
			t.Fatalf("worked again: %+v", r)
		case <-time.After(50 * time.Millisecond):
		}
	})
	t.Run("retry moves the lease by the backoff", func(t *testing.T) {
		q := newQueue(1)
		reports := make(chan Report, 10)
		start(t, Options{Poll: time.Hour}, Kind{Name: "k", Queue: q, Done: func(r Report) { reports <- r },
			Backoff: func(int) time.Duration { return time.Hour },
			Handler: handlerFunc(func(context.Context, string, Job) (Outcome, error) {
				return Retry, errors.New("devices still failing")
			})})
		before := time.Now()
		if r := report(t, reports); r.Outcome != Retry || r.Err == nil {
			t.Fatalf("report %+v", r)
		}
		if until := q.row(1).until; until.Before(before.Add(59 * time.Minute)) {
			t.Fatalf("lease until %v, want about an hour on", until)
		}
	})
	t.Run("lost lease cancels the handler", func(t *testing.T) {
		q := newQueue(1)
		reports := make(chan Report, 10)
		start(t, Options{Lease: 30 * time.Millisecond, Poll: time.Hour}, Kind{Name: "k", Queue: q, Done: func(r Report) { reports <- r },
			Handler: handlerFunc(func(ctx context.Context, _ string, j Job) (Outcome, error) {
				q.steal(j.JobID())
				<-ctx.Done() // the heartbeat must notice within Lease/3
				if !errors.Is(context.Cause(ctx), ErrLeaseLost) {
					t.Errorf("cause %v, want ErrLeaseLost", context.Cause(ctx))
				}
				return Retry, nil
			})})
		if r := report(t, reports); r.Outcome != Lost {
			t.Fatalf("report %+v, want lost", r)
		}
		if row := q.row(1); row.owner != "thief" {
			t.Fatalf("owner %q: a lost job must stay with its new owner", row.owner)
		}
	})
	t.Run("shutdown gives the job back at once", func(t *testing.T) {
		q := newQueue(1)
		reports := make(chan Report, 10)
		working := make(chan struct{})
		stop := start(t, Options{Poll: time.Hour}, Kind{Name: "k", Queue: q, Done: func(r Report) { reports <- r },
			Handler: handlerFunc(func(ctx context.Context, _ string, _ Job) (Outcome, error) {
				close(working)
				<-ctx.Done()
				return Retry, nil
			})})
		<-working
		stop()
		if r := report(t, reports); r.Outcome != Stopped {
			t.Fatalf("report %+v, want stopped", r)
		}
		if until := q.row(1).until; time.Until(until) > time.Second {
			t.Fatalf("lease runs until %v: a stopping runner must give the job back", until)
		}
	})
}

// The one wake-up path: with an hour's poll, only a signal makes the runner
// look again, for every registered kind.
func TestWakeReachesEveryKind(t *testing.T) {
	qa, qb := newQueue(), newQueue()
	wake := make(chan struct{})
	reports := make(chan Report, 10)
	finish := handlerFunc(func(context.Context, string, Job) (Outcome, error) { return Finished, nil })
	start(t, Options{Poll: time.Hour, Wake: wake},
		Kind{Name: "a", Queue: qa, Handler: finish, Done: func(r Report) { reports <- r }},
		Kind{Name: "b", Queue: qb, Handler: finish, Done: func(r Report) { reports <- r }})
	time.Sleep(20 * time.Millisecond) // let the first look find nothing
	qa.mu.Lock()
	qa.rows[1] = &memRow{}
	qa.mu.Unlock()
	qb.mu.Lock()
	qb.rows[1] = &memRow{}
	qb.mu.Unlock()
	wake <- struct{}{}
	got := map[string]bool{}
	for range 2 {
		got[report(t, reports).Kind] = true
	}
	if !got["a"] || !got["b"] {
		t.Fatalf("kinds worked after the wake-up: %v", got)
	}
}

// Package jobs runs durable jobs: rows in a table of the store that one
// process at a time leases, works, and finishes or gives back. The runner
// owns the machinery every kind of job shares — claiming, the lease and its
// heartbeat, stopping when the lease is lost, giving the job back on
// shutdown, backing off after a failed run, and waking up — and a kind only
// says how to claim its rows and how to work one (push fan-out is one kind;
// webhook delivery and template fan-out are others).
//
// The guarantees follow from the lease: a job whose process died is free
// again once its lease (15 s by default) runs out, and every runner looks
// for free jobs at least every Poll, so a restarted process resumes within
// Lease+Poll and another instance takes over within the same time. A job is
// worked by at most one owner at a time as long as clocks agree to within
// the lease; a handler that loses its lease has its context cancelled.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/walletwallet/walletwallet"
)

// Job is a claimed job as the runner sees it.
type Job interface {
	// JobID is the job's row id, the key of its lease.
	JobID() int64
	// JobAttempts counts the claims of the job, this one included.
	JobAttempts() int
	// LogAttrs names the job in logs (e.g. "pass", "pass.x/serial").
	LogAttrs() []any
}

// Queue is the lease side of one kind's table.
type Queue interface {
	// Claim leases the oldest job that is due (lease free or expired) to
	// owner until leaseUntil; nil, nil when there is none.
	Claim(ctx context.Context, owner string, now, leaseUntil time.Time) (Job, error)
	// SetLease moves owner's lease of the job to until; ECONFLICT when
	// owner no longer holds it (another took it, or it is finished).
	SetLease(ctx context.Context, jobID int64, owner string, until time.Time) error
}

// Outcome is how one run of a job ended.
type Outcome string

// Outcomes of a run.
const (
	Finished Outcome = "finished" // the handler finished the job (and removed or closed its row)
	Retry    Outcome = "retry"    // not done yet: claimable again after a backoff, progress kept
	Lost     Outcome = "lost"     // another owner holds the lease now
	Stopped  Outcome = "stopped"  // the runner is shutting down: the lease is given back at once
	Failed   Outcome = "error"    // the store failed: claimable again after a backoff
)

// ErrLeaseLost is the cause of a handler's context when the lease is lost:
// another owner has the job, or renewals failed until the lease ran out.
var ErrLeaseLost = errors.New("jobs: lease lost")

// Handler works one claimed job of a kind. ctx is cancelled when the lease
// is lost (cause ErrLeaseLost) or the runner stops. The handler finishes
// the job in the store itself (in the same statement that checks the
// lease) and returns Finished; Retry or Failed with the reason otherwise.
// An ECONFLICT from a lease-guarded store call means Lost.
type Handler interface {
	Work(ctx context.Context, owner string, job Job) (Outcome, error)
}

// Kind is one kind of durable job registered with a runner.
type Kind struct {
	Name    string
	Queue   Queue
	Handler Handler
	// Concurrency bounds jobs of this kind worked at once (default 4).
	Concurrency int
	// Backoff is how long a run that ended Retry or Failed keeps the job
	// before it is due again (default: 2 s doubling per attempt up to a
	// minute, jittered).
	Backoff func(attempts int) time.Duration
	// Done, if set, is called after each run (reports, tests, metrics).
	Done func(Report)
}

// Report describes one run of a job.
type Report struct {
	Kind     string
	Job      Job
	Outcome  Outcome
	Err      error
	Duration time.Duration
}

// Options configures a Runner; zero fields take the defaults noted.
type Options struct {
	Logger *slog.Logger // default slog.Default()
	// Owner names this process in leases; unique per process (default DefaultOwner()).
	Owner string
	// Lease is how long a claimed job stays ours without a heartbeat
	// (default 15 s); the heartbeat renews it every Lease/3.
	Lease time.Duration
	// Poll is how often the runner looks for due jobs without being woken
	// (default 1 s): expired leases are found this way.
	Poll time.Duration
	// Wake is the one wake-up path: a signal means "a job was enqueued,
	// look now" (the store's notifications: in-process on SQLite, LISTEN
	// on PostgreSQL, which reaches every instance). Optional.
	Wake <-chan struct{}
	// Now is the clock for leases (default time.Now).
	Now func() time.Time
}

// Runner works the registered kinds until its context ends.
type Runner struct {
	o     Options
	log   *slog.Logger
	kinds []*Kind
}

// New builds a Runner; register the kinds before Run.
func New(o Options) *Runner {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Owner == "" {
		o.Owner = DefaultOwner()
	}
	if o.Lease <= 0 {
		o.Lease = 15 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Runner{o: o, log: o.Logger.With("owner", o.Owner)}
}

// Owner is the name this runner leases jobs under.
func (r *Runner) Owner() string { return r.o.Owner }

// Register adds a kind; Queue and Handler are required.
func (r *Runner) Register(k Kind) {
	if k.Queue == nil || k.Handler == nil || k.Name == "" {
		panic("jobs: a Kind needs a Name, a Queue and a Handler")
	}
	if k.Concurrency <= 0 {
		k.Concurrency = 4
	}
	if k.Backoff == nil {
		k.Backoff = DefaultBackoff
	}
	r.kinds = append(r.kinds, &k)
}

// DefaultOwner is a lease owner name unique to this process: hostname-pid-random.
func DefaultOwner() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "host"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// DefaultBackoff is 2 s doubling per attempt up to a minute, jittered to
// [d/2, d).
func DefaultBackoff(attempts int) time.Duration {
	d := time.Minute
	if attempts < 5 {
		d = 2 * time.Second << max(attempts, 0)
	}
	return d/2 + mrand.N(d/2)
}

// Run works jobs until ctx is done, then waits for the jobs in hand to stop
// and give their leases back, and returns nil.
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	// Room for every job in hand, so a job ending after Run returned never
	// blocks the wait below.
	slots := 0
	for _, k := range r.kinds {
		slots += k.Concurrency
	}
	done := make(chan *Kind, slots)
	active := make(map[*Kind]int, len(r.kinds))
	wake := r.o.Wake
	timer := time.NewTimer(r.o.Poll)
	defer timer.Stop()
	for {
		for _, k := range r.kinds {
			for active[k] < k.Concurrency && ctx.Err() == nil {
				job := r.claim(ctx, k)
				if job == nil {
					break
				}
				active[k]++
				wg.Add(1)
				go func() {
					defer wg.Done()
					r.work(ctx, k, job)
					done <- k
				}()
			}
		}
		timer.Reset(r.o.Poll)
		select {
		case <-ctx.Done():
			return nil
		case k := <-done:
			active[k]--
		case _, ok := <-wake:
			if !ok {
				wake = nil
			}
		case <-timer.C:
		}
	}
}

func (r *Runner) claim(ctx context.Context, k *Kind) Job {
	now := r.o.Now()
	job, err := k.Queue.Claim(ctx, r.o.Owner, now, now.Add(r.o.Lease))
	if err != nil {
		if ctx.Err() == nil {
			r.log.Error("claim job", "kind", k.Name, "err", err)
		}
		return nil
	}
	if job == nil {
		return nil
	}
	// Operators can see which instance is working a job while it runs.
	r.log.Info("job claimed", append([]any{"kind", k.Name, "job", job.JobID(), "attempt", job.JobAttempts()}, job.LogAttrs()...)...)
	return job
}

func (r *Runner) work(ctx context.Context, k *Kind, job Job) {
	start := time.Now()
	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	hbStop := make(chan struct{})
	hbDone := make(chan struct{})
	go r.heartbeat(jctx, k, job.JobID(), cancel, hbStop, hbDone)

	outcome, err := k.Handler.Work(jctx, r.o.Owner, job)
	// The heartbeat must be gone before the lease is set below, or it
	// could renew the lease we are about to shorten.
	close(hbStop)
	<-hbDone
	if walletwallet.ErrorCode(err) == walletwallet.ECONFLICT {
		outcome = Lost
	}
	// A finished job stays finished even if a heartbeat raced the finish
	// and saw the lease gone.
	if jctx.Err() != nil && outcome != Finished {
		if errors.Is(context.Cause(jctx), ErrLeaseLost) {
			outcome = Lost
		} else {
			outcome = Stopped
		}
	}
	switch outcome {
	case Stopped:
		// Give the job back at once so a surviving instance takes it.
		r.setLease(k, job.JobID(), r.o.Now())
	case Retry, Failed:
		r.setLease(k, job.JobID(), r.o.Now().Add(k.Backoff(job.JobAttempts())))
	}
	if k.Done != nil {
		k.Done(Report{Kind: k.Name, Job: job, Outcome: outcome, Err: err, Duration: time.Since(start)})
	}
}

// setLease moves our lease to until, even while shutting down.
func (r *Runner) setLease(k *Kind, jobID int64, until time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := k.Queue.SetLease(ctx, jobID, r.o.Owner, until)
	if err != nil && walletwallet.ErrorCode(err) != walletwallet.ECONFLICT {
		r.log.Warn("set job lease", "kind", k.Name, "job", jobID, "err", err)
	}
}

// heartbeat renews the lease every Lease/3 and cancels the job when another
// owner has it, or when the lease ran out because renewals kept failing: past
// that point someone else may be working the job.
func (r *Runner) heartbeat(ctx context.Context, k *Kind, jobID int64, cancel context.CancelCauseFunc, stop, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(max(r.o.Lease/3, time.Millisecond))
	defer tick.Stop()
	validUntil := r.o.Now().Add(r.o.Lease)
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		until := r.o.Now().Add(r.o.Lease)
		err := k.Queue.SetLease(ctx, jobID, r.o.Owner, until)
		switch {
		case err == nil:
			validUntil = until
		case walletwallet.ErrorCode(err) == walletwallet.ECONFLICT:
			cancel(ErrLeaseLost)
			return
		case ctx.Err() != nil:
			return
		default:
			r.log.Warn("renew job lease", "kind", k.Name, "job", jobID, "err", err)
			if !r.o.Now().Before(validUntil) {
				cancel(ErrLeaseLost)
				return
			}
		}
	}
}

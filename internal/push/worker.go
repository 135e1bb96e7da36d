package push

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/walletwallet/walletwallet"
)

// Queue is the part of walletwallet.Store the worker needs.
type Queue interface {
	ClaimPushJob(ctx context.Context, owner string, now, leaseUntil time.Time) (*walletwallet.PushJob, error)
	ExtendPushLease(ctx context.Context, jobID int64, owner string, leaseUntil time.Time) error
	PushTargets(ctx context.Context, passTypeID, serial string, afterID int64, limit int) ([]walletwallet.PushTarget, error)
	AdvancePushJob(ctx context.Context, jobID int64, owner string, cursor int64) error
	FinishPushJob(ctx context.Context, jobID int64, owner string, at time.Time) error
	DeleteRegistrationsByToken(ctx context.Context, pushToken string) (int, error)
}

// WorkerOptions configures a Worker; zero fields take the defaults noted.
type WorkerOptions struct {
	Queue  Queue
	Pusher Pusher
	Logger *slog.Logger // default slog.Default()
	// Owner names this process in leases; unique per process
	// (default hostname-pid-random).
	Owner string
	// Lease is how long a claimed job stays ours without a heartbeat
	// (default 15 s); the heartbeat renews it every Lease/3.
	Lease time.Duration
	// Poll is the fallback interval for looking for jobs (default 1 s).
	Poll time.Duration
	// PageSize is how many registrations are read and pushed before the
	// cursor is saved (default 1000).
	PageSize int
	// Concurrency bounds pushes in flight across all jobs (default 256).
	// Against the real APNs, throughput is about Concurrency / round trip.
	Concurrency int
	// Jobs bounds jobs worked at once (default 4).
	Jobs int
	// RetryFor is how long one token's 429/5xx/network failures are retried
	// within a page before the job is put back for later (default 30 s).
	RetryFor time.Duration
	// RetryBase and RetryMax shape the per-token exponential backoff with
	// full jitter (defaults 100 ms and 5 s).
	RetryBase, RetryMax time.Duration
	// Wake delivers store notifications (Postgres LISTEN/NOTIFY) so new
	// jobs are picked up at once; optional.
	Wake <-chan struct{}
	// Now is the clock for leases (default time.Now). Retry budgets use
	// the monotonic clock so a frozen test clock cannot stall them.
	Now func() time.Time
	// OnJob, if set, is called after each run of a job (tests, metrics).
	OnJob func(JobReport)
}

// Outcome is how one run of a job ended.
type Outcome string

// Outcomes of a job run.
const (
	OutcomeFinished Outcome = "finished" // every registration was pushed
	OutcomeRetry    Outcome = "retry"    // tokens kept failing: lease pushed out, cursor kept
	OutcomeLost     Outcome = "lost"     // another owner holds the lease now
	OutcomeStopped  Outcome = "stopped"  // the worker is shutting down; lease released
	OutcomeError    Outcome = "error"    // the queue failed; lease pushed out
)

// JobReport describes one run of a job.
type JobReport struct {
	Job      walletwallet.PushJob // as claimed
	Outcome  Outcome
	Cursor   int64 // the cursor last saved (Job.Cursor when none)
	Pushed   int   // devices APNs accepted a push for
	Removed  int   // tokens APNs called dead, registrations deleted
	Failed   int   // tokens rejected or still failing
	Duration time.Duration
	Err      error
}

// Worker drains the durable push queue. See the package comment for the design.
type Worker struct {
	o    WorkerOptions
	log  *slog.Logger
	kick chan struct{}
	sem  chan struct{} // one slot per push in flight, shared by all jobs
}

// NewWorker builds a Worker; Queue and Pusher are required.
func NewWorker(o WorkerOptions) *Worker {
	if o.Queue == nil || o.Pusher == nil {
		panic("push: NewWorker needs a Queue and a Pusher")
	}
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
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 256
	}
	if o.Jobs <= 0 {
		o.Jobs = 4
	}
	if o.RetryFor <= 0 {
		o.RetryFor = 30 * time.Second
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 100 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Worker{
		o:    o,
		log:  o.Logger.With("component", "push", "owner", o.Owner),
		kick: make(chan struct{}, 1),
		sem:  make(chan struct{}, o.Concurrency),
	}
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

// Kick tells the worker a job was just enqueued in this process: look now.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run works jobs until ctx is done and returns nil then, after the jobs in
// hand have stopped and their leases were released.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	done := make(chan struct{}, w.o.Jobs)
	active := 0
	wake := w.o.Wake
	timer := time.NewTimer(w.o.Poll)
	defer timer.Stop()
	for {
		for active < w.o.Jobs && ctx.Err() == nil {
			now := w.o.Now()
			job, err := w.o.Queue.ClaimPushJob(ctx, w.o.Owner, now, now.Add(w.o.Lease))
			if err != nil {
				if ctx.Err() == nil {
					w.log.Error("claim push job", "err", err)
				}
				break
			}
			if job == nil {
				break
			}
			// Operators can see which instance is working a fan-out while it runs.
			w.log.Info("push job claimed", "job", job.ID, "pass_type_id", job.PassTypeID, "serial", job.Serial,
				"cursor", job.Cursor, "attempt", job.Attempts, "owner", w.o.Owner)
			active++
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.work(ctx, job)
				done <- struct{}{}
			}()
		}
		timer.Reset(w.o.Poll)
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			active--
		case <-w.kick:
		case _, ok := <-wake:
			if !ok {
				wake = nil
			}
		case <-timer.C:
		}
	}
}

// errLeaseLost is the cancel cause when another owner took the job or our
// lease ran out without a successful heartbeat.
var errLeaseLost = errors.New("push: lease lost")

// jobRun is the state of one job being worked.
type jobRun struct {
	job     walletwallet.PushJob
	pushed  atomic.Int64
	removed atomic.Int64
	failed  atomic.Int64
	// unsettled counts tokens of the current page that still fail.
	unsettled atomic.Int64

	mu       sync.Mutex
	problems map[string]int // "403 BadCertificate" → count, for the summary
}

// problem counts a failure and reports whether it is the first of its kind
// in this job, so each kind is logged once rather than once per device.
func (j *jobRun) problem(key string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.problems == nil {
		j.problems = map[string]int{}
	}
	j.problems[key]++
	return j.problems[key] == 1
}

func (j *jobRun) problemSummary() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	keys := make([]string, 0, len(j.problems))
	for k := range j.problems {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s×%d", k, j.problems[k])
	}
	return b.String()
}

func (w *Worker) work(ctx context.Context, job *walletwallet.PushJob) {
	start := time.Now()
	run := &jobRun{job: *job}
	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	hbStop := make(chan struct{})
	hbDone := make(chan struct{})
	go w.heartbeat(jctx, job.ID, cancel, hbStop, hbDone)

	cursor, outcome, err := w.drain(jctx, run)
	// The heartbeat must be gone before the lease is set below, or it
	// could renew the lease we are about to shorten.
	close(hbStop)
	<-hbDone

	// A finished job stays finished even if a heartbeat raced the finish
	// and saw the lease gone.
	if jctx.Err() != nil && outcome != OutcomeFinished {
		if errors.Is(context.Cause(jctx), errLeaseLost) {
			outcome = OutcomeLost
		} else {
			outcome = OutcomeStopped
		}
	}
	switch outcome {
	case OutcomeStopped:
		// Give the job back at once so a surviving instance takes it.
		w.setLease(job.ID, w.o.Now())
	case OutcomeRetry, OutcomeError:
		w.setLease(job.ID, w.o.Now().Add(jobBackoff(job.Attempts)))
	}

	rep := JobReport{
		Job:      *job,
		Outcome:  outcome,
		Cursor:   cursor,
		Pushed:   int(run.pushed.Load()),
		Removed:  int(run.removed.Load()),
		Failed:   int(run.failed.Load()),
		Duration: time.Since(start),
		Err:      err,
	}
	attrs := []any{
		"job", job.ID, "pass", job.PassTypeID + "/" + job.Serial, "outcome", string(outcome),
		"pushed", rep.Pushed, "removed", rep.Removed, "failed", rep.Failed,
		"cursor", cursor, "duration", rep.Duration.Round(time.Millisecond),
	}
	if p := run.problemSummary(); p != "" {
		attrs = append(attrs, "problems", p)
	}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	switch outcome {
	case OutcomeFinished:
		w.log.Info("push job finished", attrs...)
	case OutcomeStopped:
		w.log.Info("push job stopped", attrs...)
	case OutcomeError:
		w.log.Error("push job failed, will retry", attrs...)
	default:
		w.log.Warn("push job interrupted", attrs...)
	}
	if w.o.OnJob != nil {
		w.o.OnJob(rep)
	}
}

// setLease moves our lease to until, even while shutting down.
func (w *Worker) setLease(jobID int64, until time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := w.o.Queue.ExtendPushLease(ctx, jobID, w.o.Owner, until)
	if err != nil && walletwallet.ErrorCode(err) != walletwallet.ECONFLICT {
		w.log.Warn("set push lease", "job", jobID, "err", err)
	}
}

// heartbeat renews the lease every Lease/3 and cancels the job when another
// owner has it, or when the lease ran out because renewals kept failing: past
// that point someone else may be working the job.
func (w *Worker) heartbeat(ctx context.Context, jobID int64, cancel context.CancelCauseFunc, stop, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(max(w.o.Lease/3, time.Millisecond))
	defer tick.Stop()
	validUntil := w.o.Now().Add(w.o.Lease)
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		until := w.o.Now().Add(w.o.Lease)
		err := w.o.Queue.ExtendPushLease(ctx, jobID, w.o.Owner, until)
		switch {
		case err == nil:
			validUntil = until
		case walletwallet.ErrorCode(err) == walletwallet.ECONFLICT:
			cancel(errLeaseLost)
			return
		case ctx.Err() != nil:
			return
		default:
			w.log.Warn("renew push lease", "job", jobID, "err", err)
			if !w.o.Now().Before(validUntil) {
				cancel(errLeaseLost)
				return
			}
		}
	}
}

// drain pushes page after page from the job's cursor. The cursor is saved
// only once a page has settled, so a crash repeats at most one page.
func (w *Worker) drain(ctx context.Context, run *jobRun) (cursor int64, _ Outcome, _ error) {
	job := &run.job
	cursor = job.Cursor
	for {
		targets, err := w.o.Queue.PushTargets(ctx, job.PassTypeID, job.Serial, cursor, w.o.PageSize)
		if err != nil {
			return cursor, OutcomeError, fmt.Errorf("push targets: %w", err)
		}
		if len(targets) > 0 {
			run.unsettled.Store(0)
			w.pushPage(ctx, run, targets)
			if ctx.Err() != nil {
				return cursor, OutcomeStopped, nil
			}
			if n := run.unsettled.Load(); n > 0 {
				return cursor, OutcomeRetry, fmt.Errorf("%d devices of the page still failing after %s", n, w.o.RetryFor)
			}
		}
		if len(targets) < w.o.PageSize {
			// A short page is the last: finishing makes saving its
			// cursor pointless.
			err := w.o.Queue.FinishPushJob(ctx, job.ID, w.o.Owner, w.o.Now())
			return cursor, w.queueOutcome(err, OutcomeFinished), err
		}
		last := targets[len(targets)-1].RegistrationID
		if err := w.o.Queue.AdvancePushJob(ctx, job.ID, w.o.Owner, last); err != nil {
			return cursor, w.queueOutcome(err, ""), err
		}
		cursor = last
	}
}

func (w *Worker) queueOutcome(err error, ok Outcome) Outcome {
	switch {
	case err == nil:
		return ok
	case walletwallet.ErrorCode(err) == walletwallet.ECONFLICT:
		return OutcomeLost
	default:
		return OutcomeError
	}
}

// pushPage pushes every distinct token of the page, Concurrency at a time
// across all jobs, and returns when each has settled or ctx is done. A few
// long-lived goroutines share the page rather than one per push, so their
// grown stacks are reused.
func (w *Worker) pushPage(ctx context.Context, run *jobRun, targets []walletwallet.PushTarget) {
	seen := make(map[string]struct{}, len(targets))
	toks := make([]string, 0, len(targets))
	for _, t := range targets {
		if _, dup := seen[t.PushToken]; !dup {
			seen[t.PushToken] = struct{}{}
			toks = append(toks, t.PushToken)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(w.o.Concurrency, len(toks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case w.sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				i := int(next.Add(1)) - 1
				if i >= len(toks) {
					<-w.sem
					return
				}
				w.pushOne(ctx, run, toks[i])
				<-w.sem
			}
		}()
	}
	wg.Wait()
}

// pushOne pushes one token and acts on APNs' answer, retrying 429, 5xx and
// transport failures with exponential backoff and full jitter for RetryFor.
func (w *Worker) pushOne(ctx context.Context, run *jobRun, token string) {
	topic := run.job.PassTypeID
	deadline := time.Now().Add(w.o.RetryFor)
	for attempt := 0; ; attempt++ {
		r := w.o.Pusher.Push(ctx, topic, token)
		switch {
		case r.Err == nil && r.Status == http.StatusOK:
			run.pushed.Add(1)
			return
		case r.Err == nil && (r.Status == http.StatusGone ||
			r.Status == http.StatusBadRequest && r.Reason == ReasonBadDeviceToken):
			w.removeToken(ctx, run, token, r)
			return
		case r.Err == nil && r.Status != http.StatusTooManyRequests && r.Status < 500:
			w.rejected(run, token, r)
			return
		}
		// Retryable: 429, 5xx or no answer at all.
		if ctx.Err() != nil {
			run.unsettled.Add(1)
			return
		}
		d := backoff(attempt, w.o.RetryBase, w.o.RetryMax)
		if time.Until(deadline) < d {
			run.unsettled.Add(1)
			run.failed.Add(1)
			key := describe(r)
			if run.problem("retry exhausted " + key) {
				w.log.Warn("APNs push still failing, job will be retried later",
					"job", run.job.ID, "topic", topic, "token", short(token), "last", key, "attempts", attempt+1)
			}
			return
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			run.unsettled.Add(1)
			return
		}
	}
}

func (w *Worker) removeToken(ctx context.Context, run *jobRun, token string, r Result) {
	n, err := w.o.Queue.DeleteRegistrationsByToken(ctx, token)
	if err != nil {
		// The registration stays; the next push to it gets the same answer.
		run.failed.Add(1)
		w.log.Warn("delete dead push token", "token", short(token), "err", err)
		return
	}
	run.removed.Add(1)
	w.log.Debug("APNs token dead, registrations removed", "token", short(token),
		"status", r.Status, "reason", r.Reason, "registrations", n)
}

// rejected handles answers that retrying cannot fix: each kind is logged
// once per job, loudly when it means our configuration is wrong.
func (w *Worker) rejected(run *jobRun, token string, r Result) {
	run.failed.Add(1)
	key := describe(r)
	if !run.problem(key) {
		return
	}
	attrs := []any{"job", run.job.ID, "topic", run.job.PassTypeID, "token", short(token),
		"status", r.Status, "reason", r.Reason}
	switch {
	case r.Status == http.StatusBadRequest && r.Reason == ReasonDeviceTokenNotForTopic:
		w.log.Error("APNs: device token not for topic — the pass type identifier does not match "+
			"the APNs certificate or key; registrations kept", attrs...)
	case r.Status == http.StatusForbidden:
		w.log.Error("APNs refused our credentials (certificate or provider token)", attrs...)
	default:
		w.log.Warn("APNs rejected push", attrs...)
	}
}

func describe(r Result) string {
	if r.Err != nil {
		return "transport error"
	}
	if r.Reason == "" {
		return fmt.Sprint(r.Status)
	}
	return fmt.Sprintf("%d %s", r.Status, r.Reason)
}

// short keeps logs useful without writing whole device tokens.
func short(token string) string {
	if len(token) <= 8 {
		return token
	}
	return token[:8] + "…"
}

// backoff is exponential with full jitter: uniform in [0, min(ceiling, base·2^n)).
func backoff(attempt int, base, ceiling time.Duration) time.Duration {
	d := ceiling
	if attempt < 32 {
		if e := base << attempt; e > 0 && e < ceiling {
			d = e
		}
	}
	if d <= 0 {
		return 0
	}
	return mrand.N(d)
}

// jobBackoff is how long a job that could not settle a page waits before it
// may be claimed again: 2 s doubling per attempt up to a minute, jittered.
func jobBackoff(attempts int) time.Duration {
	d := time.Minute
	if attempts < 5 {
		d = 2 * time.Second << max(attempts, 0)
	}
	return d/2 + mrand.N(d/2)
}

package push

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jobs"
)

// KindName is the push fan-out's job kind.
const KindName = "push"

// Queue is the part of walletwallet.Store the push fan-out needs.
type Queue interface {
	ClaimPushJob(ctx context.Context, owner string, now, leaseUntil time.Time) (*walletwallet.PushJob, error)
	ExtendPushLease(ctx context.Context, jobID int64, owner string, leaseUntil time.Time) error
	PushTargets(ctx context.Context, passTypeID, serial string, afterID int64, limit int) ([]walletwallet.PushTarget, error)
	AdvancePushJob(ctx context.Context, jobID int64, owner string, cursor int64) error
	FinishPushJob(ctx context.Context, jobID int64, owner string) error
	DeleteRegistrationsByToken(ctx context.Context, pushToken string) (int, error)
}

// FanoutOptions configures the push fan-out; zero fields take the defaults noted.
type FanoutOptions struct {
	Queue  Queue
	Pusher Pusher
	Logger *slog.Logger // default slog.Default()
	// PageSize is how many registrations are read and pushed before the
	// cursor is saved (default 1000).
	PageSize int
	// FoldBatch is how many passes a template job folds per transaction
	// (default FoldBatchSize).
	FoldBatch int
	// Concurrency bounds pushes in flight across all jobs (default 256).
	// Against the real APNs, throughput is about Concurrency / round trip.
	Concurrency int
	// Jobs bounds fan-outs worked at once (default 4).
	Jobs int
	// RetryFor is how long one token's 429/5xx/network failures are retried
	// within a page before the job is put back for later (default 30 s).
	RetryFor time.Duration
	// RetryBase and RetryMax shape the per-token exponential backoff with
	// full jitter (defaults 100 ms and 5 s).
	RetryBase, RetryMax time.Duration
	// OnJob, if set, is called after each run of a job (tests, metrics).
	OnJob func(JobReport)
	// Results, if set, counts every push outcome (internal/metrics).
	Results Results
}

// Results counts push outcomes: "sent", "unregistered" (token dead,
// registrations removed), "retried" (one more attempt after a 429, 5xx or
// transport failure) and "failed" (rejected, retries exhausted, or the dead
// token could not be removed).
type Results interface {
	Push(result string)
}

// JobReport describes one run of a fan-out job.
type JobReport struct {
	Job      walletwallet.PushJob // as claimed
	Outcome  jobs.Outcome
	Cursor   int64 // the cursor last saved (Job.Cursor when none)
	Pushed   int   // devices APNs accepted a push for
	Removed  int   // tokens APNs called dead, registrations deleted
	Failed   int   // tokens rejected or still failing
	Duration time.Duration
	Err      error
}

// Fanout is the push fan-out job kind: it pages through the registrations
// of a changed pass, pushes each device once, and saves its cursor after
// each settled page. See the package comment for the design.
type Fanout struct {
	o   FanoutOptions
	log *slog.Logger
	sem chan struct{} // one slot per push in flight, shared by all jobs
}

// NewFanout builds the fan-out; Queue and Pusher are required.
func NewFanout(o FanoutOptions) *Fanout {
	if o.Queue == nil || o.Pusher == nil {
		panic("push: NewFanout needs a Queue and a Pusher")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.FoldBatch <= 0 {
		o.FoldBatch = FoldBatchSize
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
	return &Fanout{o: o, log: o.Logger.With("component", "push"), sem: make(chan struct{}, o.Concurrency)}
}

// Kind is the fan-out as a job kind to register with a jobs.Runner.
func (f *Fanout) Kind() jobs.Kind {
	return jobs.Kind{Name: KindName, Queue: queue{f.o.Queue}, Handler: f, Concurrency: f.o.Jobs, Done: f.report}
}

// queue adapts the store's push job methods to jobs.Queue.
type queue struct{ q Queue }

func (q queue) Claim(ctx context.Context, owner string, now, until time.Time) (jobs.Job, error) {
	j, err := q.q.ClaimPushJob(ctx, owner, now, until)
	if err != nil || j == nil {
		return nil, err
	}
	return &jobRun{job: *j, cursor: j.Cursor}, nil
}

func (q queue) SetLease(ctx context.Context, jobID int64, owner string, until time.Time) error {
	return q.q.ExtendPushLease(ctx, jobID, owner, until)
}

// jobRun is one claimed fan-out and the state of its run.
type jobRun struct {
	job walletwallet.PushJob
	// tmpl is set for a template fan-out (job then names its template).
	tmpl    *walletwallet.TemplatePushJob
	cursor  int64 // the cursor last saved
	pushed  atomic.Int64
	removed atomic.Int64
	failed  atomic.Int64
	// unsettled counts tokens of the current page that still fail.
	unsettled atomic.Int64

	mu       sync.Mutex
	problems map[string]int // "403 BadCertificate" → count, for the summary
}

func (j *jobRun) JobID() int64     { return j.job.ID }
func (j *jobRun) JobAttempts() int { return j.job.Attempts }
func (j *jobRun) LogAttrs() []any {
	return []any{"pass_type_id", j.job.PassTypeID, "serial", j.job.Serial, "cursor", j.job.Cursor}
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

// Work pushes page after page from the job's cursor. The cursor is saved
// only once a page has settled, so a crash repeats at most one page.
func (f *Fanout) Work(ctx context.Context, owner string, j jobs.Job) (jobs.Outcome, error) {
	run := j.(*jobRun)
	job := &run.job
	for {
		targets, err := f.o.Queue.PushTargets(ctx, job.PassTypeID, job.Serial, run.cursor, f.o.PageSize)
		if err != nil {
			return jobs.Failed, fmt.Errorf("push targets: %w", err)
		}
		if len(targets) > 0 {
			run.unsettled.Store(0)
			f.pushPage(ctx, run, targets)
			if ctx.Err() != nil {
				return jobs.Stopped, nil
			}
			if n := run.unsettled.Load(); n > 0 {
				return jobs.Retry, fmt.Errorf("%d devices of the page still failing after %s", n, f.o.RetryFor)
			}
		}
		if len(targets) < f.o.PageSize {
			// A short page is the last: finishing makes saving its
			// cursor pointless.
			if err := f.o.Queue.FinishPushJob(ctx, job.ID, owner); err != nil {
				return jobs.Failed, err
			}
			return jobs.Finished, nil
		}
		last := targets[len(targets)-1].RegistrationID
		if err := f.o.Queue.AdvancePushJob(ctx, job.ID, owner, last); err != nil {
			return jobs.Failed, err
		}
		run.cursor = last
	}
}

// report logs the run's summary and hands it to OnJob.
func (f *Fanout) report(r jobs.Report) {
	run := r.Job.(*jobRun)
	job := run.job
	rep := JobReport{
		Job:      job,
		Outcome:  r.Outcome,
		Cursor:   run.cursor,
		Pushed:   int(run.pushed.Load()),
		Removed:  int(run.removed.Load()),
		Failed:   int(run.failed.Load()),
		Duration: r.Duration,
		Err:      r.Err,
	}
	attrs := []any{
		"job", job.ID, "pass", job.PassTypeID + "/" + job.Serial, "outcome", string(r.Outcome),
		"pushed", rep.Pushed, "removed", rep.Removed, "failed", rep.Failed,
		"cursor", rep.Cursor, "duration", rep.Duration.Round(time.Millisecond),
	}
	if p := run.problemSummary(); p != "" {
		attrs = append(attrs, "problems", p)
	}
	if r.Err != nil {
		attrs = append(attrs, "err", r.Err)
	}
	switch r.Outcome {
	case jobs.Finished:
		f.log.Info("push job finished", attrs...)
	case jobs.Stopped:
		f.log.Info("push job stopped", attrs...)
	case jobs.Failed:
		f.log.Error("push job failed, will retry", attrs...)
	default:
		f.log.Warn("push job interrupted", attrs...)
	}
	if f.o.OnJob != nil {
		f.o.OnJob(rep)
	}
}

package push

import (
	"context"
	"log/slog"
	"time"

	"github.com/walletwallet/walletwallet/internal/jobs"
)

// WorkerOptions is a fan-out and the runner that schedules it, as the server
// wires them, in one literal for the tests.
type WorkerOptions struct {
	Queue                         Queue
	Pusher                        Pusher
	Logger                        *slog.Logger
	Owner                         string
	Lease, Poll                   time.Duration
	PageSize, Concurrency, Jobs   int
	RetryFor, RetryBase, RetryMax time.Duration
	Wake                          <-chan struct{}
	Now                           func() time.Time
	OnJob                         func(JobReport)
	Results                       Results
}

// Worker is a runner with the push kind registered.
type Worker struct{ r *jobs.Runner }

func NewWorker(o WorkerOptions) *Worker {
	f := NewFanout(FanoutOptions{
		Queue: o.Queue, Pusher: o.Pusher, Logger: o.Logger, PageSize: o.PageSize, Concurrency: o.Concurrency,
		Jobs: o.Jobs, RetryFor: o.RetryFor, RetryBase: o.RetryBase, RetryMax: o.RetryMax, OnJob: o.OnJob,
		Results: o.Results,
	})
	r := jobs.New(jobs.Options{Logger: o.Logger, Owner: o.Owner, Lease: o.Lease, Poll: o.Poll, Wake: o.Wake, Now: o.Now})
	r.Register(f.Kind())
	return &Worker{r}
}

func (w *Worker) Run(ctx context.Context) error { return w.r.Run(ctx) }

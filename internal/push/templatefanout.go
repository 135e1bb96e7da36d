package push

import (
	"context"
	"fmt"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jobs"
)

// TemplateKindName is the template fan-out's job kind: one job per template
// change, over every device of the passes it gave a new version.
const TemplateKindName = "template-push"

// TemplateQueue is the part of walletwallet.Store the template fan-out needs.
type TemplateQueue interface {
	ClaimTemplatePushJob(ctx context.Context, owner string, now, leaseUntil time.Time) (*walletwallet.TemplatePushJob, error)
	ExtendTemplatePushLease(ctx context.Context, jobID int64, owner string, leaseUntil time.Time) error
	TemplatePushTargets(ctx context.Context, job *walletwallet.TemplatePushJob, limit int) ([]walletwallet.TemplatePushTarget, error)
	AdvanceTemplatePushJob(ctx context.Context, jobID int64, owner string, serial string, regID int64) error
	FinishTemplatePushJob(ctx context.Context, jobID int64, owner string) error
}

// TemplateKind is the template fan-out as a job kind. It shares the
// fan-out's pushes in flight, retries and token handling; only the pages
// differ: registrations of many passes in (serial, registration id) order,
// the cursor saved after each settled page, so a crash or a takeover
// repeats at most one page.
func (f *Fanout) TemplateKind(q TemplateQueue) jobs.Kind {
	return jobs.Kind{Name: TemplateKindName, Queue: templateQueue{q}, Handler: templateHandler{f, q}, Concurrency: f.o.Jobs, Done: f.report}
}

type templateQueue struct{ q TemplateQueue }

func (q templateQueue) Claim(ctx context.Context, owner string, now, until time.Time) (jobs.Job, error) {
	j, err := q.q.ClaimTemplatePushJob(ctx, owner, now, until)
	if err != nil || j == nil {
		return nil, err
	}
	return &jobRun{
		job:  walletwallet.PushJob{ID: j.ID, PassTypeID: j.PassTypeID, Serial: "template " + j.TemplateID, CreatedAt: j.CreatedAt, Attempts: j.Attempts},
		tmpl: j,
	}, nil
}

func (q templateQueue) SetLease(ctx context.Context, jobID int64, owner string, until time.Time) error {
	return q.q.ExtendTemplatePushLease(ctx, jobID, owner, until)
}

type templateHandler struct {
	f *Fanout
	q TemplateQueue
}

// Work pushes page after page from the job's cursor.
func (h templateHandler) Work(ctx context.Context, owner string, j jobs.Job) (jobs.Outcome, error) {
	f, run := h.f, j.(*jobRun)
	job := *run.tmpl
	for {
		page, err := h.q.TemplatePushTargets(ctx, &job, f.o.PageSize)
		if err != nil {
			return jobs.Failed, fmt.Errorf("template push targets: %w", err)
		}
		if len(page) > 0 {
			targets := make([]walletwallet.PushTarget, len(page))
			for i, t := range page {
				targets[i] = walletwallet.PushTarget{RegistrationID: t.RegistrationID, PushToken: t.PushToken}
			}
			run.unsettled.Store(0)
			f.pushPage(ctx, run, targets)
			if ctx.Err() != nil {
				return jobs.Stopped, nil
			}
			if n := run.unsettled.Load(); n > 0 {
				return jobs.Retry, fmt.Errorf("%d devices of the page still failing after %s", n, f.o.RetryFor)
			}
		}
		if len(page) < f.o.PageSize {
			if err := h.q.FinishTemplatePushJob(ctx, job.ID, owner); err != nil {
				return jobs.Failed, err
			}
			return jobs.Finished, nil
		}
		last := page[len(page)-1]
		if err := h.q.AdvanceTemplatePushJob(ctx, job.ID, owner, last.Serial, last.RegistrationID); err != nil {
			return jobs.Failed, err
		}
		job.CursorSerial, job.CursorID = last.Serial, last.RegistrationID
		run.cursor = last.RegistrationID
	}
}

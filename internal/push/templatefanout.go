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
	TemplatePushTargets(ctx context.Context, job *walletwallet.TemplatePushJob, upTo string, limit int) ([]walletwallet.TemplatePushTarget, error)
	AdvanceTemplatePushJob(ctx context.Context, jobID int64, owner string, serial string, regID int64) error
	FinishTemplatePushJob(ctx context.Context, jobID int64, owner string) error
}

// TemplateFolder folds a template's revision into its passes, a batch at a
// time in serial order (passes.Renderer.FoldBatch).
type TemplateFolder interface {
	FoldBatch(ctx context.Context, templateID, passTypeID, after string, limit int) (*walletwallet.TemplateFoldResult, error)
}

// FoldBatchSize is how many passes one fold transaction takes unless
// FanoutOptions.FoldBatch says otherwise.
const FoldBatchSize = 1000

// TemplateKind is the template fan-out as a job kind. It shares the
// fan-out's pushes in flight, retries and token handling; only the pages
// differ: it folds the revision into a batch of passes (serial order),
// then pushes the registrations of those that changed in (serial,
// registration id) order, the cursor saved after each settled page, so a
// crash or a takeover repeats at most one page; the fold resumes from the
// cursor (everything before it is folded, and a fold is idempotent).
func (f *Fanout) TemplateKind(q TemplateQueue, folder TemplateFolder) jobs.Kind {
	return jobs.Kind{Name: TemplateKindName, Queue: templateQueue{q}, Handler: templateHandler{f, q, folder}, Concurrency: f.o.Jobs, Done: f.report}
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
	f      *Fanout
	q      TemplateQueue
	folder TemplateFolder
}

// Work folds batch after batch from the job's cursor and pushes each
// batch's devices once it is folded. The next batch is folded while the
// current one is pushed, and its first page read as soon as both its fold
// committed and the current batch's last page is known (a pass is pushed
// only once its batch committed: the pages stop at the folded bound).
func (h templateHandler) Work(ctx context.Context, owner string, j jobs.Job) (jobs.Outcome, error) {
	run := j.(*jobRun)
	job := *run.tmpl
	pending := h.foldAfter(ctx, &job, job.CursorSerial, nil)
	// A fold still running when the job ends is waited for: it is
	// harmless (idempotent) but belongs to this run.
	defer func() {
		if pending != nil {
			<-pending
		}
	}()
	for {
		out := <-pending
		pending = nil
		if out.err != nil {
			if ctx.Err() != nil {
				return jobs.Stopped, nil
			}
			return jobs.Failed, fmt.Errorf("template fold: %w", out.err)
		}
		upTo := h.bound(out.res)
		// ends hears where this batch's pages end, once push knows.
		var ends chan cursor
		if upTo != "" {
			ends = make(chan cursor, 1)
			pending = h.foldAfter(ctx, &job, upTo, ends)
		}
		outcome, err, more := h.push(ctx, owner, run, &job, upTo, out.first, ends)
		if ends != nil {
			close(ends)
		}
		if !more {
			return outcome, err
		}
		if upTo == "" {
			if err := h.q.FinishTemplatePushJob(ctx, job.ID, owner); err != nil {
				return jobs.Failed, err
			}
			return jobs.Finished, nil
		}
	}
}

// bound is the serial up to which every pass is folded once res is: its
// last, or "" (no bound) when it was the last batch.
func (h templateHandler) bound(res *walletwallet.TemplateFoldResult) string {
	if res.Scanned >= h.f.o.FoldBatch {
		return res.Last
	}
	return ""
}

// cursor is a position in a job's (serial, registration id) order.
type cursor struct {
	serial string
	id     int64
}

// firstPage is a batch's first page of targets, read ahead from a cursor.
type firstPage struct {
	from  cursor
	page  []walletwallet.TemplatePushTarget
	valid bool // false: not read ahead
}

type foldOut struct {
	res   *walletwallet.TemplateFoldResult
	err   error
	first firstPage
}

// foldAfter folds the next batch after serial after in the background.
// With ends, it then waits for the cursor the current batch's pages end at
// and reads the batch's first page from it, so the page is ready when the
// current batch is pushed; ends closed without a cursor means no read.
func (h templateHandler) foldAfter(ctx context.Context, job *walletwallet.TemplatePushJob, after string, ends <-chan cursor) <-chan foldOut {
	ch := make(chan foldOut, 1)
	j := *job
	go func() {
		res, err := h.folder.FoldBatch(ctx, j.TemplateID, j.PassTypeID, after, h.f.o.FoldBatch)
		out := foldOut{res: res, err: err}
		if err == nil && ends != nil {
			if c, ok := <-ends; ok {
				j.CursorSerial, j.CursorID = c.serial, c.id
				// A failed read is not the job's failure: push reads again.
				if page, err := h.q.TemplatePushTargets(ctx, &j, h.bound(res), h.f.o.PageSize+1); err == nil {
					out.first = firstPage{from: c, page: page, valid: true}
				}
			}
		}
		ch <- out
	}()
	return ch
}

// push pushes the job's targets with serials up to upTo from its cursor,
// page by page, saving the cursor after each settled page; more is false
// when the job must end now with outcome and err. first, when read from
// the job's cursor, is its first page; ends, if set, is told the cursor
// the pages end at as soon as the last page is read, before it is pushed.
//
// A page asks for one target more than it pushes, so that with a bound the
// page that gets no more than PageSize is known to be the batch's last
// without reading an empty one after it. Ending a batch early is safe
// either way: the next batch's pages start from the cursor, so whatever a
// short page left out (more passes in the range than the page could take)
// comes with them, and the last batch, unbounded, reads until a page is
// empty.
func (h templateHandler) push(ctx context.Context, owner string, run *jobRun, job *walletwallet.TemplatePushJob, upTo string, first firstPage, ends chan<- cursor) (outcome jobs.Outcome, err error, more bool) {
	f := h.f
	for {
		var page []walletwallet.TemplatePushTarget
		if first.valid && first.from == (cursor{job.CursorSerial, job.CursorID}) {
			page, first = first.page, firstPage{}
		} else if page, err = h.q.TemplatePushTargets(ctx, job, upTo, f.o.PageSize+1); err != nil {
			return jobs.Failed, fmt.Errorf("template push targets: %w", err), false
		}
		if len(page) == 0 {
			if ends != nil {
				ends <- cursor{job.CursorSerial, job.CursorID}
			}
			return jobs.Finished, nil, true
		}
		lastOfBatch := upTo != "" && len(page) <= f.o.PageSize
		page = page[:min(len(page), f.o.PageSize)]
		last := page[len(page)-1]
		if lastOfBatch && ends != nil {
			ends <- cursor{last.Serial, last.RegistrationID}
		}
		targets := make([]walletwallet.PushTarget, len(page))
		for i, t := range page {
			targets[i] = walletwallet.PushTarget{RegistrationID: t.RegistrationID, PushToken: t.PushToken}
		}
		run.unsettled.Store(0)
		f.pushPage(ctx, run, targets)
		if ctx.Err() != nil {
			return jobs.Stopped, nil, false
		}
		if n := run.unsettled.Load(); n > 0 {
			return jobs.Retry, fmt.Errorf("%d devices of the page still failing after %s", n, f.o.RetryFor), false
		}
		if err := h.q.AdvanceTemplatePushJob(ctx, job.ID, owner, last.Serial, last.RegistrationID); err != nil {
			return jobs.Failed, err, false
		}
		job.CursorSerial, job.CursorID = last.Serial, last.RegistrationID
		run.cursor = last.RegistrationID
		if lastOfBatch {
			return jobs.Finished, nil, true
		}
	}
}

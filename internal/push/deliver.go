package push

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/walletwallet/walletwallet"
)

// APNs delivery: one page of a fan-out pushed token by token, and what each
// of APNs' answers means for the registration.

// pushPage pushes every distinct token of the page, Concurrency at a time
// across all jobs, and returns when each has settled or ctx is done. A few
// long-lived goroutines share the page rather than one per push, so their
// grown stacks are reused.
func (f *Fanout) pushPage(ctx context.Context, run *jobRun, targets []walletwallet.PushTarget) {
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
	for range min(f.o.Concurrency, len(toks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case f.sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				i := int(next.Add(1)) - 1
				if i >= len(toks) {
					<-f.sem
					return
				}
				f.pushOne(ctx, run, toks[i])
				<-f.sem
			}
		}()
	}
	wg.Wait()
}

// pushOne pushes one token and acts on APNs' answer, retrying 429, 5xx and
// transport failures with exponential backoff and full jitter for RetryFor.
func (f *Fanout) pushOne(ctx context.Context, run *jobRun, token string) {
	topic := run.job.PassTypeID
	deadline := time.Now().Add(f.o.RetryFor)
	for attempt := 0; ; attempt++ {
		r := f.o.Pusher.Push(ctx, topic, token)
		switch {
		case r.Err == nil && r.Status == http.StatusOK:
			run.pushed.Add(1)
			f.result("sent")
			return
		case r.Err == nil && (r.Status == http.StatusGone ||
			r.Status == http.StatusBadRequest && r.Reason == ReasonBadDeviceToken):
			f.removeToken(ctx, run, token, r)
			return
		case r.Err == nil && r.Status != http.StatusTooManyRequests && r.Status < 500:
			f.rejected(run, token, r)
			return
		}
		// Retryable: 429, 5xx or no answer at all.
		if ctx.Err() != nil {
			run.unsettled.Add(1)
			return
		}
		d := backoff(attempt, f.o.RetryBase, f.o.RetryMax)
		if time.Until(deadline) < d {
			run.unsettled.Add(1)
			run.failed.Add(1)
			f.result("failed")
			key := describe(r)
			if run.problem("retry exhausted " + key) {
				attrs := []any{"job", run.job.ID, "topic", topic, "token", short(token), "last", key, "attempts", attempt + 1}
				if r.Err != nil {
					// Name the cause (TLS refusal, refused connection, DNS…):
					// "transport error" alone leaves an operator guessing.
					attrs = append(attrs, "cause", r.Err.Error())
				}
				f.log.Warn("APNs push still failing, job will be retried later", attrs...)
			}
			return
		}
		f.result("retried")
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

func (f *Fanout) removeToken(ctx context.Context, run *jobRun, token string, r Result) {
	n, err := f.o.Queue.DeleteRegistrationsByToken(ctx, token)
	if err != nil {
		// The registration stays; the next push to it gets the same answer.
		run.failed.Add(1)
		f.result("failed")
		f.log.Warn("delete dead push token", "token", short(token), "err", err)
		return
	}
	run.removed.Add(1)
	f.result("unregistered")
	f.log.Debug("APNs token dead, registrations removed", "token", short(token),
		"status", r.Status, "reason", r.Reason, "registrations", n)
}

// rejected handles answers that retrying cannot fix: each kind is logged
// once per job, loudly when it means our configuration is wrong.
func (f *Fanout) rejected(run *jobRun, token string, r Result) {
	run.failed.Add(1)
	f.result("failed")
	key := describe(r)
	if !run.problem(key) {
		return
	}
	attrs := []any{"job", run.job.ID, "topic", run.job.PassTypeID, "token", short(token),
		"status", r.Status, "reason", r.Reason}
	switch {
	case r.Status == http.StatusBadRequest && r.Reason == ReasonDeviceTokenNotForTopic:
		f.log.Error("APNs: device token not for topic — the pass type identifier does not match "+
			"the APNs certificate or key; registrations kept", attrs...)
	case r.Status == http.StatusForbidden:
		f.log.Error("APNs refused our credentials (certificate or provider token)", attrs...)
	default:
		f.log.Warn("APNs rejected push", attrs...)
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

// result counts one push outcome, if anyone counts.
func (f *Fanout) result(r string) {
	if f.o.Results != nil {
		f.o.Results.Push(r)
	}
}

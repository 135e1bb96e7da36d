package push

import (
	"context"
	"crypto/x509"
	"fmt"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jobs"
	"github.com/walletwallet/walletwallet/internal/push/apnstest"
)

const testTopic = "pass.test.push"

func tokens(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%060x", prefix, i)
	}
	return out
}

// startWorker runs a worker until the test ends; reports receives each job run.
func startWorker(t *testing.T, o WorkerOptions) (reports chan JobReport, stop func()) {
	t.Helper()
	_, reports, stop = startWorkerB(t, o)
	return reports, stop
}

func startWorkerB(t testing.TB, o WorkerOptions) (w *Worker, reports chan JobReport, stop func()) {
	t.Helper()
	reports = make(chan JobReport, 100)
	prev := o.OnJob
	o.OnJob = func(r JobReport) {
		if prev != nil {
			prev(r)
		}
		reports <- r
	}
	w = NewWorker(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return w, reports, stop
}

// nextReport waits for a job run; the limit only keeps a broken worker from
// hanging the test run.
func nextReport(t *testing.T, reports chan JobReport) JobReport {
	t.Helper()
	select {
	case r := <-reports:
		return r
	case <-time.After(60 * time.Second):
		t.Fatal("no job report: the worker is stuck")
		return JobReport{}
	}
}

func countTokens(reqs []apnstest.Request) map[string]int {
	m := map[string]int{}
	for _, r := range reqs {
		m[r.Token]++
	}
	return m
}

func TestWorkerDrainsEveryTokenOnce(t *testing.T) {
	s := newDouble(t)
	q := newFakeQueue(nil)
	toks := tokens("a", 2500)
	id := q.addPass(testTopic, "serial-1", toks)
	reports, _ := startWorker(t, WorkerOptions{
		Queue: q, Pusher: certClient(t, s, newClientCert(t), 1), Logger: newLogger(&logBuffer{}),
	})
	r := nextReport(t, reports)
	if r.Outcome != jobs.Finished || r.Pushed != 2500 || r.Failed != 0 {
		t.Fatalf("report = %+v, want finished with 2500 pushed", r)
	}
	seen := countTokens(s.Requests())
	for _, tok := range toks {
		if seen[tok] != 1 {
			t.Fatalf("token %s pushed %d times, want 1", tok, seen[tok])
		}
	}
	if len(seen) != len(toks) {
		t.Errorf("double saw %d distinct tokens, want %d", len(seen), len(toks))
	}
	if want := []int64{1000, 2000}; !slices.Equal(q.advances, want) {
		t.Errorf("cursor advances = %v, want %v (after each full page)", q.advances, want)
	}
	if j := q.job(id); !j.done {
		t.Error("job not finished")
	}
}

func TestWorkerAnswers(t *testing.T) {
	const special = "special-token"
	type want struct {
		outcome     jobs.Outcome
		deleted     []string
		specialSeen func(n int) bool
		pushed      int
		log         []string // substrings the log must contain
		// results is what the Results recorder must have counted; -1
		// means "at least once" (the number of retries depends on timing).
		results map[string]int
	}
	tests := []struct {
		name  string
		reply func(nth int) apnstest.Reply // nth request for the special token, from 1
		want  want
	}{
		{
			name:  "410 unregisters",
			reply: func(int) apnstest.Reply { return apnstest.Reply{Status: 410, Reason: "Unregistered"} },
			want:  want{outcome: jobs.Finished, deleted: []string{special}, pushed: 4, results: map[string]int{"sent": 4, "unregistered": 1}},
		},
		{
			name:  "410 with another reason unregisters",
			reply: func(int) apnstest.Reply { return apnstest.Reply{Status: 410, Reason: "ExpiredToken"} },
			want:  want{outcome: jobs.Finished, deleted: []string{special}, pushed: 4, results: map[string]int{"sent": 4, "unregistered": 1}},
		},
		{
			name:  "400 BadDeviceToken unregisters",
			reply: func(int) apnstest.Reply { return apnstest.Reply{Status: 400, Reason: "BadDeviceToken"} },
			want:  want{outcome: jobs.Finished, deleted: []string{special}, pushed: 4, results: map[string]int{"sent": 4, "unregistered": 1}},
		},
		{
			name:  "400 DeviceTokenNotForTopic keeps and logs an error",
			reply: func(int) apnstest.Reply { return apnstest.Reply{Status: 400, Reason: "DeviceTokenNotForTopic"} },
			want: want{outcome: jobs.Finished, pushed: 4,
				log: []string{"level=ERROR", "DeviceTokenNotForTopic", "topic=" + testTopic}, results: map[string]int{"sent": 4, "failed": 1}},
		},
		{
			name:  "403 certificate problem keeps and logs an error",
			reply: func(int) apnstest.Reply { return apnstest.Reply{Status: 403, Reason: "BadCertificateEnvironment"} },
			want:  want{outcome: jobs.Finished, pushed: 4, log: []string{"level=ERROR", "BadCertificateEnvironment"}, results: map[string]int{"sent": 4, "failed": 1}},
		},
		{
			name:  "other 400 keeps and logs",
			reply: func(int) apnstest.Reply { return apnstest.Reply{Status: 400, Reason: "BadTopic"} },
			want:  want{outcome: jobs.Finished, pushed: 4, log: []string{"level=WARN", "BadTopic"}, results: map[string]int{"sent": 4, "failed": 1}},
		},
		{
			name: "429 then 200 is retried and delivered",
			reply: func(n int) apnstest.Reply {
				if n == 1 {
					return apnstest.Reply{Status: 429, Reason: "TooManyRequests"}
				}
				return apnstest.Reply{}
			},
			want: want{outcome: jobs.Finished, pushed: 5, specialSeen: func(n int) bool { return n == 2 }, results: map[string]int{"sent": 5, "retried": 1}},
		},
		{
			name: "503 twice then 200 is retried and delivered",
			reply: func(n int) apnstest.Reply {
				if n <= 2 {
					return apnstest.Reply{Status: 503, Reason: "ServiceUnavailable"}
				}
				return apnstest.Reply{}
			},
			want: want{outcome: jobs.Finished, pushed: 5, specialSeen: func(n int) bool { return n == 3 }, results: map[string]int{"sent": 5, "retried": 2}},
		},
		{
			name:  "persistent 500 keeps the job for later",
			reply: func(int) apnstest.Reply { return apnstest.Reply{Status: 500, Reason: "InternalServerError"} },
			want: want{outcome: jobs.Retry, pushed: 4, specialSeen: func(n int) bool { return n >= 2 },
				log: []string{"still failing"}, results: map[string]int{"sent": 4, "failed": 1, "retried": -1}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newDouble(t)
			var mu sync.Mutex
			nth := 0
			s.Script(func(r apnstest.Request) apnstest.Reply {
				if r.Token != special {
					return apnstest.Reply{}
				}
				mu.Lock()
				nth++
				n := nth
				mu.Unlock()
				return tc.reply(n)
			})
			// A frozen clock: a job put back for later is never re-claimed
			// during the test, so exactly one run is observed.
			t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			now := func() time.Time { return t0 }
			q := newFakeQueue(now)
			toks := tokens("t", 4)
			toks = slices.Insert(toks, 2, special)
			id := q.addPass(testTopic, "s1", toks)
			var logs logBuffer
			results := &resultCounter{n: map[string]int{}}
			reports, _ := startWorker(t, WorkerOptions{
				Queue: q, Pusher: certClient(t, s, newClientCert(t), 1), Logger: newLogger(&logs), Results: results,
				PageSize: 10, RetryFor: 200 * time.Millisecond, RetryBase: time.Millisecond,
				RetryMax: 20 * time.Millisecond, Now: now,
			})
			r := nextReport(t, reports)
			if r.Outcome != tc.want.outcome || r.Pushed != tc.want.pushed {
				t.Errorf("report = %+v, want outcome %s, pushed %d", r, tc.want.outcome, tc.want.pushed)
			}
			q.mu.Lock()
			deleted := slices.Clone(q.deleted)
			q.mu.Unlock()
			if !slices.Equal(deleted, tc.want.deleted) {
				t.Errorf("deleted tokens = %v, want %v", deleted, tc.want.deleted)
			}
			wantRegs := len(toks) - len(tc.want.deleted)
			if n := q.registered(testTopic, "s1"); n != wantRegs {
				t.Errorf("%d registrations left, want %d", n, wantRegs)
			}
			seen := countTokens(s.Requests())
			if tc.want.specialSeen != nil && !tc.want.specialSeen(seen[special]) {
				t.Errorf("special token requested %d times", seen[special])
			}
			for _, tok := range toks {
				if tok != special && seen[tok] != 1 {
					t.Errorf("token %s pushed %d times, want 1", tok, seen[tok])
				}
			}
			j := q.job(id)
			switch tc.want.outcome {
			case jobs.Finished:
				if !j.done {
					t.Error("job not finished")
				}
			case jobs.Retry:
				if j.done || j.Cursor != 0 || len(q.advances) != 0 {
					t.Errorf("job done=%v cursor=%d advances=%v: a failing page must not move on", j.done, j.Cursor, q.advances)
				}
				if j.owner == "" || !j.leaseUntil.After(t0.Add(time.Second)) {
					t.Errorf("lease = %q until %v, want ours and pushed out past now+1s", j.owner, j.leaseUntil)
				}
			}
			got := results.snapshot()
			for _, k := range []string{"sent", "unregistered", "retried", "failed"} {
				w := tc.want.results[k]
				if w == -1 && got[k] < 1 || w != -1 && got[k] != w {
					t.Errorf("results[%s] = %d, want %d (all: %v)", k, got[k], w, got)
				}
			}
			out := logs.String()
			for _, sub := range tc.want.log {
				if !strings.Contains(out, sub) {
					t.Errorf("log lacks %q:\n%s", sub, out)
				}
			}
		})
	}
}

// countingPusher answers 200 and lets a test act on the nth push.
type countingPusher struct {
	n      atomic.Int64
	onPush func(ctx context.Context, n int64, token string) Result
}

func (p *countingPusher) Push(ctx context.Context, topic, token string) Result {
	n := p.n.Add(1)
	if p.onPush != nil {
		return p.onPush(ctx, n, token)
	}
	return Result{Status: http.StatusOK}
}

func TestWorkerStopsWhenLeaseLost(t *testing.T) {
	q := newFakeQueue(nil)
	id := q.addPass(testTopic, "s1", tokens("t", 50))
	cancelled := make(chan struct{})
	p := &countingPusher{}
	p.onPush = func(ctx context.Context, n int64, token string) Result {
		if n != 15 {
			return Result{Status: 200}
		}
		// Another instance takes the job mid-page; this push hangs until
		// the worker notices (next heartbeat) and cancels the job.
		q.steal(id, "thief")
		<-ctx.Done()
		close(cancelled)
		return Result{Err: ctx.Err()}
	}
	reports, _ := startWorker(t, WorkerOptions{
		Queue: q, Pusher: p, Logger: newLogger(&logBuffer{}), PageSize: 10, Lease: 30 * time.Millisecond,
	})
	r := nextReport(t, reports)
	select {
	case <-cancelled:
	default:
		t.Error("the hanging push was not cancelled")
	}
	if r.Outcome != jobs.Lost {
		t.Errorf("outcome = %s, want lost", r.Outcome)
	}
	if n := p.n.Load(); n > 20 {
		t.Errorf("%d pushes, want at most 20: no page may start after the lease is lost", n)
	}
	j := q.job(id)
	if j.done || j.Cursor != 10 || j.owner != "thief" {
		t.Errorf("job done=%v cursor=%d owner=%q, want not done, cursor 10, owned by thief", j.done, j.Cursor, j.owner)
	}
}

func TestWorkerLeaseConflictOnHeartbeat(t *testing.T) {
	// The store says ECONFLICT on renewal (without us seeing the thief).
	q := newFakeQueue(nil)
	id := q.addPass(testTopic, "s1", tokens("t", 5))
	var conflict atomic.Bool
	q.extendHook = func(int64, string) error {
		if conflict.Load() {
			return walletwallet.Errorf(walletwallet.ECONFLICT, "lease lost")
		}
		return nil
	}
	p := &countingPusher{onPush: func(ctx context.Context, n int64, _ string) Result {
		if n == 3 {
			conflict.Store(true)
			<-ctx.Done()
			return Result{Err: ctx.Err()}
		}
		return Result{Status: 200}
	}}
	reports, _ := startWorker(t, WorkerOptions{
		Queue: q, Pusher: p, Logger: newLogger(&logBuffer{}), PageSize: 10, Lease: 30 * time.Millisecond,
	})
	if r := nextReport(t, reports); r.Outcome != jobs.Lost {
		t.Errorf("outcome = %s, want lost", r.Outcome)
	}
	if q.job(id).done {
		t.Error("job finished although the lease was lost")
	}
}

// ownerPusher tracks, per topic (one job per topic here), which workers have
// pushes in flight, and flags two workers on one job at once.
type ownerPusher struct {
	name  string
	inner Pusher
	track *flightTracker
}

type flightTracker struct {
	mu         sync.Mutex
	inFlight   map[string]map[string]int // topic → worker → pushes in flight
	violations []string
}

func (p *ownerPusher) Push(ctx context.Context, topic, token string) Result {
	tr := p.track
	tr.mu.Lock()
	if tr.inFlight[topic] == nil {
		tr.inFlight[topic] = map[string]int{}
	}
	tr.inFlight[topic][p.name]++
	for other, n := range tr.inFlight[topic] {
		if other != p.name && n > 0 {
			tr.violations = append(tr.violations, topic)
		}
	}
	tr.mu.Unlock()
	r := p.inner.Push(ctx, topic, token)
	tr.mu.Lock()
	tr.inFlight[topic][p.name]--
	tr.mu.Unlock()
	return r
}

func TestTwoWorkersNeverShareAJob(t *testing.T) {
	s := newDouble(t)
	// Slow answers widen the window in which a second worker could join.
	s.Script(func(apnstest.Request) apnstest.Reply { return apnstest.Reply{Delay: time.Millisecond} })
	q := newFakeQueue(nil)
	const nJobs, perJob = 6, 300
	for i := range nJobs {
		q.addPass(fmt.Sprintf("pass.test.job%d", i), "s", tokens(fmt.Sprintf("j%d", i), perJob))
	}
	tr := &flightTracker{inFlight: map[string]map[string]int{}}
	client := certClient(t, s, newClientCert(t), 1)
	all := make(chan JobReport, 100)
	for _, name := range []string{"w1", "w2"} {
		startWorker(t, WorkerOptions{
			Queue: q, Pusher: &ownerPusher{name: name, inner: client, track: tr}, Owner: name,
			Logger: newLogger(&logBuffer{}), PageSize: 50, Jobs: 2, Concurrency: 16,
			OnJob: func(r JobReport) { all <- r },
		})
	}
	for range nJobs {
		if r := nextReport(t, all); r.Outcome != jobs.Finished {
			t.Fatalf("report = %+v, want finished", r)
		}
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.violations) > 0 {
		t.Errorf("two workers pushed the same job at once: %v", tr.violations[:min(5, len(tr.violations))])
	}
	seen := countTokens(s.Requests())
	if len(seen) != nJobs*perJob {
		t.Errorf("%d distinct tokens pushed, want %d", len(seen), nJobs*perJob)
	}
	for tok, n := range seen {
		if n != 1 {
			t.Errorf("token %s pushed %d times, want 1", tok, n)
		}
	}
}

func TestWorkerShutdownReleasesLease(t *testing.T) {
	s := newDouble(t)
	s.Hold()
	defer s.Release()
	q := newFakeQueue(nil)
	id := q.addPass(testTopic, "s1", tokens("t", 5))
	reports, stop := startWorker(t, WorkerOptions{
		Queue: q, Pusher: certClient(t, s, newClientCert(t), 1), Logger: newLogger(&logBuffer{}),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitCount(ctx, 5); err != nil {
		t.Fatal(err)
	}
	stop()
	r := nextReport(t, reports)
	if r.Outcome != jobs.Stopped {
		t.Errorf("outcome = %s, want stopped", r.Outcome)
	}
	j := q.job(id)
	if j.done || j.Cursor != 0 {
		t.Errorf("job done=%v cursor=%d: unanswered pushes must not count", j.done, j.Cursor)
	}
	if j.leaseUntil.After(time.Now()) {
		t.Errorf("lease runs until %v: a stopping worker must give the job back", j.leaseUntil)
	}
}

func TestWorkerPicksUpNewJobs(t *testing.T) {
	tests := []struct {
		name   string
		signal func(w *Worker, wake chan struct{})
	}{
		{"Wake channel", func(_ *Worker, wake chan struct{}) { wake <- struct{}{} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := newFakeQueue(nil)
			wake := make(chan struct{})
			reports := make(chan JobReport, 10)
			// An hour's poll: only the signal can make the worker look.
			w := NewWorker(WorkerOptions{
				Queue: q, Pusher: &countingPusher{}, Logger: newLogger(&logBuffer{}),
				Poll: time.Hour, Wake: wake, OnJob: func(r JobReport) { reports <- r },
			})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.Run(ctx) }()
			defer func() { cancel(); <-done }()

			// Only once the worker has looked and found nothing does a
			// new job depend on the signal.
			for q.claims.Load() == 0 {
				runtime.Gosched()
			}
			q.addPass(testTopic, "s1", tokens("t", 3))
			tc.signal(w, wake)
			if r := nextReport(t, reports); r.Outcome != jobs.Finished || r.Pushed != 3 {
				t.Errorf("report = %+v, want 3 pushed", r)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name    string
		attempt int
		ceiling time.Duration
	}{
		{"first", 0, 100 * time.Millisecond},
		{"third", 2, 400 * time.Millisecond},
		{"capped", 10, 5 * time.Second},
		{"huge attempt", 200, 5 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 1000 {
				d := backoff(tc.attempt, 100*time.Millisecond, 5*time.Second)
				if d < 0 || d >= tc.ceiling {
					t.Fatalf("backoff = %v, want in [0, %v)", d, tc.ceiling)
				}
			}
		})
	}
}

// A push that never gets an answer (here: APNs' certificate is not trusted,
// as happens with a wrong WW_APNS_CA) must say why in the log, not only
// "transport error".
func TestTransportErrorNamesItsCause(t *testing.T) {
	s := newDouble(t)
	c, err := NewClient(ClientOptions{BaseURL: s.URL, RootCAs: x509.NewCertPool(), Certificate: ptr(newClientCert(t))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return t0 }
	q := newFakeQueue(now)
	q.addPass(testTopic, "s1", tokens("t", 2))
	var logs logBuffer
	reports, _ := startWorker(t, WorkerOptions{
		Queue: q, Pusher: c, Logger: newLogger(&logs), RetryFor: 50 * time.Millisecond,
		RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond, Now: now,
	})
	if r := nextReport(t, reports); r.Outcome != jobs.Retry || r.Failed != 2 {
		t.Fatalf("report = %+v, want retry with 2 failed", r)
	}
	out := logs.String()
	if !strings.Contains(out, "still failing") || !strings.Contains(out, "cause=") || !strings.Contains(out, "certificate") {
		t.Errorf("log does not name the cause:\n%s", out)
	}
}

func ptr[T any](v T) *T { return &v }

// resultCounter is a Results that remembers the counts.
type resultCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *resultCounter) Push(result string) {
	c.mu.Lock()
	c.n[result]++
	c.mu.Unlock()
}

func (c *resultCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.n)
}

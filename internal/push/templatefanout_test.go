package push

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jobs"
	"github.com/walletwallet/walletwallet/internal/push/apnstest"
	"github.com/walletwallet/walletwallet/internal/store/sqlite"
)

// storeFolder folds with a fixed rule instead of rendering: every pass gets
// the hash of the revision except those in keep.
type storeFolder struct {
	st   *sqlite.DB
	keep map[string]bool
	// calls counts FoldBatch calls; the one numbered failAt (0: none)
	// fails as a store error would, before writing anything.
	calls, failAt *atomic.Int64
}

var errInjectedFold = errors.New("injected: the fold's transaction failed")

func (f storeFolder) FoldBatch(ctx context.Context, templateID, passTypeID, after string, limit int) (*walletwallet.TemplateFoldResult, error) {
	if n := f.calls.Add(1); n == f.failAt.Load() {
		return nil, errInjectedFold
	}
	t, err := f.st.Template(ctx, templateID)
	if err != nil {
		return nil, err
	}
	return f.st.FoldTemplate(ctx, &walletwallet.TemplateFold{TemplateID: templateID, PassTypeID: passTypeID, Rev: t.Rev,
		After: after, Limit: limit, At: time.Now(), Rehash: f.rehash(t.Rev)})
}

// storeWithTemplate is storeWithAccount with a template of the account.
func storeWithTemplate(t *testing.T) (*sqlite.DB, *walletwallet.Account, *walletwallet.Template) {
	t.Helper()
	st, a := storeWithAccount(t)
	tp := &walletwallet.Template{ID: walletwallet.NewTemplateID(), AccountID: a.ID, Name: "card", Design: []byte(`{"d":1}`),
		Defaults: []byte(`{}`), CreatedAt: time.Now().Add(-time.Hour)}
	if err := st.CreateTemplate(context.Background(), tp); err != nil {
		t.Fatal(err)
	}
	return st, a, tp
}

func (f storeFolder) rehash(rev int64) func(serial string, values []byte) (string, error) {
	return func(serial string, values []byte) (string, error) {
		if f.keep[serial] {
			return "h1", nil
		}
		return fmt.Sprintf("h%d", rev), nil
	}
}

// TestTemplateJobOnRealStore runs template jobs on a real SQLite store
// against the APNs double: 25 passes folded a batch, 7 devices a page, one
// push at a time (so a stop leaves a page half sent), so pages end at batch
// bounds and the next batch is folded while one is pushed. Every device of a
// changed pass is pushed once, none of the unchanged pass, each only after
// its pass was folded; a run stopped midway and resumed repeats at most one
// page and misses none.
func TestTemplateJobOnRealStore(t *testing.T) {
	ctx := context.Background()
	st, a, tp := storeWithTemplate(t)
	q := walletwallet.Quota{Month: walletwallet.Month(time.Now()), Limit: 1000}
	// Pass i has i%3 devices; pass 5 keeps its body.
	const n = 60
	var ps []*walletwallet.Pass
	bySerial := map[string]string{} // token → serial
	for i := range n {
		ps = append(ps, &walletwallet.Pass{PassTypeID: testTopic, Serial: fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			AuthToken: strings.Repeat("a", 30) + fmt.Sprintf("%010d", i), AccountID: a.ID, Request: []byte(`{}`), Hash: "h1",
			FirstIssued: tp.CreatedAt, LastModified: tp.CreatedAt, TemplateID: tp.ID, TemplateRev: 1, Values: []byte(`{}`)})
	}
	if err := st.CreatePasses(ctx, ps, q, nil); err != nil {
		t.Fatal(err)
	}
	keep := ps[5].Serial
	var want []string // tokens of the changed passes
	for i, p := range ps {
		for k := range i % 3 {
			tok := fmt.Sprintf("tok-%d-%d", i, k)
			if _, err := st.Register(ctx, &walletwallet.Registration{DeviceID: "dev-" + tok, PushToken: tok, PassTypeID: testTopic, Serial: p.Serial}); err != nil {
				t.Fatal(err)
			}
			bySerial[tok] = p.Serial
			if p.Serial != keep {
				want = append(want, tok)
			}
		}
	}
	folder := storeFolder{st: st, keep: map[string]bool{keep: true}, calls: new(atomic.Int64), failAt: new(atomic.Int64)}

	var mu sync.Mutex
	var pushed []string
	var early []string // pushed before their pass was folded
	wantHash := "h2"
	var onPush func(count int)
	double := newDouble(t, apnstest.WithOnRequest(func(r apnstest.Request) {
		p, err := st.Pass(ctx, testTopic, bySerial[r.Token])
		mu.Lock()
		defer mu.Unlock()
		if err != nil || p.Hash != wantHash {
			early = append(early, r.Token)
		}
		pushed = append(pushed, r.Token)
		if onPush != nil {
			onPush(len(pushed))
		}
	}))
	client := certClient(t, double, newClientCert(t), 1)
	// run works template jobs until one finishes or ctx ends; it returns
	// the reports of its runs.
	run := func(ctx context.Context) []JobReport {
		reports := make(chan JobReport, 10)
		f := NewFanout(FanoutOptions{Queue: st, Pusher: client, Logger: newLogger(&logBuffer{}), PageSize: 7, FoldBatch: 25, Concurrency: 1,
			OnJob: func(r JobReport) { reports <- r }})
		r := jobs.New(jobs.Options{Logger: newLogger(&logBuffer{}), Owner: "w", Poll: 20 * time.Millisecond, Wake: st.PushJobNotifications(ctx)})
		r.Register(f.TemplateKind(st, folder))
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.Run(rctx) }()
		var out []JobReport
		for {
			select {
			case rep := <-reports:
				out = append(out, rep)
				if rep.Outcome != jobs.Finished {
					continue
				}
			case <-ctx.Done():
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("runner: %v", err)
			}
			for {
				select {
				case rep := <-reports:
					out = append(out, rep)
				default:
					return out
				}
			}
		}
	}
	change := func(rev int64) {
		t.Helper()
		res, err := st.UpdateTemplate(ctx, &walletwallet.TemplateChange{ID: tp.ID, AccountID: a.ID, PrevRev: rev - 1, Name: "card",
			Design: fmt.Appendf(nil, `{"d":%d}`, rev), Defaults: []byte(`{}`), At: time.Now(), Rehash: folder.rehash(rev)}, q)
		if err != nil || res.Rev != rev || res.NotifiedDevices != len(want) {
			t.Fatalf("change to rev %d: %+v %v, want %d devices", rev, res, err, len(want))
		}
	}
	counts := func(from int) map[string]int {
		mu.Lock()
		defer mu.Unlock()
		got := map[string]int{}
		for _, tok := range pushed[from:] {
			got[tok]++
		}
		return got
	}

	change(2)
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	reps := run(tctx)
	cancel()
	if len(reps) == 0 || reps[len(reps)-1].Outcome != jobs.Finished {
		t.Fatalf("first change: reports %+v", reps)
	}
	got := counts(0)
	for _, tok := range want {
		if got[tok] != 1 {
			t.Errorf("%s pushed %d times, want once", tok, got[tok])
		}
		delete(got, tok)
	}
	if len(got) > 0 || len(early) > 0 {
		t.Fatalf("pushed beyond the changed passes' devices: %v; before their fold: %v", got, early)
	}

	// The second change's run is stopped at its 20th push, whose answer the
	// double holds back (so the run cannot get further first), then
	// resumed by a new run.
	mu.Lock()
	start := len(pushed)
	wantHash = "h3"
	stopAt := make(chan struct{})
	var once sync.Once
	onPush = func(c int) {
		if c-start >= 20 {
			once.Do(func() {
				double.Hold()
				close(stopAt)
			})
		}
	}
	mu.Unlock()
	change(3)
	sctx, stop := context.WithCancel(ctx)
	go func() {
		select {
		case <-stopAt:
		case <-time.After(30 * time.Second):
		}
		stop()
	}()
	reps = run(sctx)
	var stopped []string
	for _, r := range reps {
		stopped = append(stopped, fmt.Sprintf("%s pushed %d", r.Outcome, r.Pushed))
	}
	if len(reps) == 0 || reps[len(reps)-1].Outcome == jobs.Finished {
		t.Fatalf("stopped run: reports %+v, want it stopped before the end", reps)
	}
	double.Release()
	tctx, cancel = context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	reps = run(tctx)
	if len(reps) == 0 || reps[len(reps)-1].Outcome != jobs.Finished {
		t.Fatalf("resumed run: reports %+v", reps)
	}
	got = counts(start)
	extra := 0
	for _, tok := range want {
		if got[tok] < 1 {
			t.Errorf("%s not pushed after the resume", tok)
		}
		extra += got[tok] - 1
		delete(got, tok)
	}
	if len(got) > 0 || len(early) > 0 {
		t.Fatalf("pushed beyond the changed passes' devices: %v; before their fold: %v", got, early)
	}
	t.Logf("second change: %d pushes for %d devices, stopped run %v", len(pushed)-start, len(want), stopped)
	if extra > 7 {
		t.Fatalf("%d repeated pushes after the resume, want at most one page (7)", extra)
	}

	// The third change's second fold batch fails once: that run ends with
	// the error, the job is claimed again after its backoff, and the next
	// run finishes it. Every changed device is pushed, none before its
	// pass's fold, and at most a page twice.
	mu.Lock()
	start = len(pushed)
	wantHash = "h4"
	onPush = nil
	mu.Unlock()
	folder.failAt.Store(folder.calls.Load() + 2)
	change(4)
	fctx, fcancel := context.WithTimeout(ctx, 60*time.Second)
	defer fcancel()
	reps = run(fctx)
	failed := 0
	for _, r := range reps[:max(len(reps)-1, 0)] {
		if r.Outcome != jobs.Finished && errors.Is(r.Err, errInjectedFold) {
			failed++
		}
	}
	if len(reps) < 2 || reps[len(reps)-1].Outcome != jobs.Finished || failed != 1 {
		t.Fatalf("runs after a failed fold: %+v, want one ending with the fold's error, then one finishing", reps)
	}
	got = counts(start)
	extra = 0
	for _, tok := range want {
		if got[tok] < 1 {
			t.Errorf("%s not pushed after the failed fold", tok)
		}
		extra += got[tok] - 1
		delete(got, tok)
	}
	if len(got) > 0 || len(early) > 0 {
		t.Fatalf("after the failed fold, pushed beyond the changed passes' devices: %v; before their fold: %v", got, early)
	}
	if extra > 7 {
		t.Fatalf("%d repeated pushes after the failed fold, want at most one page (7)", extra)
	}
}

// pageCounter is the store with its template pages recorded.
type pageCounter struct {
	*sqlite.DB
	mu    sync.Mutex
	sizes []int // targets each TemplatePushTargets call returned
}

func (c *pageCounter) TemplatePushTargets(ctx context.Context, job *walletwallet.TemplatePushJob, upTo string, limit int) ([]walletwallet.TemplatePushTarget, error) {
	page, err := c.DB.TemplatePushTargets(ctx, job, upTo, limit)
	c.mu.Lock()
	c.sizes = append(c.sizes, len(page))
	c.mu.Unlock()
	return page, err
}

// TestTemplateJobReadsOnePagePerBatch: with one device a pass and batches
// no larger than a page, each batch's devices come from one page read and
// only the last batch is followed by an empty page (it was an empty read
// after every batch, and a page misaligned by one pass before that: three
// reads a batch). The next batch's page is read while the current batch's
// pushes are in flight: the double holds its answers until it is.
func TestTemplateJobReadsOnePagePerBatch(t *testing.T) {
	ctx := context.Background()
	st, a, tp := storeWithTemplate(t)
	q := walletwallet.Quota{Month: walletwallet.Month(time.Now()), Limit: 1000}
	const n = 12 // batches of 5, 5 and 2
	var ps []*walletwallet.Pass
	for i := range n {
		ps = append(ps, &walletwallet.Pass{PassTypeID: testTopic, Serial: fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			AuthToken: strings.Repeat("a", 30) + fmt.Sprintf("%010d", i), AccountID: a.ID, Request: []byte(`{}`), Hash: "h1",
			FirstIssued: tp.CreatedAt, LastModified: tp.CreatedAt, TemplateID: tp.ID, TemplateRev: 1, Values: []byte(`{}`)})
	}
	if err := st.CreatePasses(ctx, ps, q, nil); err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		tok := fmt.Sprintf("tok-%d", i)
		if _, err := st.Register(ctx, &walletwallet.Registration{DeviceID: "dev-" + tok, PushToken: tok, PassTypeID: testTopic, Serial: p.Serial}); err != nil {
			t.Fatal(err)
		}
	}
	folder := storeFolder{st: st, calls: new(atomic.Int64), failAt: new(atomic.Int64)}
	if _, err := st.UpdateTemplate(ctx, &walletwallet.TemplateChange{ID: tp.ID, AccountID: a.ID, PrevRev: 1, Name: "card",
		Design: []byte(`{"d":2}`), Defaults: []byte(`{}`), At: time.Now(), Rehash: folder.rehash(2)}, q); err != nil {
		t.Fatal(err)
	}
	var double *apnstest.Server
	var holdOnce sync.Once
	double = newDouble(t, apnstest.WithOnRequest(func(apnstest.Request) { holdOnce.Do(double.Hold) }))
	counter := &pageCounter{DB: st}
	finished := make(chan JobReport, 1)
	f := NewFanout(FanoutOptions{Queue: st, Pusher: certClient(t, double, newClientCert(t), 1), Logger: newLogger(&logBuffer{}),
		PageSize: 5, FoldBatch: 5, OnJob: func(r JobReport) {
			if r.Outcome == jobs.Finished {
				finished <- r
			}
		}})
	r := jobs.New(jobs.Options{Logger: newLogger(&logBuffer{}), Owner: "w", Poll: 20 * time.Millisecond})
	r.Register(f.TemplateKind(counter, folder))
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	readAhead := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		counter.mu.Lock()
		reads := len(counter.sizes)
		counter.mu.Unlock()
		if reads >= 2 && double.Count() > 0 {
			readAhead = true
			break
		}
	}
	held := double.Count()
	double.Release()
	if !readAhead || held > 5 {
		t.Errorf("second batch's page read while the first batch's pushes were held: %v (%d pushes held)", readAhead, held)
	}
	select {
	case rep := <-finished:
		if rep.Pushed != n {
			t.Errorf("pushed %d, want %d", rep.Pushed, n)
		}
	case <-time.After(30 * time.Second):
		t.Error("the job did not finish in 30 s")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, req := range double.Requests() {
		counts[req.Token]++
	}
	for i := range n {
		if tok := fmt.Sprintf("tok-%d", i); counts[tok] != 1 {
			t.Errorf("%s pushed %d times, want once", tok, counts[tok])
		}
	}
	counter.mu.Lock()
	defer counter.mu.Unlock()
	if !slices.Equal(counter.sizes, []int{5, 5, 2, 0}) {
		t.Fatalf("pages read: %v targets, want [5 5 2 0] (one a batch, then the end)", counter.sizes)
	}
}

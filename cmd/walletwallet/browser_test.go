package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// One headless Chromium serves every browser test of the package: starting
// it costs seconds, a tab costs milliseconds.
var browser struct {
	once   sync.Once
	ctx    context.Context // the browser; tabs derive from it
	cancel func()
	err    error
}

// chromiumPath finds the browser; CI installs it (scripts/test-deps.sh).
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func startBrowser() {
	path := chromiumPath()
	if path == "" {
		browser.err = fmt.Errorf("no chromium on PATH")
		return
	}
	dir, err := os.MkdirTemp("", "ww-chromium-")
	if err != nil {
		browser.err = err
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox refuses to start
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		// Every name resolves to nothing but loopback: the tests must never
		// reach the network, and the browser's own background calls cannot.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1280, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	// The first action starts the browser.
	if err := chromedp.Do(bctx); err != nil {
		bcancel()
		acancel()
		os.RemoveAll(dir)
		browser.err = err
		return
	}
	browser.ctx = bctx
	browser.cancel = func() { bcancel(); acancel(); os.RemoveAll(dir) }
}

// closeBrowser ends the shared browser (from TestMain).
func closeBrowser() {
	if browser.cancel != nil {
		browser.cancel()
	}
}

// tab is one browser tab for a test, with the page's console errors and
// uncaught exceptions collected: a CSP violation or a script error fails
// the test.
type tab struct {
	t        *testing.T
	ctx      context.Context
	mu       sync.Mutex
	problems []string
	shots    string
}

func newTab(t *testing.T) *tab {
	t.Helper()
	browser.once.Do(startBrowser)
	if browser.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need chromium (CI=true): %v", browser.err)
		}
		t.Skipf("browser tests skipped: %v (apt-get install -y chromium)", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx)
	tb := &tab{t: t, ctx: ctx, shots: artefactDir(t)}
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				tb.problem("console: " + e.Entry.Text + " " + e.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			tb.problem(fmt.Sprintf("exception: %s at %s:%d", msg, d.URL, d.LineNumber+1))
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				tb.problem("console.error: " + strings.Join(parts, " "))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, p := range tb.problems {
			t.Errorf("browser reported: %s", p)
		}
	})
	return tb
}

func (tb *tab) problem(s string) {
	tb.mu.Lock()
	tb.problems = append(tb.problems, s)
	tb.mu.Unlock()
}

// allow drops collected problems that contain s (an expected failure the
// page reports, such as the 400 of an invalid designer body).
func (tb *tab) allow(s string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	kept := tb.problems[:0]
	for _, p := range tb.problems {
		if !strings.Contains(p, s) {
			kept = append(kept, p)
		}
	}
	tb.problems = kept
}

// do runs actions with a deadline, failing the test with what was asked.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.screenshot("failed-" + strings.ReplaceAll(what, " ", "-"))
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page (awaiting a promise).
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// waitJS polls a JavaScript condition until it is true.
func (tb *tab) waitJS(what, cond string) {
	tb.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.screenshot("failed-" + what)
			tb.t.Fatalf("waiting for %s (%s): %v", what, cond, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot saves a full-page PNG as a test artefact (outside the repository).
func (tb *tab) screenshot(name string) {
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(tb.shots, name+".png")
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		tb.t.Logf("screenshot %s: %v", name, err)
		return
	}
	tb.t.Logf("screenshot: %s", path)
}

// artefactDir is where a test's screenshots go: $WW_TEST_ARTEFACTS (or
// the temporary folder) /walletwallet-browser/<test name>, kept after the
// test so a person can look at them.
func artefactDir(t *testing.T) string {
	base := os.Getenv("WW_TEST_ARTEFACTS")
	if base == "" {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "walletwallet-browser", strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var profilerRE = regexp.MustCompile(`"msg":"profiler listening","addr":"([^"]+)"`)

// TestProfiler: with WW_PPROF_ADDR the profiler answers on its own loopback
// listener, and the API's listener has no /debug/pprof/; without it there
// is no profiler at all.
func TestProfiler(t *testing.T) {
	p := startServer(t, map[string]string{"WW_DATA_DIR": t.TempDir(), "WW_PPROF_ADDR": "127.0.0.1:0"})
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == ""; time.Sleep(20 * time.Millisecond) {
		if m := profilerRE.FindStringSubmatch(p.Logs()); m != nil {
			addr = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no profiler address logged:\n%s", p.Logs())
		}
	}
	get := func(url string) (int, string) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("http://" + addr + "/debug/pprof/cmdline"); code != 200 || !strings.Contains(body, "serve") {
		t.Fatalf("profiler cmdline: %d %q", code, body)
	}
	if code, body := get("http://" + addr + "/debug/pprof/heap?debug=1"); code != 200 || !strings.Contains(body, "heap profile") {
		t.Fatalf("profiler heap: %d %.80q", code, body)
	}
	if code, _ := get(p.URL + "/debug/pprof/cmdline"); code != 404 {
		t.Fatalf("the API listener serves the profiler: %d", code)
	}
	q := startServer(t, map[string]string{"WW_DATA_DIR": t.TempDir()})
	if strings.Contains(q.Logs(), "profiler listening") {
		t.Fatal("a profiler started without WW_PPROF_ADDR")
	}
}

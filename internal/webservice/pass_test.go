package webservice_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLastModifiedIsTheVersionsSecond(t *testing.T) {
	lm := time.Date(2026, 1, 1, 0, 0, 10, 400*int(time.Millisecond), time.UTC)
	e := newEnv(t)
	e.seed(passType, "s", lm, []byte("blob"))
	r := e.do(http.MethodGet, passPath("s"), goodAuth, nil, "")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	if got, want := r.header.Get("Last-Modified"), httpDate(lm.Truncate(time.Second)); got != want {
		t.Errorf("Last-Modified %q, want %q", got, want)
	}
	// A client echoing the header back at once gets a 304.
	r = e.do(http.MethodGet, passPath("s"), goodAuth, map[string]string{"If-Modified-Since": r.header.Get("Last-Modified")}, "")
	if r.status != 304 {
		t.Errorf("immediate revalidation: %d", r.status)
	}
}

func TestPassFetch(t *testing.T) {
	e := newEnv(t)
	e.seed(passType, "s1", base, []byte("version-1"))
	e.seed(otherType, "s2", base, []byte("other"))
	etag1 := e.do(http.MethodGet, passPath("s1"), goodAuth, nil, "").header.Get("ETag")
	if etag1 == "" {
		t.Fatal("no ETag")
	}
	sec := base.Truncate(time.Second)
	tests := []struct {
		name   string
		path   string
		auth   []string
		header map[string]string
		want   int
		body   string
	}{
		{"no validators", passPath("s1"), goodAuth, nil, 200, "version-1"},
		{"matching If-Modified-Since", passPath("s1"), goodAuth, map[string]string{"If-Modified-Since": httpDate(sec)}, 304, ""},
		{"later If-Modified-Since", passPath("s1"), goodAuth, map[string]string{"If-Modified-Since": httpDate(sec.Add(time.Minute))}, 304, ""},
		{"earlier If-Modified-Since", passPath("s1"), goodAuth, map[string]string{"If-Modified-Since": httpDate(sec.Add(-time.Second))}, 200, "version-1"},
		{"unparsable If-Modified-Since", passPath("s1"), goodAuth, map[string]string{"If-Modified-Since": "last tuesday"}, 200, "version-1"},
		{"matching If-None-Match", passPath("s1"), goodAuth, map[string]string{"If-None-Match": etag1}, 304, ""},
		{"other If-None-Match wins over IMS", passPath("s1"), goodAuth, map[string]string{"If-None-Match": `"x"`, "If-Modified-Since": httpDate(sec)}, 200, "version-1"},
		{"wrong token", passPath("s1"), []string{"ApplePass x"}, nil, 401, ""},
		{"missing authorization", passPath("s1"), nil, nil, 401, ""},
		{"other scheme", passPath("s1"), []string{"Basic " + token}, nil, 401, ""},
		{"two authorization headers", passPath("s1"), []string{goodAuth[0], goodAuth[0]}, nil, 401, ""},
		{"unknown serial", passPath("nope"), goodAuth, nil, 401, ""},
		{"serial under another pass type", "/v1/passes/" + otherType + "/" + sn("s1"), goodAuth, nil, 401, ""},
		// Path parameters that cannot name a pass are unknown passes,
		// answered before any query (PostgreSQL refuses such text: a 500).
		{"NUL serial", "/v1/passes/" + passType + "/%00", goodAuth, nil, 401, ""},
		{"serial with a trailing NUL", passPath("s1") + "%00", goodAuth, nil, 401, ""},
		{"invalid UTF-8 serial", "/v1/passes/" + passType + "/%ff%fe", goodAuth, nil, 401, ""},
		{"serial that is not a UUID", "/v1/passes/" + passType + "/s1", goodAuth, nil, 401, ""},
		{"NUL pass type", "/v1/passes/%00/" + sn("s1"), goodAuth, nil, 401, ""},
		{"overlong UTF-8 pass type", "/v1/passes/%c0%ae%c0%ae/" + sn("s1"), goodAuth, nil, 401, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(http.MethodGet, tc.path, tc.auth, tc.header, "")
			if r.status != tc.want {
				t.Fatalf("status %d, want %d (body %s)", r.status, tc.want, r.body)
			}
			switch tc.want {
			case 200:
				if ct := r.header.Get("Content-Type"); ct != "application/vnd.apple.pkpass" {
					t.Errorf("Content-Type %q", ct)
				}
				if lm := r.header.Get("Last-Modified"); lm != httpDate(sec) {
					t.Errorf("Last-Modified %q, want %q", lm, httpDate(sec))
				}
				if cc := r.header.Get("Cache-Control"); cc != "no-cache" {
					t.Errorf("Cache-Control %q", cc)
				}
				if string(r.body) != tc.body {
					t.Errorf("body %q, want %q", r.body, tc.body)
				}
			case 304:
				if len(r.body) != 0 {
					t.Errorf("304 with body %q", r.body)
				}
			default:
				checkErrorJSON(t, r)
			}
		})
	}

	// A newer version is served to a device that holds the old one.
	lm2 := e.update("s1", base.Add(3*time.Second), []byte("version-2"))
	r := e.do(http.MethodGet, passPath("s1"), goodAuth, map[string]string{"If-Modified-Since": httpDate(sec)}, "")
	if r.status != 200 || string(r.body) != "version-2" {
		t.Fatalf("after update: %d %q", r.status, r.body)
	}
	if got := r.header.Get("Last-Modified"); got != httpDate(lm2.Truncate(time.Second)) {
		t.Errorf("Last-Modified after update %q, want %q", got, httpDate(lm2))
	}
	if r.header.Get("ETag") == etag1 {
		t.Error("ETag did not change with the version")
	}
	// ...and then it is not modified.
	r = e.do(http.MethodGet, passPath("s1"), goodAuth, map[string]string{"If-Modified-Since": r.header.Get("Last-Modified")}, "")
	if r.status != 304 {
		t.Errorf("refetch of version 2: %d, want 304", r.status)
	}
}

// A device holding version 1 gets version 2 whose second is later, and
// version 2's own Last-Modified revalidates to 304.
func TestPassFetchNextVersion(t *testing.T) {
	e := newEnv(t)
	sec := base.Truncate(time.Second)
	e.seed(passType, "s", sec.Add(100*time.Millisecond), []byte("v1"))
	r1 := e.do(http.MethodGet, passPath("s"), goodAuth, nil, "")
	if r1.status != 200 || string(r1.body) != "v1" {
		t.Fatalf("first fetch: %d %q", r1.status, r1.body)
	}
	e.update("s", sec.Add(time.Second), []byte("v2"))
	r2 := e.do(http.MethodGet, passPath("s"), goodAuth, map[string]string{"If-Modified-Since": r1.header.Get("Last-Modified")}, "")
	if r2.status != 200 || string(r2.body) != "v2" {
		t.Fatalf("device holding v1: %d %q", r2.status, r2.body)
	}
	r3 := e.do(http.MethodGet, passPath("s"), goodAuth, map[string]string{"If-Modified-Since": r2.header.Get("Last-Modified")}, "")
	if r3.status != 304 {
		t.Errorf("v2 revalidation: %d", r3.status)
	}
}

func TestRebuildOnceUnderConcurrentFetches(t *testing.T) {
	const n = 20
	e := newEnv(t)
	e.seed(passType, "s", base, nil)
	// The rebuild waits until every request has read the pass (n reads by
	// the requests plus one by the rebuild itself), so all n overlap it.
	e.store.reads = make(chan struct{}, 4*n)
	release := make(chan struct{})
	go func() {
		for i := 0; i < n+1; i++ {
			<-e.store.reads
		}
		close(release)
	}()
	e.rebuild.gate = func(ctx context.Context) {
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
	var wg sync.WaitGroup
	results := make([]response, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.do(http.MethodGet, passPath("s"), goodAuth, nil, "")
		}()
	}
	wg.Wait()
	want := "rebuilt:" + sn("s") + ":" + millisTag(base)
	for i, r := range results {
		if r.status != 200 || string(r.body) != want {
			t.Errorf("request %d: %d %q", i, r.status, r.body)
		}
	}
	if c := e.rebuild.calls.Load(); c != 1 {
		t.Errorf("%d rebuilds, want 1", c)
	}
	p, err := e.db.Pass(context.Background(), passType, sn("s"))
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Blob) != want {
		t.Errorf("stored blob %q, want %q", p.Blob, want)
	}
	// Later fetches use the stored blob.
	e.rebuild.gate = nil
	if r := e.do(http.MethodGet, passPath("s"), goodAuth, nil, ""); r.status != 200 || string(r.body) != want {
		t.Errorf("later fetch: %d %q", r.status, r.body)
	}
	if c := e.rebuild.calls.Load(); c != 1 {
		t.Errorf("%d rebuilds after a later fetch, want 1", c)
	}
}

func TestRebuildFailure(t *testing.T) {
	e := newEnv(t)
	e.seed(passType, "s", base, nil)
	e.rebuild.err = errors.New("signer unavailable")
	r := e.do(http.MethodGet, passPath("s"), goodAuth, nil, "")
	if r.status != 500 {
		t.Fatalf("status %d, want 500", r.status)
	}
	if msg := checkErrorJSON(t, r); strings.Contains(msg, "signer") {
		t.Errorf("internal error leaked: %q", msg)
	}
	if r.header.Get("Last-Modified") != "" || r.header.Get("ETag") != "" {
		t.Error("error answer carries the pass's validators")
	}
	// A 304 never needs the blob, so it works even when rebuilding fails.
	r = e.do(http.MethodGet, passPath("s"), goodAuth, map[string]string{"If-Modified-Since": httpDate(base)}, "")
	if r.status != 304 {
		t.Errorf("conditional fetch: %d, want 304", r.status)
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestPutRequesterSpreadsOverPasses: with -passes K the PUTs go to the K
// passes it created, in turn, each body a real change, and concurrent
// workers can share the requester (the race run checks its shared body).
func TestPutRequesterSpreadsOverPasses(t *testing.T) {
	var mu sync.Mutex
	created := 0
	puts := map[string]int{}
	bodies := map[string]bool{}
	send := func(method, url string, b []byte, hdr ...string) ([]byte, http.Header, error) {
		mu.Lock()
		defer mu.Unlock()
		h := http.Header{}
		switch method {
		case "POST":
			created++
			h.Set("X-Serial-Number", fmt.Sprint("S", created))
		case "PUT":
			puts[url[strings.LastIndex(url, "/")+1:]]++
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, nil, err
			}
			bodies[fmt.Sprint(m["backFields"])] = true
		}
		return nil, h, nil
	}
	for _, c := range []struct{ passes, requests int }{{1, 6}, {3, 12}} {
		created, puts, bodies = 0, map[string]int{}, map[string]bool{}
		req, err := newRequester(send, "http://x", "put", []byte(defaultBody), c.passes)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range c.requests {
			wg.Go(func() {
				if _, err := req(i); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if created != c.passes || len(puts) != c.passes || len(bodies) != c.requests {
			t.Fatalf("passes=%d: %d created, PUTs per pass %v, %d distinct bodies", c.passes, created, puts, len(bodies))
		}
		for s, n := range puts {
			if n != c.requests/c.passes {
				t.Fatalf("passes=%d: pass %s got %d PUTs, want %d", c.passes, s, n, c.requests/c.passes)
			}
		}
	}
}

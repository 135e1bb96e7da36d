package main

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
)

// TestMultiInstanceIdempotency: twenty identical POSTs with one
// Idempotency-Key, spread over three instances sharing one PostgreSQL
// database and released together, create exactly one pass and count one;
// every other answer is the first one again or a 409 while it runs. A
// retry afterwards, on any instance, replays it.
func TestMultiInstanceIdempotency(t *testing.T) {
	c := startCluster(t, 3, nil)
	key := newKey(t, c.env, "--plan", "pro")
	const requests = 20
	body := `{"barcodeValue":"IDEM-1","barcodeFormat":"QR","logoText":"Idempotent"}`
	replies := make([]*reply, requests)
	errs := make([]error, requests)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			<-start
			replies[i], errs[i] = send("POST", c.procs[i%3].URL+"/api/passes", body, bearer(key), jsonCT, "Idempotency-Key: checkout-42")
		})
	}
	close(start)
	wg.Wait()

	statuses := map[int]int{}
	serials := map[string]bool{}
	for i, r := range replies {
		if errs[i] != nil {
			t.Fatalf("POST %d: %v", i, errs[i])
		}
		statuses[r.status]++
		switch r.status {
		case http.StatusCreated:
			var m map[string]any
			if err := json.Unmarshal(r.body, &m); err != nil {
				t.Fatal(err)
			}
			serials[m["serialNumber"].(string)] = true
		case http.StatusConflict:
		default:
			t.Errorf("POST %d on instance %d: %d %s", i, i%3, r.status, r.body)
		}
	}
	if len(serials) != 1 || statuses[201] < 1 || statuses[201]+statuses[409] != requests {
		t.Fatalf("statuses %v, serials %v: want one serial", statuses, serials)
	}
	var stored, counted int
	c.query(t, `SELECT count(*) FROM passes`, &stored)
	c.query(t, `SELECT coalesce(sum(count), 0) FROM usage`, &counted)
	if stored != 1 || counted != 1 {
		t.Fatalf("%d passes stored and %d counted, want 1 and 1", stored, counted)
	}
	for i, p := range c.procs {
		r := call(t, "POST", p.URL+"/api/passes", body, bearer(key), jsonCT, "Idempotency-Key: checkout-42")
		if r.status != 201 || r.header.Get("Idempotent-Replayed") != "true" || !serials[r.json(t)["serialNumber"].(string)] {
			t.Errorf("retry on instance %d: %d %v %s", i, r.status, r.header, r.body)
		}
	}
	c.query(t, `SELECT count(*) FROM passes`, &stored)
	if stored != 1 {
		t.Fatalf("%d passes after the retries", stored)
	}
}

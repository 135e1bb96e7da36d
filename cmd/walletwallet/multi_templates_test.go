package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/push/apnstest"
)

// TestMultiInstanceTemplatePushOnce: three instances on one PostgreSQL
// database; a template change made on one of them pushes every device of
// its passes exactly once, and every instance then serves each pass's new
// version with the same Last-Modified and 304 for it.
func TestMultiInstanceTemplatePushOnce(t *testing.T) {
	double := apnstest.NewServer()
	t.Cleanup(double.Close)
	c := startCluster(t, 3, double)
	key := newKey(t, c.env, "--plan", "pro")
	r := call(t, "POST", c.procs[0].URL+"/api/templates", clubDesign, bearer(key), jsonCT)
	if r.status != 201 {
		t.Fatalf("create template: %d %s", r.status, r.body)
	}
	tpl := r.json(t)["id"].(string)
	type member struct{ serial, token string }
	var members []member
	var tokens []string
	for i := range 10 {
		r := call(t, "POST", c.procs[i%3].URL+"/api/templates/"+tpl+"/passes", fmt.Sprintf(`{"values": {"member": "%d", "name": "N%d"}}`, i, i), bearer(key), jsonCT)
		if r.status != 201 {
			t.Fatalf("issue: %d %s", r.status, r.body)
		}
		blob, _ := base64.StdEncoding.DecodeString(r.json(t)["applePass"].(string))
		m := member{r.json(t)["serialNumber"].(string), unzipJSON(t, blob)["authenticationToken"].(string)}
		members = append(members, m)
		tokens = append(tokens, registerDevices(t, c, m.serial, m.token, fmt.Sprintf("t%d", i), 5, 4)...)
	}
	r = call(t, "PATCH", c.procs[1].URL+"/api/templates/"+tpl, `{"pass": {"logoText": "Roasters"}}`, bearer(key), jsonCT)
	if r.status != 200 || r.json(t)["notifiedDevices"].(float64) != 50 {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := double.WaitCount(ctx, len(tokens)); err != nil {
		t.Fatalf("pushes: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		c.query(t, `SELECT count(*) FROM template_push_jobs`, &n)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d template push jobs still pending", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // room for a duplicate to show
	per := map[string]int{}
	for _, req := range double.Requests() {
		per[req.Token]++
	}
	for _, tok := range tokens {
		if per[tok] != 1 {
			t.Errorf("token %s pushed %d times, want 1", tok, per[tok])
		}
	}
	if double.Count() != len(tokens) {
		t.Errorf("%d pushes, want %d", double.Count(), len(tokens))
	}
	for _, m := range members {
		lm := ""
		for i, p := range c.procs {
			r := call(t, "GET", fmt.Sprintf("%s/v1/passes/%s/%s", p.URL, devPassType, m.serial), "", "Authorization: ApplePass "+m.token)
			if r.status != 200 || unzipJSON(t, r.body)["logoText"] != "Roasters" {
				t.Fatalf("instance %d serves %s: %d", i, m.serial, r.status)
			}
			if i == 0 {
				lm = r.header.Get("Last-Modified")
			} else if r.header.Get("Last-Modified") != lm {
				t.Errorf("instance %d: Last-Modified %s, instance 0 said %s", i, r.header.Get("Last-Modified"), lm)
			}
			if r := call(t, "GET", fmt.Sprintf("%s/v1/passes/%s/%s", p.URL, devPassType, m.serial), "", "Authorization: ApplePass "+m.token,
				"If-Modified-Since: "+lm); r.status != http.StatusNotModified {
				t.Errorf("instance %d: revalidation %d", i, r.status)
			}
		}
	}
}

package main

// Webhook deliveries from the spawned binary to a real HTTPS receiver on
// loopback, trusted through WW_FETCH_CA and allowed through
// WW_FETCH_ALLOW_CIDRS: every event type signed, delivery after a SIGKILL,
// and (in multi_test.go's cluster) each event once from two instances.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/push/apnstest"
)

// hookCall is one delivery as the receiver saw it.
type hookCall struct {
	eventID string
	header  http.Header
	body    []byte
}

// hookReceiver is an HTTPS endpoint on loopback that records deliveries;
// hold, while set, keeps requests waiting instead of answering.
type hookReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	calls []hookCall
	hold  chan struct{} // closed to release held requests; nil = answer at once
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{}
	rc.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.calls = append(rc.calls, hookCall{r.Header.Get("WalletWallet-Event-Id"), r.Header.Clone(), b})
		hold := rc.hold
		rc.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable) // a held request never counts as delivered
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	rc.EnableHTTP2 = true
	rc.StartTLS()
	t.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) got() []hookCall {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookCall(nil), rc.calls...)
}

// waitCalls waits until the receiver has n calls.
func (rc *hookReceiver) waitCalls(t *testing.T, n int, within time.Duration, logs func() string) []hookCall {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := rc.got()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("receiver got %d deliveries, want %d\n%s", len(got), n, logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hookEnv adds the receiver's CA and the loopback exemption to env.
func hookEnv(t *testing.T, env map[string]string, rc *hookReceiver) {
	t.Helper()
	caFile := filepath.Join(env["WW_DATA_DIR"], "hooks-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rc.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	env["WW_FETCH_CA"] = caFile
	env["WW_FETCH_ALLOW_CIDRS"] = "127.0.0.0/8"
}

// createHook registers the receiver for the key's account and returns the secret.
func createHook(t *testing.T, base, key, url string) string {
	t.Helper()
	r := call(t, "POST", base+"/api/webhooks", `{"url":"`+url+`"}`, bearer(key), jsonCT)
	if r.status != 201 {
		t.Fatalf("POST /api/webhooks: %d %s", r.status, r.body)
	}
	return r.json(t)["secret"].(string)
}

// checkSigned verifies a delivery as a receiver must: the signature over
// "<t>.<body>" with the secret, the event id header against the body.
func checkSigned(t *testing.T, secret string, c hookCall) map[string]any {
	t.Helper()
	if ct := c.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	sig := c.header.Get("WalletWallet-Signature")
	var ts, v1 string
	for _, part := range strings.Split(sig, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		t.Errorf("signature time %q", ts)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%s.%s", ts, c.body)
	if !hmac.Equal([]byte(v1), []byte(hex.EncodeToString(mac.Sum(nil)))) {
		t.Errorf("signature %q does not verify with the secret", sig)
	}
	var b map[string]any
	if err := json.Unmarshal(c.body, &b); err != nil {
		t.Fatalf("body %q", c.body)
	}
	if b["id"] != c.eventID || !strings.HasPrefix(c.eventID, "evt_") {
		t.Errorf("event id header %q, body %v", c.eventID, b["id"])
	}
	return b
}

// TestWebhooksEveryEventType drives all five events through the API and
// the PassKit web service and checks the receiver got each, signed, and
// that /metrics counted them.
func TestWebhooksEveryEventType(t *testing.T) {
	double := apnstest.NewServer()
	defer double.Close()
	rc := newHookReceiver(t)
	env := testEnv(t, double)
	hookEnv(t, env, rc)
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	secret := createHook(t, srv.URL, key, rc.URL+"/ww")

	r := call(t, "POST", srv.URL+"/api/passes", bayroast, bearer(key), jsonCT)
	if r.status != 201 {
		t.Fatalf("POST /api/passes: %d %s", r.status, r.body)
	}
	serial := r.json(t)["serialNumber"].(string)
	blob, _ := base64.StdEncoding.DecodeString(r.json(t)["applePass"].(string))
	auth := "Authorization: ApplePass " + unzipJSON(t, blob)["authenticationToken"].(string)
	regURL := fmt.Sprintf("%s/v1/devices/%s/registrations/%s/%s", srv.URL, "device-7", devPassType, serial)
	if r := call(t, "POST", regURL, `{"pushToken":"aabb07"}`, auth); r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	if r := call(t, "PATCH", srv.URL+"/api/passes/"+serial, `{"logoText":"Bayroast"}`, bearer(key), "Content-Type: application/merge-patch+json"); r.status != 200 {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	if r := call(t, "DELETE", regURL, "", auth); r.status != 200 {
		t.Fatalf("unregister: %d %s", r.status, r.body)
	}
	if r := call(t, "DELETE", srv.URL+"/api/passes/"+serial, "", bearer(key)); r.status != 200 {
		t.Fatalf("void: %d %s", r.status, r.body)
	}

	calls := rc.waitCalls(t, 5, 30*time.Second, srv.Logs)
	time.Sleep(300 * time.Millisecond)
	if got := rc.got(); len(got) != 5 {
		t.Fatalf("%d deliveries, want 5", len(got))
	}
	var types []string
	for _, c := range calls {
		b := checkSigned(t, secret, c)
		typ := b["type"].(string)
		types = append(types, typ)
		data := b["data"].(map[string]any)
		if data["serialNumber"] != serial || data["passTypeIdentifier"] != devPassType {
			t.Errorf("%s: data %v", typ, data)
		}
		if dev, ok := data["deviceLibraryIdentifier"]; (typ == "pass.installed" || typ == "pass.uninstalled") != ok || ok && dev != "device-7" {
			t.Errorf("%s: device %v", typ, dev)
		}
	}
	slices.Sort(types)
	if want := []string{"pass.created", "pass.installed", "pass.uninstalled", "pass.updated", "pass.voided"}; !slices.Equal(types, want) {
		t.Fatalf("types %q, want %q", types, want)
	}
	m := call(t, "GET", srv.URL+"/metrics", "")
	if !strings.Contains(string(m.body), `walletwallet_webhook_deliveries_total{result="ok"} 5`) {
		t.Errorf("/metrics does not count 5 ok deliveries:\n%s", grepLines(string(m.body), "webhook"))
	}
}

// grepLines keeps the lines of s containing sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestWebhookSurvivesKill: the server is SIGKILLed while a delivery is in
// flight (the receiver holds it); the restarted server delivers the event
// once the dead process's lease has run out.
func TestWebhookSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a delivery lease to expire")
	}
	double := apnstest.NewServer()
	defer double.Close()
	rc := newHookReceiver(t)
	rc.hold = make(chan struct{})
	env := testEnv(t, double)
	hookEnv(t, env, rc)
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	secret := createHook(t, srv.URL, key, rc.URL+"/ww")
	r := call(t, "POST", srv.URL+"/api/pkpass", bayroast, bearer(key), jsonCT)
	if r.status != 200 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	held := rc.waitCalls(t, 1, 30*time.Second, srv.Logs)[0]
	srv.Kill()
	rc.mu.Lock()
	close(rc.hold)
	rc.hold = nil
	rc.mu.Unlock()

	srv2 := startServer(t, env)
	healthy := time.Now()
	calls := rc.waitCalls(t, 2, 60*time.Second, srv2.Logs)
	t.Logf("delivered %.1fs after the restarted server answered /healthz", time.Since(healthy).Seconds())
	if calls[1].eventID != held.eventID {
		t.Fatalf("after the restart %s was delivered, want the held %s", calls[1].eventID, held.eventID)
	}
	if b := checkSigned(t, secret, calls[1]); b["type"] != "pass.created" || b["data"].(map[string]any)["serialNumber"] != r.header.Get("X-Serial-Number") {
		t.Fatalf("body %v", b)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(rc.got()); n != 2 {
		t.Fatalf("%d deliveries, want 2 (the held one and the one after restart)", n)
	}
}

// TestMultiInstanceWebhookOnce: two instances on one PostgreSQL database,
// passes created on both; every event reaches the receiver exactly once.
func TestMultiInstanceWebhookOnce(t *testing.T) {
	rc := newHookReceiver(t)
	c := startClusterWith(t, 2, nil, func(env map[string]string) { hookEnv(t, env, rc) })
	a, b := c.procs[0], c.procs[1]
	key := newKey(t, c.env, "--plan", "pro")
	secret := createHook(t, a.URL, key, rc.URL+"/ww")
	const passes = 40
	for i := range passes {
		p := c.procs[i%2]
		if r := call(t, "POST", p.URL+"/api/pkpass", bayroast, bearer(key), jsonCT); r.status != 200 {
			t.Fatalf("POST %d: %d %s", i, r.status, r.body)
		}
	}
	logs := func() string { return a.Logs() + "\n----\n" + b.Logs() }
	rc.waitCalls(t, passes, 60*time.Second, logs)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pending int
		c.query(t, `SELECT count(*) FROM deliveries WHERE status <> 'delivered'`, &pending)
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries not delivered\n%s", pending, logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	seen := map[string]int{}
	for _, call := range rc.got() {
		checkSigned(t, secret, call)
		seen[call.eventID]++
	}
	if len(seen) != passes {
		t.Fatalf("%d distinct events delivered, want %d", len(seen), passes)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	var attempts int
	c.query(t, `SELECT sum(attempts) FROM deliveries`, &attempts)
	if attempts != passes {
		t.Errorf("%d attempts recorded for %d deliveries", attempts, passes)
	}
	// Which instance delivered what is in the logs only; both may have.
	t.Logf("claims by the first instance: %d, by the second: %d",
		strings.Count(a.Logs(), `"kind":"webhook"`), strings.Count(b.Logs(), `"kind":"webhook"`))
}

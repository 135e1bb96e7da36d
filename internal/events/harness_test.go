package events

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/egress"
	"github.com/walletwallet/walletwallet/internal/jobs"
	"github.com/walletwallet/walletwallet/internal/sealbox"
	"github.com/walletwallet/walletwallet/internal/store/sqlite"
)

// The delivery kind on a real SQLite store and the real job runner, posting
// through the real egress guard to an HTTPS receiver on loopback.

const testPassType = "pass.dev.walletwallet.events"

// received is one request as the receiver saw it.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a TLS server on loopback that records every request and
// answers with answer(n) for the n-th (1-based) one.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []received
	answer func(n int, w http.ResponseWriter, r *http.Request)
}

func newReceiver(t testing.TB, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, received{r.Header.Clone(), b})
		n := len(rc.reqs)
		rc.mu.Unlock()
		if rc.answer != nil {
			rc.answer(n, w, r)
		}
	}))
	rc.EnableHTTP2 = true
	rc.StartTLS()
	t.Cleanup(rc.Close)
	return rc
}

// statuses answers the n-th request with codes[n-1], then 200.
func statuses(codes ...int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, _ *http.Request) {
		if n <= len(codes) {
			w.WriteHeader(codes[n-1])
		}
	}
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

// counts is a Results that remembers every result.
type counts struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counts) WebhookDelivery(r string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[r]++
}

func (c *counts) get() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

// rig is a store, an account with one webhook and a running delivery kind.
type rig struct {
	st      *sqlite.DB
	box     *sealbox.Box
	account *walletwallet.Account
	hook    *walletwallet.Webhook
	secret  string
	results *counts
}

// newRig stores a webhook for url and starts the runner with o (Queue,
// Secrets, Results filled in; Guard trusting rc's certificate and allowing
// loopback unless set).
func newRig(t *testing.T, url string, rc *receiver, o DeliveryOptions) *rig {
	t.Helper()
	r := newIdleRig(t, url)
	r.start(t, rc, o)
	return r
}

// newIdleRig is newRig without the runner (start it with start).
func newIdleRig(t testing.TB, url string) *rig {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ww.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, 32)
	rand.Read(key)
	box, err := sealbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	a := &walletwallet.Account{Plan: walletwallet.PlanPro}
	if err := st.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	r := &rig{st: st, box: box, account: a, results: &counts{}}
	r.secret = "whsec_" + hex.EncodeToString(key[:20])
	r.hook = &walletwallet.Webhook{ID: walletwallet.NewWebhookID(), AccountID: a.ID, URL: url, Events: walletwallet.AllEventTypes}
	r.hook.SealedSecret = box.Seal([]byte(r.secret), []byte(r.hook.ID))
	if err := st.CreateWebhook(ctx, r.hook); err != nil {
		t.Fatal(err)
	}
	return r
}

// start runs the delivery kind on a job runner until the test ends.
func (r *rig) start(t testing.TB, rc *receiver, o DeliveryOptions) {
	ctx := context.Background()
	st := r.st
	o.Queue, o.Secrets, o.Results = st, r.box, r.results
	if o.Guard == nil {
		pool := x509.NewCertPool()
		if rc != nil {
			pool.AddCert(rc.Certificate())
		}
		o.Guard = egress.New(egress.Options{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, RootCAs: pool})
	}
	if o.Backoff == nil {
		o.Backoff = func(int) time.Duration { return 10 * time.Millisecond }
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	o.Logger = log
	runner := jobs.New(jobs.Options{Logger: log, Poll: 20 * time.Millisecond, Lease: 3 * time.Second, Wake: st.PushJobNotifications(ctx)})
	runner.Register(NewDelivery(o).Kind())
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); runner.Run(rctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// newPass creates a pass of the rig's account (one pass.created event).
func (r *rig) newPass(t testing.TB) *walletwallet.Pass {
	t.Helper()
	now := time.Now()
	p := &walletwallet.Pass{PassTypeID: testPassType, Serial: newSerial(), AuthToken: strings.Repeat("a", 40),
		AccountID: r.account.ID, Request: []byte(`{}`), Hash: "h0", FirstIssued: now, LastModified: now, Blob: []byte("v0")}
	if err := r.st.CreatePass(context.Background(), p, walletwallet.Quota{Month: walletwallet.Month(now), Limit: 1000}); err != nil {
		t.Fatal(err)
	}
	return p
}

func newSerial() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pending is the number of deliveries neither delivered nor failed.
func (r *rig) pending(t testing.TB) int {
	n, err := r.st.PendingDeliveries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// verify checks a delivery's headers and signature as a receiver would,
// with the secret shown at creation, and returns the decoded body.
func verify(t *testing.T, secret string, got received) map[string]any {
	t.Helper()
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	sig := got.header.Get(HeaderSignature)
	ts, mac, ok := strings.Cut(sig, ",v1=")
	ts, ok2 := strings.CutPrefix(ts, "t=")
	if !ok || !ok2 {
		t.Fatalf("signature header %q", sig)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
		t.Errorf("signature time %q is not now", ts)
	}
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts + "." + string(got.body)))
	if want := hex.EncodeToString(h.Sum(nil)); !hmac.Equal([]byte(mac), []byte(want)) {
		t.Errorf("signature %s does not verify (want v1=%s)", sig, want)
	}
	var body map[string]any
	if err := json.Unmarshal(got.body, &body); err != nil {
		t.Fatalf("body %q: %v", got.body, err)
	}
	if id := got.header.Get(HeaderEventID); id == "" || id != body["id"] {
		t.Errorf("event id header %q, body id %v", id, body["id"])
	}
	return body
}

// noDial is a guard dialer that records the attempt and never connects.
type noDial struct {
	mu    sync.Mutex
	addrs []string
}

func (d *noDial) Dial(_ context.Context, _, addr string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs = append(d.addrs, addr)
	return nil, fmt.Errorf("test dialer: %s not dialled", addr)
}

func (d *noDial) dials() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

// tableResolver answers from a table and never touches DNS.
type tableResolver struct {
	mu    sync.Mutex
	names map[string]string
	asked []string
}

func (r *tableResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, host)
	if a, ok := r.names[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (r *tableResolver) lookups() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.asked)
}

package events

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/egress"
)

// TestEveryEventTypeDeliveredSigned makes each of the five events happen to
// a pass and checks what the receiver got: one signed POST per event, the
// body the contract fixes, the device on install events only.
func TestEveryEventTypeDeliveredSigned(t *testing.T) {
	ctx := context.Background()
	rc := newReceiver(t, nil)
	r := newRig(t, rc.URL+"/hooks/ww", rc, DeliveryOptions{})
	p := r.newPass(t)
	if _, err := r.st.Register(ctx, &walletwallet.Registration{DeviceID: "dev-1", PushToken: "tok-1", PassTypeID: p.PassTypeID, Serial: p.Serial}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.st.UpdatePass(ctx, &walletwallet.PassUpdate{PassTypeID: p.PassTypeID, Serial: p.Serial, AccountID: p.AccountID,
		Request: []byte(`{"v":1}`), Hash: "h1", PrevHash: p.Hash, LastModified: time.Now(), Blob: []byte("v1")},
		walletwallet.Quota{Month: walletwallet.Month(time.Now()), Limit: 1000}); err != nil {
		t.Fatal(err)
	}
	if err := r.st.Unregister(ctx, "dev-1", p.PassTypeID, p.Serial); err != nil {
		t.Fatal(err)
	}
	if _, err := r.st.VoidPass(ctx, &walletwallet.PassVoid{PassTypeID: p.PassTypeID, Serial: p.Serial, AccountID: p.AccountID,
		PrevHash: "h1", LastModified: time.Now(), Blob: []byte("void")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "five deliveries", func() bool { return len(rc.got()) >= 5 && r.pending(t) == 0 })
	time.Sleep(100 * time.Millisecond) // nothing more may come
	got := rc.got()
	if len(got) != 5 {
		t.Fatalf("receiver got %d requests, want 5", len(got))
	}
	var types, ids []string
	for _, g := range got {
		b := verify(t, r.secret, g)
		typ, _ := b["type"].(string)
		types = append(types, typ)
		ids = append(ids, b["id"].(string))
		data, _ := b["data"].(map[string]any)
		if data["serialNumber"] != p.Serial || data["passTypeIdentifier"] != testPassType {
			t.Errorf("%s: data %v", typ, data)
		}
		if v, ok := data["templateId"]; !ok || v != nil {
			t.Errorf("%s: templateId %v (present %v), want null", typ, v, ok)
		}
		dev, hasDev := data["deviceLibraryIdentifier"]
		installEvent := typ == "pass.installed" || typ == "pass.uninstalled"
		if installEvent != hasDev || hasDev && dev != "dev-1" {
			t.Errorf("%s: deviceLibraryIdentifier %v", typ, dev)
		}
		if ms, _ := b["createdAt"].(float64); time.Since(time.UnixMilli(int64(ms))).Abs() > time.Minute {
			t.Errorf("%s: createdAt %v", typ, b["createdAt"])
		}
	}
	slices.Sort(types)
	want := []string{"pass.created", "pass.installed", "pass.uninstalled", "pass.updated", "pass.voided"}
	if !slices.Equal(types, want) {
		t.Fatalf("types %q, want %q", types, want)
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != 5 {
		t.Fatalf("event ids not distinct: %q", ids)
	}
	if c := r.results.get(); c["ok"] != 5 || c["retried"] != 0 || c["failed"] != 0 {
		t.Fatalf("results %v", c)
	}
}

// TestRetriedUntil2xx: 500, 500, then 200 is exactly three attempts of the
// same event, counted retried twice and ok once.
func TestRetriedUntil2xx(t *testing.T) {
	rc := newReceiver(t, statuses(500, 500))
	var mu sync.Mutex
	var waits []int
	backoff := func(n int) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, n)
		return 20 * time.Millisecond
	}
	r := newRig(t, rc.URL, rc, DeliveryOptions{Backoff: backoff})
	r.newPass(t)
	waitFor(t, "delivered", func() bool { return r.pending(t) == 0 })
	time.Sleep(200 * time.Millisecond)
	got := rc.got()
	if len(got) != 3 {
		t.Fatalf("%d attempts, want 3", len(got))
	}
	for _, g := range got {
		if g.header.Get(HeaderEventID) != got[0].header.Get(HeaderEventID) {
			t.Fatalf("attempts carry different events")
		}
		verify(t, r.secret, g)
	}
	if c := r.results.get(); c["retried"] != 2 || c["ok"] != 1 || c["failed"] != 0 {
		t.Fatalf("results %v", c)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(waits, []int{1, 2}) {
		t.Fatalf("backoff asked for attempts %v, want [1 2]", waits)
	}
}

// TestHangingReceiverTimedOut: an endpoint that never answers is given up
// on after the timeout (short here) and retried; the default is 10 s.
func TestHangingReceiverTimedOut(t *testing.T) {
	var cancelled atomic.Int64
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			select {
			case <-r.Context().Done(): // the client gave up
				cancelled.Add(1)
			case <-time.After(30 * time.Second):
			}
		}
	})
	r := newRig(t, rc.URL, rc, DeliveryOptions{Timeout: 300 * time.Millisecond})
	r.newPass(t)
	waitFor(t, "delivered on the second attempt", func() bool { return r.pending(t) == 0 })
	if n := len(rc.got()); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	// The receiver sees the abandoned request end (it would hang 30 s).
	waitFor(t, "the hanging request abandoned by the client", func() bool { return cancelled.Load() == 1 })
	if c := r.results.get(); c["retried"] != 1 || c["ok"] != 1 {
		t.Fatalf("results %v", c)
	}
	d := NewDelivery(DeliveryOptions{Queue: r.st, Secrets: r.box, Guard: egress.New(egress.Options{})})
	if d.o.Timeout != 10*time.Second || d.o.Window != 24*time.Hour {
		t.Fatalf("defaults: timeout %s, window %s", d.o.Timeout, d.o.Window)
	}
}

// TestGivenUpAfterWindow: a delivery failing once its event is more than 24
// hours old is marked failed, not retried.
func TestGivenUpAfterWindow(t *testing.T) {
	rc := newReceiver(t, statuses(503, 503, 503))
	later := func() time.Time { return time.Now().Add(24*time.Hour + time.Minute) }
	r := newRig(t, rc.URL, rc, DeliveryOptions{Now: later})
	r.newPass(t)
	waitFor(t, "closed", func() bool { return r.pending(t) == 0 })
	time.Sleep(200 * time.Millisecond)
	if n := len(rc.got()); n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
	if c := r.results.get(); c["failed"] != 1 || c["retried"] != 0 || c["ok"] != 0 {
		t.Fatalf("results %v", c)
	}
}

// TestAnswerHandling: redirects are not followed (a 3xx is a failure), and
// no more than MaxAnswer of an answer is read.
func TestAnswerHandling(t *testing.T) {
	t.Run("redirect not followed", func(t *testing.T) {
		target := newReceiver(t, nil)
		rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				http.Redirect(w, r, target.URL+"/elsewhere", http.StatusFound)
			}
		})
		r := newRig(t, rc.URL, rc, DeliveryOptions{})
		r.newPass(t)
		waitFor(t, "delivered", func() bool { return r.pending(t) == 0 })
		if n := len(target.got()); n != 0 {
			t.Fatalf("the redirect was followed %d times", n)
		}
		if n := len(rc.got()); n != 2 {
			t.Fatalf("%d attempts at the endpoint, want 2 (302, then 200)", n)
		}
	})
	t.Run("long answer cut off", func(t *testing.T) {
		var written atomic.Int64
		rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
			chunk := []byte(strings.Repeat("x", 32<<10))
			for range 2048 { // 64 MiB offered
				k, err := w.Write(chunk)
				written.Add(int64(k))
				if err != nil {
					return
				}
			}
		})
		r := newRig(t, rc.URL, rc, DeliveryOptions{})
		r.newPass(t)
		waitFor(t, "delivered", func() bool { return r.pending(t) == 0 })
		if w := written.Load(); w >= 16<<20 {
			t.Fatalf("the endpoint wrote %d bytes: the answer was read far past %d", w, MaxAnswer)
		}
		if c := r.results.get(); c["ok"] != 1 {
			t.Fatalf("results %v", c)
		}
	})
}

// TestRefusedWithoutDial: an http URL, a non-public literal and a name
// that resolves to a private address when the delivery is made are all
// refused before any connection is attempted.
func TestRefusedWithoutDial(t *testing.T) {
	tests := []struct {
		name   string
		url    string
		result string // what the first attempt counts as
		lookup bool   // the name was resolved (at delivery time)
	}{
		{"http URL", "http://hooks.example/ww", "failed", false},
		{"private literal", "https://10.1.2.3/ww", "failed", false},
		{"metadata literal", "https://169.254.169.254/latest", "failed", false},
		{"IPv6 unique-local literal", "https://[fd00::1]/ww", "failed", false},
		{"name resolving to a private address", "https://internal.example/ww", "retried", true},
		{"name resolving to loopback", "https://loop.example/ww", "retried", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dialer := &noDial{}
			res := &tableResolver{names: map[string]string{
				"internal.example": "10.9.8.7", "loop.example": "127.0.0.1", "hooks.example": "93.184.216.34"}}
			// No exemptions here: loopback is non-public like the rest.
			g := egress.New(egress.Options{Resolver: res, Dial: dialer.Dial})
			r := newRig(t, tc.url, nil, DeliveryOptions{Guard: g, Backoff: func(int) time.Duration { return time.Hour }})
			r.newPass(t)
			wantPending := 0
			if tc.result == "retried" {
				wantPending = 1
			}
			waitFor(t, "the first attempt", func() bool { return len(r.results.get()) > 0 && r.pending(t) == wantPending })
			if c := r.results.get(); c[tc.result] != 1 || len(c) != 1 {
				t.Fatalf("results %v, want one %s", c, tc.result)
			}
			if d := dialer.dials(); len(d) != 0 {
				t.Fatalf("dialled %q", d)
			}
			if got := res.lookups() > 0; got != tc.lookup {
				t.Fatalf("resolved the name: %v, want %v", got, tc.lookup)
			}
		})
	}
}

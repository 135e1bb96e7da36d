package push

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jobs"
	"github.com/walletwallet/walletwallet/internal/push/apnstest"
	"github.com/walletwallet/walletwallet/internal/store/sqlite"
)

// storeWithAccount opens a real SQLite store in a temporary folder (closed
// when the test ends) with one Pro account in it.
func storeWithAccount(t *testing.T) (*sqlite.DB, *walletwallet.Account) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ww.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := &walletwallet.Account{Plan: walletwallet.PlanPro}
	if err := st.CreateAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return st, a
}

// TestWorkerOnRealStore runs the worker on a real SQLite store against the
// APNs double: a changed pass with devices whose tokens APNs answers 200,
// 410, 400 BadDeviceToken, 400 DeviceTokenNotForTopic and 429-then-200.
// Dead tokens leave the database, the misrouted one stays, the throttled one
// is delivered on retry, and the job is finished.
func TestWorkerOnRealStore(t *testing.T) {
	ctx := context.Background()
	st, a := storeWithAccount(t)
	q := walletwallet.Quota{Month: walletwallet.Month(time.Now()), Limit: 100}
	p := &walletwallet.Pass{PassTypeID: testTopic, Serial: "00000000-0000-4000-8000-000000000001", AuthToken: strings.Repeat("a", 40),
		AccountID: a.ID, Request: []byte(`{}`), Hash: "h1", FirstIssued: time.Now(), LastModified: time.Now(), Blob: []byte("v1")}
	if err := st.CreatePass(ctx, p, q); err != nil {
		t.Fatal(err)
	}
	replies := map[string]apnstest.Reply{
		"tok-ok":       {Status: 200},
		"tok-gone":     {Status: 410, Reason: "Unregistered"},
		"tok-bad":      {Status: 400, Reason: "BadDeviceToken"},
		"tok-topic":    {Status: 400, Reason: "DeviceTokenNotForTopic"},
		"tok-throttle": {Status: 429, Reason: "TooManyRequests"},
	}
	for tok := range replies {
		if _, err := st.Register(ctx, &walletwallet.Registration{DeviceID: "dev-" + tok, PushToken: tok, PassTypeID: testTopic, Serial: p.Serial}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	double := newDouble(t)
	double.Script(func(r apnstest.Request) apnstest.Reply {
		mu.Lock()
		defer mu.Unlock()
		seen[r.Token]++
		if r.Token == "tok-throttle" && seen[r.Token] > 1 {
			return apnstest.Reply{Status: 200}
		}
		return replies[r.Token]
	})
	res, err := st.UpdatePass(ctx, &walletwallet.PassUpdate{PassTypeID: testTopic, Serial: p.Serial, AccountID: a.ID,
		Request: []byte(`{"v":2}`), Hash: "h2", PrevHash: "h1", LastModified: time.Now().Add(time.Second), Blob: []byte("v2")}, q)
	if err != nil || res.NotifiedDevices != len(replies) {
		t.Fatalf("UpdatePass = %+v, %v", res, err)
	}
	logs := &logBuffer{}
	_, reports, _ := startWorkerB(t, WorkerOptions{
		Queue:  st,
		Pusher: certClient(t, double, newClientCert(t), 1),
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Owner:  "test-worker",
		Wake:   st.PushJobNotifications(ctx),
	})
	select {
	case r := <-reports:
		if r.Outcome != jobs.Finished {
			t.Fatalf("job outcome %v, want finished: %+v", r.Outcome, r)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the job was not worked")
	}
	if n, _ := st.PendingPushJobs(ctx); n != 0 {
		t.Errorf("%d jobs pending after the job finished", n)
	}
	if got, err := st.Pass(ctx, testTopic, p.Serial); err != nil || got.Devices != 3 {
		t.Errorf("registrations left: %+v, %v; want 3 (410 and BadDeviceToken removed)", got, err)
	}
	for _, tok := range []string{"tok-gone", "tok-bad"} {
		if n, _ := st.DeleteRegistrationsByToken(ctx, tok); n != 0 {
			t.Errorf("%s is still registered", tok)
		}
	}
	if n, _ := st.DeleteRegistrationsByToken(ctx, "tok-topic"); n != 1 {
		t.Errorf("DeviceTokenNotForTopic must keep the registration")
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["tok-throttle"] != 2 || seen["tok-ok"] != 1 {
		t.Errorf("pushes per token: %v", seen)
	}
	if !strings.Contains(logs.String(), "DeviceTokenNotForTopic") {
		t.Errorf("misrouted topic not logged:\n%s", logs.String())
	}
}

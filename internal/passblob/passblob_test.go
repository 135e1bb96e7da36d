package passblob_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/passblob"
	"github.com/walletwallet/walletwallet/internal/store/sqlite"
)

const passType = "pass.test.passblob"

type rebuilder struct {
	calls   atomic.Int64
	release chan struct{} // each rebuild waits for it when non-nil
}

func (r *rebuilder) Rebuild(ctx context.Context, p *walletwallet.Pass) ([]byte, error) {
	r.calls.Add(1)
	if r.release != nil {
		<-r.release
	}
	return []byte("signed " + p.Serial), nil
}

func setup(t *testing.T, blob []byte) (*sqlite.DB, *walletwallet.Pass) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ww.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := &walletwallet.Account{Email: "a@example.com", Plan: walletwallet.PlanPro}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	p := &walletwallet.Pass{PassTypeID: passType, Serial: "0f8fad5b-d9cb-469f-a165-70867728950e", AuthToken: "t",
		AccountID: a.ID, Request: []byte(`{}`), Hash: strings.Repeat("a", 64), Blob: blob}
	if err := db.CreatePass(ctx, p, walletwallet.Quota{Month: walletwallet.Month(time.Now()), Limit: 10}); err != nil {
		t.Fatal(err)
	}
	return db, p
}

// Many callers of a version without a blob: one signing, every caller gets
// it, it is stored, and a caller that gives up does not stop it for the rest.
func TestOneRebuildForConcurrentCallers(t *testing.T) {
	db, p := setup(t, nil)
	rb := &rebuilder{release: make(chan struct{})}
	src := passblob.New(db, rb, nil)
	ctx := context.Background()

	impatient, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error, 1)
	go func() {
		_, err := src.Current(impatient, p)
		gaveUp <- err
	}()
	const n = 8
	var wg sync.WaitGroup
	got := make([][]byte, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { got[i], errs[i] = src.Current(ctx, p) })
	}
	for rb.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v, want context.Canceled", err)
	}
	close(rb.release)
	wg.Wait()
	want := "signed " + p.Serial
	for i := range n {
		if errs[i] != nil || string(got[i]) != want {
			t.Errorf("caller %d: %q, %v", i, got[i], errs[i])
		}
	}
	if c := rb.calls.Load(); c != 1 {
		t.Errorf("%d rebuilds, want 1", c)
	}
	stored, err := db.Pass(ctx, passType, p.Serial)
	if err != nil || string(stored.Blob) != want {
		t.Fatalf("stored blob %q, %v; want %q", stored.Blob, err, want)
	}
}

func TestStoredBlobIsUsed(t *testing.T) {
	db, p := setup(t, []byte("stored"))
	rb := &rebuilder{}
	src := passblob.New(db, rb, nil)
	b, err := src.Current(context.Background(), p)
	if err != nil || string(b) != "stored" || rb.calls.Load() != 0 {
		t.Fatalf("stored blob: %q, %v, %d rebuilds", b, err, rb.calls.Load())
	}
}

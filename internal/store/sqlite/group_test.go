package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/walletwallet/walletwallet"
)

// TestGroupCommitIsolatesFailures commits three operations as one group:
// the failing one's writes are rolled back, the others' commit, and each
// caller gets its own outcome.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	put := func(key string, fail error) *writeOp {
		return &writeOp{done: make(chan error, 1), fn: func(tx *wtx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO assets (key, data) VALUES (?, ?)`, key, []byte(key)); err != nil {
				return err
			}
			return fail
		}}
	}
	boom := errors.New("boom")
	ops := []*writeOp{put("a", nil), put("b", boom), put("c", nil), put("a", nil)}
	db.commitGroup(ops)
	want := []error{nil, boom, nil, errors.New("unique")}
	for i, op := range ops {
		got := <-op.done
		if (got == nil) != (want[i] == nil) || (want[i] == boom && got != boom) {
			t.Errorf("op %d: %v, want %v", i, got, want[i])
		}
	}
	for key, present := range map[string]bool{"a": true, "b": false, "c": true} {
		_, err := db.Asset(ctx, key)
		if got := err == nil; got != present {
			t.Errorf("asset %s present=%v, want %v (err %v)", key, got, present, err)
		}
	}
}

// TestGroupCommitUnderLoad has many writers at once (so groups form) and
// checks every acknowledged write is there after reopening the file.
func TestGroupCommitUnderLoad(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	acked := make(chan string, 400)
	for i := 0; i < 400; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := "k" + string(rune('A'+i%26)) + string(rune('a'+i/26))
			if err := db.PutAsset(ctx, &walletwallet.Asset{Key: key, Data: []byte(key)}); err != nil {
				t.Error(err)
				return
			}
			acked <- key
		}()
	}
	wg.Wait()
	close(acked)
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	for key := range acked {
		n++
		if _, err := db.Asset(ctx, key); err != nil {
			t.Errorf("acknowledged %s is gone: %v", key, err)
		}
	}
	if n != 400 {
		t.Errorf("%d acknowledged, want 400", n)
	}
}

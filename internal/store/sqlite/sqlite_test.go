package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/storetest"
)

func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "ww.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) walletwallet.Store { return openTemp(t) })
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "ww.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	a := &walletwallet.Account{Email: "keep@example.com", Plan: walletwallet.PlanFree}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// The second Open finds the schema in place and must not migrate again.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Account(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != a.Email {
		t.Fatalf("Email = %q, want %q", got.Email, a.Email)
	}
}

// Two handles on one file stand for serve and a CLI command writing at once:
// busy_timeout must make them queue rather than fail.
func TestTwoHandlesWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ww.db")
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	const perHandle = 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*perHandle)
	for _, db := range dbs {
		wg.Go(func() {
			for range perHandle {
				errs <- db.CreateAccount(ctx, &walletwallet.Account{Email: "x@example.com", Plan: walletwallet.PlanTrial})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, db := range dbs {
		list, err := db.Accounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2*perHandle {
			t.Fatalf("handle %d sees %d accounts, want %d", i, len(list), 2*perHandle)
		}
	}
}

func TestOpenRefusesMemory(t *testing.T) {
	for _, path := range []string{"", ":memory:"} {
		t.Run(path, func(t *testing.T) {
			if db, err := Open(context.Background(), path); err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func BenchmarkCreatePass(b *testing.B) {
	storetest.BenchmarkCreatePass(b, openTemp(b))
}

func BenchmarkRegisterConcurrent(b *testing.B) {
	storetest.BenchmarkRegisterConcurrent(b, openTemp(b))
}

func BenchmarkUpdatePass100k(b *testing.B) {
	db := openTemp(b)
	storetest.BenchmarkUpdatePass(b, db, 100_000, func(passTypeID, serial string, n int) {
		_, err := db.w.ExecContext(context.Background(), `
			WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
			INSERT INTO registrations (device_id, pass_type_id, serial, push_token, created_at)
			SELECT 'device-' || i, ?, ?, 'token-' || i, ? FROM seq`,
			n, passTypeID, serial, time.Now().UnixMilli())
		if err == nil {
			_, err = db.w.ExecContext(context.Background(),
				`UPDATE passes SET registration_count = registration_count + ? WHERE pass_type_id = ? AND serial = ?`,
				n, passTypeID, serial)
		}
		if err != nil {
			b.Fatal(err)
		}
	})
}

// serve and a CLI command may both start on a fresh file at once; both must
// end up with the migrated schema.
func TestConcurrentOpenOfFreshFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ww.db")
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			db, err := Open(ctx, path)
			if err == nil {
				_, err = db.Accounts(ctx)
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open #%d: %v", i, err)
		}
	}
}

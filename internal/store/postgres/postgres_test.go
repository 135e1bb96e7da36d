package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/pgtest"
	"github.com/walletwallet/walletwallet/internal/store/storetest"
)

func openFresh(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), pgtest.FreshDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the database's cleanup, so it runs before the drop.
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) walletwallet.Store { return openFresh(t) })
}

// Several instances starting at once on a fresh database: the advisory lock
// must let exactly one migrate while the others wait and then find it done.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dbURL := pgtest.FreshDatabase(t)
	ctx := context.Background()
	const n = 6
	dbs := make([]*DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(ctx, dbURL) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open #%d: %v", i, err)
			continue
		}
		defer dbs[i].Close()
	}
	if t.Failed() {
		return
	}
	var applied int
	if err := dbs[0].pool.QueryRow(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id = 1`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != 1 {
		t.Fatalf("migration 1 recorded %d times, want 1", applied)
	}
	for i, db := range dbs {
		if _, err := db.Accounts(ctx); err != nil {
			t.Fatalf("instance %d cannot query: %v", i, err)
		}
	}
}

// Instances claiming at once must each get a different job.
func TestConcurrentClaimsTakeDistinctJobs(t *testing.T) {
	db := openFresh(t)
	ctx := context.Background()
	a := &walletwallet.Account{Email: "c@example.com", Plan: walletwallet.PlanPro}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	const jobs = 8
	t0 := time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC)
	for i := range jobs {
		serial := storetest.NewSerial()
		p := &walletwallet.Pass{PassTypeID: storetest.PassTypeID, Serial: serial, AuthToken: "t", AccountID: a.ID,
			Request: []byte("{}"), Hash: "h0", FirstIssued: t0, LastModified: t0}
		if err := db.CreatePass(ctx, p, walletwallet.Quota{Month: "2026-11", Limit: 100}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Register(ctx, &walletwallet.Registration{DeviceID: fmt.Sprint("d", i), PushToken: "tok", PassTypeID: p.PassTypeID, Serial: serial}); err != nil {
			t.Fatal(err)
		}
		u := &walletwallet.PassUpdate{PassTypeID: p.PassTypeID, Serial: serial, AccountID: a.ID, Request: []byte(`{"v":1}`),
			Hash: "h1", PrevHash: "h0", LastModified: t0.Add(time.Second)}
		if _, err := db.UpdatePass(ctx, u, walletwallet.Quota{Month: "2026-11", Limit: 100}); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(time.Minute)
	claimed := make([]int64, jobs)
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Go(func() {
			j, err := db.ClaimPushJob(ctx, fmt.Sprint("w", i), now, now.Add(time.Minute))
			if err != nil || j == nil {
				t.Errorf("claim %d = %v, %v", i, j, err)
				return
			}
			claimed[i] = j.ID
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, id := range claimed {
		if seen[id] {
			t.Fatalf("job %d claimed twice: %v", id, claimed)
		}
		seen[id] = true
	}
}

func BenchmarkCreatePass(b *testing.B) {
	storetest.BenchmarkCreatePass(b, openFresh(b))
}

// BenchmarkCreatePassesBatch is one CreatePasses of n passes.
func BenchmarkCreatePassesBatch(b *testing.B) {
	for _, n := range []int{1, 64, 500} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { storetest.BenchmarkCreatePasses(b, openFresh(b), n) })
	}
}

func BenchmarkRegisterConcurrent(b *testing.B) {
	storetest.BenchmarkRegisterConcurrent(b, openFresh(b))
}

func BenchmarkUpdatePass100k(b *testing.B) {
	db := openFresh(b)
	storetest.BenchmarkUpdatePass(b, db, 100_000, func(passTypeID, serial string, n int) {
		ctx := context.Background()
		_, err := db.pool.Exec(ctx, `
			INSERT INTO registrations (device_id, pass_type_id, serial, push_token, created_at)
			SELECT 'device-' || i, $2, $3, 'token-' || i, now() FROM generate_series(1, $1::int) AS i`,
			n, passTypeID, serial)
		if err == nil {
			_, err = db.pool.Exec(ctx, `
				UPDATE passes SET registration_count = registration_count + $1 WHERE pass_type_id = $2 AND serial = $3`,
				n, passTypeID, serial)
		}
		if err == nil {
			_, err = db.pool.Exec(ctx, `VACUUM ANALYZE registrations`)
		}
		if err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkTemplateDrain is the template job's store work for a change of
// 100,000 passes with one device each (storetest.BenchmarkTemplateDrain).
func BenchmarkTemplateDrain(b *testing.B) {
	db := openFresh(b)
	storetest.BenchmarkTemplateDrain(b, db, 100_000, 1000, 1000, func(tp *walletwallet.Template, n int) {
		ctx := context.Background()
		_, err := db.pool.Exec(ctx, `
			INSERT INTO passes (pass_type_id, serial, auth_token, account_id, request, hash, first_issued, last_modified,
				share_id, registration_count, template_id, template_rev, template_values)
			SELECT $1, 'seed-' || lpad(i::text, 8, '0'), 'token-' || i, $2, '{}', 'seed', now(), now(),
				'share-' || i, 1, $3, $4, convert_to('{"i":"' || i || '"}', 'UTF8') FROM generate_series(0, $5::int - 1) AS i`,
			storetest.PassTypeID, tp.AccountID, tp.ID, tp.Rev, n)
		if err == nil {
			_, err = db.pool.Exec(ctx, `
				INSERT INTO registrations (device_id, pass_type_id, serial, push_token, created_at)
				SELECT 'dev-' || serial, pass_type_id, serial, md5(serial) || md5(serial), now() FROM passes WHERE template_id = $1`, tp.ID)
		}
		if err == nil {
			_, err = db.pool.Exec(ctx, `ANALYZE passes; ANALYZE registrations`)
		}
		if err != nil {
			b.Fatal(err)
		}
	})
}

// A template fold rewrites no indexed column of a pass, and the passes'
// pages keep room for a new row version (migration 12), so each fold
// update stays on its page as a heap-only (HOT) update instead of adding
// an entry to every index of passes. A row version on the same page with no
// indexed column changed is what PostgreSQL makes HOT, so the test compares
// each pass's page (the block of its ctid) before and after the fold.
func TestTemplateFoldUpdatesInPlace(t *testing.T) {
	db := openFresh(t)
	ctx := context.Background()
	a := &walletwallet.Account{Email: "hot@example.com", Plan: walletwallet.PlanPro}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	tp := &walletwallet.Template{ID: walletwallet.NewTemplateID(), AccountID: a.ID, Name: "card", Design: []byte(`{"d":1}`), Defaults: []byte(`{}`)}
	if err := db.CreateTemplate(ctx, tp); err != nil {
		t.Fatal(err)
	}
	// Hashes of one length, as the real ones (hex SHA-256).
	const n = 500
	if _, err := db.pool.Exec(ctx, `
		INSERT INTO passes (pass_type_id, serial, auth_token, account_id, request, hash, first_issued, last_modified,
			share_id, template_id, template_rev, template_values)
		SELECT $1, 'hot-' || lpad(i::text, 6, '0'), 'token-' || i, $2, '{}', md5('old' || i) || md5('old' || i), now(), now(),
			'share-' || i, $3, 1, '{}' FROM generate_series(1, $4::int) AS i`,
		storetest.PassTypeID, a.ID, tp.ID, n); err != nil {
		t.Fatal(err)
	}
	pages := func() map[string]string {
		rows, err := db.pool.Query(ctx, `SELECT serial, (ctid::text::point)[0]::bigint::text FROM passes WHERE template_id = $1`, tp.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		var serial, page string
		if _, err := pgx.ForEachRow(rows, []any{&serial, &page}, func() error { out[serial] = page; return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := pages()
	rehash := func(serial string, _ []byte) (string, error) {
		h := sha256.Sum256([]byte("new " + serial))
		return hex.EncodeToString(h[:]), nil
	}
	res, err := db.UpdateTemplate(ctx, &walletwallet.TemplateChange{ID: tp.ID, AccountID: a.ID, PrevRev: 1, Name: "card",
		Design: []byte(`{"d":2}`), Defaults: []byte(`{}`), Rehash: rehash}, walletwallet.Quota{Month: walletwallet.Month(time.Now()), Limit: 10 * n})
	if err != nil || res.UpdatedPasses != n {
		t.Fatalf("change: %+v %v", res, err)
	}
	fr, err := db.FoldTemplate(ctx, &walletwallet.TemplateFold{TemplateID: tp.ID, PassTypeID: storetest.PassTypeID, Rev: res.Rev,
		Limit: n, Rehash: rehash})
	if err != nil || fr.Changed != n {
		t.Fatalf("fold: %+v %v", fr, err)
	}
	moved := 0
	for serial, page := range pages() {
		if before[serial] != page {
			moved++
		}
	}
	if moved > 0 {
		t.Fatalf("%d of %d folded passes moved to another page (not a HOT update)", moved, n)
	}
}

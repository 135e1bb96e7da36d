package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/storetest"
)

// BenchmarkRecordEvent is what recording one event adds to the transaction
// of a change: the insert and its triggers (a delivery row per webhook, the
// two counter rows), 500 events per transaction so the commit, which the
// change pays anyway, is spread thin. Compare with BenchmarkCreatePass and
// internal/api's BenchmarkPOST (BENCHMARKS.md).
func BenchmarkRecordEvent(b *testing.B) {
	for _, hooks := range []int{-1, 0, 1} {
		name := fmt.Sprintf("webhooks=%d", hooks)
		if hooks < 0 {
			// The insert alone, as before migration 7: what the triggers add.
			name = "no-triggers"
		}
		b.Run(name, func(b *testing.B) {
			db := openTemp(b)
			p := storetest.SeedEventPass(b, db, max(hooks, 0))
			if hooks < 0 {
				if _, err := db.w.Exec(`DROP TRIGGER events_deliveries; DROP TRIGGER events_counters`); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			now := time.Now()
			b.ResetTimer()
			for n := b.N; n > 0; n -= 500 {
				err := db.write(ctx, func(tx *wtx) error {
					for range min(n, 500) {
						if err := recordEvent(ctx, tx, walletwallet.EventPassUpdated, p.PassTypeID, p.Serial, "", now); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCreatePassNoTriggers is BenchmarkCreatePass without migration
// 7's trigger (no deliveries, no counters): the pair shows what it adds to
// a create, one pass and one event per transaction.
func BenchmarkCreatePassNoTriggers(b *testing.B) {
	db := openTemp(b)
	if _, err := db.w.Exec(`DROP TRIGGER events_deliveries; DROP TRIGGER events_counters`); err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkCreatePass(b, db)
}

// BenchmarkBulkEvents records 10,000 events in one statement, as a
// template change does, with and without migration 7's trigger: the
// trigger runs per row on SQLite (it has no statement triggers).
func BenchmarkBulkEvents(b *testing.B) {
	for _, triggers := range []bool{false, true} {
		b.Run(fmt.Sprintf("triggers=%v", triggers), func(b *testing.B) {
			db := openTemp(b)
			p := storetest.SeedEventPass(b, db, 0)
			if !triggers {
				if _, err := db.w.Exec(`DROP TRIGGER events_deliveries; DROP TRIGGER events_counters`); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				err := db.write(ctx, func(tx *wtx) error {
					_, err := tx.ExecContext(ctx, `
						WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
						INSERT INTO events (type, account_id, pass_type_id, serial, device_id, created_at)
						SELECT 'pass.updated', account_id, pass_type_id, serial, '', ? FROM passes, n
						WHERE pass_type_id = ? AND serial = ?`, millis(time.Now()), p.PassTypeID, p.Serial)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/event")
		})
	}
}

// BenchmarkTemplateDrain is the template job's store work for a change of
// 100,000 passes with one device each (storetest.BenchmarkTemplateDrain).
func BenchmarkTemplateDrain(b *testing.B) {
	benchDrain(b, openTemp(b))
}

func benchDrain(b *testing.B, db *DB) {
	storetest.BenchmarkTemplateDrain(b, db, 100_000, 1000, 1000, func(tp *walletwallet.Template, n int) {
		err := db.write(context.Background(), func(tx *wtx) error {
			_, err := tx.ExecContext(context.Background(), `
				WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ? - 1)
				INSERT INTO passes (pass_type_id, serial, auth_token, account_id, request, hash, first_issued, last_modified,
					share_id, registration_count, template_id, template_rev, template_values)
				SELECT ?, printf('seed-%08d', i), printf('token-%08d', i), ?, '{}', 'seed', 0, 0,
					printf('share-%08d', i), 1, ?, ?, '{"i":"' || i || '"}' FROM c`, n, storetest.PassTypeID, tp.AccountID, tp.ID, tp.Rev)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(context.Background(), `
				INSERT INTO registrations (device_id, pass_type_id, serial, push_token, created_at)
				SELECT 'dev-' || serial, pass_type_id, serial, printf('%064x', rowid), 0 FROM passes WHERE template_id = ?`, tp.ID)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	})
}

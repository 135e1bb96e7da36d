package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/rules"
	"github.com/walletwallet/walletwallet/internal/store/storetest"
)

// BenchmarkRecordEvent is what recording one event adds to the transaction
// of a change: the insert and its triggers (a delivery row per webhook, the
// two counter rows at commit), 500 events per transaction so the commit,
// which the change pays anyway, is spread thin.
func BenchmarkRecordEvent(b *testing.B) {
	for _, hooks := range []int{-1, 0, 1} {
		name := fmt.Sprintf("webhooks=%d", hooks)
		if hooks < 0 {
			// The insert alone, as before migration 7: what the triggers add.
			name = "no-triggers"
		}
		b.Run(name, func(b *testing.B) {
			db := openFresh(b)
			p := storetest.SeedEventPass(b, db, max(hooks, 0))
			if hooks < 0 {
				if _, err := db.pool.Exec(context.Background(), `DROP TRIGGER events_fan_out ON events; DROP TRIGGER events_count ON events`); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			now := time.Now()
			b.ResetTimer()
			for n := b.N; n > 0; n -= 500 {
				err := db.write(ctx, func(tx pgx.Tx) error {
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
// 7's triggers (no deliveries, no counters): the pair shows what they add
// to a create, one pass and one event per transaction.
func BenchmarkCreatePassNoTriggers(b *testing.B) {
	db := openFresh(b)
	if _, err := db.pool.Exec(context.Background(), `DROP TRIGGER events_fan_out ON events; DROP TRIGGER events_count ON events`); err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkCreatePass(b, db)
}

// recordEvent writes one event of the pass in the caller's transaction (the
// account is the pass's owner), as the store's writes did one statement each
// before they folded their events into their own statements.
func recordEvent(ctx context.Context, tx pgx.Tx, typ walletwallet.EventType, passTypeID, serial, deviceID string, at time.Time) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO events (type, account_id, pass_type_id, serial, device_id, created_at, template_id)
		SELECT $1, account_id, pass_type_id, serial, $2, $3, coalesce(template_id, '') FROM passes WHERE pass_type_id = $4 AND serial = $5`,
		string(typ), deviceID, rules.Stamp(at), passTypeID, serial)
	return err
}

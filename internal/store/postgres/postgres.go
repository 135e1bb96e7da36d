// Package postgres is the PostgreSQL backend of walletwallet.Store (pgx v5,
// pgxpool). Several instances may share one database: push jobs are claimed
// with FOR UPDATE SKIP LOCKED, quotas are conditional upserts, and every
// enqueue wakes all instances through LISTEN/NOTIFY on ww_push_jobs.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/migrations"
	"github.com/walletwallet/walletwallet/internal/store/rules"
)

// NotifyChannel is the LISTEN/NOTIFY channel that announces new push jobs
// (and the deliveries the events triggers queue).
const NotifyChannel = "ww_push_jobs"

// DB is a walletwallet.Store on a PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool

	// Listeners run until their own context or this one ends (Close).
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open connects to the database at url (postgres://…) and applies pending
// migrations; concurrent Opens by several instances are serialised by an
// advisory lock.
func Open(ctx context.Context, url string) (_ *DB, err error) {
	defer walletwallet.Wrap(&err, "postgres.Open")
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL with its password.
		return nil, errors.New("invalid PostgreSQL URL")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	err = migrations.UpPostgres(ctx, sqlDB)
	sqlDB.Close() // leaves the pool open
	if err != nil {
		pool.Close()
		return nil, err
	}
	db := &DB{pool: pool}
	db.ctx, db.cancel = context.WithCancel(context.Background())
	return db, nil
}

// Ping checks the database is reachable.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres ping: %w", err)
	}
	return nil
}

// Close stops the notification listeners and closes the pool.
func (db *DB) Close() error {
	db.cancel()
	db.wg.Wait()
	db.pool.Close()
	return nil
}

// PushJobNotifications signals the returned channel whenever any instance
// commits a push job, and after the listening connection was re-established
// (notifications sent while it was down are lost). It listens on a dedicated
// connection outside the pool until ctx ends or the DB is closed.
func (db *DB) PushJobNotifications(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	db.wg.Add(1)
	go func() {
		defer db.wg.Done()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(db.ctx, cancel)
		defer stop()
		db.listen(ctx, ch)
	}()
	return ch
}

func (db *DB) listen(ctx context.Context, ch chan struct{}) {
	signal := func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	missed := false
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+NotifyChannel)
			if err == nil {
				if missed {
					signal()
				}
				backoff = 100 * time.Millisecond
				for err == nil {
					if _, err = conn.WaitForNotification(ctx); err == nil {
						signal()
					}
				}
			}
			conn.Close(context.Background())
		}
		missed = true
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// write runs fn in a transaction, retrying the whole of it when PostgreSQL
// aborted it for a deadlock or serialization failure (possible when two
// requests touch the same device's registrations in different orders).
func (db *DB) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return retried(func() error { return pgx.BeginFunc(ctx, db.pool, fn) })
}

// rowQuerier is what a statement needs: the pool (a statement that is its
// own transaction) or a transaction.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// retried runs a transaction until it ends without a deadlock or
// serialization failure, at most three times.
func retried(run func() error) error {
	for attempt := 1; ; attempt++ {
		err := run()
		var pe *pgconn.PgError
		if attempt < 3 && errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") {
			continue
		}
		return err
	}
}

// timeDest scans a timestamptz as it is (rules.ScanPass makes it UTC).
func timeDest(t *time.Time) any { return t }

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// countUsage adds one to the account's counter for q.Month unless it has
// reached q.Limit; EQUOTA otherwise. The conditional upsert locks the counter
// row and re-checks the limit on its latest version, so N racing requests
// against R remaining succeed exactly min(N, R) times.
func countUsage(ctx context.Context, tx pgx.Tx, accountID int64, q walletwallet.Quota) error {
	if q.Limit <= 0 {
		return rules.QuotaReached(q)
	}
	var n int64
	err := tx.QueryRow(ctx, `
		INSERT INTO usage (account_id, month, count) VALUES ($1, $2, 1)
		ON CONFLICT (account_id, month) DO UPDATE SET count = usage.count + 1
		WHERE usage.count < $3
		RETURNING count`, accountID, q.Month, q.Limit).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return rules.QuotaReached(q)
	}
	return err
}

// Package migrations holds the embedded schema of each store dialect and
// applies the pending versions with goose.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// UpSQLite applies pending SQLite migrations. db must be a writer whose
// transactions take the write lock up front, so two processes migrating at
// once queue instead of interleaving.
func UpSQLite(ctx context.Context, db *sql.DB) error {
	return up(ctx, goose.DialectSQLite3, db, "sqlite")
}

// UpPostgres applies pending PostgreSQL migrations under a session advisory
// lock, so several instances starting at once migrate one after the other.
func UpPostgres(ctx context.Context, db *sql.DB) error {
	// Probe every second (the minimum) rather than goose's default five, so
	// instances waiting behind a quick migration start promptly; give up after
	// five minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migrations: session locker: %w", err)
	}
	return up(ctx, goose.DialectPostgres, db, "postgres", goose.WithSessionLocker(locker))
}

func up(ctx context.Context, dialect goose.Dialect, db *sql.DB, dir string, opts ...goose.ProviderOption) error {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// The global registry holds Go migrations registered by any imported
	// package; ours are SQL only, and nothing else should sneak in.
	opts = append(opts, goose.WithDisableGlobalRegistry(true))
	p, err := goose.NewProvider(dialect, db, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %s provider: %w", dir, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %s up: %w", dir, err)
	}
	return nil
}

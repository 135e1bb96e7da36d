// Package store opens the walletwallet.Store backend named by a database URL.
// The backends live in the sqlite and postgres subpackages; storetest is the
// conformance suite they both pass.
package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/postgres"
	"github.com/walletwallet/walletwallet/internal/store/sqlite"
)

// Notifier is implemented by backends that can wake the job runner of every
// instance when a job is enqueued. The channel is signalled (never closed) at
// least once after each enqueue; signals may coalesce. It stops when ctx ends.
type Notifier interface {
	PushJobNotifications(ctx context.Context) <-chan struct{}
}

// Compile-time checks that both backends are complete stores and notifiers.
var (
	_ walletwallet.Store = (*sqlite.DB)(nil)
	_ walletwallet.Store = (*postgres.DB)(nil)
	_ Notifier           = (*sqlite.DB)(nil)
	_ Notifier           = (*postgres.DB)(nil)
)

// Open picks the backend from the URL scheme ("sqlite:PATH", "sqlite://PATH",
// "file:PATH", "postgres://…", "postgresql://…") and applies pending
// migrations before returning.
func Open(ctx context.Context, databaseURL string) (walletwallet.Store, error) {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		db, err := postgres.Open(ctx, databaseURL)
		if err != nil {
			return nil, err // a typed nil must not escape as a non-nil interface
		}
		return db, nil
	}
	if path, ok := SQLitePath(databaseURL); ok {
		return openSQLite(ctx, path)
	}
	scheme, _, ok := strings.Cut(databaseURL, ":")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("store: database URL %q has no scheme; use sqlite:PATH or postgres://…", databaseURL)
	}
	return nil, fmt.Errorf("store: unsupported database URL scheme %q; use sqlite:PATH or postgres://…", scheme)
}

// SQLitePath returns the file path of a SQLite database URL, and false for
// any other URL.
func SQLitePath(databaseURL string) (string, bool) {
	for _, prefix := range []string{"sqlite://", "sqlite:", "file:"} {
		if path, ok := strings.CutPrefix(databaseURL, prefix); ok {
			return path, true
		}
	}
	return "", false
}

func openSQLite(ctx context.Context, path string) (walletwallet.Store, error) {
	if path == "" {
		return nil, fmt.Errorf("store: sqlite database URL has no path; use sqlite:PATH")
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err // a typed nil must not escape as a non-nil interface
	}
	return db, nil
}

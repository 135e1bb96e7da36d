// Package pgtest gives tests a fresh PostgreSQL database each, on the server
// scripts/with-postgres.sh starts and names in WW_TEST_POSTGRES_URL.
package pgtest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// AdminURL is the superuser DSN from WW_TEST_POSTGRES_URL. Without it the
// test skips, except in CI (CI=true), where a missing database is a failure.
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("WW_TEST_POSTGRES_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PostgreSQL tests need WW_TEST_POSTGRES_URL (CI=true): run them under scripts/with-postgres.sh")
		}
		t.Skip("WW_TEST_POSTGRES_URL not set; run under scripts/with-postgres.sh for the PostgreSQL tests")
	}
	return u
}

// FreshDatabase creates an empty database for one test, drops it when the
// test ends (after servers registered later have been stopped) and returns its URL.
func FreshDatabase(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	ctx := context.Background()
	// rand.Text is upper-case base32; lower case keeps the name an unquoted identifier.
	name := "ww_" + strings.ToLower(rand.Text()[:16])
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to %s: %v", admin, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

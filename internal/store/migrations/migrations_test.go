package migrations

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/pgtest"
)

// upTo applies the migrations of dir up to version.
func upTo(t *testing.T, dialect goose.Dialect, db *sql.DB, dir string, version int64) {
	t.Helper()
	sub, err := fs.Sub(files, dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(dialect, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
}

// Passes issued before share links existed get a share id, and their
// registrations count as installs, when migration 3 runs.
func TestPassResourceMigrationBackfills(t *testing.T) {
	cases := []struct {
		name    string
		open    func(t *testing.T) *sql.DB
		dialect goose.Dialect
		dir     string
		up      func(context.Context, *sql.DB) error
		// one placeholder style per dialect
		insertPass, insertReg string
	}{
		{
			name: "sqlite",
			open: func(t *testing.T) *sql.DB {
				db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db")+"?_pragma=foreign_keys(1)&_txlock=immediate")
				if err != nil {
					t.Fatal(err)
				}
				db.SetMaxOpenConns(1)
				return db
			},
			dialect:    goose.DialectSQLite3,
			dir:        "sqlite",
			up:         UpSQLite,
			insertPass: `INSERT INTO passes (pass_type_id, serial, auth_token, account_id, request, hash, first_issued, last_modified) VALUES ('pt', ?, 'tok', 1, '{}', 'h', 0, 0)`,
			insertReg:  `INSERT INTO registrations (device_id, pass_type_id, serial, push_token, created_at) VALUES (?, 'pt', ?, 'push', 0)`,
		},
		{
			name: "postgres",
			open: func(t *testing.T) *sql.DB {
				db, err := sql.Open("pgx", pgtest.FreshDatabase(t))
				if err != nil {
					t.Fatal(err)
				}
				return db
			},
			dialect:    goose.DialectPostgres,
			dir:        "postgres",
			up:         UpPostgres,
			insertPass: `INSERT INTO passes (pass_type_id, serial, auth_token, account_id, request, hash, first_issued, last_modified) VALUES ('pt', $1, 'tok', 1, '{}', 'h', now(), now())`,
			insertReg:  `INSERT INTO registrations (device_id, pass_type_id, serial, push_token, created_at) VALUES ($1, 'pt', $2, 'push', now())`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			db := c.open(t)
			defer db.Close()
			upTo(t, c.dialect, db, c.dir, 2)
			if _, err := db.Exec(`INSERT INTO accounts (email, plan, created_at) VALUES ('a@example.com', 'pro', ` + map[string]string{"sqlite": "0", "postgres": "now()"}[c.name] + `)`); err != nil {
				t.Fatal(err)
			}
			serials := []string{"11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"}
			for _, s := range serials {
				if _, err := db.Exec(c.insertPass, s); err != nil {
					t.Fatal(err)
				}
			}
			for _, d := range []string{"devA", "devB"} {
				if _, err := db.Exec(c.insertReg, d, serials[0]); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.up(ctx, db); err != nil {
				t.Fatal(err)
			}
			rows, err := db.Query(`SELECT serial, share_id, install_count FROM passes ORDER BY serial`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			seen := map[string]bool{}
			wantInstalls := map[string]int{serials[0]: 2, serials[1]: 0}
			for rows.Next() {
				var serial, share string
				var installs int
				if err := rows.Scan(&serial, &share, &installs); err != nil {
					t.Fatal(err)
				}
				if !walletwallet.ValidShareID(share) || seen[share] {
					t.Errorf("pass %s got share id %q (valid %v, repeated %v)", serial, share, walletwallet.ValidShareID(share), seen[share])
				}
				seen[share] = true
				if installs != wantInstalls[serial] {
					t.Errorf("pass %s: install_count %d, want %d", serial, installs, wantInstalls[serial])
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(seen) != 2 {
				t.Fatalf("%d passes after the migration, want 2", len(seen))
			}
		})
	}
}

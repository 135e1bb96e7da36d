package migrations

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
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

// TestSQLiteLargeColumnsMoveLast: migration 12 moves the blobs to
// pass_blobs, stamped with their pass's version, and request to the end of
// the passes row, and keeps every pass's values, its registrations (the
// foreign key's cascade must not fire) and its rowid.
func TestSQLiteLargeColumnsMoveLast(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db")+"?_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	upTo(t, goose.DialectSQLite3, db, "sqlite", 11)
	if _, err := db.Exec(`INSERT INTO accounts (email, plan, created_at) VALUES ('a@example.com', 'pro', 0)`); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 20_000)
	for i := range big {
		big[i] = byte(i * 7)
	}
	type row struct {
		rowid                 int64
		serial, hash, share   string
		request, blob, values []byte
		regs                  int
	}
	want := []row{
		{serial: "11111111-1111-4111-8111-111111111111", hash: "h1", share: "s1", request: []byte(`{"a":1}`), blob: big, values: []byte(`{"n":"1"}`), regs: 1},
		{serial: "22222222-2222-4222-8222-222222222222", hash: "h2", share: "s2", request: big[:9000], blob: nil, values: nil, regs: 0},
	}
	for i := range want {
		w := &want[i]
		res, err := db.Exec(`INSERT INTO passes (pass_type_id, serial, auth_token, account_id, request, hash, first_issued, last_modified,
			blob, registration_count, share_id, template_values) VALUES ('pt', ?, 'tok', 1, ?, ?, 0, 0, ?, ?, ?, ?)`,
			w.serial, w.request, w.hash, w.blob, w.regs, w.share, w.values)
		if err != nil {
			t.Fatal(err)
		}
		if w.rowid, err = res.LastInsertId(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO registrations (device_id, pass_type_id, serial, push_token, created_at) VALUES ('d', 'pt', ?, 'push', 0)`, want[0].serial); err != nil {
		t.Fatal(err)
	}
	if err := UpSQLite(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	var cols []string
	rows, err := db.Query(`SELECT name FROM pragma_table_info('passes') ORDER BY cid`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	if n := len(cols); n < 3 || cols[n-1] != "request" || slices.Contains(cols, "blob") {
		t.Fatalf("columns after migration 12: %v, want request last and no blob", cols)
	}
	for _, w := range want {
		var got row
		if err := db.QueryRow(`SELECT rowid, serial, hash, share_id, request,
			(SELECT b.blob FROM pass_blobs b WHERE b.pass = passes.rowid AND b.last_modified = passes.last_modified),
			template_values, registration_count FROM passes WHERE serial = ?`, w.serial).
			Scan(&got.rowid, &got.serial, &got.hash, &got.share, &got.request, &got.blob, &got.values, &got.regs); err != nil {
			t.Fatal(err)
		}
		if got.rowid != w.rowid || got.hash != w.hash || got.share != w.share || string(got.request) != string(w.request) ||
			string(got.blob) != string(w.blob) || (got.blob == nil) != (w.blob == nil) || string(got.values) != string(w.values) || got.regs != w.regs {
			t.Fatalf("pass %s after migration 12 differs", w.serial)
		}
	}
	var regs int
	if err := db.QueryRow(`SELECT count(*) FROM registrations`).Scan(&regs); err != nil || regs != 1 {
		t.Fatalf("registrations after migration 12: %d %v", regs, err)
	}
}

package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/walletwallet/walletwallet/internal/push/apnstest"
	"github.com/walletwallet/walletwallet/internal/store/pgtest"
)

// BenchmarkTemplates measures templates on the spawned binary, on SQLite
// and (under scripts/with-postgres.sh) PostgreSQL:
//
//   - bulk: one POST /api/templates/{id}/passes of 1,000 passes, against
//     1,000 / the time of 50 sequential POST /api/passes;
//
//   - update: a template of 100,000 passes, each with one registered
//     device: the PATCH's answer time, the time until the APNs double has
//     every push, and the first and second device fetch of a pass whose
//     new version is signed lazily. update100k-stored is the same with a
//     10 KB signed pass stored for every pass, as after its devices fetched
//     the version before.
//
//     go test -run '^$' -bench Templates -benchtime 1x ./cmd/walletwallet
func BenchmarkTemplates(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend+"/bulk1000", func(b *testing.B) { benchTemplateBulk(b, backend) })
		b.Run(backend+"/update100k", func(b *testing.B) { benchTemplateUpdate(b, backend, 100_000, false) })
		b.Run(backend+"/update100k-stored", func(b *testing.B) { benchTemplateUpdate(b, backend, 100_000, true) })
	}
}

func benchEnv(b *testing.B, backend string, double *apnstest.Server) (map[string]string, *proc, string, string) {
	env := testEnv(b, double)
	if backend == "postgres" {
		env["WW_DATABASE_URL"] = pgtest.FreshDatabase(b)
	}
	srv := startServer(b, env)
	key := newKey(b, env, "--plan", "pro", "--monthly-limit", "10000000")
	r := call(b, "POST", srv.URL+"/api/templates", clubDesign, bearer(key), jsonCT)
	if r.status != 201 {
		b.Fatalf("create template: %d %s", r.status, r.body)
	}
	return env, srv, key, r.json(b)["id"].(string)
}

func benchTemplateBulk(b *testing.B, backend string) {
	_, srv, key, tpl := benchEnv(b, backend, nil)
	var es []string
	for i := range 1000 {
		es = append(es, fmt.Sprintf(`{"values": {"member": "%06d", "name": "Member %d"}}`, i, i))
	}
	body := `{"passes": [` + strings.Join(es, ",") + `]}`
	b.ResetTimer()
	var bulk time.Duration
	for range b.N {
		start := time.Now()
		r := call(b, "POST", srv.URL+"/api/templates/"+tpl+"/passes", body, bearer(key), jsonCT)
		bulk += time.Since(start)
		if r.status != 201 {
			b.Fatalf("bulk: %d %.300s", r.status, r.body)
		}
	}
	b.StopTimer()
	start := time.Now()
	for range 50 {
		if r := call(b, "POST", srv.URL+"/api/passes", bayroast, bearer(key), jsonCT); r.status != 201 {
			b.Fatalf("POST: %d %s", r.status, r.body)
		}
	}
	post := time.Since(start) / 50
	b.ReportMetric(float64(1000*b.N)/bulk.Seconds(), "bulk-passes/s")
	b.ReportMetric(1/post.Seconds(), "post-passes/s")
}

// benchTemplateUpdate: with stored, every pass has a signed pass of 10 KB
// stored, as after its devices fetched the previous version; without, none
// has (a bulk issue's passes before anyone downloads them).
func benchTemplateUpdate(b *testing.B, backend string, n int, stored bool) {
	double := apnstest.NewServer()
	defer double.Close()
	env, srv, key, tpl := benchEnv(b, backend, double)
	seedTemplatePasses(b, backend, env, tpl, n, stored)
	b.ResetTimer()
	var answer, drain time.Duration
	for i := range b.N {
		start := time.Now()
		r := call(b, "PATCH", srv.URL+"/api/templates/"+tpl, fmt.Sprintf(`{"pass": {"logoText": "Bayroast %d"}}`, i), bearer(key), jsonCT)
		answer += time.Since(start)
		if r.status != 200 || int(r.json(b)["updatedPasses"].(float64)) != n || int(r.json(b)["notifiedDevices"].(float64)) != n {
			b.Fatalf("PATCH: %d %s", r.status, r.body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		err := double.WaitCount(ctx, (i+1)*n)
		cancel()
		if err != nil {
			b.Fatalf("drain: %d of %d pushes: %v", double.Count(), (i+1)*n, err)
		}
		drain += time.Since(start)
	}
	b.StopTimer()
	// The first fetch renders and signs the new version; the second is the stored blob.
	url := fmt.Sprintf("%s/v1/passes/%s/%s", srv.URL, devPassType, seedSerial(n/2))
	var fetch [2]time.Duration
	for k := range fetch {
		start := time.Now()
		r := call(b, "GET", url, "", "Authorization: ApplePass "+seedToken(n/2))
		fetch[k] = time.Since(start)
		if r.status != 200 || !strings.HasPrefix(fmt.Sprint(unzipJSON(b, r.body)["logoText"]), "Bayroast ") {
			b.Fatalf("fetch: %d", r.status)
		}
	}
	b.ReportMetric(float64(answer.Milliseconds())/float64(b.N), "patch-ms")
	b.ReportMetric(drain.Seconds()/float64(b.N), "all-pushed-s")
	b.ReportMetric(float64(fetch[0].Microseconds())/1000, "first-fetch-ms")
	b.ReportMetric(float64(fetch[1].Microseconds())/1000, "second-fetch-ms")
}

func seedSerial(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }
func seedToken(i int) string  { return fmt.Sprintf("seed-token-%022d", i) }

// seedTemplatePasses inserts n passes of the template, each with its values
// and one registered device (and, with blobs, a 10 KB blob of random bytes
// stored for its version), straight into the database (issuing and
// registering 100,000 over HTTP would take minutes).
func seedTemplatePasses(b *testing.B, backend string, env map[string]string, tpl string, n int, blobs bool) {
	b.Helper()
	ctx := context.Background()
	values := func(i int) []byte { return fmt.Appendf(nil, `{"member":"%06d","name":"Member %d"}`, i, i) }
	if backend == "postgres" {
		conn, err := pgx.Connect(ctx, env["WW_DATABASE_URL"])
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		var account int64
		if err := conn.QueryRow(ctx, `SELECT account_id FROM templates WHERE id = $1`, tpl).Scan(&account); err != nil {
			b.Fatal(err)
		}
		now := time.Now().Add(-time.Hour)
		passes, regs := make([][]any, n), make([][]any, n)
		for i := range n {
			var blob []byte
			var stamp *time.Time // the version the blob signs (migration 13)
			if blobs {
				blob = make([]byte, 10240)
				rand.Read(blob)
				stamp = &now
			}
			passes[i] = []any{devPassType, seedSerial(i), seedToken(i), account, []byte(`{}`), "seed", now, now,
				fmt.Sprintf("s%023d", i), 1, tpl, int64(1), values(i), blob, stamp}
			regs[i] = []any{fmt.Sprintf("dev-%06d", i), devPassType, seedSerial(i), fmt.Sprintf("%064x", i), now}
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"passes"}, []string{"pass_type_id", "serial", "auth_token", "account_id", "request", "hash",
			"first_issued", "last_modified", "share_id", "registration_count", "template_id", "template_rev", "template_values", "blob", "blob_modified"}, pgx.CopyFromRows(passes)); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"registrations"}, []string{"device_id", "pass_type_id", "serial", "push_token", "created_at"}, pgx.CopyFromRows(regs)); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `ANALYZE passes; ANALYZE registrations`); err != nil {
			b.Fatal(err)
		}
		return
	}
	db, err := sql.Open("sqlite", env["WW_DATA_DIR"]+"/walletwallet.db?_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var account int64
	if err := db.QueryRow(`SELECT account_id FROM templates WHERE id = ?`, tpl).Scan(&account); err != nil {
		b.Fatal(err)
	}
	now := time.Now().Add(-time.Hour).UnixMilli()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	ps, err := tx.Prepare(`INSERT INTO passes (pass_type_id, serial, auth_token, account_id, request, hash, first_issued, last_modified,
		share_id, registration_count, template_id, template_rev, template_values) VALUES (?, ?, ?, ?, '{}', 'seed', ?, ?, ?, 1, ?, 1, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	bs, err := tx.Prepare(`INSERT INTO pass_blobs (pass, last_modified, blob) VALUES (last_insert_rowid(), ?, randomblob(10240))`)
	if err != nil {
		b.Fatal(err)
	}
	rs, err := tx.Prepare(`INSERT INTO registrations (device_id, pass_type_id, serial, push_token, created_at) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := ps.Exec(devPassType, seedSerial(i), seedToken(i), account, now, now, fmt.Sprintf("s%023d", i), tpl, values(i)); err != nil {
			b.Fatal(err)
		}
		if blobs {
			if _, err := bs.Exec(now); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := rs.Exec(fmt.Sprintf("dev-%06d", i), devPassType, seedSerial(i), fmt.Sprintf("%064x", i), now); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	// The seed's pages (a gigabyte with blobs) are copied into the
	// database before the timer starts, not by the server's checkpoints
	// during the measured drain.
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
}

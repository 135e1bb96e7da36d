package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/walletwallet/walletwallet/internal/push/apnstest"
	"github.com/walletwallet/walletwallet/internal/store/pgtest"
)

// BenchmarkFanout measures live updates end to end on the spawned binary: one
// changed PUT to a pass with 10,000 or 100,000 registered devices, drained
// through the real store and worker to the APNs double in this process; then
// cached GET /v1/passes throughput. Run it with
//
//	go test -run '^$' -bench Fanout -benchtime 1x ./cmd/walletwallet
//
// (under scripts/with-postgres.sh for the PostgreSQL rows).
func BenchmarkFanout(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, n := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("%s/%dk", backend, n/1000), func(b *testing.B) { benchFanout(b, backend, n) })
		}
	}
}

func benchFanout(b *testing.B, backend string, devices int) {
	double := apnstest.NewServer()
	defer double.Close()
	env := testEnv(b, double)
	if backend == "postgres" {
		env["WW_DATABASE_URL"] = pgtest.FreshDatabase(b)
	}
	srv := startServer(b, env)
	key := newKey(b, env, "--plan", "pro", "--monthly-limit", "1000000")
	r := call(b, "POST", srv.URL+"/api/pkpass", bayroast, bearer(key), jsonCT)
	if r.status != 200 {
		b.Fatalf("POST: %d %s", r.status, r.body)
	}
	serial := r.header.Get("X-Serial-Number")
	token := unzipJSON(b, r.body)["authenticationToken"].(string)
	seedRegistrations(b, backend, env, serial, devices)

	b.ResetTimer()
	var putTotal, drainTotal time.Duration
	for i := 0; i < b.N; i++ {
		body := strings.Replace(bayroast, `"value": "250"`, fmt.Sprintf(`"value": "%d"`, 300+i), 1)
		start := time.Now()
		r := call(b, "PUT", srv.URL+"/api/pkpass/"+serial, body, bearer(key), jsonCT)
		put := time.Since(start)
		if r.status != 200 || int(r.json(b)["notifiedDevices"].(float64)) != devices {
			b.Fatalf("PUT: %d %s", r.status, r.body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		err := double.WaitCount(ctx, (i+1)*devices)
		cancel()
		if err != nil {
			b.Fatalf("drain: %d of %d pushes: %v", double.Count(), (i+1)*devices, err)
		}
		putTotal += put
		drainTotal += time.Since(start)
	}
	b.StopTimer()
	drain := drainTotal / time.Duration(b.N)
	b.ReportMetric(float64(putTotal.Milliseconds())/float64(b.N), "put-ms")
	b.ReportMetric(drain.Seconds(), "drain-s")
	b.ReportMetric(float64(devices)/drain.Seconds(), "pushes/s")
	if devices == 10_000 {
		b.ReportMetric(getPassRate(b, srv.URL, serial, token), "get-pass/s")
	}
}

// seedRegistrations inserts n registrations for serial straight into the
// database (registering 100,000 devices over HTTP would take minutes), and
// keeps the pass's registration count in step as Register does.
func seedRegistrations(b *testing.B, backend string, env map[string]string, serial string, n int) {
	b.Helper()
	ctx := context.Background()
	if backend == "postgres" {
		now := time.Now()
		conn, err := pgx.Connect(ctx, env["WW_DATABASE_URL"])
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		rows := make([][]any, n)
		for i := range rows {
			rows[i] = []any{fmt.Sprintf("dev-%06d", i), devPassType, serial, fmt.Sprintf("%064x", i), now}
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"registrations"}, []string{"device_id", "pass_type_id", "serial", "push_token", "created_at"}, pgx.CopyFromRows(rows)); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `UPDATE passes SET registration_count = $1 WHERE serial = $2`, n, serial); err != nil {
			b.Fatal(err)
		}
		return
	}
	db, err := sql.Open("sqlite", strings.TrimPrefix(env["WW_DATA_DIR"]+"/walletwallet.db", "sqlite:")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UnixMilli()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO registrations (device_id, pass_type_id, serial, push_token, created_at) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := st.ExecContext(ctx, fmt.Sprintf("dev-%06d", i), devPassType, serial, fmt.Sprintf("%064x", i), now); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE passes SET registration_count = ? WHERE serial = ?`, n, serial); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// getPassRate is how many authenticated GET /v1/passes (stored blob, no
// rebuild) 8 clients get answered in 3 seconds.
func getPassRate(b *testing.B, base, serial, token string) float64 {
	url := fmt.Sprintf("%s/v1/passes/%s/%s", base, devPassType, serial)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var done atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(3 * time.Second)
	start := time.Now()
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Authorization", "ApplePass "+token)
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Errorf("GET pass: %d", res.StatusCode)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(start).Seconds()
}

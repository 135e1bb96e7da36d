package main

// Several `serve` processes sharing one PostgreSQL database: the monthly
// quota holds across instances, a changed PUT pushes each device once, and a
// fan-out survives the death of the instance working it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/walletwallet/walletwallet/internal/push/apnstest"
	"github.com/walletwallet/walletwallet/internal/store/pgtest"
)

// cluster is n `serve` processes with one configuration: the same data folder
// (so the same development identity), the same database and APNs double, and
// each its own loopback port.
type cluster struct {
	env   map[string]string
	dbURL string
	procs []*proc
}

func startCluster(t *testing.T, n int, double *apnstest.Server) *cluster {
	t.Helper()
	return startClusterWith(t, n, double, nil)
}

// startClusterWith is startCluster with extra settings: configure(env) runs
// on the shared environment before the first instance starts.
func startClusterWith(t *testing.T, n int, double *apnstest.Server, configure func(env map[string]string)) *cluster {
	t.Helper()
	c := &cluster{dbURL: pgtest.FreshDatabase(t)}
	c.env = testEnv(t, double)
	c.env["WW_DATABASE_URL"] = c.dbURL
	if configure != nil {
		configure(c.env)
	}
	if double == nil {
		c.env["WW_APNS_URL"] = "https://127.0.0.1:1" // never reached: keeps any stray push on loopback
	}
	// The first creates the development identity and migrates; the others
	// find both done.
	for range n {
		c.procs = append(c.procs, startServer(t, c.env))
	}
	return c
}

// query runs one single-value SQL query against the cluster's database.
func (c *cluster) query(t *testing.T, sql string, dst any, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, sql, args...).Scan(dst); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// registrationState tells, for a count that came out wrong, which of the
// stored figures of the pass's registrations disagree.
func (c *cluster) registrationState(t *testing.T, serial string) string {
	t.Helper()
	var rows, count, installs, installed, events int
	c.query(t, `SELECT count(*) FROM registrations WHERE serial = $1`, &rows, serial)
	c.query(t, `SELECT registration_count FROM passes WHERE serial = $1`, &count, serial)
	c.query(t, `SELECT install_count FROM passes WHERE serial = $1`, &installs, serial)
	c.query(t, `SELECT count(*) FROM pass_installs WHERE serial = $1`, &installed, serial)
	c.query(t, `SELECT count(*) FROM events WHERE type = 'pass.installed' AND serial = $1`, &events, serial)
	return fmt.Sprintf("registration rows %d, registration_count %d, install_count %d, pass_installs rows %d, pass.installed events %d",
		rows, count, installs, installed, events)
}

// waitNoPushJobs waits until every push job is finished (finished jobs are
// deleted, so the table is empty).
func (c *cluster) waitNoPushJobs(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var n int
		c.query(t, `SELECT count(*) FROM push_jobs`, &n)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d push jobs still pending after %s", n, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// multiClient is shared by the concurrent requests: keeping connections
// alive avoids thousands of fresh loopback connections.
var multiClient = &http.Client{
	Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
	Timeout:   60 * time.Second,
}

// send is call for goroutines: it returns the error instead of failing the test.
func send(method, u, body string, headers ...string) (*reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return nil, err
	}
	for _, hv := range headers {
		k, v, _ := strings.Cut(hv, ": ")
		req.Header.Add(k, v)
	}
	res, err := multiClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &reply{res.StatusCode, res.Header, b}, nil
}

// registerDevices registers n devices (device "<prefix>-i", push token
// "<prefix>tok<i>") for the pass, spread round robin over the instances by
// a few concurrent clients, and returns the tokens.
func registerDevices(t *testing.T, c *cluster, serial, authToken, prefix string, n, workers int) []string {
	t.Helper()
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("%stok%05d", prefix, i)
	}
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				p := c.procs[i%len(c.procs)]
				u := fmt.Sprintf("%s/v1/devices/%s-%d/registrations/%s/%s", p.URL, prefix, i, devPassType, serial)
				r, err := send("POST", u, `{"pushToken":"`+tokens[i]+`"}`, "Authorization: ApplePass "+authToken)
				if err == nil && r.status != http.StatusCreated {
					err = fmt.Errorf("register device %d: %d %s", i, r.status, r.body)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					next.Store(int64(n)) // stop the others
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	return tokens
}

// issue creates the Bayroast pass on instance p and returns its serial and
// authentication token.
func issue(t testing.TB, p *proc, key string) (serial, authToken string) {
	t.Helper()
	r := call(t, "POST", p.URL+"/api/pkpass", bayroast, bearer(key), jsonCT)
	if r.status != http.StatusOK {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	return r.header.Get("X-Serial-Number"), unzipJSON(t, r.body)["authenticationToken"].(string)
}

// TestMultiInstanceQuota: 60 concurrent POSTs spread over three instances
// against a limit of 20 yield exactly 20 passes, and every instance reports
// the same count.
func TestMultiInstanceQuota(t *testing.T) {
	c := startCluster(t, 3, nil)
	key := newKey(t, c.env, "--plan", "pro", "--monthly-limit", "20")

	const requests, limit = 60, 20
	replies := make([]*reply, requests)
	errs := make([]error, requests)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			<-start
			body := fmt.Sprintf(`{"barcodeValue":"Q-%d","barcodeFormat":"QR","logoText":"Quota %d"}`, i, i)
			replies[i], errs[i] = send("POST", c.procs[i%3].URL+"/api/pkpass", body, bearer(key), jsonCT)
		})
	}
	close(start) // release them together so the instances race for the last units
	wg.Wait()

	statuses := map[int]int{}
	serials := map[string]bool{}
	for i, r := range replies {
		if errs[i] != nil {
			t.Fatalf("POST %d: %v", i, errs[i])
		}
		statuses[r.status]++
		switch r.status {
		case http.StatusOK:
			serials[r.header.Get("X-Serial-Number")] = true
		case http.StatusTooManyRequests:
			var m map[string]string
			if err := json.Unmarshal(r.body, &m); err != nil || m["error"] != "Rate limit exceeded" || m["resetDate"] == "" {
				t.Errorf("429 body of POST %d: %s", i, r.body)
			}
		default:
			t.Errorf("POST %d on instance %d: %d %s", i, i%3, r.status, r.body)
		}
	}
	if statuses[200] != limit || statuses[429] != requests-limit {
		t.Errorf("statuses %v, want %d×200 and %d×429", statuses, limit, requests-limit)
	}
	if len(serials) != statuses[200] {
		t.Errorf("%d distinct serials for %d successes", len(serials), statuses[200])
	}
	var stored int
	c.query(t, `SELECT count(*) FROM passes`, &stored)
	if stored != limit {
		t.Errorf("%d passes stored, want %d", stored, limit)
	}
	for i, p := range c.procs {
		m := call(t, "GET", p.URL+"/api/auth/usage", "", bearer(key)).json(t)
		if m["count"] != float64(limit) || m["limit"] != float64(limit) || m["remaining"] != float64(0) {
			t.Errorf("usage on instance %d: %v", i, m)
		}
	}
}

// TestMultiInstancePushOnce: a changed PUT on one instance pushes each of 50
// devices (registered through all instances) exactly once, and afterwards
// every instance serves the new version to devices.
func TestMultiInstancePushOnce(t *testing.T) {
	double := apnstest.NewServer()
	t.Cleanup(double.Close) // after the servers are gone
	c := startCluster(t, 3, double)
	key := newKey(t, c.env, "--plan", "pro")
	caPEM := filepath.Join(c.env["WW_DATA_DIR"], "dev-identity", "ca.pem")

	serial, authToken := issue(t, c.procs[1], key)
	const devices = 50
	tokens := registerDevices(t, c, serial, authToken, "once", devices, 8)
	var count int
	c.query(t, `SELECT registration_count FROM passes`, &count)
	if count != devices {
		t.Fatalf("registration_count %d, want %d", count, devices)
	}
	auth := "Authorization: ApplePass " + authToken
	passPath := fmt.Sprintf("/v1/passes/%s/%s", devPassType, serial)
	listPath := fmt.Sprintf("/v1/devices/once-7/registrations/%s", devPassType)

	// Every instance serves the first version before the PUT, so a stale
	// per-process copy would show below.
	var tag1 string
	for i, p := range c.procs {
		r := call(t, "GET", p.URL+passPath, "", auth)
		if r.status != 200 || !strings.Contains(fmt.Sprint(unzipJSON(t, r.body)["generic"]), "250") {
			t.Fatalf("fetch before the PUT on instance %d: %d", i, r.status)
		}
		r = call(t, "GET", p.URL+listPath, "")
		if r.status != 200 {
			t.Fatalf("serial list before the PUT on instance %d: %d %s", i, r.status, r.body)
		}
		tag1 = r.json(t)["lastUpdated"].(string)
	}

	changed := strings.Replace(bayroast, `"value": "250"`, `"value": "500"`, 1)
	r := call(t, "PUT", c.procs[2].URL+"/api/pkpass/"+serial, changed, bearer(key), jsonCT)
	if r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	put := r.json(t)
	if put["notifiedDevices"] != float64(devices) || put["unchanged"] != false {
		t.Fatalf("PUT answer: %v", put)
	}
	lastUpdated := strconv.FormatInt(int64(put["lastUpdated"].(float64)), 10)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := double.WaitCount(ctx, devices); err != nil {
		t.Fatalf("pushes: %v", err)
	}
	c.waitNoPushJobs(t, 30*time.Second)
	// A duplicate from a second instance would arrive within a poll or two;
	// give it time to show.
	time.Sleep(2 * time.Second)
	perToken := map[string]int{}
	for _, req := range double.Requests() {
		perToken[req.Token]++
	}
	for _, tok := range tokens {
		if perToken[tok] != 1 {
			t.Errorf("token %s pushed %d times, want 1", tok, perToken[tok])
		}
	}
	if n := double.Count(); n != devices {
		t.Errorf("%d pushes in all, want %d", n, devices)
	}

	var passJSON []byte
	var lastModified string
	for i, p := range c.procs {
		r := call(t, "GET", p.URL+passPath, "", auth)
		if r.status != 200 {
			t.Fatalf("fetch on instance %d: %d %s", i, r.status, r.body)
		}
		pj := verifyPass(t, r.body, caPEM)
		if !strings.Contains(fmt.Sprint(pj["generic"]), "500") {
			t.Errorf("instance %d serves an old version: %v", i, pj["generic"])
		}
		files := unzip(t, r.body)
		lm := r.header.Get("Last-Modified")
		if i == 0 {
			passJSON, lastModified = files["pass.json"], lm
		} else if string(files["pass.json"]) != string(passJSON) || lm != lastModified {
			t.Errorf("instance %d serves another version than instance 0 (Last-Modified %s vs %s)", i, lm, lastModified)
		}
		if r := call(t, "GET", p.URL+passPath, "", auth, "If-Modified-Since: "+lm); r.status != http.StatusNotModified {
			t.Errorf("If-Modified-Since on instance %d: %d", i, r.status)
		}

		r = call(t, "GET", p.URL+listPath+"?passesUpdatedSince="+tag1, "")
		if r.status != 200 {
			t.Fatalf("serial list on instance %d: %d %s", i, r.status, r.body)
		}
		m := r.json(t)
		if sns, _ := m["serialNumbers"].([]any); len(sns) != 1 || sns[0] != serial || m["lastUpdated"] != lastUpdated {
			t.Errorf("serial list on instance %d: %v, want [%s] at %s", i, m, serial, lastUpdated)
		}
	}
}

// TestMultiInstanceTakeover kills the instance working a 10,000-device
// fan-out with SIGKILL; the survivors take the job over when its lease
// expires and every device is pushed.
func TestMultiInstanceTakeover(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a push lease to expire")
	}
	if runtime.GOOS != "linux" {
		t.Skip("finds the instance behind an APNs connection through /proc")
	}
	double := apnstest.NewServer()
	t.Cleanup(double.Close)
	// Slow answers keep the fan-out going for seconds: about 256 pushes
	// in flight per instance, so 10 pages of 1,000 take about 6 s.
	double.Script(func(apnstest.Request) apnstest.Reply { return apnstest.Reply{Delay: 150 * time.Millisecond} })
	c := startCluster(t, 3, double)
	key := newKey(t, c.env, "--plan", "pro")
	serial, authToken := issue(t, c.procs[0], key)

	const devices = 10_000
	began := time.Now()
	tokens := registerDevices(t, c, serial, authToken, "fan", devices, 16)
	t.Logf("registered %d devices over HTTP in %.1fs", devices, time.Since(began).Seconds())

	r := call(t, "PUT", c.procs[0].URL+"/api/pkpass/"+serial, strings.Replace(bayroast, "250", "260", 1), bearer(key), jsonCT)
	if r.status != 200 || r.json(t)["notifiedDevices"] != float64(devices) {
		t.Fatalf("PUT: %d %s; stored: %s", r.status, r.body, c.registrationState(t, serial))
	}
	// Past two pages, so the job has saved a cursor the survivor resumes from.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := double.WaitCount(ctx, 2500); err != nil {
		t.Fatalf("the fan-out did not get going: %v", err)
	}

	// One job is worked by one instance: every push so far comes from it.
	conns := map[string]bool{}
	for _, req := range double.Requests() {
		conns[req.RemoteAddr] = true
	}
	pids := map[int]bool{}
	for addr := range conns {
		pid, err := socketOwner(addr, c.procs)
		if err != nil {
			t.Fatal(err)
		}
		pids[pid] = true
	}
	if len(pids) != 1 {
		t.Fatalf("pushes of one job came from %d instances: %v", len(pids), pids)
	}
	var victim *proc
	var survivors []*proc
	for _, p := range c.procs {
		if pids[p.cmd.Process.Pid] {
			victim = p
		} else {
			survivors = append(survivors, p)
		}
	}
	victim.Kill()
	killed := time.Now()
	before := double.Count()
	if before >= devices {
		t.Fatalf("the fan-out had already sent %d pushes when the worker was killed; slow the double down", before)
	}
	t.Logf("killed the job's instance (pid %d) after %d pushes", victim.cmd.Process.Pid, before)

	got := map[string]bool{}
	seen := 0
	var takeover time.Duration
	var survivorPID, lateVictim int
	deadline := killed.Add(90 * time.Second)
	for len(got) < devices {
		if time.Now().After(deadline) {
			t.Fatalf("90 s after the kill only %d of %d devices were pushed", len(got), devices)
		}
		reqs := double.Requests()
		for _, req := range reqs[seen:] {
			got[req.Token] = true
			if takeover == 0 && req.Time.After(killed) {
				// The takeover is the first push on a connection a survivor
				// still holds. A push the victim had in flight can reach the
				// double just after Kill returned; its socket is gone with the
				// process, so it is not the takeover and is passed over.
				pid, err := socketOwner(req.RemoteAddr, survivors)
				if err != nil {
					lateVictim++
					continue
				}
				takeover = req.Time.Sub(killed)
				survivorPID = pid
			}
		}
		seen = len(reqs)
		time.Sleep(100 * time.Millisecond)
	}
	done := time.Since(killed)
	if survivorPID == 0 {
		t.Fatalf("no push after the kill came from a survivor's connection (%d from sockets no survivor holds)", lateVictim)
	}
	if lateVictim > 0 {
		t.Logf("%d pushes the victim had in flight arrived just after the kill", lateVictim)
	}
	t.Logf("takeover: pid %d pushed %.1fs after the kill; all %d devices pushed %.1fs after it; %d pushes in all (%d repeated)",
		survivorPID, takeover.Seconds(), devices, done.Seconds(), double.Count(), double.Count()-devices)
	if takeover > 60*time.Second {
		t.Errorf("the survivors took over after %s; the contract allows 60 s", takeover)
	}
	for _, tok := range tokens {
		if !got[tok] {
			t.Fatalf("token %s never pushed", tok)
		}
	}
	c.waitNoPushJobs(t, 30*time.Second)
}

// socketOwner finds which of procs holds the TCP connection whose local end
// is addr (an APNs double's RemoteAddr): /proc/net/tcp gives the socket's
// inode, and each process's fd links name the inodes it holds.
func socketOwner(addr string, procs []*proc) (int, error) {
	_, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return 0, err
	}
	var inodes []string
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 {
				continue
			}
			_, local, ok := strings.Cut(f[1], ":")
			if p, err := strconv.ParseUint(local, 16, 16); ok && err == nil && int(p) == port {
				inodes = append(inodes, "socket:["+f[9]+"]")
			}
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("no socket with local port %d in /proc/net/tcp", port)
	}
	for _, p := range procs {
		pid := p.cmd.Process.Pid
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue // exited
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err == nil && slices.Contains(inodes, link) {
				return pid, nil
			}
		}
	}
	return 0, errors.New("no instance holds the connection from " + addr)
}

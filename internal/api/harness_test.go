package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/api"
	"github.com/walletwallet/walletwallet/internal/images"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/lint"
	"github.com/walletwallet/walletwallet/internal/passes"
	"github.com/walletwallet/walletwallet/internal/pkpass"
	"github.com/walletwallet/walletwallet/internal/sealbox"
	"github.com/walletwallet/walletwallet/internal/share"
	"github.com/walletwallet/walletwallet/internal/signing"
	"github.com/walletwallet/walletwallet/internal/store"
	"github.com/walletwallet/walletwallet/internal/store/pgtest"
	"github.com/walletwallet/walletwallet/internal/store/postgres"
	"github.com/walletwallet/walletwallet/internal/store/sqlite"
)

const passTypeID = "pass.test.walletwallet"

// harness is a real API on a real SQLite file behind a real HTTP server,
// with a clock the test moves.
type harness struct {
	t         *testing.T
	srv       *httptest.Server
	st        walletwallet.Store
	path      string
	mu        sync.Mutex
	now       time.Time
	kicks     atomic.Int64 // job notifications from the store
	stopWakes context.CancelFunc
	logs      *syncBuffer
	// fetcher, when set, lets the renderer fetch https image URLs.
	fetcher *images.Fetcher
	// noLint leaves the issuer's self-check off, as in production: for
	// benchmarks, which measure the served path, not the linter.
	noLint bool
	// dbURL, when set, is the database (store.Open) instead of a SQLite file.
	dbURL string
	// signup serves POST /api/signup.
	signup bool
	// secrets seals webhook secrets (a fixed test key).
	secrets *sealbox.Box
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	idOnce sync.Once
	testID *signing.Identity
	rootCA []byte
)

func identity(t *testing.T) *signing.Identity {
	idOnce.Do(func() {
		var err error
		testID, rootCA, err = signing.NewTestChain(passTypeID, "TEAMTEST01")
		if err != nil {
			t.Fatal(err)
		}
	})
	return testID
}

func newHarness(t *testing.T) *harness {
	return newHarnessWithFetcher(t, nil)
}

func newHarnessWithFetcher(t *testing.T, f *images.Fetcher) *harness {
	t.Helper()
	pkpass.CheckRecycled() // a created pass's archive is overwritten when given back
	h := &harness{t: t, now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), path: filepath.Join(t.TempDir(), "ww.db"), logs: &syncBuffer{}, fetcher: f}
	h.start()
	return h
}

// newPGHarness is newHarness on a fresh PostgreSQL database (skipped
// without scripts/with-postgres.sh, except in CI).
func newPGHarness(t *testing.T) *harness {
	t.Helper()
	pkpass.CheckRecycled() // a created pass's archive is overwritten when given back
	h := &harness{t: t, now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), logs: &syncBuffer{}, dbURL: pgtest.FreshDatabase(t)}
	h.start()
	return h
}

// eachBackend runs fn against a harness on SQLite and one on PostgreSQL.
func eachBackend(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newHarness(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, newPGHarness(t)) })
}

// publicURL is WW_PUBLIC_URL of the harness.
const publicURL = "https://passes.example.test"

func (h *harness) start() {
	t := h.t
	var st walletwallet.Store
	var err error
	if h.dbURL != "" {
		st, err = store.Open(context.Background(), h.dbURL)
	} else {
		st, err = sqlite.Open(context.Background(), h.path)
	}
	if err != nil {
		t.Fatal(err)
	}
	h.st = st
	id := identity(t)
	is := &issuer.Issuer{
		Signer: id, PassTypeID: id.PassTypeID, TeamID: id.TeamID,
		Images:        images.NewRenderer(images.Options{Store: st, Fetcher: h.fetcher}),
		WebServiceURL: publicURL + "/", DefaultOrg: "WalletWallet", Accounts: st,
	}
	if !h.noLint {
		// Every pass any API test makes passes the linter.
		is.SelfCheck = lint.SelfCheck(lint.Options{})
	}
	log := slog.New(slog.NewJSONHandler(h.logs, nil))
	rt := jsonhttp.NewRouter()
	// Count the store's job notifications, the one path that wakes the
	// job runner in serve.
	wctx, stopWakes := context.WithCancel(context.Background())
	h.stopWakes = stopWakes
	wakes := st.(store.Notifier).PushJobNotifications(wctx)
	go func() {
		for range wakes {
			h.kicks.Add(1)
		}
	}()
	if h.dbURL != "" {
		h.awaitListener()
	}
	svc := passes.New(passes.Options{Store: st, Builder: is, PassTypeID: id.PassTypeID, PublicURL: publicURL, Now: h.clock})
	api.Register(rt, api.Options{Store: st, Builder: is, PassTypeID: id.PassTypeID, PublicURL: publicURL, Logger: log, Now: h.clock, Passes: svc, Signup: h.signup, Secrets: h.box()})
	share.Register(rt, share.Options{Store: st, Blobs: svc, Accounts: st, PublicURL: publicURL, DefaultOrg: "WalletWallet", Logger: log})
	h.srv = httptest.NewServer(jsonhttp.Middleware(log, api.CORS(rt)))
	t.Cleanup(h.stop)
}

// box is the harness's webhook-secret box, made on first use.
func (h *harness) box() *sealbox.Box {
	if h.secrets == nil {
		b, err := sealbox.New(bytes.Repeat([]byte{7}, sealbox.KeySize))
		if err != nil {
			h.t.Fatal(err)
		}
		h.secrets = b
	}
	return h.secrets
}

func (h *harness) stop() {
	if h.srv != nil {
		h.srv.Close()
		h.stopWakes()
		h.st.Close()
		h.srv = nil
	}
}

// restart closes the server and the database and opens both again on the same file.
func (h *harness) restart() {
	h.stop()
	h.start()
}

// woken waits until the store has announced more than before job
// notifications (signals may coalesce, never go missing).
// awaitListener returns once the PostgreSQL store's LISTEN connection is
// up: it connects in the background, and a job announced before then
// would never reach the counter, so a test's "woken" check could fail on
// a slow machine. It notifies the channel until a wake arrives, then
// starts the count afresh.
func (h *harness) awaitListener() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, h.dbURL)
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for h.kicks.Load() == 0 {
		if time.Now().After(deadline) {
			h.t.Fatal("the store's job listener did not come up within 30 s")
		}
		if _, err := conn.Exec(ctx, `SELECT pg_notify($1, '')`, postgres.NotifyChannel); err != nil {
			h.t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.kicks.Store(0)
}

func (h *harness) woken(before int64) bool {
	deadline := time.Now().Add(10 * time.Second)
	for h.kicks.Load() <= before {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

func (h *harness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *harness) setNow(t time.Time) {
	h.mu.Lock()
	h.now = t
	h.mu.Unlock()
}

// account creates an account directly in the store and returns its id and a key.
func (h *harness) account(plan walletwallet.Plan, limit int64, org string) (int64, string) {
	h.t.Helper()
	ctx := context.Background()
	a := &walletwallet.Account{Plan: plan, MonthlyLimit: limit, Org: org, CreatedAt: h.clock()}
	if err := h.st.CreateAccount(ctx, a); err != nil {
		h.t.Fatal(err)
	}
	key := api.NewKey()
	if err := h.st.CreateKey(ctx, &walletwallet.APIKey{AccountID: a.ID, Hash: api.HashKey(key), Hint: key[len(key)-4:], CreatedAt: h.clock()}); err != nil {
		h.t.Fatal(err)
	}
	return a.ID, key
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not JSON (%d): %q", r.status, r.body)
	}
	return m
}

func (r *response) errorText(t *testing.T) string {
	t.Helper()
	s, _ := r.json(t)["error"].(string)
	return s
}

// do sends a request; headers are "Name: value" strings, and a body is sent
// as application/json unless a Content-Type header is given.
func (h *harness) do(method, path, key, body string, headers ...string) *response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	// "Name: value" replaces the header, "Name+: value" adds another one,
	// "Name: <none>" removes it.
	for _, hv := range headers {
		name, val, _ := strings.Cut(hv, ": ")
		switch {
		case val == "<none>":
			req.Header.Del(name)
		case strings.HasSuffix(name, "+"):
			req.Header.Add(strings.TrimSuffix(name, "+"), val)
		default:
			req.Header.Set(name, val)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &response{res.StatusCode, res.Header, b}
}

func (h *harness) usage(key string) map[string]any {
	h.t.Helper()
	r := h.do("GET", "/api/auth/usage", key, "")
	if r.status != 200 {
		h.t.Fatalf("usage: %d %s", r.status, r.body)
	}
	return r.json(h.t)
}

func (h *harness) count(key string) int {
	return int(h.usage(key)["count"].(float64))
}

// passJSON unzips a .pkpass and returns its pass.json as a map, plus the
// file names. Every pass it sees must pass the project's linter.
func passJSON(t *testing.T, blob []byte) (map[string]any, map[string][]byte) {
	t.Helper()
	if rep := lint.Check(blob, lint.Options{}); rep.Errors() > 0 {
		t.Errorf("pass fails lint: %v", rep.Findings)
	}
	zr, err := zip.NewReader(bytes.NewReader(blob), int64(len(blob)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = b
	}
	var m map[string]any
	if err := json.Unmarshal(files["pass.json"], &m); err != nil {
		t.Fatalf("pass.json: %v", err)
	}
	return m, files
}

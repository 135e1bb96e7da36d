package mcpserver_test

import (
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
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/api"
	"github.com/walletwallet/walletwallet/internal/images"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/mcpserver"
	"github.com/walletwallet/walletwallet/internal/passes"
	"github.com/walletwallet/walletwallet/internal/pkpass"
	"github.com/walletwallet/walletwallet/internal/signing"
	"github.com/walletwallet/walletwallet/internal/store"
	"github.com/walletwallet/walletwallet/internal/store/pgtest"
	"github.com/walletwallet/walletwallet/internal/store/sqlite"
)

const (
	passTypeID = "pass.test.walletwallet"
	publicURL  = "https://passes.example.test"
)

var (
	idOnce sync.Once
	testID *signing.Identity
	idErr  error
)

func identity(t *testing.T) *signing.Identity {
	idOnce.Do(func() { testID, _, idErr = signing.NewTestChain(passTypeID, "TEAMTEST01") })
	if idErr != nil {
		t.Fatal(idErr)
	}
	return testID
}

// harness is the API and the MCP server on one real store behind one real
// HTTP server, wired as serve wires them.
type harness struct {
	t    *testing.T
	st   walletwallet.Store
	srv  *httptest.Server
	logs *syncBuffer
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

func newHarness(t *testing.T, dbURL string) *harness {
	t.Helper()
	pkpass.CheckRecycled() // a created pass's archive is overwritten when given back
	ctx := context.Background()
	var st walletwallet.Store
	var err error
	if dbURL != "" {
		st, err = store.Open(ctx, dbURL)
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "ww.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	id := identity(t)
	is := &issuer.Issuer{
		Signer: id, PassTypeID: id.PassTypeID, TeamID: id.TeamID,
		Images:        images.NewRenderer(images.Options{Store: st}),
		WebServiceURL: publicURL + "/", DefaultOrg: "WalletWallet", Accounts: st,
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	svc := passes.New(passes.Options{Store: st, Builder: is, PassTypeID: id.PassTypeID, PublicURL: publicURL})
	rt := jsonhttp.NewRouter()
	api.Register(rt, api.Options{Store: st, Builder: is, PassTypeID: id.PassTypeID, PublicURL: publicURL, Logger: log, Passes: svc})
	mcpserver.Register(rt, mcpserver.Options{Keys: st, Passes: svc, Logger: log, Version: "test"})
	h := &harness{t: t, st: st, logs: logs, srv: httptest.NewServer(jsonhttp.Middleware(log, api.CORS(rt)))}
	t.Cleanup(func() {
		h.srv.Close()
		st.Close()
	})
	return h
}

// eachBackend runs fn on SQLite and on PostgreSQL (skipped without
// scripts/with-postgres.sh, except in CI).
func eachBackend(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newHarness(t, "")) })
	t.Run("postgres", func(t *testing.T) { fn(t, newHarness(t, pgtest.FreshDatabase(t))) })
}

// account creates an account with a key, directly in the store.
func (h *harness) account(plan walletwallet.Plan, limit int64) string {
	h.t.Helper()
	ctx := context.Background()
	a := &walletwallet.Account{Plan: plan, MonthlyLimit: limit, CreatedAt: time.Now()}
	if err := h.st.CreateAccount(ctx, a); err != nil {
		h.t.Fatal(err)
	}
	key := api.NewKey()
	if err := h.st.CreateKey(ctx, &walletwallet.APIKey{AccountID: a.ID, Hash: api.HashKey(key), Hint: key[len(key)-4:], CreatedAt: time.Now()}); err != nil {
		h.t.Fatal(err)
	}
	return key
}

// bearer adds the API key to every request the SDK's client sends.
type bearer struct {
	key  string
	base http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b.key != "" {
		r.Header.Set("Authorization", "Bearer "+b.key)
	}
	return b.base.RoundTrip(r)
}

// connect opens an MCP session with the SDK's own client over HTTP.
func (h *harness) connect(key string) (*mcp.ClientSession, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: "walletwallet-test", Version: "1"}, nil)
	tr := &mcp.StreamableClientTransport{
		Endpoint:   h.srv.URL + mcpserver.Path,
		HTTPClient: &http.Client{Transport: bearer{key: key, base: http.DefaultTransport}, Timeout: 30 * time.Second},
		MaxRetries: -1,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return client.Connect(ctx, tr, nil)
}

func (h *harness) mustConnect(key string) *mcp.ClientSession {
	h.t.Helper()
	cs, err := h.connect(key)
	if err != nil {
		h.t.Fatalf("connect: %v", err)
	}
	h.t.Cleanup(func() { cs.Close() })
	return cs
}

// call calls a tool; args is JSON text ("" for none).
func call(t *testing.T, cs *mcp.ClientSession, name, args string) (*mcp.CallToolResult, error) {
	t.Helper()
	p := &mcp.CallToolParams{Name: name}
	if args != "" {
		p.Arguments = json.RawMessage(args)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cs.CallTool(ctx, p)
}

// ok calls a tool that must succeed and returns its JSON answer.
func ok(t *testing.T, cs *mcp.ClientSession, name, args string) map[string]any {
	t.Helper()
	res, err := call(t, cs, name, args)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("%s(%s) refused: %s", name, args, text(t, res))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(text(t, res)), &m); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", name, err)
	}
	// The structured content is the same object.
	sc, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var m2 map[string]any
	if err := json.Unmarshal(sc, &m2); err != nil || !jsonEqual(m, m2) {
		t.Errorf("%s: structured content %s differs from the text %s", name, sc, text(t, res))
	}
	return m
}

// refused calls a tool that must fail as a tool error, and returns the
// error text and the structured content.
func refused(t *testing.T, cs *mcp.ClientSession, name, args string) (string, map[string]any) {
	t.Helper()
	res, err := call(t, cs, name, args)
	if err != nil {
		t.Fatalf("%s: want a tool error result, got a protocol error: %v", name, err)
	}
	if !res.IsError {
		t.Fatalf("%s(%s): want a refusal, got %s", name, args, text(t, res))
	}
	b, _ := json.Marshal(res.StructuredContent)
	var sc map[string]any
	json.Unmarshal(b, &sc)
	return text(t, res), sc
}

// text is the single text content of a result.
func text(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	if len(res.Content) != 1 {
		t.Fatalf("want one content item, got %d", len(res.Content))
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("want text content, got %T", res.Content[0])
	}
	return tc.Text
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a plain HTTP request (the API, or /mcp without the SDK).
func (h *harness) do(method, path, key, contentType, body string, headers ...string) *response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, hv := range headers {
		name, val, _ := strings.Cut(hv, ": ")
		req.Header.Set(name, val)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &response{res.StatusCode, res.Header, b}
}

// apiError is the "error" member of a JSON answer.
func (r *response) apiError(t *testing.T) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not JSON (%d): %q", r.status, r.body)
	}
	s, _ := m["error"].(string)
	return s
}

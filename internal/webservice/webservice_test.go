package webservice_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/passblob"
	"github.com/walletwallet/walletwallet/internal/store/sqlite"
	"github.com/walletwallet/walletwallet/internal/webservice"
)

const (
	passType  = "pass.test.walletwallet"
	otherType = "pass.test.other"
	token     = "0123456789abcdef0123456789abcdef-token"
	device    = "device-library-1"
	pushTok   = "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
)

// base is the last-modified time of seeded passes; the test clock runs an
// hour later unless a test moves it, so their second has long settled.
var base = time.Date(2026, 3, 4, 5, 6, 7, 250*int(time.Millisecond), time.UTC)

type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func newClock(t time.Time) *clock    { c := &clock{}; c.set(t); return c }
func millisTag(t time.Time) string   { return strconv.FormatInt(t.UnixMilli(), 10) }
func httpDate(t time.Time) string    { return t.UTC().Format(http.TimeFormat) }
func passPath(serial string) string  { return "/v1/passes/" + passType + "/" + sn(serial) }
func regsPath(dev, pt string) string { return "/v1/devices/" + dev + "/registrations/" + pt }
func regPath(dev, serial string) string {
	return regsPath(dev, passType) + "/" + sn(serial)
}

// sn turns a test's short name for a pass ("s1") into the UUID serial the
// pass is stored under: only UUIDs can name a pass. Names of up to six
// bytes keep their order, so sorted serial lists compare by name.
func sn(name string) string {
	h := hex.EncodeToString([]byte(name))
	if len(h) > 12 {
		panic("test serial name too long: " + name)
	}
	return "00000000-0000-4000-8000-" + h + strings.Repeat("0", 12-len(h))
}

// names maps serials back to the tests' names.
func names(serials []string) []string {
	out := make([]string, len(serials))
	for i, s := range serials {
		b, _ := hex.DecodeString(strings.TrimRight(s[24:], "0"))
		out[i] = string(b)
	}
	return out
}

// countingStore counts Pass reads, so a test can tell when concurrent
// requests have all arrived.
type countingStore struct {
	*sqlite.DB
	passReads atomic.Int64
	reads     chan struct{}
}

func (s *countingStore) Pass(ctx context.Context, pt, serial string) (*walletwallet.Pass, error) {
	s.passReads.Add(1)
	if s.reads != nil {
		select {
		case s.reads <- struct{}{}:
		default:
		}
	}
	return s.DB.Pass(ctx, pt, serial)
}

// fakeRebuilder counts rebuilds; gate (when set) holds each rebuild until it returns.
type fakeRebuilder struct {
	calls atomic.Int64
	gate  func(ctx context.Context)
	err   error
}

func (f *fakeRebuilder) Rebuild(ctx context.Context, p *walletwallet.Pass) ([]byte, error) {
	f.calls.Add(1)
	if f.gate != nil {
		f.gate(ctx)
	}
	if f.err != nil {
		return nil, f.err
	}
	return []byte("rebuilt:" + p.Serial + ":" + millisTag(p.LastModified)), nil
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) records(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

type env struct {
	t       testing.TB
	db      *sqlite.DB
	store   *countingStore
	rebuild *fakeRebuilder
	clock   *clock
	logs    *syncBuffer
	srv     *httptest.Server
	account int64
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ww.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	acct := &walletwallet.Account{Email: "a@example.com", Plan: walletwallet.PlanPro}
	if err := db.CreateAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, store: &countingStore{DB: db}, rebuild: &fakeRebuilder{},
		clock: newClock(base.Add(time.Hour)), logs: &syncBuffer{}, account: acct.ID}
	rt := jsonhttp.NewRouter()
	webservice.Register(rt, webservice.Options{
		Store:  e.store,
		Blobs:  passblob.New(e.store, e.rebuild, slog.New(slog.NewJSONHandler(e.logs, nil))),
		Logger: slog.New(slog.NewJSONHandler(e.logs, nil)),
		Now:    e.clock.now,
	})
	e.srv = httptest.NewServer(rt)
	t.Cleanup(e.srv.Close)
	return e
}

// seed stores a pass of passType with the given serial, last-modified time and blob.
func (e *env) seed(pt, serial string, lm time.Time, blob []byte) {
	e.t.Helper()
	err := e.db.CreatePass(context.Background(), &walletwallet.Pass{
		PassTypeID: pt, Serial: sn(serial), AuthToken: token, AccountID: e.account,
		Request: []byte(`{"barcodeValue":"x"}`), Hash: strings.Repeat("ab", 32),
		FirstIssued: lm, LastModified: lm, Blob: blob,
	}, walletwallet.Quota{Month: walletwallet.Month(lm), Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
}

// update stores a new version of serial and returns its stored last-modified time.
func (e *env) update(serial string, lm time.Time, blob []byte) time.Time {
	e.t.Helper()
	p, err := e.db.Pass(context.Background(), passType, sn(serial))
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.db.UpdatePass(context.Background(), &walletwallet.PassUpdate{
		PassTypeID: passType, Serial: sn(serial), AccountID: e.account,
		Request: []byte(`{"barcodeValue":"` + string(blob) + `"}`), Hash: strings.Repeat(string(blob[:1]), 64),
		PrevHash: p.Hash, LastModified: lm, Blob: blob,
	}, walletwallet.Quota{Month: walletwallet.Month(lm), Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.LastModified
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; auth lists the Authorization header values to send.
func (e *env) do(method, path string, auth []string, header map[string]string, body string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range auth {
		req.Header.Add("Authorization", a)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

var goodAuth = []string{"ApplePass " + token}

func regBody(tok string) string { return `{"pushToken":"` + tok + `"}` }

// checkErrorJSON asserts a non-2xx answer is {"error": "..."} JSON.
func checkErrorJSON(t *testing.T, r response) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	var m map[string]string
	if err := json.Unmarshal(r.body, &m); err != nil || m["error"] == "" {
		t.Errorf("body %q is not an error JSON object (%v)", r.body, err)
	}
	return m["error"]
}

func pushTokens(t *testing.T, db *sqlite.DB, serial string) []string {
	t.Helper()
	targets, err := db.PushTargets(context.Background(), passType, sn(serial), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tg := range targets {
		out = append(out, tg.PushToken)
	}
	return out
}

func TestRegister(t *testing.T) {
	e := newEnv(t)
	e.seed(passType, "s1", base, []byte("blob"))
	e.seed(otherType, "s2", base, []byte("blob"))

	// Steps run in order on one database: 201 then 200 depends on it.
	steps := []struct {
		name   string
		path   string
		auth   []string
		body   string
		want   int
		tokens []string // push tokens registered for s1 afterwards (nil: not checked)
	}{
		{"wrong token", regPath(device, "s1"), []string{"ApplePass wrong"}, regBody(pushTok), 401, []string{}},
		{"missing authorization", regPath(device, "s1"), nil, regBody(pushTok), 401, nil},
		{"other scheme", regPath(device, "s1"), []string{"Bearer " + token}, regBody(pushTok), 401, nil},
		{"scheme without token", regPath(device, "s1"), []string{"ApplePass "}, regBody(pushTok), 401, nil},
		{"token without scheme", regPath(device, "s1"), []string{token}, regBody(pushTok), 401, nil},
		{"two authorization headers", regPath(device, "s1"), []string{"ApplePass " + token, "ApplePass " + token}, regBody(pushTok), 401, nil},
		{"unknown serial", regPath(device, "nope"), goodAuth, regBody(pushTok), 401, nil},
		{"pass type of another pass", regsPath(device, passType) + "/" + sn("s2"), goodAuth, regBody(pushTok), 401, nil},
		{"empty body", regPath(device, "s1"), goodAuth, "", 400, nil},
		{"malformed JSON", regPath(device, "s1"), goodAuth, `{"pushToken":`, 400, nil},
		{"missing pushToken", regPath(device, "s1"), goodAuth, `{}`, 400, nil},
		{"null pushToken", regPath(device, "s1"), goodAuth, `{"pushToken":null}`, 400, nil},
		{"empty pushToken", regPath(device, "s1"), goodAuth, regBody(""), 400, nil},
		{"numeric pushToken", regPath(device, "s1"), goodAuth, `{"pushToken":123}`, 400, nil},
		{"pushToken with a slash", regPath(device, "s1"), goodAuth, regBody("ab/../cd"), 400, nil},
		{"trailing data", regPath(device, "s1"), goodAuth, regBody(pushTok) + `{}`, 400, nil},
		{"body over 4 KiB", regPath(device, "s1"), goodAuth, `{"pushToken":"` + pushTok + `","x":"` + strings.Repeat("a", 5000) + `"}`, 413, []string{}},
		{"new registration", regPath(device, "s1"), goodAuth, regBody(pushTok), 201, []string{pushTok}},
		{"same registration again", regPath(device, "s1"), goodAuth, regBody(pushTok), 200, []string{pushTok}},
		{"re-register replaces the push token", regPath(device, "s1"), goodAuth, regBody("ffff0000"), 200, []string{"ffff0000"}},
		{"scheme is case-insensitive", regPath("device-2", "s1"), []string{"applepass " + token}, regBody(pushTok), 201, []string{"ffff0000", pushTok}},
		{"unknown members are ignored", regPath("device-3", "s1"), goodAuth, `{"pushToken":"abc","extra":1}`, 201, nil},
		{"device id too long", regPath(strings.Repeat("d", 257), "s1"), goodAuth, regBody(pushTok), 401, []string{"ffff0000", pushTok, "abc"}},
		{"device id of 256 bytes", regPath(strings.Repeat("d", 256), "s1"), goodAuth, regBody(pushTok), 201, nil},
		// Path parameters that cannot name anything are unknown objects,
		// answered before any query (PostgreSQL refuses such text: a 500).
		{"NUL device id", regPath("%00", "s1"), goodAuth, regBody(pushTok), 401, nil},
		{"invalid UTF-8 device id", regPath("%ff%fe", "s1"), goodAuth, regBody(pushTok), 401, nil},
		{"device id with a space", regPath("a%20b", "s1"), goodAuth, regBody(pushTok), 401, nil},
		{"NUL serial", regsPath(device, passType) + "/%00", goodAuth, regBody(pushTok), 401, nil},
		{"serial with a trailing NUL", regPath(device, "s1") + "%00", goodAuth, regBody(pushTok), 401, nil},
		{"overlong UTF-8 serial", regsPath(device, passType) + "/%c0%ae%c0%ae", goodAuth, regBody(pushTok), 401, nil},
		{"serial that is not a UUID", regsPath(device, passType) + "/s1", goodAuth, regBody(pushTok), 401, nil},
		{"NUL pass type", regsPath(device, "%00") + "/" + sn("s1"), goodAuth, regBody(pushTok), 401, nil},
		{"invalid UTF-8 pass type", regsPath(device, "%ff%fe") + "/" + sn("s1"), goodAuth, regBody(pushTok), 401, nil},
		{"pass type too long", regsPath(device, strings.Repeat("p", 256)) + "/" + sn("s1"), goodAuth, regBody(pushTok), 401, nil},
	}
	var unauthorizedMsg string
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := e.do(http.MethodPost, st.path, st.auth, nil, st.body)
			if r.status != st.want {
				t.Fatalf("status %d, want %d (body %s)", r.status, st.want, r.body)
			}
			if st.want >= 400 {
				msg := checkErrorJSON(t, r)
				// Every authentication failure must look the same.
				if st.want == 401 {
					if unauthorizedMsg == "" {
						unauthorizedMsg = msg
					} else if msg != unauthorizedMsg {
						t.Errorf("401 message %q differs from %q", msg, unauthorizedMsg)
					}
				}
			}
			if st.tokens != nil {
				got := pushTokens(t, e.db, "s1")
				if strings.Join(got, ",") != strings.Join(st.tokens, ",") {
					t.Errorf("push tokens %v, want %v", got, st.tokens)
				}
			}
		})
	}
}

func TestUnregister(t *testing.T) {
	e := newEnv(t)
	e.seed(passType, "s1", base, []byte("blob"))
	if r := e.do(http.MethodPost, regPath(device, "s1"), goodAuth, nil, regBody(pushTok)); r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	steps := []struct {
		name      string
		path      string
		auth      []string
		want      int
		remaining int // registrations of s1 afterwards
	}{
		{"wrong token", regPath(device, "s1"), []string{"ApplePass nope"}, 401, 1},
		{"missing authorization", regPath(device, "s1"), nil, 401, 1},
		{"unknown pass", regPath(device, "nope"), goodAuth, 401, 1},
		{"NUL device id", regPath("%00", "s1"), goodAuth, 401, 1},
		{"invalid UTF-8 device id", regPath("%ff%fe", "s1"), goodAuth, 401, 1},
		{"NUL serial", regsPath(device, passType) + "/%00", goodAuth, 401, 1},
		{"invalid UTF-8 pass type", regsPath(device, "%ff%fe") + "/" + sn("s1"), goodAuth, 401, 1},
		{"registered device", regPath(device, "s1"), goodAuth, 200, 0},
		// Documented choice: the device's goal is met, so a repeated DELETE is 200.
		{"already unregistered", regPath(device, "s1"), goodAuth, 200, 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := e.do(http.MethodDelete, st.path, st.auth, nil, "")
			if r.status != st.want {
				t.Fatalf("status %d, want %d (body %s)", r.status, st.want, r.body)
			}
			if st.want >= 400 {
				checkErrorJSON(t, r)
			}
			p, err := e.db.Pass(context.Background(), passType, sn("s1"))
			if err != nil {
				t.Fatal(err)
			}
			n := p.Devices
			if n != st.remaining {
				t.Errorf("%d registrations left, want %d", n, st.remaining)
			}
		})
	}
	// Unregistered, the device has nothing to ask about.
	if r := e.do(http.MethodGet, regsPath(device, passType), nil, nil, ""); r.status != 204 {
		t.Errorf("serial list after unregistration: %d, want 204", r.status)
	}
}

func TestSerialList(t *testing.T) {
	e := newEnv(t)
	lmA, lmB := base, base.Add(1500*time.Millisecond)
	e.seed(passType, "a", lmA, []byte("a"))
	e.seed(passType, "b", lmB, []byte("b"))
	e.seed(passType, "c", lmB, []byte("c")) // not registered to the device
	for _, s := range []string{"a", "b"} {
		if r := e.do(http.MethodPost, regPath(device, s), goodAuth, nil, regBody(pushTok)); r.status != 201 {
			t.Fatalf("register %s: %d %s", s, r.status, r.body)
		}
	}
	tests := []struct {
		name    string
		path    string
		want    int
		serials []string
		tag     string
	}{
		{"device without registrations", regsPath("device-none", passType), 204, nil, ""},
		{"other pass type", regsPath(device, otherType), 204, nil, ""},
		{"NUL device id", regsPath("%00", passType), 204, nil, ""},
		{"invalid UTF-8 device id", regsPath("%ff%fe", passType), 204, nil, ""},
		{"device id too long", regsPath(strings.Repeat("d", 257), passType), 204, nil, ""},
		{"NUL pass type", regsPath(device, "%00"), 204, nil, ""},
		{"overlong UTF-8 pass type", regsPath(device, "%c0%ae%c0%ae"), 204, nil, ""},
		{"no tag lists all", regsPath(device, passType), 200, []string{"a", "b"}, millisTag(lmB)},
		{"tag before both", regsPath(device, passType) + "?passesUpdatedSince=" + millisTag(lmA.Add(-time.Millisecond)), 200, []string{"a", "b"}, millisTag(lmB)},
		{"strictly after the tag", regsPath(device, passType) + "?passesUpdatedSince=" + millisTag(lmA), 200, []string{"b"}, millisTag(lmB)},
		{"after the latest tag", regsPath(device, passType) + "?passesUpdatedSince=" + millisTag(lmB), 204, nil, ""},
		{"non-numeric tag lists all", regsPath(device, passType) + "?passesUpdatedSince=yesterday", 200, []string{"a", "b"}, millisTag(lmB)},
		{"empty tag lists all", regsPath(device, passType) + "?passesUpdatedSince=", 200, []string{"a", "b"}, millisTag(lmB)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(http.MethodGet, tc.path, nil, nil, "")
			if r.status != tc.want {
				t.Fatalf("status %d, want %d (body %s)", r.status, tc.want, r.body)
			}
			if tc.want == 204 {
				if len(r.body) != 0 {
					t.Errorf("204 with body %q", r.body)
				}
				return
			}
			// lastUpdated must be a JSON string: Wallet ignores a number.
			var got struct {
				SerialNumbers []string `json:"serialNumbers"`
				LastUpdated   string   `json:"lastUpdated"`
			}
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("body %s: %v", r.body, err)
			}
			if strings.Join(names(got.SerialNumbers), ",") != strings.Join(tc.serials, ",") {
				t.Errorf("serials %v, want %v", got.SerialNumbers, tc.serials)
			}
			if got.LastUpdated != tc.tag {
				t.Errorf("lastUpdated %q, want %q", got.LastUpdated, tc.tag)
			}
		})
	}

	// The tag handed out, sent back, lists exactly what changed after it.
	lmA2 := e.update("a", lmB.Add(time.Second), []byte("a2"))
	r := e.do(http.MethodGet, regsPath(device, passType)+"?passesUpdatedSince="+millisTag(lmB), nil, nil, "")
	if r.status != 200 || !strings.Contains(string(r.body), `"serialNumbers":["`+sn("a")+`"]`) || !strings.Contains(string(r.body), `"lastUpdated":"`+millisTag(lmA2)+`"`) {
		t.Errorf("after update: %d %s", r.status, r.body)
	}
}

func TestLog(t *testing.T) {
	msgs := func(n int, m string) string {
		parts := make([]string, n)
		for i := range parts {
			b, _ := json.Marshal(m + strconv.Itoa(i))
			parts[i] = string(b)
		}
		return `{"logs":[` + strings.Join(parts, ",") + `]}`
	}
	long := strings.Repeat("é", 2000) // multi-byte: the bound is characters, not bytes
	longBody, _ := json.Marshal(map[string][]string{"logs": {long}})
	tests := []struct {
		name      string
		body      string
		want      int
		messages  int // "passkit device log" records
		truncated bool
		maxChars  int
	}{
		{"three messages", msgs(3, "hello "), 200, 3, false, 1024},
		{"empty list", `{"logs":[]}`, 200, 0, false, 0},
		{"over 100 messages keeps 100", msgs(150, "m"), 200, 100, true, 1024},
		{"long message is cut to 1024 characters", string(longBody), 200, 1, false, 1024},
		{"malformed JSON", `{"logs":[`, 400, 0, false, 0},
		{"logs not a list", `{"logs":"x"}`, 400, 0, false, 0},
		{"non-string message", `{"logs":[1]}`, 400, 0, false, 0},
		{"body over 64 KiB", msgs(1, strings.Repeat("x", 70<<10)), 413, 0, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.do(http.MethodPost, "/v1/log", nil, nil, tc.body)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d (body %s)", r.status, tc.want, r.body)
			}
			if tc.want >= 400 {
				checkErrorJSON(t, r)
			}
			var got int
			var dropped bool
			for _, rec := range e.logs.records(t) {
				switch rec["msg"] {
				case "passkit device log":
					got++
					if rec["level"] != "WARN" {
						t.Errorf("level %v, want WARN", rec["level"])
					}
					m, _ := rec["message"].(string)
					if c := len([]rune(m)); c > tc.maxChars {
						t.Errorf("logged message of %d characters, limit %d", c, tc.maxChars)
					}
					if tc.name == "long message is cut to 1024 characters" && m != string([]rune(long)[:1024]) {
						t.Errorf("message not cut at 1024 characters (got %d)", len([]rune(m)))
					}
				case "passkit device log truncated":
					dropped = true
					if rec["dropped"] != float64(50) {
						t.Errorf("dropped %v, want 50", rec["dropped"])
					}
				}
			}
			if got != tc.messages {
				t.Errorf("%d messages logged, want %d", got, tc.messages)
			}
			if dropped != tc.truncated {
				t.Errorf("truncation noted: %v, want %v", dropped, tc.truncated)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	e := newEnv(t)
	e.seed(passType, "s1", base, []byte("blob"))
	tests := []struct {
		name   string
		method string
		path   string
		want   int
		allow  string
	}{
		{"unknown path", http.MethodGet, "/v1/nothing", 404, ""},
		{"pass without serial", http.MethodGet, "/v1/passes/" + passType, 404, ""},
		{"v2 is not served", http.MethodGet, "/v2/passes/" + passType + "/s1", 404, ""},
		{"dot segment", http.MethodGet, "/v1/passes/" + passType + "/../s1", 404, ""},
		{"double slash", http.MethodGet, "/v1//passes/" + passType + "/s1", 404, ""},
		{"PUT on a registration", http.MethodPut, regPath(device, "s1"), 405, "DELETE, POST"},
		{"POST on the serial list", http.MethodPost, regsPath(device, passType), 405, "GET, HEAD"},
		{"DELETE on a pass", http.MethodDelete, passPath("s1"), 405, "GET, HEAD"},
		{"GET on the log", http.MethodGet, "/v1/log", 405, "POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, e.srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Opaque keeps the client from cleaning the path before sending it.
			req.URL.Opaque = tc.path
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			r := response{resp.StatusCode, resp.Header, b}
			if r.status != tc.want {
				t.Fatalf("status %d, want %d (body %s)", r.status, tc.want, r.body)
			}
			checkErrorJSON(t, r)
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
}

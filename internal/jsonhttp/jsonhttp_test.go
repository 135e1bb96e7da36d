package jsonhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet"
)

func newTestServer(t *testing.T, logs *bytes.Buffer) *httptest.Server {
	t.Helper()
	rt := NewRouter()
	rt.Handle(http.MethodGet, "/things/{id}", HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		switch r.PathValue("id") {
		case "bad":
			return walletwallet.Errorf(walletwallet.EINVALID, "id must be good, like <good> & co")
		case "boom":
			return errors.New("database on fire at 10.0.0.7")
		case "panic":
			panic("kaboom")
		case "quota":
			return &walletwallet.Error{Code: walletwallet.EQUOTA, Message: "Rate limit exceeded", Extra: map[string]string{"resetDate": "2026-12-01"}}
		}
		WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
		return nil
	}))
	rt.Handle(http.MethodPost, "/things/{id}", HandlerFunc(func(w http.ResponseWriter, r *http.Request) error { return nil }))
	log := slog.New(slog.NewJSONHandler(logs, nil))
	srv := httptest.NewServer(Middleware(log, rt))
	t.Cleanup(srv.Close)
	return srv
}

func TestRouterAndErrors(t *testing.T) {
	var logs bytes.Buffer
	srv := newTestServer(t, &logs)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cases := []struct {
		name, method, path string
		status             int
		errContains        string
		allow              string
	}{
		{"ok", "GET", "/things/1", 200, "", ""},
		{"client error", "GET", "/things/bad", 400, "id must be good", ""},
		{"no HTML escapes", "GET", "/things/bad", 400, "like <good> & co", ""},
		{"internal error hides detail", "GET", "/things/boom", 500, "internal error (request id ", ""},
		{"panic becomes 500", "GET", "/things/panic", 500, "internal error (request id ", ""},
		{"quota extra fields", "GET", "/things/quota", 429, "Rate limit exceeded", ""},
		{"unknown route", "GET", "/nope", 404, "no route for GET /nope", ""},
		{"wrong method", "DELETE", "/things/1", 405, "method DELETE is not allowed", "GET, HEAD, POST"},
		{"double slash is 404 not redirect", "GET", "//things/1", 404, "no route", ""},
		{"dot segment is 404 not redirect", "GET", "/things/../things/1", 404, "no route", ""},
		{"trailing dot", "GET", "/things/.", 404, "no route", ""},
		{"missing segment", "GET", "/things/", 404, "no route", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			// Keep the path exactly as written (no client-side cleaning).
			req.URL.Opaque = tc.path
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if tc.allow != "" && res.Header.Get("Allow") != tc.allow {
				t.Errorf("Allow %q, want %q", res.Header.Get("Allow"), tc.allow)
			}
			if tc.errContains == "" {
				return
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("content type %q", ct)
			}
			var m map[string]string
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("not JSON: %s", body)
			}
			if !strings.Contains(m["error"], tc.errContains) {
				t.Errorf("error %q does not contain %q", m["error"], tc.errContains)
			}
			if tc.status == 429 && m["resetDate"] != "2026-12-01" {
				t.Errorf("extra member missing: %s", body)
			}
			if tc.status == 500 && !strings.Contains(m["error"], res.Header.Get("X-Request-Id")) {
				t.Errorf("500 should carry the request id %s: %s", res.Header.Get("X-Request-Id"), m["error"])
			}
			if strings.Contains(string(body), `\u003c`) || strings.Contains(string(body), `\u0026`) {
				t.Errorf("HTML-escaped message: %s", body)
			}
			if strings.Contains(string(body), "10.0.0.7") || strings.Contains(string(body), "kaboom") {
				t.Errorf("internal detail leaked: %s", body)
			}
		})
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "database on fire") {
		t.Errorf("internal errors should be logged:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"route":"GET /things/{id}"`) {
		t.Errorf("access log should name the route:\n%s", logs.String())
	}
}

func TestCanonicalPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/": true, "/a/b": true, "/a/b/": true, "": false, "a": false, "//a": false, "/a//b": false,
		"/a/./b": false, "/a/../b": false, "/..": false, "/a/.": false, "/a/..b": true,
	} {
		if got := canonicalPath(p); got != want {
			t.Errorf("canonicalPath(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestAccessLogCarriesClientErrors: the access line of a 4xx answer says
// why; other lines carry no error (a 500's detail is on its own error line).
func TestAccessLogCarriesClientErrors(t *testing.T) {
	cases := []struct {
		path, wantErr string
	}{
		{"/things/bad", "id must be good, like <good> & co"},
		{"/things/quota", "Rate limit exceeded"},
		{"/nope", "no route for GET /nope"},
		{"/things/1", ""},
		{"/things/boom", ""},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			var logs bytes.Buffer
			srv := newTestServer(t, &logs)
			res, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			srv.Close() // the access line is written when the handler returns
			var access map[string]any
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "request" {
					access = m
				}
			}
			if access == nil {
				t.Fatalf("no access line:\n%s", logs.String())
			}
			got, has := access["error"]
			if tc.wantErr == "" && has {
				t.Errorf("access line of %d carries error %q", res.StatusCode, got)
			}
			if tc.wantErr != "" && got != tc.wantErr {
				t.Errorf("access line error = %v, want %q", got, tc.wantErr)
			}
		})
	}
}

package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRawClient: the minimal client reads what net/http's server writes —
// a Content-Length body, a chunked one, an empty 204, a refusal — on a kept
// connection, and says which headers came back.
func TestRawClient(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 8192) // 128 KiB: several reads, chunked by the server
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/length":
			w.Header().Set("X-Serial-Number", "S1")
			w.Header().Set("Content-Length", "5")
			w.Write([]byte("hello"))
		case "/chunked":
			w.Write(big) // no length: net/http chunks it
		case "/echo":
			w.Write(in)
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			http.Error(w, "no such thing", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	send, err := newSender("raw", srv.URL, "k", 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		body         []byte
		want         []byte
		serial       string
		err          string
	}{
		{"GET", "/length", nil, []byte("hello"), "S1", ""},
		{"GET", "/chunked", nil, big, "", ""},
		{"POST", "/echo", []byte(`{"a":1}`), []byte(`{"a":1}`), "", ""},
		{"DELETE", "/empty", nil, []byte{}, "", ""},
		{"GET", "/missing", nil, nil, "", "404 no such thing"},
		{"GET", "/length", nil, []byte("hello"), "S1", ""}, // the kept connection still works after a 404
	} {
		out, hdr, err := send(tc.method, srv.URL+tc.path, tc.body)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("%s %s: err %v, want %q", tc.method, tc.path, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.path, err)
		}
		if !bytes.Equal(out, tc.want) {
			t.Fatalf("%s %s: body of %d bytes, want %d", tc.method, tc.path, len(out), len(tc.want))
		}
		if got := hdr.Get("X-Serial-Number"); got != tc.serial {
			t.Fatalf("%s %s: X-Serial-Number %q, want %q", tc.method, tc.path, got, tc.serial)
		}
	}
	if _, _, err := newSenderMust(t, "raw", srv.URL, "wrong")("GET", srv.URL+"/length", nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong key: %v, want a 401 error", err)
	}
}

func newSenderMust(t *testing.T, kind, base, key string) sendFunc {
	t.Helper()
	s, err := newSender(kind, base, key, 1)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

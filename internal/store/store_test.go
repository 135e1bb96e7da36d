package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet/internal/store/sqlite"
)

func TestOpenPicksBackend(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name    string
		url     string
		wantErr string // "" = opens a SQLite store
	}{
		{"sqlite colon", "sqlite:" + filepath.Join(dir, "a.db"), ""},
		{"sqlite slashes", "sqlite://" + filepath.Join(dir, "b.db"), ""},
		{"file", "file:" + filepath.Join(dir, "c.db"), ""},
		{"sqlite without path", "sqlite:", "no path"},
		{"unknown scheme", "mysql://localhost/ww", `unsupported database URL scheme "mysql"`},
		{"no scheme", filepath.Join(dir, "d.db"), "has no scheme"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(context.Background(), c.url)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Open(%q) error = %v, want one containing %q", c.url, err, c.wantErr)
				}
				if s != nil {
					t.Fatalf("Open(%q) returned a store with its error", c.url)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, ok := s.(*sqlite.DB); !ok {
				t.Fatalf("Open(%q) = %T, want *sqlite.DB", c.url, s)
			}
			if _, ok := s.(Notifier); !ok {
				t.Fatalf("%T is not a Notifier", s)
			}
			if err := s.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOpenPostgresFailureIsNilStore(t *testing.T) {
	// Port 1 on loopback refuses at once; the interface must be a true nil.
	s, err := Open(context.Background(), "postgres://nobody@127.0.0.1:1/ww?sslmode=disable&connect_timeout=5")
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded against a closed port")
	}
	if s != nil {
		t.Fatalf("Open returned %#v with its error", s)
	}
}

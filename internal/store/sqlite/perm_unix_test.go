//go:build unix

package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/walletwallet/walletwallet"
)

// TestFilesOwnerOnly: the folders Open creates are 0700 and the database with
// its -wal and -shm files 0600, even under a umask that would let everyone
// read them, and a database an older version left 0644 is narrowed.
func TestFilesOwnerOnly(t *testing.T) {
	// umask is process-wide; no test in this package runs in parallel.
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	ctx := context.Background()

	t.Run("fresh", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data", "nested")
		path := filepath.Join(dir, "ww.db")
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		// A write makes sure the WAL and shared-memory files exist.
		if err := db.CreateAccount(ctx, &walletwallet.Account{Plan: walletwallet.PlanFree}); err != nil {
			t.Fatal(err)
		}
		wantMode(t, filepath.Dir(dir), 0o700)
		wantMode(t, dir, 0o700)
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			wantMode(t, p, 0o600)
		}
	})
	t.Run("left wide by an older version", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ww.db")
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.WriteFile(p, nil, 0o644); err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
			os.Chmod(p, 0o644)
		}
		db, err = Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			wantMode(t, p, 0o600)
		}
	})
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", filepath.Base(path), got, want)
	}
}

//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDataFilesOwnerOnly: whichever command runs first on a fresh data
// folder, the folder ends up 0700 and the database files 0600, even under a
// umask that would let everyone read them (the database holds every pass's
// authentication token). serve also warns that WW_ADDR without WW_PUBLIC_URL
// gives passes the default address. The webhook key file is 0600 too.
func TestDataFilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0) // the spawned server inherits it
	defer syscall.Umask(old)
	// dbFiles: 0 none, 1 the database (SQLite removes -wal and -shm when
	// the last connection closes), 3 the database with -wal and -shm.
	check := func(t *testing.T, dir string, dbFiles int) {
		t.Helper()
		wantMode(t, dir, 0o700)
		db := filepath.Join(dir, "walletwallet.db")
		for _, p := range []string{db, db + "-wal", db + "-shm"}[:dbFiles] {
			wantMode(t, p, 0o600)
		}
	}
	t.Run("migrate", func(t *testing.T) {
		env := map[string]string{"WW_DATA_DIR": filepath.Join(t.TempDir(), "data")}
		if _, errOut, code := cli(env, "migrate"); code != 0 {
			t.Fatal(errOut)
		}
		// An admin command afterwards writes (and so opens the WAL) without widening anything.
		newKey(t, env)
		check(t, env["WW_DATA_DIR"], 1)
	})
	t.Run("pass build", func(t *testing.T) {
		env := map[string]string{"WW_DATA_DIR": filepath.Join(t.TempDir(), "data")}
		if _, errOut, code := cli(env, "pass", "build", "-i", "../../examples/membership.json", "-o", filepath.Join(t.TempDir(), "p.pkpass")); code != 0 {
			t.Fatal(errOut)
		}
		check(t, env["WW_DATA_DIR"], 0)
		wantMode(t, filepath.Join(env["WW_DATA_DIR"], "dev-identity"), 0o700)
	})
	t.Run("serve", func(t *testing.T) {
		env := map[string]string{"WW_DATA_DIR": filepath.Join(t.TempDir(), "data")}
		srv := startServer(t, env) // sets WW_ADDR, leaves WW_PUBLIC_URL unset
		newKey(t, env)
		check(t, env["WW_DATA_DIR"], 3)
		// The key sealing webhook secrets, created on first start.
		wantMode(t, filepath.Join(env["WW_DATA_DIR"], "webhook.key"), 0o600)
		if !strings.Contains(srv.Logs(), "WW_ADDR is set but WW_PUBLIC_URL is left at its default") {
			t.Errorf("no warning about the default WW_PUBLIC_URL:\n%s", srv.Logs())
		}
	})
	t.Run("serve with WW_PUBLIC_URL", func(t *testing.T) {
		srv := startServer(t, testEnv(t, nil))
		if strings.Contains(srv.Logs(), "WW_PUBLIC_URL is left at its default") {
			t.Errorf("warned although WW_PUBLIC_URL is set:\n%s", srv.Logs())
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
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPassLint: passes from pass build lint clean against the development
// CA (the dev chain is only a warning); a pass changed after signing is an
// error and the binary exits 1.
func TestPassLint(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"WW_DATA_DIR": dir}
	var passes []string
	for _, ex := range []string{"membership", "bayroast"} {
		out := filepath.Join(dir, ex+".pkpass")
		if _, errOut, code := cli(env, "pass", "build", "-i", "../../examples/"+ex+".json", "-o", out); code != 0 {
			t.Fatalf("pass build: %d %s", code, errOut)
		}
		passes = append(passes, out)
	}
	ca := filepath.Join(dir, "dev-identity", "ca.pem")
	out, errOut, code := cli(env, append([]string{"pass", "lint", "--ca", ca}, passes...)...)
	if code != 0 || strings.Contains(out, "error:") {
		t.Fatalf("lint of built passes: %d\n%s%s", code, out, errOut)
	}
	for _, p := range passes {
		if !strings.Contains(out, p+": ok") {
			t.Errorf("no ok line for %s:\n%s", p, out)
		}
	}

	// Change one byte of pass.json inside the archive: the stored entry's
	// CRC no longer matches.
	blob, _ := os.ReadFile(passes[0])
	i := bytes.Index(blob, []byte(`"formatVersion"`))
	blob[i+1] = 'F'
	broken := filepath.Join(dir, "broken.pkpass")
	os.WriteFile(broken, blob, 0o600)
	cmd := exec.Command(binPath, "pass", "lint", broken)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("lint of a broken pass: %v, want exit 1\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), broken+": error: zip: pass.json: CRC-32") {
		t.Errorf("output does not name the problem:\n%s", stdout.String())
	}

	if _, errOut, code := cli(env, "pass", "lint"); code != 2 || !strings.Contains(errOut, "no .pkpass file given") {
		t.Errorf("lint without a file: %d %s", code, errOut)
	}
}

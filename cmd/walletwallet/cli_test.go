package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var keyRE = regexp.MustCompile(`^ww_live_[0-9a-f]{32}$`)

func TestAccountsCreateBinaryOutput(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(binPath, "accounts", "create", "--email", "owner@bayroast.example", "--org", "Bayroast Coffee Co.")
	cmd.Env = append(os.Environ(), "WW_DATA_DIR="+dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 1 || !keyRE.MatchString(lines[0]) {
		t.Fatalf("stdout must be exactly the key, got %q", out.String())
	}
	if !regexp.MustCompile(`(?m)^account [0-9]+$`).MatchString(errb.String()) {
		t.Errorf("stderr lacks the account line: %q", errb.String())
	}
	// The key is stored only as a hash: neither it nor its secret part is in the files.
	secret := lines[0][len("ww_live_"):]
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(secret[:16])) {
			t.Errorf("%s contains the key", path)
		}
		return nil
	})
}

func TestAccountsAndKeysCLI(t *testing.T) {
	env := map[string]string{"WW_DATA_DIR": t.TempDir()}
	cases := []struct {
		name string
		args []string
		code int
		out  string // regexp stdout must match
		err  string // substring of stderr
	}{
		{"trial by default", []string{"accounts", "create"}, 0, `^ww_live_[0-9a-f]{32}\n$`, "account 1"},
		{"free plan", []string{"accounts", "create", "--plan", "free", "--monthly-limit", "5"}, 0, `^ww_live_[0-9a-f]{32}\n$`, "account 2"},
		{"bad plan", []string{"accounts", "create", "--plan", "gold"}, 2, `^$`, "--plan must be trial, free or pro"},
		{"negative limit", []string{"accounts", "create", "--monthly-limit", "-1"}, 2, `^$`, "--monthly-limit"},
		{"second key", []string{"keys", "create", "--account", "1"}, 0, `^ww_live_[0-9a-f]{32}\n$`, ""},
		{"key for unknown account", []string{"keys", "create", "--account", "99"}, 1, `^$`, "no account 99"},
		{"key without account", []string{"keys", "create"}, 2, `^$`, "--account ID is required"},
		{"revoke garbage", []string{"keys", "revoke", "nope"}, 1, `^$`, "is not an API key"},
		{"revoke unknown", []string{"keys", "revoke", "ww_live_00000000000000000000000000000000"}, 1, `^$`, "no such key"},
		{"list", []string{"accounts", "list"}, 0, `(?s)^ID +PLAN.*\n1 +pro +\d{4}-\d\d-\d\d +100000 +0 .*\n2 +free +- +5 +0 `, ""},
		{"unknown command", []string{"accounts", "delete"}, 2, `^$`, "unknown command"},
		{"no command", nil, 2, `^$`, "no command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cli(env, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errOut)
			}
			if !regexp.MustCompile(tc.out).MatchString(out) {
				t.Errorf("stdout %q does not match %s", out, tc.out)
			}
			if !strings.Contains(errOut, tc.err) {
				t.Errorf("stderr %q lacks %q", errOut, tc.err)
			}
		})
	}
}

func TestRevokedKeyGets401(t *testing.T) {
	env := testEnv(t, nil)
	srv := startServer(t, env)
	key := newKey(t, env)
	out, _, code := cli(env, "keys", "create", "--account", "1")
	other := strings.TrimSpace(out)
	if code != 0 {
		t.Fatal("keys create failed")
	}
	r := call(t, "POST", srv.URL+"/api/pkpass", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x"}`, bearer(key), jsonCT)
	if r.status != 200 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	if _, errOut, code := cli(env, "keys", "revoke", key); code != 0 {
		t.Fatalf("revoke: %d %s", code, errOut)
	}
	if r := call(t, "GET", srv.URL+"/api/auth/usage", "", bearer(key)); r.status != 401 {
		t.Errorf("revoked key: %d", r.status)
	}
	// The account, its count and its passes stay: the other key sees them.
	r = call(t, "GET", srv.URL+"/api/auth/usage", "", bearer(other))
	if r.status != 200 || r.json(t)["count"].(float64) != 1 {
		t.Errorf("other key after revoke: %d %s", r.status, r.body)
	}
}

func TestPassBuild(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"WW_DATA_DIR": dir}
	outFile := filepath.Join(dir, "membership.pkpass")
	_, errOut, code := cli(env, "pass", "build", "-i", "../../examples/membership.json", "-o", outFile)
	if code != 0 {
		t.Fatalf("pass build: %d %s", code, errOut)
	}
	m := regexp.MustCompile(`serial ([0-9a-f-]{36})`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("no serial on stderr: %s", errOut)
	}
	blob, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	pj := verifyPass(t, blob, filepath.Join(dir, "dev-identity", "ca.pem"))
	if pj["serialNumber"] != m[1] || pj["logoText"] != "Membership Card" {
		t.Errorf("pass.json: %v", pj)
	}
	// Invalid input: the validation message, exit 1, nothing written.
	var out, errb bytes.Buffer
	e := env2(env, &out, &errb)
	e.stdin = strings.NewReader(`{"barcodeFormat":"QR","logoText":"x"}`)
	if code := run(t.Context(), []string{"pass", "build", "-o", "-"}, e); code != 1 || !strings.Contains(errb.String(), "barcodeValue is required") || out.Len() != 0 {
		t.Errorf("invalid input: exit %d, stderr %q, stdout %d bytes", code, errb.String(), out.Len())
	}
	// Free plan gate applies offline too.
	out.Reset()
	errb.Reset()
	e.stdin = strings.NewReader(`{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x","color":"#112233"}`)
	if code := run(t.Context(), []string{"pass", "build", "--plan", "free", "-o", "-"}, e); code != 1 || !strings.Contains(errb.String(), "color is only available on the Pro plan") {
		t.Errorf("free gate: exit %d, stderr %q", code, errb.String())
	}
}

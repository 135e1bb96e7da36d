package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet/internal/signing"
)

var keyRE = regexp.MustCompile(`^ww_live_[0-9a-f]{32}$`)

// migrated is the environment of a fresh data folder with its database made.
func migrated(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{"WW_DATA_DIR": filepath.Join(t.TempDir(), "data")}
	if _, errOut, code := cli(env, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	return env
}

func TestAccountsCreateBinaryOutput(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"migrate"}, {"accounts", "create", "--email", "owner@bayroast.example", "--org", "Bayroast Coffee Co."}} {
		cmd := exec.Command(binPath, args...)
		cmd.Env = append(os.Environ(), "WW_DATA_DIR="+dir)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v: %s", args, err, errb.String())
		}
		if args[0] == "migrate" {
			continue
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
}

// cliCase is one command line and what it must print; the cases of a table
// run in order on one database.
type cliCase struct {
	name string
	args []string
	code int
	out  string // regexp stdout must match
	err  string // substring of stderr
}

func runCases(t *testing.T, env map[string]string, cases []cliCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cli(env, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q; stderr %s", code, tc.code, out, errOut)
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

func TestAccountsAndKeysCLI(t *testing.T) {
	runCases(t, migrated(t), []cliCase{
		{"trial by default", []string{"accounts", "create"}, 0, `^ww_live_[0-9a-f]{32}\n$`, "account 1"},
		{"free plan", []string{"accounts", "create", "--plan", "free", "--monthly-limit", "5"}, 0, `^ww_live_[0-9a-f]{32}\n$`, "account 2"},
		{"bad plan", []string{"accounts", "create", "--plan", "gold"}, 2, `^$`, "--plan must be trial, free or pro"},
		{"negative limit", []string{"accounts", "create", "--monthly-limit", "-1"}, 2, `^$`, "--monthly-limit"},
		{"bad email", []string{"accounts", "create", "--email", "owner at example.com"}, 2, `^$`, `--email "owner at example.com" is not an e-mail address`},
		{"email with a display name", []string{"accounts", "create", "--email", "Owner <o@example.com>"}, 2, `^$`, "is not an e-mail address"},
		{"email without a domain dot", []string{"accounts", "create", "--email", "o@localhost"}, 2, `^$`, "is not an e-mail address"},
		{"second key", []string{"keys", "create", "--account", "1"}, 0, `^ww_live_[0-9a-f]{32}\n$`, ""},
		{"key for unknown account", []string{"keys", "create", "--account", "99"}, 1, `^$`, "no account 99"},
		{"key without account", []string{"keys", "create"}, 2, `^$`, "--account ID is required"},
		{"revoke garbage", []string{"keys", "revoke", "nope"}, 1, `^$`, "is not an API key"},
		{"revoke unknown", []string{"keys", "revoke", "ww_live_00000000000000000000000000000000"}, 1, `^$`, "no such key"},
		{"list", []string{"accounts", "list"}, 0, `(?s)^ID +PLAN.*\n1 +pro +\d{4}-\d\d-\d\d +100000 +0 .*\n2 +free +- +5 +0 `, ""},
		{"unknown command", []string{"accounts", "delete"}, 2, `^$`, "unknown command"},
		{"no command", nil, 2, `^$`, "no command"},
	})
}

func TestKeysRevokeTwice(t *testing.T) {
	env := migrated(t)
	key := newKey(t, env)
	hint := key[len(key)-4:]
	runCases(t, env, []cliCase{
		{"first", []string{"keys", "revoke", key}, 0, `^$`, "key …" + hint + " of account 1 revoked"},
		{"again", []string{"keys", "revoke", key}, 0, `^$`, "key …" + hint + " of account 1 was already revoked on 20"},
	})
}

func TestAccountsUpdateAndShow(t *testing.T) {
	env := migrated(t)
	newKey(t, env, "--email", "a@example.com", "--org", "Org A")
	out, _, code := cli(env, "keys", "create", "--account", "1")
	second := strings.TrimSpace(out)
	if _, _, rcode := cli(env, "keys", "revoke", second); code != 0 || rcode != 0 {
		t.Fatal("keys create or revoke failed")
	}
	runCases(t, env, []cliCase{
		{"show a fresh trial", []string{"accounts", "show", "1"}, 0,
			`(?s)^id +1\nemail +a@example\.com\norg +Org A\nplan +pro \(trial until \d{4}-\d\d-\d\d, then free\)\nlimit +100000 a month \(the plan's\)\nused +0 in \d{4}-\d\d \(UTC\)\ncreated +20\S+Z\n\nkeys \(2\)\n +ID +HINT +CREATED +REVOKED\n +1 +…[0-9a-f]{4} +20\S+Z +-\n +2 +…` + second[len(second)-4:] + ` +20\S+Z +20\S+Z\n$`, ""},
		{"update prints nothing", []string{"accounts", "update", "1", "--plan", "free", "--monthly-limit", "7", "--org", "Org B", "--email", "b@example.com"}, 0, `^$`, ""},
		{"flags before the ID", []string{"accounts", "update", "--org", "Org C", "1"}, 0, `^$`, ""},
		{"shows the change", []string{"accounts", "show", "1"}, 0,
			`(?s)^id +1\nemail +b@example\.com\norg +Org C\nplan +free\nlimit +7 a month \(set for this account\)\n`, ""},
		{"--monthly-limit 0 returns to the plan's", []string{"accounts", "update", "1", "--monthly-limit", "0"}, 0, `^$`, ""},
		{"plan limit again", []string{"accounts", "list"}, 0, `(?m)^1 +free +- +1000 +0 +b@example\.com +Org C `, ""},
		{"back to the trial while it lasts", []string{"accounts", "update", "1", "--plan", "trial"}, 0, `^$`, ""},
		{"only the plan changed", []string{"accounts", "show", "1"}, 0, `(?s)email +b@example\.com\norg +Org C\nplan +pro \(trial until`, ""},
		{"clear the org", []string{"accounts", "update", "1", "--org", ""}, 0, `^$`, ""},
		{"org cleared", []string{"accounts", "show", "1"}, 0, `(?m)^org +-$`, ""},
		{"update unknown", []string{"accounts", "update", "99", "--plan", "pro"}, 1, `^$`, "no account 99"},
		{"show unknown", []string{"accounts", "show", "99"}, 1, `^$`, "no account 99"},
		{"update without ID", []string{"accounts", "update", "--plan", "pro"}, 2, `^$`, "exactly one account ID"},
		{"update with a bad ID", []string{"accounts", "update", "x1"}, 2, `^$`, `account ID must be a positive number, got "x1"`},
		{"update with a bad email", []string{"accounts", "update", "1", "--email", "nope"}, 2, `^$`, `--email "nope" is not an e-mail address`},
		{"update with an empty plan", []string{"accounts", "update", "1", "--plan", ""}, 2, `^$`, "--plan must be trial, free or pro"},
		{"update with a negative limit", []string{"accounts", "update", "1", "--monthly-limit", "-3"}, 2, `^$`, "--monthly-limit must be 0 or more"},
		{"update with a long org", []string{"accounts", "update", "1", "--org", strings.Repeat("x", 65)}, 2, `^$`, "--org must be at most 64"},
		{"show takes one ID", []string{"accounts", "show", "1", "2"}, 2, `^$`, "exactly one account ID"},
		{"update without a change", []string{"accounts", "update", "1"}, 2, `^$`, "nothing to change"},
	})
}

// TestAdminCommandsNeedADatabase: run from another folder, the admin
// commands refuse instead of creating an empty database there.
func TestAdminCommandsNeedADatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-here")
	env := map[string]string{"WW_DATA_DIR": dir}
	for _, args := range [][]string{
		{"accounts", "create"}, {"accounts", "list"}, {"accounts", "show", "1"}, {"accounts", "update", "1", "--plan", "pro"},
		{"keys", "create", "--account", "1"}, {"keys", "revoke", "ww_live_00000000000000000000000000000000"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, code := cli(env, args...)
			if code != 1 || out != "" {
				t.Fatalf("exit %d, stdout %q, want 1 and nothing", code, out)
			}
			for _, want := range []string{"no database at " + filepath.Join(dir, "walletwallet.db"), "WW_DATA_DIR", "walletwallet migrate"} {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q lacks %q", errOut, want)
				}
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("the data folder was created (%v)", err)
			}
		})
	}
}

// TestUsageErrors: a mistake prints the error and one line of usage, not the help.
func TestUsageErrors(t *testing.T) {
	env := migrated(t)
	cases := []struct {
		args     []string
		err, use string
	}{
		{[]string{"accounts", "create", "--nope"}, "walletwallet accounts create: flag provided but not defined: -nope", "usage: walletwallet accounts create [--email E]"},
		{[]string{"accounts", "create", "--plan", "gold"}, "walletwallet accounts create: --plan must be", "usage: walletwallet accounts create "},
		{[]string{"accounts", "show"}, "walletwallet accounts show: takes exactly one account ID", "usage: walletwallet accounts show ID "},
		{[]string{"keys", "create", "--account", "x"}, "walletwallet keys create: invalid value \"x\" for flag -account", "usage: walletwallet keys create --account ID "},
		{[]string{"keys", "revoke"}, "walletwallet keys revoke: takes exactly one KEY", "usage: walletwallet keys revoke KEY "},
		{[]string{"pass", "build", "--plan", "trial"}, "walletwallet pass build: --plan must be free or pro", "usage: walletwallet pass build [-i FILE|-]"},
		{[]string{"migrate", "extra"}, "walletwallet migrate: unexpected argument \"extra\"", "usage: walletwallet migrate "},
		{[]string{"serve", "--addr"}, "walletwallet serve: flag needs an argument: -addr", "usage: walletwallet serve "},
		{[]string{"version", "--x"}, "walletwallet version: flag provided but not defined: -x", "usage: walletwallet version "},
		{[]string{"frobnicate"}, `walletwallet: unknown command "frobnicate"`, "usage: walletwallet COMMAND"},
		{nil, "walletwallet: no command given", "usage: walletwallet COMMAND"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := cli(env, tc.args...)
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			if code != 2 || out != "" || len(lines) != 2 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2, nothing, two lines", code, out, errOut)
			}
			if !strings.HasPrefix(lines[0], tc.err) || !strings.HasPrefix(lines[1], tc.use) {
				t.Errorf("stderr %q, want lines starting %q and %q", errOut, tc.err, tc.use)
			}
		})
	}
}

// TestHelpListsOnlyUsedSettings: each command's -h names the settings it
// reads and none of the others.
func TestHelpListsOnlyUsedSettings(t *testing.T) {
	all := []string{"WW_ADDR", "WW_DATA_DIR", "WW_DATABASE_URL", "WW_PUBLIC_URL", "WW_PASS_CERT]", "WW_PASS_KEY", "WW_PASS_CERT_PASSWORD",
		"WW_WWDR_CERT", "WW_PASS_TYPE_ID", "WW_TEAM_ID", "WW_APNS_URL", "WW_APNS_CA", "WW_APNS_KEY]", "WW_APNS_KEY_ID", "WW_APNS_TEAM_ID",
		"WW_FETCH_ALLOW_CIDRS", "WW_FETCH_CA", "WW_DEFAULT_ORG", "WW_SELF_CHECK", "WW_LOG_LEVEL", "WW_SIGNUP"}
	db := []string{"WW_DATA_DIR", "WW_DATABASE_URL"}
	signing := []string{"WW_DATA_DIR", "WW_PUBLIC_URL", "WW_PASS_CERT]", "WW_PASS_KEY", "WW_PASS_CERT_PASSWORD", "WW_WWDR_CERT",
		"WW_PASS_TYPE_ID", "WW_TEAM_ID", "WW_FETCH_ALLOW_CIDRS", "WW_FETCH_CA", "WW_DEFAULT_ORG", "WW_SELF_CHECK"}
	cases := []struct {
		args  []string
		uses  []string
		flags []string // the command's own flags
	}{
		{[]string{"serve"}, all, nil},
		{[]string{"migrate"}, db, nil},
		{[]string{"accounts", "create"}, db, []string{"-email", "-org", "-plan", "-monthly-limit"}},
		{[]string{"accounts", "update"}, db, []string{"-email", "-org", "-plan", "-monthly-limit"}},
		{[]string{"accounts", "show"}, db, nil},
		{[]string{"accounts", "list"}, db, nil},
		{[]string{"keys", "create"}, db, []string{"-account"}},
		{[]string{"keys", "revoke"}, db, nil},
		{[]string{"pass", "build"}, signing, []string{"-i ", "-o ", "-plan", "-web-service"}},
		{[]string{"version"}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := cli(nil, append(tc.args, "-h")...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if !strings.HasPrefix(out, "Usage: walletwallet "+strings.Join(tc.args, " ")) {
				t.Errorf("help starts %q", out[:min(len(out), 60)])
			}
			uses := map[string]bool{}
			for _, v := range tc.uses {
				uses[v] = true
			}
			for _, v := range all {
				if got := strings.Contains(out, v); got != uses[v] {
					t.Errorf("help mentions %s: %v, want %v\n%s", v, got, uses[v], out)
				}
			}
			for _, f := range tc.flags {
				if !strings.Contains(out, "  "+f) {
					t.Errorf("help lacks %s:\n%s", f, out)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(binPath, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSuffix(string(out), "\n")
	re := regexp.MustCompile(`^walletwallet \S+ (\(commit [0-9a-f]{12}(, modified)?(, \S+)?\) )?` + regexp.QuoteMeta(runtime.Version()) + ` ` + runtime.GOOS + `/` + runtime.GOARCH + `, signer ` + regexp.QuoteMeta(signing.SignerName()) + `$`)
	if !re.MatchString(line) || strings.Contains(line, "\n") {
		t.Fatalf("version printed %q", out)
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
	// An account changed while serve runs takes effect on the next request.
	if _, errOut, code := cli(env, "accounts", "update", "1", "--monthly-limit", "1"); code != 0 {
		t.Fatalf("update: %s", errOut)
	}
	r = call(t, "POST", srv.URL+"/api/pkpass", `{"barcodeValue":"2","barcodeFormat":"QR","logoText":"x"}`, bearer(other), jsonCT)
	if r.status != 429 {
		t.Errorf("POST over the new limit of 1: %d %s", r.status, r.body)
	}
}

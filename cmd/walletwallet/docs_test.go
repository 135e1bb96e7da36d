package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestResourceDocsExamplesRun runs the shell examples of docs/api.md's
// "The pass as a resource" section, in order and verbatim, against the
// spawned binary, so the documentation cannot drift from the server.
func TestResourceDocsExamplesRun(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed to run the documentation's examples", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## The pass as a resource\n")
	if !ok {
		t.Fatal("docs/api.md has no section \"The pass as a resource\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var script strings.Builder
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1)
	for _, b := range blocks {
		script.WriteString(b[1])
	}
	if len(blocks) < 8 {
		t.Fatalf("found %d shell examples, expected one per call", len(blocks))
	}

	env := testEnv(t, nil)
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script.String())
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "BASE="+srv.URL, "KEY="+key)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the examples failed: %v\n%s\nscript:\n%s", err, out, script.String())
	}
	for _, want := range []string{
		`"active"`,                     // GET /api/passes/{serial}
		`"notifiedDevices":0`,          // the PATCHes (no device holds the pass)
		`200 text/html; charset=utf-8`, // the share page
		`"status":"voided"`,            // DELETE
		"Idempotent-Replayed: true",    // the second try
		"X-Serial-Numbers: ",           // the bundle
		`"unchanged":false`,            // the PATCHes changed the pass
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the examples' output lacks %q:\n%s", want, out)
		}
	}
	if fi, err := os.Stat(cmd.Dir + "/tickets.pkpasses"); err != nil || fi.Size() == 0 {
		t.Errorf("no bundle downloaded: %v", err)
	}
	// Creates: the POST, two PATCHes, two bundle passes, one idempotent POST.
	if u := call(t, "GET", srv.URL+"/api/auth/usage", "", bearer(key)).json(t); u["count"] != 6.0 {
		t.Errorf("usage %v after the examples, want 6", u["count"])
	}
}

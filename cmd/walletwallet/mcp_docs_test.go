package main

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMCPDocsExamplesRun runs docs/mcp.md's curl examples, in order and
// verbatim, against the spawned binary: the served /mcp is the documented one.
func TestMCPDocsExamplesRun(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "base64", "od"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed to run the documentation's examples", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	doc, err := os.ReadFile("../../docs/mcp.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Trying it with curl\n")
	if !ok {
		t.Fatal(`docs/mcp.md has no section "Trying it with curl"`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var script strings.Builder
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1)
	for _, b := range blocks {
		script.WriteString(b[1])
	}
	if len(blocks) < 8 {
		t.Fatalf("found %d shell examples, expected one per step", len(blocks))
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
		`"name":"walletwallet"`, // initialize
		"create_pass\nget_pass\nget_usage\nlist_passes\npatch_pass\npreview_pass\nupdate_pass\nvoid_pass\n", // tools/list, by name
		`"unchanged":false`,                            // the patch
		`{"status":"active","logoText":"Gold Member"}`, // get_pass
		`{"isError":true,"text":"barcodeFormat must be one of: QR, PDF417, Aztec, Code128"}`, // the refusal
		" 89 50 4e 47 0d 0a 1a 0a", // the PNG's signature
		`"count":2`,                // usage
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the examples' output lacks %q:\n%s", want, out)
		}
	}
	// The refusal shown in the document is the one the server gives.
	if !strings.Contains(string(doc), `"text": "barcodeFormat must be one of: QR, PDF417, Aztec, Code128"`) {
		t.Error("docs/mcp.md's refusal example does not show the server's message")
	}
}

// TestMCPExampleClient builds examples/mcpclient, the Go program
// docs/mcp.md quotes, and runs it against the spawned binary.
func TestMCPExampleClient(t *testing.T) {
	src, err := os.ReadFile("../../examples/mcpclient/main.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/mcp.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```go\n"+string(src)+"```\n") {
		t.Error("docs/mcp.md does not quote examples/mcpclient/main.go as it is")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mcpclient")
	if out, err := exec.Command("go", "build", "-o", bin, "../../examples/mcpclient").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	env := testEnv(t, nil)
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	run := func(key string) (string, error) {
		cmd := exec.Command(bin)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "WW_URL="+srv.URL, "WW_KEY="+key)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(key)
	if err != nil {
		t.Fatalf("mcpclient: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^created: [0-9a-f-]{36} https://passes\.example\.test/p/\S+$`).MatchString(out) ||
		!strings.Contains(out, "tool: preview_pass\n") || !strings.Contains(out, `"logoText":"Membership Card"`) {
		t.Errorf("mcpclient printed:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "pass.png"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Errorf("pass.png: %v", err)
	}
	// A key the server does not know cannot connect.
	if out, err := run("ww_live_00000000000000000000000000000000"); err == nil {
		t.Errorf("mcpclient with an unknown key succeeded:\n%s", out)
	}
}

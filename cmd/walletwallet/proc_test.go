package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/lint"
)

// binPath is the walletwallet binary built once for the tests that spawn it.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ww-bin-")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "walletwallet")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the binary: %v\n%s", err, out)
		os.Exit(1)
	}
	// Every pass any spawned command makes (serve, pass build) is linted
	// before it leaves: a pass failing the linter fails its request.
	os.Setenv("WW_SELF_CHECK", "lint")
	code := m.Run()
	closeBrowser()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a spawned `walletwallet serve`.
type proc struct {
	t    testing.TB
	cmd  *exec.Cmd
	URL  string
	mu   sync.Mutex
	logs bytes.Buffer
	done chan error
}

var listenRE = regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)

// startServer spawns `walletwallet serve` with env (plus WW_ADDR=127.0.0.1:0)
// and waits until it answers /healthz.
func startServer(t testing.TB, env map[string]string) *proc {
	t.Helper()
	cmd := exec.Command(binPath, "serve")
	cmd.Env = append(os.Environ(), "WW_ADDR=127.0.0.1:0")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs.WriteString(line + "\n")
			p.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("server log:\n%s", p.Logs())
		}
	})
	select {
	case a := <-addr:
		p.URL = "http://" + a
	case err := <-p.done:
		t.Fatalf("server exited at start-up: %v\n%s", err, p.Logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start:\n%s", p.Logs())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(p.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never healthy: %v\n%s", err, p.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Logs returns what the server logged so far.
func (p *proc) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// Kill ends the server with SIGKILL: no shutdown code runs.
func (p *proc) Kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM and returns the exit error.
func (p *proc) Stop() error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-time.After(40 * time.Second):
		p.t.Fatalf("server did not stop on SIGTERM")
		return nil
	}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r *reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %q", r.status, r.body)
	}
	return m
}

// testClient fails a request that hangs instead of hanging the package.
var testClient = &http.Client{Timeout: 60 * time.Second}

// call sends one request; headers are "Name: value".
func call(t testing.TB, method, url, body string, headers ...string) *reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for _, hv := range headers {
		k, v, _ := strings.Cut(hv, ": ")
		req.Header.Add(k, v)
	}
	res, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &reply{res.StatusCode, res.Header, b}
}

// cli runs a command in-process against env and returns stdout, stderr and the exit status.
func cli(env map[string]string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, env2(env, &out, &errb))
	return out.String(), errb.String(), code
}

func env2(m map[string]string, out, errb *bytes.Buffer) env {
	return env{stdin: strings.NewReader(""), stdout: out, stderr: errb, getenv: func(k string) string { return m[k] }}
}

// newKey creates an account through the CLI and returns its key.
func newKey(t testing.TB, env map[string]string, args ...string) string {
	t.Helper()
	out, errOut, code := cli(env, append([]string{"accounts", "create"}, args...)...)
	if code != 0 {
		t.Fatalf("accounts create: %d %s", code, errOut)
	}
	return strings.TrimSpace(out)
}

// unzip returns the files of a .pkpass.
func unzip(t testing.TB, blob []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(blob), int64(len(blob)))
	if err != nil {
		t.Fatalf("not a zip (%d bytes): %v", len(blob), err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = b
	}
	return files
}

// verifyPass checks the signature of a .pkpass with openssl against caPEM,
// the manifest's hashes and the project's linter (apart from the checks a
// test expects to fail), and returns pass.json.
func verifyPass(t testing.TB, blob []byte, caPEM string, expectLint ...string) map[string]any {
	t.Helper()
	if pem, err := os.ReadFile(caPEM); err == nil {
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(pem)
		rep := lint.Check(blob, lint.Options{Roots: roots})
		for _, f := range rep.Findings {
			if f.Severity == lint.Error && !slices.Contains(expectLint, f.Check) {
				t.Errorf("pass fails lint: %s", f)
			}
		}
		for _, c := range expectLint {
			if !rep.Has(c) {
				t.Errorf("lint does not report %s: %v", c, rep.Findings)
			}
		}
	}
	files := unzip(t, blob)
	dir := t.TempDir()
	for _, name := range []string{"manifest.json", "signature"} {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER",
		"-in", filepath.Join(dir, "signature"), "-content", filepath.Join(dir, "manifest.json"),
		"-CAfile", caPEM, "-out", os.DevNull).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl cms -verify: %v\n%s", err, out)
	}
	var manifest map[string]string
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if name == "manifest.json" || name == "signature" {
			continue
		}
		if manifest[name] != sha1hex(data) {
			t.Errorf("manifest hash of %s is %s, want %s", name, manifest[name], sha1hex(data))
		}
	}
	var pj map[string]any
	if err := json.Unmarshal(files["pass.json"], &pj); err != nil {
		t.Fatal(err)
	}
	return pj
}

package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/push"
)

// TestMain lets the test binary stand in for the command when re-executed.
func TestMain(m *testing.M) {
	if os.Getenv("APNSDOUBLE_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestCommandLogsAndHolds(t *testing.T) {
	dir := t.TempDir()
	hold := filepath.Join(dir, "hold")
	logPath := filepath.Join(dir, "tokens.log")
	if err := os.WriteFile(hold, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-log", logPath, "-hold", hold, "-ca", filepath.Join(dir, "ca.pem"))
	cmd.Env = append(os.Environ(), "APNSDOUBLE_AS_MAIN=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(out)
	vals := map[string]string{}
	for len(vals) < 2 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		vals[k] = v
	}
	caPEM, err := os.ReadFile(vals["ca"])
	if err != nil {
		t.Fatalf("stdout %v: %v", vals, err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cert := clientCert(t)
	c, err := push.NewClient(push.ClientOptions{BaseURL: vals["url"], RootCAs: pool, Certificate: &cert})
	if err != nil {
		t.Fatal(err)
	}
	answered := make(chan push.Result, 1)
	go func() { answered <- c.Push(context.Background(), "pass.t", "cafe01") }()

	// The token is logged on arrival, while the answer is held.
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(logPath)
		if string(b) == "cafe01\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("log = %q, want the token", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case r := <-answered:
		t.Fatalf("answered while the hold file exists: %+v", r)
	default:
	}
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	if r := <-answered; r.Status != 200 {
		t.Errorf("after removing the hold file: %+v, want 200", r)
	}
}

func clientCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

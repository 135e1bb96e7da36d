package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/signing"
)

// writeChain writes an operator-style identity (signer PEM, PKCS#8 key PEM,
// WWDR PEM, root PEM) made by the signing package's test chain.
func writeChain(t *testing.T, dir, passTypeID string) (cert, key, wwdr, root string) {
	t.Helper()
	id, rootPEM, err := signing.NewTestChain(passTypeID, "TEAMOPS001")
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(id.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, wwdr, root = filepath.Join(dir, "pass.pem"), filepath.Join(dir, "pass.key"), filepath.Join(dir, "wwdr.pem"), filepath.Join(dir, "root.pem")
	for path, data := range map[string][]byte{
		cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.Cert.Raw}),
		key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		wwdr: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.WWDR.Raw}),
		root: rootPEM,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, key, wwdr, root
}

// TestOperatorIdentity runs the binary with an operator's certificate, as PEM
// + key and as a .p12 made by OpenSSL 3 with its default AES encryption: the
// passes carry the certificate's pass type and team, and verify against its root.
func TestOperatorIdentity(t *testing.T) {
	dir := t.TempDir()
	cert, key, wwdr, root := writeChain(t, dir, "pass.com.bayroast.loyalty")
	p12 := filepath.Join(dir, "pass.p12")
	if out, err := exec.Command("openssl", "pkcs12", "-export", "-in", cert, "-inkey", key, "-out", p12, "-passout", "pass:s3cret").CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs12: %v\n%s", err, out)
	}
	// The secrets can come from files (a container's mounted secrets), not the environment.
	pwFile, dbFile := filepath.Join(dir, "pass-password"), filepath.Join(dir, "database-url")
	dbPath := filepath.Join(dir, "elsewhere", "ww.db")
	os.WriteFile(pwFile, []byte("s3cret\n"), 0o600)
	os.WriteFile(dbFile, []byte("sqlite:"+dbPath+"\n"), 0o600)
	cases := []struct {
		name string
		env  map[string]string
	}{
		{"PEM and key", map[string]string{"WW_PASS_CERT": cert, "WW_PASS_KEY": key, "WW_WWDR_CERT": wwdr}},
		{".p12 with password", map[string]string{"WW_PASS_CERT": p12, "WW_PASS_CERT_PASSWORD": "s3cret", "WW_WWDR_CERT": wwdr}},
		{".p12, password and database from *_FILE", map[string]string{"WW_PASS_CERT": p12, "WW_PASS_CERT_PASSWORD_FILE": pwFile,
			"WW_WWDR_CERT": wwdr, "WW_DATABASE_URL_FILE": dbFile}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := testEnv(t, nil)
			env["WW_APNS_URL"] = "https://127.0.0.1:1"
			for k, v := range tc.env {
				env[k] = v
			}
			srv := startServer(t, env)
			if strings.Contains(srv.Logs(), "DEVELOPMENT identity") {
				t.Error("warned about the development identity with an operator certificate")
			}
			k := newKey(t, env)
			r := call(t, "POST", srv.URL+"/api/pkpass", `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"Bayroast"}`, bearer(k), jsonCT)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			pj := verifyPass(t, r.body, root)
			if pj["passTypeIdentifier"] != "pass.com.bayroast.loyalty" || pj["teamIdentifier"] != "TEAMOPS001" {
				t.Errorf("identifiers: %v %v", pj["passTypeIdentifier"], pj["teamIdentifier"])
			}
			if tc.env["WW_DATABASE_URL_FILE"] != "" {
				if _, err := os.Stat(dbPath); err != nil {
					t.Errorf("the database is not where WW_DATABASE_URL_FILE says: %v", err)
				}
			}
		})
	}
}

// TestIdentityMistakesStopStartup: a wrong password or a WWDR that did not
// issue the certificate stops `serve` with a message that says so.
func TestIdentityMistakesStopStartup(t *testing.T) {
	dir := t.TempDir()
	cert, key, _, _ := writeChain(t, dir, "pass.com.example.a")
	// A WWDR stand-in with a key of its own (the test chains share keys).
	otherWWDR := filepath.Join(dir, "other-wwdr.pem")
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", filepath.Join(dir, "other.key"),
		"-out", otherWWDR, "-days", "30", "-subj", "/CN=Apple Worldwide Developer Relations Certification Authority/OU=G4").CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	p12 := filepath.Join(dir, "pass.p12")
	if out, err := exec.Command("openssl", "pkcs12", "-export", "-in", cert, "-inkey", key, "-out", p12, "-passout", "pass:right").CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs12: %v\n%s", err, out)
	}
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"wrong password", map[string]string{"WW_PASS_CERT": p12, "WW_PASS_CERT_PASSWORD": "wrong", "WW_WWDR_CERT": otherWWDR}, "password"},
		{"foreign WWDR", map[string]string{"WW_PASS_CERT": cert, "WW_PASS_KEY": key, "WW_WWDR_CERT": otherWWDR}, "did not issue the pass certificate"},
		{"no WWDR", map[string]string{"WW_PASS_CERT": cert, "WW_PASS_KEY": key}, "WW_WWDR_CERT is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binPath, "serve")
			cmd.Env = append(os.Environ(), "WW_ADDR=127.0.0.1:0", "WW_DATA_DIR="+t.TempDir())
			for k, v := range tc.env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("serve started with a broken identity:\n%s", out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("message lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

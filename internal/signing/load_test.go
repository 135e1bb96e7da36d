package signing

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

const testPassword = "s3cret pass"

// loadFixture is one chain written to disk in every format Load accepts.
type loadFixture struct {
	c   *chain
	dir string
	// paths
	cert, wwdrPEM, wwdrDER, pkcs1, pkcs8 string
	otherWWDR, otherKey                  string
	other                                *chain
}

func newLoadFixture(t *testing.T) *loadFixture {
	t.Helper()
	requireOpenSSL(t)
	c, err := generateChain("pass.com.example.load", "TEAMLOAD01", time.Now(), testKeysForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := &loadFixture{c: c, dir: dir}
	f.cert = writeFile(t, dir, "signer.pem", certPEM(c.signer))
	f.wwdrPEM = writeFile(t, dir, "wwdr.pem", certPEM(c.wwdr))
	f.pkcs8 = writeFile(t, dir, "key-pkcs8.pem", pkcs8PEM(t, c.signerKey))
	f.pkcs1 = filepath.Join(dir, "key-pkcs1.pem")
	mustOpenSSL(t, "rsa", "-in", f.pkcs8, "-traditional", "-out", f.pkcs1)
	f.wwdrDER = filepath.Join(dir, "wwdr.cer")
	mustOpenSSL(t, "x509", "-in", f.wwdrPEM, "-outform", "DER", "-out", f.wwdrDER)

	// A different intermediate with its own key: it cannot have issued the signer.
	other, err := generateChain("pass.com.example.other", "TEAMOTHER1", time.Now(), [3]*rsa.PrivateKey{})
	if err != nil {
		t.Fatal(err)
	}
	f.otherWWDR = writeFile(t, dir, "other-wwdr.pem", certPEM(other.wwdr))
	f.otherKey = writeFile(t, dir, "other-key.pem", pkcs8PEM(t, other.signerKey))
	f.other = other
	return f
}

func (f *loadFixture) path(name string) string { return filepath.Join(f.dir, name) }

func TestLoadFormats(t *testing.T) {
	f := newLoadFixture(t)
	pass := "pass:" + testPassword

	// Encrypted keys and .p12 files made by the openssl binary, as operators make them.
	mustOpenSSL(t, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", f.pkcs8, "-out", f.path("enc-aes256.pem"), "-passout", pass)
	mustOpenSSL(t, "pkcs8", "-topk8", "-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1", "-in", f.pkcs8, "-out", f.path("enc-aes128-sha1.pem"), "-passout", pass)
	mustOpenSSL(t, "pkcs8", "-topk8", "-v2", "des3", "-in", f.pkcs8, "-out", f.path("enc-des3.pem"), "-passout", pass)
	mustOpenSSL(t, "rsa", "-aes256", "-traditional", "-in", f.pkcs8, "-out", f.path("legacy-aes.pem"), "-passout", pass)
	mustOpenSSL(t, "rsa", "-des3", "-traditional", "-in", f.pkcs8, "-out", f.path("legacy-des3.pem"), "-passout", pass)
	mustOpenSSL(t, "pkcs12", "-export", "-in", f.cert, "-inkey", f.pkcs8, "-out", f.path("default.p12"), "-passout", pass)
	mustOpenSSL(t, "pkcs12", "-export", "-in", f.cert, "-inkey", f.pkcs8, "-certfile", f.wwdrPEM, "-out", f.path("chain.pfx"), "-passout", pass)
	mustOpenSSL(t, "pkcs12", "-export", "-in", f.cert, "-inkey", f.pkcs8, "-certpbe", "PBE-SHA1-3DES",
		"-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1", "-out", f.path("legacy-3des.p12"), "-passout", pass)
	// Sanity check the fixtures are what the case names claim.
	if out := mustOpenSSL(t, "pkcs12", "-info", "-noout", "-in", f.path("default.p12"), "-passin", pass); !strings.Contains(string(out), "AES-256-CBC") {
		t.Fatalf("default.p12 is not AES-256-CBC:\n%s", out)
	}
	if out := mustOpenSSL(t, "pkcs12", "-info", "-noout", "-in", f.path("legacy-3des.p12"), "-passin", pass); !strings.Contains(string(out), "3-KeyTripleDES") {
		t.Fatalf("legacy-3des.p12 is not 3DES:\n%s", out)
	}
	if b, _ := os.ReadFile(f.path("legacy-aes.pem")); !strings.Contains(string(b), "Proc-Type: 4,ENCRYPTED") {
		t.Fatalf("legacy-aes.pem is not legacy PEM encryption:\n%s", b)
	}
	// -legacy (RC2-40 certificates) needs OpenSSL's legacy provider, which may be absent.
	_, legacyErr := openssl(t, "pkcs12", "-export", "-legacy", "-in", f.cert, "-inkey", f.pkcs8,
		"-out", f.path("rc2-legacy.p12"), "-passout", pass)

	// EC signer with a SEC1 key.
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecCert, err := issue(signerTemplate("pass.com.example.ec", "TEAMEC0001", time.Now()), &ecKey.PublicKey, f.c.wwdr, f.c.wwdrKey)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	ecCertPath := writeFile(t, f.dir, "ec.pem", certPEM(ecCert))
	ecKeyPath := writeFile(t, f.dir, "ec-key.pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}))

	tests := []struct {
		name     string
		o        Options
		skip     error
		wantCert *x509.Certificate
		wantPT   string
		wantTeam string
	}{
		{name: "PEM cert + PKCS#1 key", o: Options{CertPath: f.cert, KeyPath: f.pkcs1, WWDRPath: f.wwdrPEM}},
		{name: "PEM cert + PKCS#8 key", o: Options{CertPath: f.cert, KeyPath: f.pkcs8, WWDRPath: f.wwdrPEM}},
		{name: "WWDR as DER", o: Options{CertPath: f.cert, KeyPath: f.pkcs8, WWDRPath: f.wwdrDER}},
		{name: "encrypted PKCS#8 AES-256-CBC PBKDF2-SHA256", o: Options{CertPath: f.cert, KeyPath: f.path("enc-aes256.pem"), Password: testPassword, WWDRPath: f.wwdrPEM}},
		{name: "encrypted PKCS#8 AES-128-CBC PBKDF2-SHA1", o: Options{CertPath: f.cert, KeyPath: f.path("enc-aes128-sha1.pem"), Password: testPassword, WWDRPath: f.wwdrPEM}},
		{name: "encrypted PKCS#8 3DES", o: Options{CertPath: f.cert, KeyPath: f.path("enc-des3.pem"), Password: testPassword, WWDRPath: f.wwdrPEM}},
		{name: "legacy encrypted PEM AES-256", o: Options{CertPath: f.cert, KeyPath: f.path("legacy-aes.pem"), Password: testPassword, WWDRPath: f.wwdrPEM}},
		{name: "legacy encrypted PEM 3DES", o: Options{CertPath: f.cert, KeyPath: f.path("legacy-des3.pem"), Password: testPassword, WWDRPath: f.wwdrPEM}},
		{name: "p12 OpenSSL 3 defaults", o: Options{CertPath: f.path("default.p12"), Password: testPassword, WWDRPath: f.wwdrPEM}},
		{name: "p12 legacy 3DES SHA1 MAC", o: Options{CertPath: f.path("legacy-3des.p12"), Password: testPassword, WWDRPath: f.wwdrDER}},
		{name: "p12 -legacy RC2", o: Options{CertPath: f.path("rc2-legacy.p12"), Password: testPassword, WWDRPath: f.wwdrPEM}, skip: legacyErr},
		{name: "pfx carrying the WWDR, no WWDR path", o: Options{CertPath: f.path("chain.pfx"), Password: testPassword}},
		{name: "EC signer with SEC1 key", o: Options{CertPath: ecCertPath, KeyPath: ecKeyPath, WWDRPath: f.wwdrPEM},
			wantCert: ecCert, wantPT: "pass.com.example.ec", wantTeam: "TEAMEC0001"},
		{name: "overrides win over the subject", o: Options{CertPath: f.cert, KeyPath: f.pkcs8, WWDRPath: f.wwdrPEM, PassTypeID: "pass.com.example.override", TeamID: "OVERRIDE01"},
			wantPT: "pass.com.example.override", wantTeam: "OVERRIDE01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip != nil {
				t.Skipf("openssl could not make the fixture: %v", tt.skip)
			}
			id, err := Load(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			wantCert, wantPT, wantTeam := f.c.signer, "pass.com.example.load", "TEAMLOAD01"
			if tt.wantCert != nil {
				wantCert = tt.wantCert
			}
			if tt.wantPT != "" {
				wantPT, wantTeam = tt.wantPT, tt.wantTeam
			}
			if !id.Cert.Equal(wantCert) || !id.WWDR.Equal(f.c.wwdr) {
				t.Errorf("wrong certificates loaded: %q / %q", id.Cert.Subject, id.WWDR.Subject)
			}
			if id.PassTypeID != wantPT || id.TeamID != wantTeam {
				t.Errorf("ids = %q/%q, want %q/%q", id.PassTypeID, id.TeamID, wantPT, wantTeam)
			}
			if id.Dev {
				t.Error("a loaded identity is not the development identity")
			}
			// The loaded key must actually sign for the certificate.
			sig, err := id.Sign([]byte("{}"))
			if err != nil {
				t.Fatal(err)
			}
			checkStructure(t, sig, []byte("{}"), id, time.Now().Add(-time.Minute))
		})
	}
}

func TestLoadErrors(t *testing.T) {
	f := newLoadFixture(t)
	pass := "pass:" + testPassword
	mustOpenSSL(t, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", f.pkcs8, "-out", f.path("enc.pem"), "-passout", pass)
	mustOpenSSL(t, "rsa", "-aes256", "-traditional", "-in", f.pkcs8, "-out", f.path("legacy.pem"), "-passout", pass)
	mustOpenSSL(t, "pkcs12", "-export", "-in", f.cert, "-inkey", f.pkcs8, "-out", f.path("id.p12"), "-passout", pass)
	// openssl refuses to bundle a key with a certificate it does not belong to.
	mismatch, err := pkcs12.Modern.Encode(f.other.signerKey, f.c.signer, nil, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, f.dir, "mismatch.p12", mismatch)

	// A signer without UID in its subject.
	noUID := signerTemplate("x", "TEAMNOUID1", time.Now())
	noUID.Subject.ExtraNames = nil
	noUIDCert, err := issue(noUID, &f.c.signerKey.PublicKey, f.c.wwdr, f.c.wwdrKey)
	if err != nil {
		t.Fatal(err)
	}
	noUIDPath := writeFile(t, f.dir, "nouid.pem", certPEM(noUIDCert))
	garbage := writeFile(t, f.dir, "garbage.pem", []byte("not a certificate"))

	notAfter := f.c.signer.NotAfter.UTC()
	base := Options{CertPath: f.cert, KeyPath: f.pkcs8, WWDRPath: f.wwdrPEM}
	with := func(change func(*Options)) Options { o := base; change(&o); return o }

	tests := []struct {
		name string
		o    Options
		kind error
		msg  []string // substrings the operator must see
	}{
		{"wrong password encrypted PKCS#8", with(func(o *Options) { o.KeyPath, o.Password = f.path("enc.pem"), "nope" }),
			ErrWrongPassword, []string{"wrong password", "enc.pem"}},
		{"wrong password legacy PEM", with(func(o *Options) { o.KeyPath, o.Password = f.path("legacy.pem"), "nope" }),
			ErrWrongPassword, []string{"wrong password", "legacy.pem"}},
		{"wrong password p12", Options{CertPath: f.path("id.p12"), Password: "nope", WWDRPath: f.wwdrPEM},
			ErrWrongPassword, []string{"wrong password", "id.p12"}},
		{"missing password encrypted key", with(func(o *Options) { o.KeyPath = f.path("enc.pem") }),
			ErrPasswordMissing, []string{"is encrypted"}},
		{"key does not match certificate", with(func(o *Options) { o.KeyPath = f.otherKey }),
			ErrKeyMismatch, []string{"does not match the pass certificate", "Pass Type ID: pass.com.example.load"}},
		{"p12 key does not match certificate", Options{CertPath: f.path("mismatch.p12"), Password: testPassword, WWDRPath: f.wwdrPEM},
			ErrKeyMismatch, []string{"does not match"}},
		{"WWDR did not issue the signer", with(func(o *Options) { o.WWDRPath = f.otherWWDR }),
			ErrWrongIssuer, []string{`WWDR certificate "WalletWallet Development WWDR Stand-in" did not issue the pass certificate "Pass Type ID: pass.com.example.load"; download the matching intermediate from Apple`}},
		{"signer expired", with(func(o *Options) { o.Now = func() time.Time { return notAfter.Add(24 * time.Hour) } }),
			ErrExpired, []string{"expired on " + notAfter.Format(time.RFC3339), "pass certificate"}},
		{"signer not yet valid", with(func(o *Options) { o.Now = func() time.Time { return f.c.signer.NotBefore.Add(-time.Hour) } }),
			ErrNotYetValid, []string{"not valid before"}},
		{"no UID and no override", with(func(o *Options) { o.CertPath = noUIDPath }),
			ErrNoPassTypeID, []string{"no UID"}},
		{"cert file missing", with(func(o *Options) { o.CertPath = f.path("absent.pem") }),
			ErrUnreadable, []string{"absent.pem", "does not exist"}},
		{"key file missing", with(func(o *Options) { o.KeyPath = f.path("absent-key.pem") }),
			ErrUnreadable, []string{"absent-key.pem", "does not exist"}},
		{"WWDR file missing", with(func(o *Options) { o.WWDRPath = f.path("absent-wwdr.pem") }),
			ErrUnreadable, []string{"absent-wwdr.pem"}},
		{"PEM cert without key", with(func(o *Options) { o.KeyPath = "" }),
			ErrUnreadable, []string{"private key file is needed"}},
		{"no WWDR given", with(func(o *Options) { o.WWDRPath = "" }),
			ErrMissingWWDR, []string{"no WWDR certificate given"}},
		{"garbage certificate", with(func(o *Options) { o.CertPath = garbage }),
			ErrInvalidFormat, []string{"garbage.pem"}},
		{"certificate given as key", with(func(o *Options) { o.KeyPath = f.cert }),
			ErrInvalidFormat, []string{"no PEM private key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := Load(tt.o)
			if err == nil {
				t.Fatalf("Load succeeded (%q), want %v", id.PassTypeID, tt.kind)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", err, tt.kind)
			}
			for _, s := range tt.msg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}

	t.Run("no UID but override given", func(t *testing.T) {
		id, err := Load(with(func(o *Options) { o.CertPath, o.PassTypeID = noUIDPath, "pass.com.example.set" }))
		if err != nil {
			t.Fatal(err)
		}
		if id.PassTypeID != "pass.com.example.set" || id.TeamID != "TEAMNOUID1" {
			t.Errorf("ids %q/%q", id.PassTypeID, id.TeamID)
		}
	})
}

package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
)

// signCase is an identity to sign with and the root PEM its signatures verify against.
type signCase struct {
	name    string
	id      *Identity
	rootPEM []byte
}

func signCases(t *testing.T) []signCase {
	t.Helper()
	var cases []signCase

	id, root, err := NewTestChain("pass.com.example.test", "TEAM123456")
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, signCase{"test chain RSA", id, root})

	devDir := filepath.Join(t.TempDir(), "dev-identity")
	dev, _, err := DevIdentity(devDir)
	if err != nil {
		t.Fatal(err)
	}
	devRoot, err := os.ReadFile(filepath.Join(devDir, DevRootFile))
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, signCase{"development identity", dev, devRoot})

	// An ECDSA signer under the RSA intermediate, since Load accepts EC keys.
	c, err := generateChain("pass.com.example.ec", "TEAMEC0001", time.Now(), testKeysForTest(t))
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecCert, err := issue(signerTemplate("pass.com.example.ec", "TEAMEC0001", time.Now()), &ecKey.PublicKey, c.wwdr, c.wwdrKey)
	if err != nil {
		t.Fatal(err)
	}
	ecID, err := newIdentity(ecCert, ecKey, c.wwdr, "", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, signCase{"ECDSA signer", ecID, certPEM(c.root)})
	return cases
}

// testKeysForTest reuses NewTestChain's cached keys.
func testKeysForTest(t *testing.T) [3]*rsa.PrivateKey {
	t.Helper()
	if _, _, err := NewTestChain("", ""); err != nil {
		t.Fatal(err)
	}
	return testKeys.keys
}

var manifests = []struct {
	name string
	data []byte
}{
	{"empty object", []byte("{}")},
	{"typical manifest", []byte(`{"icon.png":"0f1e2d3c4b5a69788796a5b4c3d2e1f000112233","pass.json":"aabbccddeeff00112233445566778899aabbccdd"}`)},
	{"binary with CR LF and NUL", []byte("a\r\nb\x00c\n")},
	{"large", bytes.Repeat([]byte("0123456789abcdef"), 64<<10)},
}

func TestSignVerifiesWithOpenSSL(t *testing.T) {
	requireOpenSSL(t)
	for _, sc := range signCases(t) {
		for _, m := range manifests {
			t.Run(sc.name+"/"+m.name, func(t *testing.T) {
				dir := t.TempDir()
				before := time.Now()
				sig, err := sc.id.Sign(m.data)
				if err != nil {
					t.Fatal(err)
				}
				sigPath := writeFile(t, dir, "signature", sig)
				manPath := writeFile(t, dir, "manifest.json", m.data)
				caPath := writeFile(t, dir, "ca.pem", sc.rootPEM)
				// Deliberately without -purpose any: the chain must pass OpenSSL's defaults.
				mustOpenSSL(t, "cms", "-verify", "-binary", "-inform", "DER", "-in", sigPath,
					"-content", manPath, "-CAfile", caPath, "-out", os.DevNull)

				// The same signature must not verify a changed manifest.
				tampered := append(append([]byte{}, m.data...), ' ')
				tamPath := writeFile(t, dir, "tampered.json", tampered)
				if out, err := openssl(t, "cms", "-verify", "-binary", "-inform", "DER", "-in", sigPath,
					"-content", tamPath, "-CAfile", caPath, "-out", os.DevNull); err == nil {
					t.Fatalf("openssl verified a tampered manifest:\n%s", out)
				}

				checkStructure(t, sig, m.data, sc.id, before)
			})
		}
	}
}

// checkStructure checks what Apple relies on besides a valid signature.
func checkStructure(t *testing.T, sig, manifest []byte, id *Identity, before time.Time) {
	t.Helper()
	p7, err := pkcs7.Parse(sig)
	if err != nil {
		t.Fatal(err)
	}
	if len(p7.Content) != 0 {
		t.Errorf("signature is not detached: %d content bytes embedded", len(p7.Content))
	}
	if len(p7.Certificates) != 2 || !p7.Certificates[0].Equal(id.Cert) || !p7.Certificates[1].Equal(id.WWDR) {
		var names []string
		for _, c := range p7.Certificates {
			names = append(names, c.Subject.CommonName)
		}
		t.Errorf("embedded certificates = %q, want exactly signer and WWDR", names)
	}
	if len(p7.Signers) != 1 {
		t.Fatalf("%d signers, want 1", len(p7.Signers))
	}
	if got := p7.Signers[0].DigestAlgorithm.Algorithm; !got.Equal(pkcs7.OIDDigestAlgorithmSHA256) {
		t.Errorf("digest algorithm %v, want SHA-256", got)
	}
	if _, isRSA := id.Key.(*rsa.PrivateKey); isRSA {
		if got := p7.Signers[0].DigestEncryptionAlgorithm.Algorithm; !got.Equal(pkcs7.OIDEncryptionAlgorithmRSA) {
			t.Errorf("signature algorithm %v, want rsaEncryption as OpenSSL and signpass write", got)
		}
	}
	var digest []byte
	if err := p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeMessageDigest, &digest); err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(manifest); !bytes.Equal(digest, want[:]) {
		t.Errorf("messageDigest %x, want %x", digest, want)
	}
	var ct asn1.ObjectIdentifier
	if err := p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeContentType, &ct); err != nil || !ct.Equal(pkcs7.OIDData) {
		t.Errorf("contentType %v (%v), want id-data", ct, err)
	}
	var signed time.Time
	if err := p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeSigningTime, &signed); err != nil {
		t.Fatalf("signingTime: %v", err)
	}
	// UTCTime has one-second resolution.
	if signed.Before(before.Add(-time.Second)) || signed.After(time.Now().Add(time.Second)) {
		t.Errorf("signingTime %v, want about %v", signed, before)
	}
}

func TestSignConcurrent(t *testing.T) {
	id, rootPEM, err := NewTestChain("", "")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(rootPEM)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			manifest := []byte(strings.Repeat("x", i+1))
			sig, err := id.Sign(manifest)
			if err != nil {
				errs <- err
				return
			}
			p7, err := pkcs7.Parse(sig)
			if err != nil {
				errs <- err
				return
			}
			p7.Content = manifest
			errs <- p7.VerifyWithChain(pool)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestTLSCertificate(t *testing.T) {
	id, _, err := NewTestChain("", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   *Identity
	}{
		{"built by this package", id},
		{"struct literal from elsewhere", &Identity{Cert: id.Cert, Key: id.Key, WWDR: id.WWDR}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := tt.id.TLSCertificate()
			if len(tc.Certificate) != 2 || !bytes.Equal(tc.Certificate[0], id.Cert.Raw) || !bytes.Equal(tc.Certificate[1], id.WWDR.Raw) {
				t.Errorf("chain is not signer + WWDR")
			}
			if tc.PrivateKey != id.Key || tc.Leaf != id.Cert {
				t.Errorf("key or leaf not the identity's")
			}
		})
	}
}

var benchManifest = bytes.Repeat([]byte(`"icon.png":"0f1e2d3c4b5a69788796a5b4c3d2e1f000112233",`), 12)

// BenchmarkSign is the whole signature; compare with BenchmarkRSASignPKCS1v15
// to see what the CMS wrapping costs on top of the RSA operation.
func BenchmarkSign(b *testing.B) {
	id, _, err := NewTestChain("", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := id.Sign(benchManifest); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRSASignPKCS1v15(b *testing.B) {
	id, _, err := NewTestChain("", "")
	if err != nil {
		b.Fatal(err)
	}
	key := id.Key.(*rsa.PrivateKey)
	b.ReportAllocs()
	for b.Loop() {
		d := sha256.Sum256(benchManifest)
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTLSClientAuth checks the signer works as a TLS client certificate
// against a server that verifies clientAuth, as APNs does.
func TestTLSClientAuth(t *testing.T) {
	id, rootPEM, err := NewTestChain("", "")
	if err != nil {
		t.Fatal(err)
	}
	server, _, err := NewTestChain("", "") // any certificate will do for the server side
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(rootPEM)
	cConn, sConn := net.Pipe()
	srv := tls.Server(sConn, &tls.Config{
		Certificates: []tls.Certificate{server.TLSCertificate()},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	})
	cli := tls.Client(cConn, &tls.Config{
		Certificates:       []tls.Certificate{id.TLSCertificate()},
		InsecureSkipVerify: true, // only the client side is under test
	})
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake(); srv.Close() }()
	cliErr := cli.Handshake()
	cli.Close()
	if err := <-errc; err != nil {
		t.Fatalf("server rejected the signer as client certificate: %v", err)
	}
	if cliErr != nil {
		t.Fatal(cliErr)
	}
}

// fixedSigner has the RSA public key but returns a constant signature, so
// BenchmarkSignOverhead measures only what Sign adds around the RSA operation.
type fixedSigner struct{ pub crypto.PublicKey }

func (s fixedSigner) Public() crypto.PublicKey { return s.pub }
func (s fixedSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return make([]byte, 256), nil
}

func BenchmarkSignOverhead(b *testing.B) {
	id, _, err := NewTestChain("", "")
	if err != nil {
		b.Fatal(err)
	}
	fake := &Identity{Cert: id.Cert, WWDR: id.WWDR, Key: fixedSigner{id.Key.Public()}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fake.Sign(benchManifest); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSignMatchesLibrary: the hand-written SignedData is byte for byte what
// the pkcs7 library writes for the same manifest and signing second (RSA
// PKCS#1 v1.5 signatures are deterministic), for each RSA identity.
func TestSignMatchesLibrary(t *testing.T) {
	for _, c := range signCases(t) {
		if _, ok := c.id.Key.(*rsa.PrivateKey); !ok {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			for _, manifest := range [][]byte{[]byte(`{}`), benchManifest} {
				var mine, lib []byte
				for try := 0; try < 5; try++ { // until both fall in the same second
					before := time.Now().Unix()
					var err error
					if mine, err = c.id.Sign(manifest); err != nil {
						t.Fatal(err)
					}
					if lib, err = c.id.signWithLibrary(manifest); err != nil {
						t.Fatal(err)
					}
					if time.Now().Unix() == before {
						break
					}
				}
				if !bytes.Equal(mine, lib) {
					t.Errorf("manifest %.20q: Sign wrote %x\nthe library writes %x", manifest, mine, lib)
				}
			}
		})
	}
}

// TestSignedDataTimes: a signing time outside UTCTime's 1950–2049 is an
// error, not a malformed signature.
func TestSignedDataTimes(t *testing.T) {
	id, _, err := NewTestChain("", "")
	if err != nil {
		t.Fatal(err)
	}
	pub := id.Key.Public().(*rsa.PublicKey)
	for _, tc := range []struct {
		when time.Time
		ok   bool
	}{
		{time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC), true},
		{time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		der, err := id.signedData([]byte(`{}`), pub, tc.when)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.when, err, tc.ok)
			continue
		}
		if tc.ok {
			if _, err := pkcs7.Parse(der); err != nil {
				t.Fatalf("%s: %v", tc.when, err)
			}
			if !bytes.Contains(der, []byte(tc.when.Format("060102150405Z"))) {
				t.Errorf("%s: signing time not in the signature", tc.when)
			}
		}
	}
}

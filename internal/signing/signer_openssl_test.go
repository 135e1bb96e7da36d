//go:build openssl && cgo && unix

package signing

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/cputime"
)

// cpuTime is the process's user plus system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	d, err := cputime.Process()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// TestOpenSSLMatchesGo: libcrypto's PKCS#1 v1.5 signature is the one Go's
// crypto/rsa computes, for keys of several sizes and digests, and the
// binary says it signs with OpenSSL.
func TestOpenSSLMatchesGo(t *testing.T) {
	if !strings.HasPrefix(SignerName(), "OpenSSL libcrypto (OpenSSL 3.") {
		t.Errorf("SignerName() = %q", SignerName())
	}
	chain, _, err := NewTestChain("", "")
	if err != nil {
		t.Fatal(err)
	}
	keys := []*rsa.PrivateKey{chain.Key.(*rsa.PrivateKey)}
	for _, bits := range []int{2048, 3072} {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	for _, k := range keys {
		for _, msg := range []string{"", "manifest", strings.Repeat("x", 5000)} {
			d := sha256.Sum256([]byte(msg))
			got, err := signDigest(k, d[:])
			if err != nil {
				t.Fatal(err)
			}
			want, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, d[:])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%d-bit key, %q: OpenSSL and crypto/rsa signatures differ", k.N.BitLen(), msg)
			}
		}
	}
	if _, err := signDigest(keys[0], []byte("short")); err == nil {
		t.Error("a digest that is not SHA-256 was signed")
	}
}

// BenchmarkSigners compares the two RSA-2048 implementations of this build
// in one process: Go's crypto/rsa (pure Go, or BoringCrypto in a
// GOEXPERIMENT=boringcrypto build) and OpenSSL's libcrypto, on one core and
// on all of them.
func BenchmarkSigners(b *testing.B) {
	id, _, err := NewTestChain("", "")
	if err != nil {
		b.Fatal(err)
	}
	key := id.Key.(*rsa.PrivateKey)
	d := sha256.Sum256([]byte("manifest"))
	for _, s := range []struct {
		name string
		sign func(crypto.Signer, []byte) ([]byte, error)
	}{{"crypto-rsa", goSignDigest}, {"openssl", opensslSignDigest}} {
		b.Run(s.name, func(b *testing.B) {
			cpu0 := cpuTime(b)
			for b.Loop() {
				if _, err := s.sign(key, d[:]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signs/s")
			// CPU time per signature is what a loaded machine disturbs least.
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/sign")
		})
		b.Run(s.name+"-parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.sign(key, d[:]); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signs/s")
		})
	}
}

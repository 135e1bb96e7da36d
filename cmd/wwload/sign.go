package main

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/walletwallet/walletwallet/internal/signing"
)

// signCeiling is -mode sign: RSA-2048 PKCS#1 v1.5 signatures per second on
// every core (one goroutine per GOMAXPROCS), n signatures in all. It is the
// ceiling a server's POST rate is compared with, so it runs in this binary,
// built with the server's tags: signer "go" is Go's crypto/rsa, "build" the
// one this build signs passes with (OpenSSL under -tags openssl).
func signCeiling(n int, signer string) error {
	id, _, err := signing.NewTestChain("", "")
	if err != nil {
		return err
	}
	key, ok := id.Key.(*rsa.PrivateKey)
	if !ok {
		return fmt.Errorf("test identity has a %T key", id.Key)
	}
	sign := id.SignDigest
	name := signing.SignerName()
	switch signer {
	case "build":
	case "go":
		sign = func(d []byte) ([]byte, error) { return rsa.SignPKCS1v15(nil, key, crypto.SHA256, d) }
		if !strings.Contains(name, "BoringCrypto") { // which replaces crypto/rsa itself
			name = "Go crypto/rsa"
		}
	default:
		return fmt.Errorf("unknown -signer %q (go or build)", signer)
	}
	digest := sha256.Sum256([]byte("manifest"))
	workers := runtime.GOMAXPROCS(0)
	for i := 0; i < 2*workers; i++ { // warm up
		if _, err := sign(digest[:]); err != nil {
			return err
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if _, err := sign(digest[:]); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	fmt.Printf("mode=sign signer=%q cores=%d n=%d elapsed=%.2fs throughput=%.1f signs/s\n",
		name, workers, n, elapsed.Seconds(), float64(n)/elapsed.Seconds())
	return nil
}

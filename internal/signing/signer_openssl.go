//go:build openssl && cgo

package signing

// The openssl build tag signs with OpenSSL's libcrypto (3.x) instead of Go's
// crypto/rsa: on the project's machines its RSA-2048 private-key operation
// is about twice as fast (docs/decisions.md, "Faster signer"). Only the one
// private-key operation per pass moves to C; the SignedData around it, the
// manifest and the zip are the same Go code in both builds, and
// PKCS#1 v1.5 signatures are deterministic, so both builds write the same
// bytes for the same key, manifest and second (TestOpenSSLMatchesGo).

/*
#cgo LDFLAGS: -lcrypto
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

// ww_key parses a PKCS#1 DER RSA private key.
static EVP_PKEY *ww_key(const unsigned char *der, long len) {
	const unsigned char *p = der;
	return d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, len);
}

// ww_ctx is a signing context for key: PKCS#1 v1.5 padding over a SHA-256
// DigestInfo. A context serves one signature at a time and is reused.
static EVP_PKEY_CTX *ww_ctx(EVP_PKEY *key) {
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	if (ctx == NULL) return NULL;
	if (EVP_PKEY_sign_init(ctx) <= 0
		|| EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0
		|| EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int ww_sign(EVP_PKEY_CTX *ctx, const unsigned char *digest, size_t dlen, unsigned char *sig, size_t *siglen) {
	return EVP_PKEY_sign(ctx, sig, siglen, digest, dlen) > 0;
}

static const char *ww_version(void) { return OpenSSL_version(OPENSSL_VERSION); }
*/
import "C"

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"unsafe"
)

func init() {
	signDigest = opensslSignDigest
	signerInC = true
	signerName = "OpenSSL libcrypto (" + C.GoString(C.ww_version()) + ", cgo)"
}

// osslKey is an RSA key loaded into libcrypto, with its idle contexts.
type osslKey struct {
	pkey *C.EVP_PKEY
	size int
	mu   sync.Mutex
	idle []*C.EVP_PKEY_CTX // at most as many as signatures ever ran at once
}

var (
	osslMu   sync.Mutex
	osslKeys = map[*rsa.PrivateKey]*osslKey{} // identities live as long as the process
)

// opensslSignDigest signs with libcrypto when key is an *rsa.PrivateKey and
// with key.Sign otherwise (ECDSA, or a signer whose key Go cannot see).
func opensslSignDigest(key crypto.Signer, digest []byte) ([]byte, error) {
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return goSignDigest(key, digest)
	}
	if len(digest) != sha256.Size {
		return nil, fmt.Errorf("openssl: digest of %d bytes, want SHA-256", len(digest))
	}
	k, err := loadOSSL(rk)
	if err != nil {
		return nil, err
	}
	ctx, err := k.get()
	if err != nil {
		return nil, err
	}
	defer k.put(ctx)
	sig := make([]byte, k.size)
	n := C.size_t(len(sig))
	if C.ww_sign(ctx, (*C.uchar)(unsafe.Pointer(&digest[0])), C.size_t(len(digest)), (*C.uchar)(unsafe.Pointer(&sig[0])), &n) != 1 {
		return nil, errors.New("openssl: EVP_PKEY_sign failed")
	}
	if int(n) != k.size {
		return nil, fmt.Errorf("openssl: signature of %d bytes, want %d", n, k.size)
	}
	return sig, nil
}

func loadOSSL(rk *rsa.PrivateKey) (*osslKey, error) {
	osslMu.Lock()
	defer osslMu.Unlock()
	if k := osslKeys[rk]; k != nil {
		return k, nil
	}
	der := x509.MarshalPKCS1PrivateKey(rk)
	pkey := C.ww_key((*C.uchar)(unsafe.Pointer(&der[0])), C.long(len(der)))
	clear(der)
	if pkey == nil {
		return nil, errors.New("openssl: d2i_PrivateKey refused the RSA key")
	}
	k := &osslKey{pkey: pkey, size: rk.Size()}
	osslKeys[rk] = k
	return k, nil
}

func (k *osslKey) get() (*C.EVP_PKEY_CTX, error) {
	k.mu.Lock()
	if n := len(k.idle); n > 0 {
		ctx := k.idle[n-1]
		k.idle = k.idle[:n-1]
		k.mu.Unlock()
		return ctx, nil
	}
	k.mu.Unlock()
	ctx := C.ww_ctx(k.pkey)
	if ctx == nil {
		return nil, errors.New("openssl: cannot set up an RSA PKCS#1 v1.5 SHA-256 signing context")
	}
	return ctx, nil
}

func (k *osslKey) put(ctx *C.EVP_PKEY_CTX) {
	k.mu.Lock()
	k.idle = append(k.idle, ctx)
	k.mu.Unlock()
}

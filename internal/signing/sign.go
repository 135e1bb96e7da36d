package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/smallstep/pkcs7"
)

// rsaEncryption with NULL parameters is what OpenSSL and Apple's signpass
// write as the signature algorithm; the library would otherwise name
// sha256WithRSAEncryption, which strict verifiers may refuse.
var rsaSignatureAlgorithm = pkix.AlgorithmIdentifier{
	Algorithm:  pkcs7.OIDEncryptionAlgorithmRSA,
	Parameters: asn1.NullRawValue,
}

// Sign returns a DER detached PKCS#7 SignedData over manifest: SHA-256,
// signed attributes contentType, messageDigest and signingTime, and the
// signer and WWDR certificates (not the root). Safe for concurrent use.
//
// RSA signers (every Apple Pass Type ID certificate) get the SignedData
// written directly by signedData below; other keys go through the pkcs7
// library. The two give byte-identical output for RSA
// (TestSignMatchesLibrary), but the library's reflection-driven ASN.1
// marshalling cost ≈ 0.15 ms a pass, a tenth of the RSA signature itself.
func (id *Identity) Sign(manifest []byte) ([]byte, error) {
	if id.Cert == nil || id.WWDR == nil || id.Key == nil {
		return nil, errors.New("signing.Sign: identity lacks its certificate, WWDR or key")
	}
	if pub, ok := id.Key.Public().(*rsa.PublicKey); ok {
		return id.signedData(manifest, pub, time.Now())
	}
	return id.signWithLibrary(manifest)
}

// signWithLibrary is Sign through github.com/smallstep/pkcs7 (ECDSA keys).
func (id *Identity) signWithLibrary(manifest []byte) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(manifest)
	if err != nil {
		return nil, fmt.Errorf("signing.Sign: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	// AddSigner rather than AddSignerChain: the chain was verified once at load,
	// and re-checking it costs an RSA verification per pass. The issuer name it
	// records (the signer's RawIssuer) equals the WWDR subject for that reason.
	if err := sd.AddSigner(id.Cert, id.Key, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("signing.Sign: %w", err)
	}
	sd.AddCertificate(id.WWDR)
	if _, ok := id.Key.(*rsa.PrivateKey); ok {
		for i := range sd.GetSignedData().SignerInfos {
			sd.GetSignedData().SignerInfos[i].DigestEncryptionAlgorithm = rsaSignatureAlgorithm
		}
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("signing.Sign: %w", err)
	}
	return der, nil
}

// DER encodings of the fixed parts (RFC 5652 SignedData, RFC 5280 names).
var (
	derSignedDataOID = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}
	// encapContentInfo of a detached signature: the id-data type, no content.
	derDataContentInfo = []byte{0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01}
	derDataOID         = derDataContentInfo[2:]
	// sha256 AlgorithmIdentifier without parameters, as the library writes it.
	derSHA256Alg = []byte{0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}
	// rsaSignatureAlgorithm above, encoded.
	derRSAAlg = []byte{0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00}

	derContentTypeOID   = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03}
	derMessageDigestOID = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04}
	derSigningTimeOID   = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05}
)

// signedData writes the SignedData by hand. DER puts each length before its
// content, so the sizes are added up first and every element is then
// written in order: its tag and length (hdr), then its content.
func (id *Identity) signedData(manifest []byte, pub *rsa.PublicKey, now time.Time) ([]byte, error) {
	if y := now.UTC().Year(); y < 1950 || y > 2049 {
		return nil, fmt.Errorf("signing.Sign: signing time %s has no UTCTime encoding (1950–2049)", now.UTC())
	}
	md := sha256.Sum256(manifest)
	// signedAttrs as the SET that is hashed and signed. DER orders a SET OF
	// by the elements' encodings; the three attributes' lengths (24, 28, 47
	// bytes) already put them in the order contentType, signingTime,
	// messageDigest.
	attrs := make([]byte, 0, 107)
	attrs = hdr(attrs, 0x31, 105)
	attrs = hdr(attrs, 0x30, 24)
	attrs = append(attrs, derContentTypeOID...)
	attrs = hdr(attrs, 0x31, len(derDataOID))
	attrs = append(attrs, derDataOID...)
	attrs = hdr(attrs, 0x30, 28)
	attrs = append(attrs, derSigningTimeOID...)
	attrs = hdr(attrs, 0x31, 15)
	attrs = hdr(attrs, 0x17, 13)
	attrs = now.UTC().AppendFormat(attrs, "060102150405Z")
	attrs = hdr(attrs, 0x30, 47)
	attrs = append(attrs, derMessageDigestOID...)
	attrs = hdr(attrs, 0x31, 34)
	attrs = hdr(attrs, 0x04, 32)
	attrs = append(attrs, md[:]...)
	ad := sha256.Sum256(attrs)
	sig, err := privateOp(id.Key, ad[:])
	if err != nil {
		return nil, fmt.Errorf("signing.Sign: %w", err)
	}
	if len(sig) != pub.Size() {
		return nil, fmt.Errorf("signing.Sign: signature of %d bytes for a %d-byte key", len(sig), pub.Size())
	}
	serial, err := asn1.Marshal(id.Cert.SerialNumber)
	if err != nil {
		return nil, fmt.Errorf("signing.Sign: serial number: %w", err)
	}

	// Content sizes, innermost first.
	sid := len(id.Cert.RawIssuer) + len(serial) // issuerAndSerialNumber
	signerInfo := 3 + tlvLen(sid) + len(derSHA256Alg) + len(attrs) + len(derRSAAlg) + tlvLen(len(sig))
	certs := len(id.Cert.Raw) + len(id.WWDR.Raw)
	body := 3 + tlvLen(len(derSHA256Alg)) + len(derDataContentInfo) + tlvLen(certs) + tlvLen(tlvLen(signerInfo))
	content := len(derSignedDataOID) + tlvLen(tlvLen(body))

	out := make([]byte, 0, tlvLen(content))
	out = hdr(out, 0x30, content) // ContentInfo
	out = append(out, derSignedDataOID...)
	out = hdr(out, 0xa0, tlvLen(body))  // [0] EXPLICIT content
	out = hdr(out, 0x30, body)          // SignedData
	out = append(out, 0x02, 0x01, 0x01) // version 1
	out = hdr(out, 0x31, len(derSHA256Alg))
	out = append(out, derSHA256Alg...)
	out = append(out, derDataContentInfo...)
	out = hdr(out, 0xa0, certs) // [0] IMPLICIT certificates
	out = append(out, id.Cert.Raw...)
	out = append(out, id.WWDR.Raw...)
	out = hdr(out, 0x31, tlvLen(signerInfo)) // signerInfos
	out = hdr(out, 0x30, signerInfo)
	out = append(out, 0x02, 0x01, 0x01) // version 1: issuerAndSerialNumber
	out = hdr(out, 0x30, sid)
	out = append(out, id.Cert.RawIssuer...)
	out = append(out, serial...)
	out = append(out, derSHA256Alg...)
	out = append(out, 0xa0) // signedAttrs are [0] IMPLICIT: the same SET under another tag
	out = append(out, attrs[1:]...)
	out = append(out, derRSAAlg...)
	out = hdr(out, 0x04, len(sig))
	out = append(out, sig...)
	if len(out) != cap(out) {
		return nil, fmt.Errorf("signing.Sign: encoded %d bytes, expected %d", len(out), cap(out))
	}
	return out, nil
}

// SignDigest is the bare private-key operation Sign performs once per pass,
// over a SHA-256 digest, with the same signer (pure Go, or OpenSSL in a
// build with the openssl tag). Benchmarks and the load tool measure it as
// the floor a pass cannot go below.
func (id *Identity) SignDigest(digest []byte) ([]byte, error) {
	return privateOp(id.Key, digest)
}

// slots, when set, bounds how many private-key operations run at once
// (LimitConcurrent).
var slots atomic.Pointer[chan struct{}]

// LimitConcurrent lets at most n private-key operations of this process run
// at once, the others waiting their turn; n < 1 lifts the bound. serve sets
// it to the cores when it gives the scheduler a spare processor (see
// processorPlan in cmd/walletwallet), so that a signature, which holds its
// processor, never takes the spare one.
func LimitConcurrent(n int) {
	if n < 1 {
		slots.Store(nil)
		return
	}
	ch := make(chan struct{}, n)
	slots.Store(&ch)
}

// privateOp is signDigest within the bound LimitConcurrent set.
func privateOp(key crypto.Signer, digest []byte) ([]byte, error) {
	if p := slots.Load(); p != nil {
		ch := *p // the channel this call takes its turn in, even if the bound changes meanwhile
		ch <- struct{}{}
		defer func() { <-ch }()
	}
	return signDigest(key, digest)
}

// signDigest is the one RSA (or other) private-key operation of a pass.
// Builds with the openssl tag replace it for RSA keys (signer_openssl.go).
var signDigest = goSignDigest

// signerName says which implementation signDigest is (SignerName).
var signerName = "Go crypto/rsa"

// signerInC is set by the builds whose signatures run in C through cgo
// (OpenSSL, BoringCrypto): a goroutine in a cgo call gives up its processor
// to the scheduler, where a pure-Go signature keeps it (SignerHoldsProcessor).
var signerInC = false

// SignerHoldsProcessor reports whether a signature keeps its Go processor
// for its whole ~1.5 ms, as the pure-Go signer does. serve gives the
// scheduler a spare processor only then: with OpenSSL the spare one made
// POSTs 0–8 % slower (BENCHMARKS.md, "Session 2026-12-02").
func SignerHoldsProcessor() bool { return !signerInC }

func goSignDigest(key crypto.Signer, digest []byte) ([]byte, error) {
	// Go's RSA-2048 signature holds a processor for about 1.5 ms without
	// yielding, far below the scheduler's 10 ms preemption. A server's
	// short steps (the store's writer, a handler whose commit was synced,
	// a connection with a new request) that became runnable meanwhile would
	// otherwise queue behind the next signatures too; yielding first lets
	// them run before this one starts, so they wait for at most the
	// signatures already running (BENCHMARKS.md, "Session 2026-12-01 late").
	runtime.Gosched()
	return key.Sign(rand.Reader, digest, crypto.SHA256)
}

// SignerName names the implementation of the RSA private-key operation this
// binary was built with: Go's crypto/rsa (the default, pure Go), Go's
// crypto/rsa on BoringCrypto (GOEXPERIMENT=boringcrypto), or OpenSSL's
// libcrypto (the openssl build tag). `walletwallet version` prints it.
func SignerName() string { return signerName }

// hdr appends a DER tag and the definite length n of the content that follows.
func hdr(b []byte, tag byte, n int) []byte {
	b = append(b, tag)
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x100:
		return append(b, 0x81, byte(n))
	case n < 0x10000:
		return append(b, 0x82, byte(n>>8), byte(n))
	default:
		return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
}

// tlvLen is the encoded size of an element whose content is n bytes.
func tlvLen(n int) int {
	switch {
	case n < 0x80:
		return 2 + n
	case n < 0x100:
		return 3 + n
	case n < 0x10000:
		return 4 + n
	default:
		return 5 + n
	}
}

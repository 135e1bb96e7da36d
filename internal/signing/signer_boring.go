//go:build goexperiment.boringcrypto && !(openssl && cgo)

package signing

import "crypto/boring"

// A GOEXPERIMENT=boringcrypto build signs through Go's crypto/rsa, which
// hands RSA keys to the BoringCrypto module linked into the binary.
func init() {
	if boring.Enabled() {
		signerInC = true
		signerName = "Go crypto/rsa on BoringCrypto (GOEXPERIMENT=boringcrypto)"
	}
}

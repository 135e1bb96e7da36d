//go:build openssl && !cgo

package signing

// The openssl build tag links OpenSSL's libcrypto through cgo: building it
// with CGO_ENABLED=0 stops here instead of quietly signing in pure Go.
var _ = theOpensslTagNeedsCgoEnabled1AndLibsslDev

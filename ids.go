package walletwallet

import (
	"strings"
	"unicode/utf8"
)

// The shapes of the identifiers clients put in paths. A string of another
// shape cannot name a stored object, so the API and the web service answer
// it as they answer an unknown object, before any query: a database may
// refuse some strings outright (PostgreSQL refuses NUL bytes and invalid
// UTF-8 in text), and that must never become a 500.

// Length bounds of the identifiers.
const (
	MaxPassTypeID = 255
	MaxDeviceID   = 256
	MaxPushToken  = 512
)

// ValidSerial reports whether s has the shape of the serials we issue: a
// UUID in its 8-4-4-4-12 hexadecimal form.
func ValidSerial(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

// ValidPassTypeID reports whether s has the shape of an Apple pass type
// identifier: reverse-DNS letters, digits, '.', '-' and '_', at most
// MaxPassTypeID bytes.
func ValidPassTypeID(s string) bool {
	return s != "" && len(s) <= MaxPassTypeID && allBytes(s, func(c byte) bool {
		return isAlnum(c) || c == '.' || c == '-' || c == '_'
	})
}

// ValidDeviceID reports whether s can be a deviceLibraryIdentifier: Wallet
// sends hexadecimal; other Wallet-compatible apps use letters, digits, '-',
// '_', ':' and '.'; at most MaxDeviceID bytes.
func ValidDeviceID(s string) bool { return s != "" && len(s) <= MaxDeviceID && allBytes(s, tokenByte) }

// ValidPushToken accepts APNs' hex tokens and the token alphabets of other
// Wallet-compatible apps, at most MaxPushToken bytes, but nothing that could
// change the meaning of the APNs URL path the token is put into.
func ValidPushToken(s string) bool {
	return s != "" && len(s) <= MaxPushToken && allBytes(s, tokenByte)
}

// Storable reports whether every backend can hold s as text: valid UTF-8
// without NUL bytes. The stores treat a key that is not storable as naming
// nothing (lookups find nothing, writes are EINVALID), so no such string
// ever reaches a database driver.
func Storable(s ...string) bool {
	for _, x := range s {
		if !utf8.ValidString(x) || strings.IndexByte(x, 0) >= 0 {
			return false
		}
	}
	return true
}

func tokenByte(c byte) bool { return isAlnum(c) || c == '-' || c == '_' || c == ':' || c == '.' }

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

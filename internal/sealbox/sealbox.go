// Package sealbox keeps secrets the server must read back (webhook signing
// secrets) encrypted at rest: AES-256-GCM under one key that lives outside
// the database (docs/decisions.md, "Webhook secrets at rest").
package sealbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// KeySize is the key length: AES-256.
const KeySize = 32

// version prefixes every sealed value so a later key rotation can tell old
// ciphertexts from new ones.
const version byte = 1

// Box seals and opens values under one key; safe for concurrent use.
type Box struct{ aead cipher.AEAD }

// New returns a Box for a KeySize-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sealbox: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plain; aad (e.g. the webhook id) is bound to the result, so
// a sealed value copied onto another row does not open there.
func (b *Box) Seal(plain, aad []byte) []byte {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	out[0] = version
	rand.Read(out[1:])
	return b.aead.Seal(out, out[1:], plain, aad)
}

// Open decrypts what Seal returned for the same aad.
func (b *Box) Open(sealed, aad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version {
		return nil, errors.New("sealbox: not a sealed value of this version")
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return nil, errors.New("sealbox: cannot open (wrong key, or the value was altered or moved)")
	}
	return plain, nil
}

// ParseKey reads a key written as 64 hex digits or standard base64.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if k, err := hex.DecodeString(s); err == nil && len(k) == KeySize {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(s); err == nil && len(k) == KeySize {
		return k, nil
	}
	return nil, fmt.Errorf("sealbox: key must be %d bytes as 64 hex digits or base64", KeySize)
}

// LoadOrCreate reads the key file at path, creating it (mode 0600, a fresh
// random key in base64) when it does not exist. created reports the latter.
func LoadOrCreate(path string) (key []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := ParseKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	k := make([]byte, KeySize)
	rand.Read(k)
	// O_EXCL: two processes starting at once must not each write their own
	// key; the loser reads the winner's.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreate(path)
	}
	if err != nil {
		return nil, false, err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, false, err
	}
	return k, true, f.Close()
}

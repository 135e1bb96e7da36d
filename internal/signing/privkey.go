package signing

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"hash"
	"strings"
)

// parsePrivateKey reads the first private key block of a PEM file, decrypting
// it with password when it is encrypted (legacy Proc-Type or PKCS#8 PBES2).
func parsePrivateKey(path string, data []byte, password string) (crypto.PrivateKey, error) {
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fail(ErrInvalidFormat, nil, "private key %s holds no PEM private key block", path)
		}
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			continue
		}
		der := b.Bytes
		encrypted := false
		switch {
		case b.Type == "ENCRYPTED PRIVATE KEY":
			encrypted = true
			if password == "" {
				return nil, fail(ErrPasswordMissing, nil, "private key %s is encrypted; give its password", path)
			}
			var err error
			if der, err = decryptPKCS8(path, der, password); err != nil {
				return nil, err
			}
		// The deprecated legacy PEM encryption stays readable because operators
		// still hold keys from `openssl genrsa -aes256`; its padding-oracle
		// weakness needs an online oracle, which a local file is not.
		//lint:ignore SA1019 kept on purpose, see above
		case x509.IsEncryptedPEMBlock(b):
			encrypted = true
			if password == "" {
				return nil, fail(ErrPasswordMissing, nil, "private key %s is encrypted; give its password", path)
			}
			var err error
			//lint:ignore SA1019 kept on purpose, see above
			der, err = x509.DecryptPEMBlock(b, []byte(password))
			if err != nil {
				if errors.Is(err, x509.IncorrectPasswordError) {
					return nil, fail(ErrWrongPassword, err, "wrong password for private key %s", path)
				}
				return nil, fail(ErrInvalidFormat, err, "cannot decrypt private key %s: %v", path, err)
			}
		}
		key, err := parseKeyDER(b.Type, der)
		if err != nil {
			if encrypted {
				// A wrong password that happens to leave valid padding decrypts to garbage.
				return nil, fail(ErrWrongPassword, err, "wrong password for private key %s", path)
			}
			return nil, fail(ErrInvalidFormat, err, "private key %s is not a PKCS#1, PKCS#8 or SEC1 key: %v", path, err)
		}
		return key, nil
	}
}

// parseKeyDER tries the block type's format first, then the others, since
// files are often labelled loosely.
func parseKeyDER(typ string, der []byte) (crypto.PrivateKey, error) {
	parsers := []func([]byte) (crypto.PrivateKey, error){
		func(d []byte) (crypto.PrivateKey, error) { return x509.ParsePKCS8PrivateKey(d) },
		func(d []byte) (crypto.PrivateKey, error) { return x509.ParsePKCS1PrivateKey(d) },
		func(d []byte) (crypto.PrivateKey, error) { return x509.ParseECPrivateKey(d) },
	}
	switch typ {
	case "RSA PRIVATE KEY":
		parsers[0], parsers[1] = parsers[1], parsers[0]
	case "EC PRIVATE KEY":
		parsers[0], parsers[2] = parsers[2], parsers[0]
	}
	var first error
	for _, p := range parsers {
		k, err := p(der)
		if err == nil {
			return k, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Scheme pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

// maxPBKDF2Iterations bounds the work a corrupt or hostile file can demand.
const maxPBKDF2Iterations = 10_000_000

// decryptPKCS8 opens an EncryptedPrivateKeyInfo encrypted with PBES2 (PBKDF2
// and a CBC cipher), which is what OpenSSL 3 writes by default.
func decryptPKCS8(path string, der []byte, password string) ([]byte, error) {
	unsupported := func(what string) error {
		return fail(ErrUnsupportedKey, nil,
			"private key %s uses %s; re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`", path, what)
	}
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fail(ErrInvalidFormat, err, "private key %s: malformed ENCRYPTED PRIVATE KEY: %v", path, err)
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, unsupported("encryption " + info.Algorithm.Algorithm.String() + " (not PBES2)")
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, fail(ErrInvalidFormat, err, "private key %s: malformed PBES2 parameters: %v", path, err)
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, unsupported("key derivation " + params.KDF.Algorithm.String() + " (not PBKDF2)")
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, fail(ErrInvalidFormat, err, "private key %s: malformed PBKDF2 parameters: %v", path, err)
	}
	if kdf.Iterations < 1 || kdf.Iterations > maxPBKDF2Iterations {
		return nil, unsupported("an iteration count out of range")
	}
	var prf func() hash.Hash
	switch alg := kdf.PRF.Algorithm; {
	case len(alg) == 0, alg.Equal(oidHMACSHA1):
		prf = sha1.New
	case alg.Equal(oidHMACSHA224):
		prf = sha256.New224
	case alg.Equal(oidHMACSHA256):
		prf = sha256.New
	case alg.Equal(oidHMACSHA384):
		prf = sha512.New384
	case alg.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, unsupported("PBKDF2 PRF " + alg.String())
	}

	var (
		keyLen   int
		newBlock func([]byte) (cipher.Block, error)
	)
	switch alg := params.Scheme.Algorithm; {
	case alg.Equal(oidAES128CBC):
		keyLen, newBlock = 16, aes.NewCipher
	case alg.Equal(oidAES192CBC):
		keyLen, newBlock = 24, aes.NewCipher
	case alg.Equal(oidAES256CBC):
		keyLen, newBlock = 32, aes.NewCipher
	case alg.Equal(oidDESEDE3CBC):
		keyLen, newBlock = 24, des.NewTripleDESCipher
	default:
		return nil, unsupported("cipher " + alg.String())
	}
	if kdf.KeyLength != 0 && kdf.KeyLength != keyLen {
		return nil, fail(ErrInvalidFormat, nil, "private key %s: PBKDF2 key length %d does not fit its cipher", path, kdf.KeyLength)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Scheme.Parameters.FullBytes, &iv); err != nil {
		return nil, fail(ErrInvalidFormat, err, "private key %s: malformed cipher IV: %v", path, err)
	}

	key, err := pbkdf2.Key(prf, password, kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, fail(ErrInvalidFormat, err, "private key %s: %v", path, err)
	}
	block, err := newBlock(key)
	if err != nil {
		return nil, fail(ErrInvalidFormat, err, "private key %s: %v", path, err)
	}
	bs := block.BlockSize()
	if len(iv) != bs || len(info.Data) == 0 || len(info.Data)%bs != 0 {
		return nil, fail(ErrInvalidFormat, nil, "private key %s: encrypted data or IV has a wrong length", path)
	}
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)

	// PKCS#7 padding; bad padding is how a wrong password almost always shows.
	n := int(plain[len(plain)-1])
	if n == 0 || n > bs {
		return nil, fail(ErrWrongPassword, nil, "wrong password for private key %s", path)
	}
	for _, p := range plain[len(plain)-n:] {
		if int(p) != n {
			return nil, fail(ErrWrongPassword, nil, "wrong password for private key %s", path)
		}
	}
	return plain[:len(plain)-n], nil
}

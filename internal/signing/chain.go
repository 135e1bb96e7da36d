package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// Subjects of the generated chains. The signer's subject mirrors Apple's
// layout, so the same UID/OU parsing serves real and development identities.
const (
	DevPassTypeID = "pass.dev.walletwallet.local"
	DevTeamID     = "DEVTEAM001"

	caValidity     = 10 * 365 * 24 * time.Hour
	signerValidity = 2 * 365 * 24 * time.Hour
	// backdate tolerates clocks of verifiers that run slightly behind ours.
	backdate = time.Hour
)

// chain is a freshly generated root, intermediate and signer with their keys.
type chain struct {
	root, wwdr, signer          *x509.Certificate
	rootKey, wwdrKey, signerKey *rsa.PrivateKey
}

func randomSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func newRSAKey() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) }

// issue signs a certificate for pub with parent/parentKey (self-signed when
// parent is nil).
func issue(tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func caTemplate(cn string, now time.Time, maxPathLen int) *x509.Certificate {
	return &x509.Certificate{
		Subject: pkix.Name{
			CommonName:         cn,
			Organization:       []string{"WalletWallet development"},
			OrganizationalUnit: []string{"not trusted by any device"},
		},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            maxPathLen,
		MaxPathLenZero:        maxPathLen == 0,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

func newRoot(key *rsa.PrivateKey, now time.Time) (*x509.Certificate, error) {
	return issue(caTemplate("WalletWallet Development Root CA", now, 1), &key.PublicKey, nil, key)
}

func newWWDR(key *rsa.PrivateKey, root *x509.Certificate, rootKey *rsa.PrivateKey, now time.Time) (*x509.Certificate, error) {
	return issue(caTemplate("WalletWallet Development WWDR Stand-in", now, 0), &key.PublicKey, root, rootKey)
}

// signerTemplate describes the pass certificate. It has digitalSignature and
// no extended key usage, so OpenSSL's default S/MIME signing purpose accepts
// it and so does a TLS server checking clientAuth (no EKU means any).
func signerTemplate(passTypeID, teamID string, now time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject: pkix.Name{
			CommonName:         "Pass Type ID: " + passTypeID,
			OrganizationalUnit: []string{teamID},
			Organization:       []string{"WalletWallet development"},
			ExtraNames:         []pkix.AttributeTypeAndValue{{Type: oidUID, Value: passTypeID}},
		},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(signerValidity),
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
}

func newSigner(key *rsa.PrivateKey, passTypeID, teamID string, wwdr *x509.Certificate, wwdrKey *rsa.PrivateKey, now time.Time) (*x509.Certificate, error) {
	return issue(signerTemplate(passTypeID, teamID, now), &key.PublicKey, wwdr, wwdrKey)
}

// generateChain makes a whole chain; keys may be supplied to skip the slow
// RSA key generation (nil means generate).
func generateChain(passTypeID, teamID string, now time.Time, keys [3]*rsa.PrivateKey) (*chain, error) {
	var err error
	for i := range keys {
		if keys[i] == nil {
			if keys[i], err = newRSAKey(); err != nil {
				return nil, err
			}
		}
	}
	c := &chain{rootKey: keys[0], wwdrKey: keys[1], signerKey: keys[2]}
	if c.root, err = newRoot(c.rootKey, now); err != nil {
		return nil, err
	}
	if c.wwdr, err = newWWDR(c.wwdrKey, c.root, c.rootKey, now); err != nil {
		return nil, err
	}
	if c.signer, err = newSigner(c.signerKey, passTypeID, teamID, c.wwdr, c.wwdrKey, now); err != nil {
		return nil, err
	}
	return c, nil
}

// testKeys are generated once per process: NewTestChain is for tests, where
// fresh certificates matter but fresh RSA keys only cost time.
var testKeys struct {
	once sync.Once
	keys [3]*rsa.PrivateKey
	err  error
}

// NewTestChain generates an in-memory chain (root, intermediate, signer) for
// tests of other packages. It returns the signer's Identity and the root
// certificate as PEM, against which signatures verify. Empty ids default to
// the development ones. Keys are shared between calls; certificates are not.
func NewTestChain(passTypeID, teamID string) (*Identity, []byte, error) {
	if passTypeID == "" {
		passTypeID = DevPassTypeID
	}
	if teamID == "" {
		teamID = DevTeamID
	}
	testKeys.once.Do(func() {
		for i := range testKeys.keys {
			if testKeys.keys[i], testKeys.err = newRSAKey(); testKeys.err != nil {
				return
			}
		}
	})
	if testKeys.err != nil {
		return nil, nil, fmt.Errorf("signing.NewTestChain: %w", testKeys.err)
	}
	c, err := generateChain(passTypeID, teamID, time.Now(), testKeys.keys)
	if err != nil {
		return nil, nil, fmt.Errorf("signing.NewTestChain: %w", err)
	}
	id, err := newIdentity(c.signer, c.signerKey, c.wwdr, "", "", time.Now())
	if err != nil {
		return nil, nil, fmt.Errorf("signing.NewTestChain: %w", err)
	}
	return id, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.root.Raw}), nil
}

package signing

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Files of the development identity inside its directory.
const (
	DevRootFile      = "ca.pem"
	DevRootKeyFile   = "ca-key.pem"
	DevWWDRFile      = "wwdr.pem"
	DevWWDRKeyFile   = "wwdr-key.pem"
	DevSignerFile    = "signer.pem"
	DevSignerKeyFile = "signer-key.pem"
)

// DevIdentity creates once, then reuses, the development chain in dir: a root
// CA, an intermediate standing in for Apple's WWDR, and a signer for
// pass.dev.walletwallet.local / DEVTEAM001. An expired signer is reissued by
// the same intermediate, so a trusted ca.pem keeps working. created reports
// whether new files were written. Concurrent callers, in one process or many,
// end up with the same chain.
func DevIdentity(dir string) (id *Identity, created bool, err error) {
	return devIdentity(dir, time.Now)
}

func devIdentity(dir string, clock func() time.Time) (id *Identity, created bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("signing.DevIdentity: %w", err)
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, false, fmt.Errorf("signing.DevIdentity: %w", err)
	} else if st.Mode().Perm()&0o077 != 0 {
		// The directory holds private keys: nobody else may list or read it.
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, false, fmt.Errorf("signing.DevIdentity: %w", err)
		}
	}

	// Fast path without the lock: a complete, consistent chain is reused as is.
	// A half-written chain (another process mid-write) fails the checks and
	// sends us to the lock, behind which the writer finishes first.
	if d := readDev(dir, clock()); d.signerOK {
		return d.identity(clock())
	}

	unlock, err := lockDir(dir)
	if err != nil {
		return nil, false, fmt.Errorf("signing.DevIdentity: lock: %w", err)
	}
	defer unlock()

	now := clock()
	d := readDev(dir, now)
	if d.signerOK {
		return d.identity(now)
	}
	if !d.caOK {
		c, err := generateChain(DevPassTypeID, DevTeamID, now, [3]*rsa.PrivateKey{})
		if err != nil {
			return nil, false, fmt.Errorf("signing.DevIdentity: %w", err)
		}
		d = devFiles{c: *c}
		if err := d.writeCA(dir); err != nil {
			return nil, false, fmt.Errorf("signing.DevIdentity: %w", err)
		}
	} else {
		if d.c.signerKey, err = newRSAKey(); err != nil {
			return nil, false, fmt.Errorf("signing.DevIdentity: %w", err)
		}
		if d.c.signer, err = newSigner(d.c.signerKey, DevPassTypeID, DevTeamID, d.c.wwdr, d.c.wwdrKey, now); err != nil {
			return nil, false, fmt.Errorf("signing.DevIdentity: %w", err)
		}
	}
	if err := d.writeSigner(dir); err != nil {
		return nil, false, fmt.Errorf("signing.DevIdentity: %w", err)
	}
	id, _, err = d.identity(now)
	return id, true, err
}

// devFiles is what readDev found: caOK when root and intermediate (with keys)
// are usable, signerOK when the signer is too.
type devFiles struct {
	c              chain
	caOK, signerOK bool
}

func (d *devFiles) identity(now time.Time) (*Identity, bool, error) {
	id, err := newIdentity(d.c.signer, d.c.signerKey, d.c.wwdr, "", "", now)
	if err != nil {
		return nil, false, fmt.Errorf("signing.DevIdentity: %w", err)
	}
	id.Dev = true
	return id, false, nil
}

func readDev(dir string, now time.Time) devFiles {
	var d devFiles
	var ok bool
	if d.c.root, d.c.rootKey, ok = readPair(dir, DevRootFile, DevRootKeyFile, now); !ok {
		return d
	}
	if d.c.wwdr, d.c.wwdrKey, ok = readPair(dir, DevWWDRFile, DevWWDRKeyFile, now); !ok {
		return d
	}
	if d.c.root.CheckSignatureFrom(d.c.root) != nil || d.c.wwdr.CheckSignatureFrom(d.c.root) != nil {
		return d
	}
	d.caOK = true
	if d.c.signer, d.c.signerKey, ok = readPair(dir, DevSignerFile, DevSignerKeyFile, now); !ok {
		return d
	}
	d.signerOK = d.c.signer.CheckSignatureFrom(d.c.wwdr) == nil
	return d
}

// readPair loads a certificate and its key; ok is false when either is
// missing, damaged, mismatched or outside its validity at now.
func readPair(dir, certFile, keyFile string, now time.Time) (*x509.Certificate, *rsa.PrivateKey, bool) {
	certPEM, err := os.ReadFile(filepath.Join(dir, certFile))
	if err != nil {
		return nil, nil, false
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, keyFile))
	if err != nil {
		return nil, nil, false
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, false
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, false
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, false
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, false
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, nil, false
	}
	return cert, key, true
}

func (d *devFiles) writeCA(dir string) error {
	if err := writePair(dir, DevRootFile, DevRootKeyFile, d.c.root, d.c.rootKey); err != nil {
		return err
	}
	return writePair(dir, DevWWDRFile, DevWWDRKeyFile, d.c.wwdr, d.c.wwdrKey)
}

func (d *devFiles) writeSigner(dir string) error {
	return writePair(dir, DevSignerFile, DevSignerKeyFile, d.c.signer, d.c.signerKey)
}

func writePair(dir, certFile, keyFile string, cert *x509.Certificate, key *rsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, keyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, certFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644)
}

// writeFileAtomic writes to a temporary file and renames it into place, so a
// reader never sees a partly written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

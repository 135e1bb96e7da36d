// Package signing holds the identities that sign passes (the operator's Pass
// Type ID certificate, or a generated development chain) and produces the
// detached PKCS#7 signature of a pass manifest.
package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// Identity is a loaded signer: the Pass Type ID certificate, its key, and the
// WWDR intermediate that issued it. It is immutable after Load, so Sign may be
// called from many goroutines.
type Identity struct {
	Cert       *x509.Certificate // the Pass Type ID signer
	Key        crypto.Signer
	WWDR       *x509.Certificate // Apple WWDR intermediate (or the dev stand-in)
	PassTypeID string            // from the signer subject's UID unless overridden
	TeamID     string            // from the signer subject's OU unless overridden
	Dev        bool              // true for the development identity

	tlsCert tls.Certificate
}

// Options say where the operator's identity lives.
type Options struct {
	CertPath   string // PEM certificate, or a .p12/.pfx holding the key too
	KeyPath    string // PEM private key, when CertPath is PEM
	Password   string // of the .p12, or of an encrypted PEM key
	WWDRPath   string // Apple's WWDR intermediate, PEM or DER
	PassTypeID string // overrides the subject's UID
	TeamID     string // overrides the subject's OU
	Now        func() time.Time
}

// Kinds of Load failure, for errors.Is. The error text itself says what to fix.
var (
	ErrWrongPassword   = errors.New("wrong password")
	ErrKeyMismatch     = errors.New("private key does not match certificate")
	ErrWrongIssuer     = errors.New("WWDR certificate did not issue the pass certificate")
	ErrExpired         = errors.New("certificate expired")
	ErrNotYetValid     = errors.New("certificate not yet valid")
	ErrNoPassTypeID    = errors.New("no pass type identifier")
	ErrNoTeamID        = errors.New("no team identifier")
	ErrUnreadable      = errors.New("file missing or unreadable")
	ErrInvalidFormat   = errors.New("file format not understood")
	ErrMissingWWDR     = errors.New("WWDR certificate missing")
	ErrUnsupportedKey  = errors.New("unsupported private key")
	ErrPasswordMissing = errors.New("password required")
)

// loadError carries a message written for the operator while still matching
// one of the Err* kinds (and the underlying cause, when there is one).
type loadError struct {
	kind  error
	msg   string
	cause error
}

func (e *loadError) Error() string { return e.msg }

func (e *loadError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

func fail(kind, cause error, format string, args ...any) error {
	return &loadError{kind: kind, msg: fmt.Sprintf(format, args...), cause: cause}
}

// oidUID is the userID attribute Apple puts the pass type identifier in.
var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// Load builds the operator's identity from files and checks that it can sign
// passes an iPhone accepts: key matches certificate, WWDR issued it, both are
// within their validity, and the pass type and team identifiers are known.
func Load(o Options) (*Identity, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if o.CertPath == "" {
		return nil, fail(ErrUnreadable, nil, "no pass certificate given")
	}
	certData, err := readFile("pass certificate", o.CertPath)
	if err != nil {
		return nil, err
	}

	var (
		cert   *x509.Certificate
		key    crypto.PrivateKey
		extras []*x509.Certificate // other certificates of a .p12, WWDR candidates
	)
	if isPKCS12(o.CertPath, certData) {
		cert, key, extras, err = decodePKCS12(o.CertPath, certData, o.Password)
		if err != nil {
			return nil, err
		}
	} else {
		cert, err = parseCertificate("pass certificate", o.CertPath, certData)
		if err != nil {
			return nil, err
		}
		if o.KeyPath == "" {
			return nil, fail(ErrUnreadable, nil,
				"pass certificate %s is PEM, so a private key file is needed too (or use a .p12 holding both)", o.CertPath)
		}
		keyData, err := readFile("private key", o.KeyPath)
		if err != nil {
			return nil, err
		}
		key, err = parsePrivateKey(o.KeyPath, keyData, o.Password)
		if err != nil {
			return nil, err
		}
	}

	var wwdr *x509.Certificate
	if o.WWDRPath != "" {
		data, err := readFile("WWDR certificate", o.WWDRPath)
		if err != nil {
			return nil, err
		}
		if wwdr, err = parseCertificate("WWDR certificate", o.WWDRPath, data); err != nil {
			return nil, err
		}
	} else {
		// A .p12 exported with its chain already carries the intermediate.
		for _, c := range extras {
			if cert.CheckSignatureFrom(c) == nil {
				wwdr = c
				break
			}
		}
		if wwdr == nil {
			return nil, fail(ErrMissingWWDR, nil,
				"no WWDR certificate given; download Apple's WWDR intermediate that issued %q (issuer %q) from https://www.apple.com/certificateauthority/",
				cert.Subject.CommonName, issuerLabel(cert))
		}
	}
	return newIdentity(cert, key, wwdr, o.PassTypeID, o.TeamID, now())
}

// newIdentity checks the parts of an identity against each other and at now.
func newIdentity(cert *x509.Certificate, key crypto.PrivateKey, wwdr *x509.Certificate, passTypeID, teamID string, now time.Time) (*Identity, error) {
	signer, err := checkKey(cert, key)
	if err != nil {
		return nil, err
	}
	if err := cert.CheckSignatureFrom(wwdr); err != nil {
		return nil, fail(ErrWrongIssuer, err,
			"WWDR certificate %s did not issue the pass certificate %s; download the matching intermediate from Apple (the pass certificate names issuer %q)",
			certLabel(wwdr), certLabel(cert), issuerLabel(cert))
	}
	for _, c := range []struct {
		what string
		cert *x509.Certificate
	}{{"pass certificate", cert}, {"WWDR certificate", wwdr}} {
		if now.After(c.cert.NotAfter) {
			return nil, fail(ErrExpired, nil, "%s %s expired on %s; renew it in the Apple Developer portal",
				c.what, certLabel(c.cert), c.cert.NotAfter.UTC().Format(time.RFC3339))
		}
		if now.Before(c.cert.NotBefore) {
			return nil, fail(ErrNotYetValid, nil, "%s %s is not valid before %s; check the system clock",
				c.what, certLabel(c.cert), c.cert.NotBefore.UTC().Format(time.RFC3339))
		}
	}
	if passTypeID == "" {
		passTypeID = subjectUID(cert)
	}
	if passTypeID == "" {
		return nil, fail(ErrNoPassTypeID, nil,
			"pass certificate %s has no UID (pass type identifier) in its subject; set the pass type identifier explicitly", certLabel(cert))
	}
	if teamID == "" && len(cert.Subject.OrganizationalUnit) > 0 {
		teamID = cert.Subject.OrganizationalUnit[0]
	}
	if teamID == "" {
		return nil, fail(ErrNoTeamID, nil,
			"pass certificate %s has no OU (team identifier) in its subject; set the team identifier explicitly", certLabel(cert))
	}
	id := &Identity{Cert: cert, Key: signer, WWDR: wwdr, PassTypeID: passTypeID, TeamID: teamID}
	id.tlsCert = tlsCertificate(cert, wwdr, signer)
	return id, nil
}

// checkKey accepts the key types pkcs7 can sign with and that belong to cert.
func checkKey(cert *x509.Certificate, key crypto.PrivateKey) (crypto.Signer, error) {
	var signer crypto.Signer
	switch k := key.(type) {
	case *rsa.PrivateKey:
		signer = k
	case *ecdsa.PrivateKey:
		signer = k
	default:
		return nil, fail(ErrUnsupportedKey, nil, "private key is %T; an RSA (as Apple issues) or ECDSA key is needed", key)
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fail(ErrKeyMismatch, nil,
			"private key does not match the pass certificate %s; use the key the certificate signing request was made with", certLabel(cert))
	}
	return signer, nil
}

// TLSCertificate is the signer certificate and key, with the WWDR in the
// chain, for APNs client authentication.
func (id *Identity) TLSCertificate() tls.Certificate {
	if id.tlsCert.Certificate == nil {
		// An Identity assembled outside this package has no precomputed chain.
		return tlsCertificate(id.Cert, id.WWDR, id.Key)
	}
	return id.tlsCert
}

func tlsCertificate(cert, wwdr *x509.Certificate, key crypto.Signer) tls.Certificate {
	chain := [][]byte{cert.Raw}
	if wwdr != nil {
		chain = append(chain, wwdr.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: cert}
}

func readFile(what, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var reason string
		switch {
		case errors.Is(err, os.ErrNotExist):
			reason = "does not exist"
		case errors.Is(err, os.ErrPermission):
			reason = "is not readable (permission denied)"
		default:
			reason = "cannot be read: " + err.Error()
		}
		return nil, fail(ErrUnreadable, err, "%s file %s %s", what, path, reason)
	}
	return data, nil
}

// parseCertificate takes the first CERTIFICATE block of PEM, or DER.
func parseCertificate(what, path string, data []byte) (*x509.Certificate, error) {
	der := data
	if bytes.Contains(data, []byte("-----BEGIN")) {
		der = nil
		rest := data
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type == "CERTIFICATE" {
				der = b.Bytes
				break
			}
		}
		if der == nil {
			return nil, fail(ErrInvalidFormat, nil, "%s %s holds no PEM CERTIFICATE block", what, path)
		}
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fail(ErrInvalidFormat, err, "%s %s is neither a PEM nor a DER certificate: %v", what, path, err)
	}
	return c, nil
}

func isPKCS12(path string, data []byte) bool {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".p12" || ext == ".pfx" {
		return true
	}
	// A PFX is a DER SEQUENCE; a PEM file or DER certificate is handled elsewhere.
	if bytes.Contains(data, []byte("-----BEGIN")) {
		return false
	}
	_, err := x509.ParseCertificate(data)
	return err != nil && len(data) > 0 && data[0] == 0x30
}

// decodePKCS12 finds the certificate that belongs to the key among all
// certificates of the file, since exporters do not agree on their order.
func decodePKCS12(path string, data []byte, password string) (*x509.Certificate, crypto.PrivateKey, []*x509.Certificate, error) {
	key, first, rest, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return nil, nil, nil, fail(ErrWrongPassword, err, "wrong password for %s", path)
		}
		return nil, nil, nil, fail(ErrInvalidFormat, err, "cannot read %s as PKCS#12: %v", path, err)
	}
	all := append([]*x509.Certificate{first}, rest...)
	s, ok := key.(crypto.Signer)
	if ok {
		for i, c := range all {
			if pub, ok := s.Public().(interface{ Equal(crypto.PublicKey) bool }); ok && pub.Equal(c.PublicKey) {
				others := append(append([]*x509.Certificate{}, all[:i]...), all[i+1:]...)
				return c, key, others, nil
			}
		}
	}
	// Let newIdentity report the mismatch against the leaf.
	return first, key, rest, nil
}

func subjectUID(c *x509.Certificate) string {
	for _, n := range c.Subject.Names {
		if n.Type.Equal(oidUID) {
			if s, ok := n.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

func certLabel(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return fmt.Sprintf("%q", c.Subject.CommonName)
	}
	return fmt.Sprintf("%q", c.Subject.String())
}

// issuerLabel names the issuer with its OU, since Apple's WWDR generations
// (G1…G6) share one CN and differ only there.
func issuerLabel(c *x509.Certificate) string {
	s := c.Issuer.CommonName
	if len(c.Issuer.OrganizationalUnit) > 0 {
		s += " (OU=" + strings.Join(c.Issuer.OrganizationalUnit, ",") + ")"
	}
	if s == "" {
		s = c.Issuer.String()
	}
	return s
}

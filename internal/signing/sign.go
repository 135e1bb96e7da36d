package signing

import (
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"

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
func (id *Identity) Sign(manifest []byte) ([]byte, error) {
	if id.Cert == nil || id.WWDR == nil || id.Key == nil {
		return nil, errors.New("signing.Sign: identity lacks its certificate, WWDR or key")
	}
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

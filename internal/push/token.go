package push

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"
)

// TokenAuth is APNs provider-token authentication: an ES256 JWT signed with
// the team's .p8 key, used instead of a TLS client certificate.
type TokenAuth struct {
	Key    *ecdsa.PrivateKey
	KeyID  string
	TeamID string
}

// Apple rejects a token older than an hour and one refreshed more often than
// every 20 minutes; 40 minutes sits safely between.
const (
	tokenLifetime   = 40 * time.Minute
	tokenMinRefresh = 20 * time.Minute
)

// ParseP8 reads the EC private key of an APNs .p8 file (PKCS#8 PEM; a SEC 1
// "EC PRIVATE KEY" block is accepted too).
func ParseP8(pemBytes []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("push: .p8 key: no PEM block found")
	}
	var key any
	var err error
	switch block.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("push: .p8 key: %w", err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("push: .p8 key: %T is not an ECDSA key", key)
	}
	if ec.Curve != elliptic.P256() {
		return nil, errors.New("push: .p8 key: ES256 needs a P-256 key")
	}
	return ec, nil
}

// tokenSource mints the JWT and shares it between all requests, because APNs
// throttles providers that change tokens too often.
type tokenSource struct {
	auth TokenAuth
	now  func() time.Time

	mu       sync.Mutex
	jwt      string
	issued   time.Time
	lastKick time.Time // last refresh forced by an APNs rejection
}

func newTokenSource(a TokenAuth, now func() time.Time) (*tokenSource, error) {
	if a.Key == nil || a.KeyID == "" || a.TeamID == "" {
		return nil, errors.New("push: token auth needs a key, a key id and a team id")
	}
	return &tokenSource{auth: a, now: now}, nil
}

// token returns the current JWT, minting a new one when it is due.
func (s *tokenSource) token() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.jwt != "" && now.Sub(s.issued) < tokenLifetime && !now.Before(s.issued) {
		return s.jwt, nil
	}
	return s.mintLocked(now)
}

// rejected is called when APNs refused jwt as expired or invalid. It mints a
// new token if jwt is still the current one and Apple's refresh rate allows,
// and reports whether a retry with a fresh token makes sense.
func (s *tokenSource) rejected(jwt string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if jwt != s.jwt {
		return true // someone already replaced it
	}
	now := s.now()
	if !s.lastKick.IsZero() && now.Sub(s.lastKick) < tokenMinRefresh {
		return false
	}
	if _, err := s.mintLocked(now); err != nil {
		return false
	}
	s.lastKick = now
	return true
}

func (s *tokenSource) mintLocked(now time.Time) (string, error) {
	jwt, err := signJWT(s.auth, now)
	if err != nil {
		return "", err
	}
	s.jwt, s.issued = jwt, now
	return jwt, nil
}

// signJWT builds the compact ES256 JWT APNs expects: header {alg, kid},
// claims {iss, iat}, signature r||s of 32 bytes each.
func signJWT(a TokenAuth, now time.Time) (string, error) {
	header, _ := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}{"ES256", a.KeyID})
	claims, _ := json.Marshal(struct {
		Iss string `json:"iss"`
		Iat int64  `json:"iat"`
	}{a.TeamID, now.Unix()})
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signing))
	r, sg, err := ecdsa.Sign(rand.Reader, a.Key, digest[:])
	if err != nil {
		return "", fmt.Errorf("push: sign provider token: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sg.FillBytes(sig[32:])
	return signing + "." + enc.EncodeToString(sig), nil
}

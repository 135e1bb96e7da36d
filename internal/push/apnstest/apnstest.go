// Package apnstest is an APNs double for tests: a TLS HTTP/2-only server on
// loopback that authenticates like APNs (client certificate, or ES256
// provider tokens), records every push and answers by script.
package apnstest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one push as the double received it.
type Request struct {
	Token         string // the device token from /3/device/{token}
	Topic         string // apns-topic
	PushType      string // apns-push-type
	Priority      string // apns-priority
	Authorization string
	Proto         string // "HTTP/2.0"
	RemoteAddr    string // the client's address: one per connection
	Method        string
	Body          []byte
	ClientCert    *x509.Certificate // the TLS client certificate, nil with token auth
	Time          time.Time
}

// Reply is how the double answers a request.
type Reply struct {
	Status int           // 0 = 200
	Reason string        // APNs reason, sent as {"reason": …} for non-200
	Delay  time.Duration // wait before answering
}

// Option configures NewServer.
type Option func(*config)

type config struct {
	tokenKey  *ecdsa.PublicKey
	addr      string
	streams   int
	onRequest func(Request)
	now       func() time.Time
}

// WithTokenAuth makes the double accept ES256 provider tokens signed by the
// key instead of requiring a client certificate, as APNs does.
func WithTokenAuth(pub *ecdsa.PublicKey) Option { return func(c *config) { c.tokenKey = pub } }

// WithAddr listens on addr instead of 127.0.0.1:0 (a fixed port for a
// double that outlives a restarted client).
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithMaxConcurrentStreams sets the HTTP/2 stream limit per connection
// (default 1000, as APNs advertises).
func WithMaxConcurrentStreams(n int) Option { return func(c *config) { c.streams = n } }

// WithOnRequest calls f for each push as it arrives, before any hold.
func WithOnRequest(f func(Request)) Option { return func(c *config) { c.onRequest = f } }

// WithClock sets the clock used to judge provider token age.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Server is a running APNs double.
type Server struct {
	URL   string // https://127.0.0.1:port
	CAPEM []byte // PEM of the server's self-signed certificate (for WW_APNS_CA)
	// Certificate is the server's certificate, for building a pool directly.
	Certificate *x509.Certificate

	cfg config
	ts  *httptest.Server

	mu      sync.Mutex
	reqs    []Request
	script  func(Request) Reply
	waiters []waiter
	held    chan struct{} // non-nil while holding; closed by Release
	closed  chan struct{}
}

type waiter struct {
	n  int
	ch chan struct{}
}

// NewServer starts the double. Close it with s.Close().
func NewServer(opts ...Option) *Server {
	c := config{addr: "127.0.0.1:0", streams: 1000, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	cert, leaf, caPEM := selfSigned()
	s := &Server{CAPEM: caPEM, Certificate: leaf, cfg: c, closed: make(chan struct{})}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if c.addr != "127.0.0.1:0" {
		l, err := net.Listen("tcp", c.addr)
		if err != nil {
			panic(fmt.Sprintf("apnstest: listen %s: %v", c.addr, err))
		}
		ts.Listener.Close()
		ts.Listener = l
	}
	ts.EnableHTTP2 = true
	ts.Config.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: c.streams}
	// Refused handshakes are the point of some tests; keep them quiet.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.TLS = &tls.Config{
		Certificates: []tls.Certificate{cert},
		// HTTP/2 only, as APNs: a client without h2 fails the handshake.
		NextProtos: []string{"h2"},
		MinVersion: tls.VersionTLS12,
	}
	if c.tokenKey == nil {
		// APNs checks the certificate against Apple's CA; the double
		// accepts any and records it so tests can compare.
		ts.TLS.ClientAuth = tls.RequireAnyClientCert
	}
	ts.StartTLS()
	s.ts = ts
	s.URL = ts.URL
	return s
}

// Close stops the server, answering held requests first.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.closed:
		s.mu.Unlock()
		return
	default:
	}
	close(s.closed)
	s.mu.Unlock()
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Script sets how requests are answered (nil = always 200).
func (s *Server) Script(f func(Request) Reply) {
	s.mu.Lock()
	s.script = f
	s.mu.Unlock()
}

// Requests returns a copy of every request received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Count is the number of requests received so far.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// WaitCount blocks until at least n requests were received or ctx is done.
func (s *Server) WaitCount(ctx context.Context, n int) error {
	s.mu.Lock()
	if len(s.reqs) >= n {
		s.mu.Unlock()
		return nil
	}
	w := waiter{n: n, ch: make(chan struct{})}
	s.waiters = append(s.waiters, w)
	s.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("apnstest: waiting for %d requests, have %d: %w", n, s.Count(), ctx.Err())
	}
}

// Hold keeps every answer back (requests are accepted and recorded) until
// Release; for tests that kill a client while pushes are in flight.
func (s *Server) Hold() {
	s.mu.Lock()
	if s.held == nil {
		s.held = make(chan struct{})
	}
	s.mu.Unlock()
}

// Release answers the held requests and stops holding.
func (s *Server) Release() {
	s.mu.Lock()
	if s.held != nil {
		close(s.held)
		s.held = nil
	}
	s.mu.Unlock()
}

func (s *Server) record(r Request) (script func(Request) Reply, held chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
	n := len(s.reqs)
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if n >= w.n {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	s.waiters = kept
	return s.script, s.held
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 2 {
		reply(w, http.StatusHTTPVersionNotSupported, "HTTP2Required")
		return
	}
	token, ok := strings.CutPrefix(r.URL.Path, "/3/device/")
	if !ok || token == "" || strings.Contains(token, "/") {
		reply(w, http.StatusNotFound, "BadPath")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4097))
	if err != nil {
		return
	}
	req := Request{
		Token:         token,
		Topic:         r.Header.Get("apns-topic"),
		PushType:      r.Header.Get("apns-push-type"),
		Priority:      r.Header.Get("apns-priority"),
		Authorization: r.Header.Get("authorization"),
		Proto:         r.Proto,
		RemoteAddr:    r.RemoteAddr,
		Method:        r.Method,
		Body:          body,
		Time:          time.Now(),
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		req.ClientCert = r.TLS.PeerCertificates[0]
	}
	if s.cfg.onRequest != nil {
		s.cfg.onRequest(req)
	}
	script, held := s.record(req)
	if held != nil {
		select {
		case <-held:
		case <-s.closed:
		case <-r.Context().Done():
			return
		}
	}
	// Protocol checks APNs makes before looking at the token.
	switch {
	case r.Method != http.MethodPost:
		reply(w, http.StatusMethodNotAllowed, "MethodNotAllowed")
		return
	case len(body) > 4096:
		reply(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge")
		return
	case req.Topic == "":
		reply(w, http.StatusBadRequest, "MissingTopic")
		return
	}
	if s.cfg.tokenKey != nil {
		if status, reason := s.checkJWT(req.Authorization); status != 0 {
			reply(w, status, reason)
			return
		}
	}
	rep := Reply{Status: http.StatusOK}
	if script != nil {
		rep = script(req)
	}
	if rep.Delay > 0 {
		t := time.NewTimer(rep.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if rep.Status == 0 {
		rep.Status = http.StatusOK
	}
	reply(w, rep.Status, rep.Reason)
}

func reply(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("apns-id", newID())
	if status == http.StatusOK {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body := map[string]any{"reason": reason}
	if status == http.StatusGone {
		body["timestamp"] = time.Now().UnixMilli()
	}
	_ = json.NewEncoder(w).Encode(body)
}

// checkJWT verifies an ES256 provider token as APNs does: header alg/kid,
// claims iss/iat, signature, and an iat no older than an hour.
func (s *Server) checkJWT(auth string) (int, string) {
	tok, ok := strings.CutPrefix(auth, "bearer ")
	if !ok || tok == "" {
		return http.StatusForbidden, "MissingProviderToken"
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return http.StatusForbidden, "InvalidProviderToken"
	}
	enc := base64.RawURLEncoding
	var h struct{ Alg, Kid string }
	var c struct {
		Iss string
		Iat int64
	}
	hb, err1 := enc.DecodeString(parts[0])
	cb, err2 := enc.DecodeString(parts[1])
	sig, err3 := enc.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || len(sig) != 64 ||
		json.Unmarshal(hb, &h) != nil || json.Unmarshal(cb, &c) != nil ||
		h.Alg != "ES256" || h.Kid == "" || c.Iss == "" || c.Iat == 0 {
		return http.StatusForbidden, "InvalidProviderToken"
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r := new(big.Int).SetBytes(sig[:32])
	sv := new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(s.cfg.tokenKey, digest[:], r, sv) {
		return http.StatusForbidden, "InvalidProviderToken"
	}
	if age := s.cfg.now().Sub(time.Unix(c.Iat, 0)); age > time.Hour {
		return http.StatusForbidden, "ExpiredProviderToken"
	}
	return 0, ""
}

// selfSigned makes a throwaway certificate for 127.0.0.1, ::1 and localhost
// that is its own CA, so CAPEM alone makes clients trust it.
func selfSigned() (tls.Certificate, *x509.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "apnstest double"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		leaf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

var idN atomic.Uint64

// newID is an apns-id: APNs returns a UUID; a unique counter is enough here.
func newID() string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", idN.Add(1)) }

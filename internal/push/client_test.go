package push

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/push/apnstest"
)

func TestClientCertificateAuth(t *testing.T) {
	s := newDouble(t)
	cert := newClientCert(t)
	c := certClient(t, s, cert, 1)

	const topic, token = "pass.test.push", "aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233"
	if r := c.Push(context.Background(), topic, token); r.Err != nil || r.Status != http.StatusOK {
		t.Fatalf("Push = %+v, want 200", r)
	}
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("double saw %d requests, want 1", len(reqs))
	}
	got := reqs[0]
	checks := []struct {
		name      string
		got, want string
	}{
		{"token from path", got.Token, token},
		{"method", got.Method, http.MethodPost},
		{"protocol", got.Proto, "HTTP/2.0"},
		{"apns-topic", got.Topic, topic},
		{"apns-push-type", got.PushType, "background"},
		{"apns-priority", got.Priority, "5"},
		{"body", string(got.Body), "{}"},
		{"no bearer token", got.Authorization, ""},
	}
	for _, ck := range checks {
		t.Run(ck.name, func(t *testing.T) {
			if ck.got != ck.want {
				t.Errorf("got %q, want %q", ck.got, ck.want)
			}
		})
	}
	if got.ClientCert == nil || !got.ClientCert.Equal(cert.Leaf) {
		t.Errorf("double saw client certificate %v, want ours", got.ClientCert)
	}
}

func TestClientResults(t *testing.T) {
	s := newDouble(t)
	c := certClient(t, s, newClientCert(t), 1)
	tests := []struct {
		name  string
		reply apnstest.Reply
	}{
		{"ok", apnstest.Reply{Status: 200}},
		{"unregistered", apnstest.Reply{Status: 410, Reason: "Unregistered"}},
		{"bad device token", apnstest.Reply{Status: 400, Reason: "BadDeviceToken"}},
		{"wrong topic", apnstest.Reply{Status: 400, Reason: "DeviceTokenNotForTopic"}},
		{"bad certificate", apnstest.Reply{Status: 403, Reason: "BadCertificate"}},
		{"throttled", apnstest.Reply{Status: 429, Reason: "TooManyRequests"}},
		{"server error", apnstest.Reply{Status: 500, Reason: "InternalServerError"}},
		{"unavailable", apnstest.Reply{Status: 503, Reason: "ServiceUnavailable"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Script(func(apnstest.Request) apnstest.Reply { return tc.reply })
			r := c.Push(context.Background(), "pass.test.push", "0123abcd")
			if r.Err != nil || r.Status != tc.reply.Status || r.Reason != tc.reply.Reason {
				t.Errorf("Push = %+v, want status %d reason %q", r, tc.reply.Status, tc.reply.Reason)
			}
		})
	}
}

func TestClientTransportError(t *testing.T) {
	s := apnstest.NewServer()
	c := certClient(t, s, newClientCert(t), 1)
	s.Close()
	r := c.Push(context.Background(), "pass.test.push", "0123abcd")
	if r.Err == nil {
		t.Fatalf("Push to a closed server = %+v, want a transport error", r)
	}
}

// Concurrent pushes must share one HTTP/2 connection, not open one each.
func TestClientOneConnection(t *testing.T) {
	s := newDouble(t)
	c := certClient(t, s, newClientCert(t), 1)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := c.Push(context.Background(), "pass.test.push", fmt.Sprintf("tok%02d", i)); r.Status != 200 {
				t.Errorf("Push = %+v", r)
			}
		}()
	}
	wg.Wait()
	addrs := map[string]bool{}
	for _, r := range s.Requests() {
		addrs[r.RemoteAddr] = true
	}
	if len(addrs) != 1 {
		t.Errorf("50 concurrent pushes used %d connections, want 1", len(addrs))
	}
}

// decodeJWT returns header and claims of a compact JWT.
func decodeJWT(t *testing.T, auth string) (header, claims map[string]any) {
	t.Helper()
	tok, ok := strings.CutPrefix(auth, "bearer ")
	if !ok {
		t.Fatalf("authorization %q is not a bearer token", auth)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT has %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func tokenClient(t *testing.T, s *apnstest.Server, key *ecdsa.PrivateKey, clock *fakeClock) *Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CAPEM)
	c, err := NewClient(ClientOptions{
		BaseURL: s.URL, RootCAs: pool, Now: clock.Now,
		Token: &TokenAuth{Key: key, KeyID: "KEY1234567", TeamID: "TEAM000001"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestClientTokenAuth(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	clock := &fakeClock{t: time.Now()}
	s := newDouble(t, apnstest.WithTokenAuth(&key.PublicKey), apnstest.WithClock(clock.Now))
	c := tokenClient(t, s, key, clock)

	for i := range 3 {
		if r := c.Push(context.Background(), "pass.test.push", fmt.Sprintf("tok%d", i)); r.Status != 200 {
			t.Fatalf("push %d = %+v, want 200 (double verifies the JWT)", i, r)
		}
	}
	reqs := s.Requests()
	for i, r := range reqs {
		if r.Authorization != reqs[0].Authorization {
			t.Errorf("request %d carried a different JWT: the token must be reused", i)
		}
		if r.ClientCert != nil {
			t.Errorf("request %d presented a client certificate with token auth", i)
		}
	}
	h, cl := decodeJWT(t, reqs[0].Authorization)
	checks := []struct {
		name      string
		got, want any
	}{
		{"alg", h["alg"], "ES256"},
		{"kid", h["kid"], "KEY1234567"},
		{"iss", cl["iss"], "TEAM000001"},
		{"iat", cl["iat"], float64(clock.Now().Unix())},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}

	// After 40 minutes the token is renewed, well before APNs' one hour.
	clock.Add(41 * time.Minute)
	if r := c.Push(context.Background(), "pass.test.push", "tok9"); r.Status != 200 {
		t.Fatalf("push after 41 min = %+v", r)
	}
	reqs = s.Requests()
	if last := reqs[len(reqs)-1]; last.Authorization == reqs[0].Authorization {
		t.Error("JWT not renewed after 41 minutes")
	}
}

func TestClientTokenRejected(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tests := []struct {
		name       string
		signWith   *ecdsa.PrivateKey
		script     func(first *string) func(apnstest.Request) apnstest.Reply
		wantStatus int
		wantReason string
		wantCalls  int
	}{
		{
			name:     "expired token refreshed once and retried",
			signWith: key,
			script: func(first *string) func(apnstest.Request) apnstest.Reply {
				return func(r apnstest.Request) apnstest.Reply {
					if *first == "" {
						*first = r.Authorization
					}
					if r.Authorization == *first {
						return apnstest.Reply{Status: 403, Reason: "ExpiredProviderToken"}
					}
					return apnstest.Reply{}
				}
			},
			wantStatus: 200, wantCalls: 2,
		},
		{
			name:       "wrong key stays refused after one refresh",
			signWith:   other,
			wantStatus: 403, wantReason: "InvalidProviderToken", wantCalls: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Now()}
			s := newDouble(t, apnstest.WithTokenAuth(&key.PublicKey), apnstest.WithClock(clock.Now))
			var first string
			if tc.script != nil {
				s.Script(tc.script(&first))
			}
			c := tokenClient(t, s, tc.signWith, clock)
			r := c.Push(context.Background(), "pass.test.push", "tok")
			if r.Status != tc.wantStatus || r.Reason != tc.wantReason {
				t.Errorf("Push = %+v, want %d %q", r, tc.wantStatus, tc.wantReason)
			}
			if n := s.Count(); n != tc.wantCalls {
				t.Errorf("double saw %d requests, want %d", n, tc.wantCalls)
			}
			// A second refusal within 20 minutes must not mint again
			// (APNs answers TooManyProviderTokenUpdates).
			before := s.Count()
			c.Push(context.Background(), "pass.test.push", "tok2")
			if tc.wantStatus != 200 && s.Count()-before != 1 {
				t.Errorf("second refused push sent %d requests, want 1 (no second refresh)", s.Count()-before)
			}
		})
	}
}

func TestParseP8(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	sec1, _ := x509.MarshalECPrivateKey(ec)
	tests := []struct {
		name    string
		in      []byte
		wantErr bool
	}{
		{"pkcs8 P-256", pkcs8(ec), false},
		{"sec1 P-256", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), false},
		{"P-384 refused", pkcs8(p384), true},
		{"RSA refused", pkcs8(rsaKey), true},
		{"not PEM", []byte("hello"), true},
		{"corrupt DER", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseP8(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && !k.Equal(ec) {
				t.Error("parsed a different key")
			}
		})
	}
}

func TestNewClientOptions(t *testing.T) {
	cert := newClientCert(t)
	tests := []struct {
		name    string
		o       ClientOptions
		wantErr bool
	}{
		{"certificate", ClientOptions{Certificate: &cert}, false},
		{"no credentials", ClientOptions{}, true},
		{"http URL", ClientOptions{BaseURL: "http://127.0.0.1:1", Certificate: &cert}, true},
		{"token without key id", ClientOptions{Token: &TokenAuth{TeamID: "T"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewClient(tc.o)
			if (err != nil) != tc.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
}

// TestClientHeaderTable: the HPACK table is kept at one byte (nothing is
// indexed: a table holding each push's unique path only churned), and
// pushes sent that way arrive whole, headers and all, push after push.
func TestClientHeaderTable(t *testing.T) {
	s := newDouble(t)
	c := certClient(t, s, newClientCert(t), 1)
	for _, tr := range c.transports {
		if tr.HTTP2 == nil || tr.HTTP2.MaxEncoderHeaderTableSize != hpackTableSize || hpackTableSize != 1 {
			t.Fatalf("APNs transport HTTP/2 config %+v, want a %d-byte encoder table", tr.HTTP2, 1)
		}
	}
	for i := range 20 {
		token := fmt.Sprintf("%064x", i)
		if r := c.Push(context.Background(), "pass.test.push", token); r.Status != 200 {
			t.Fatalf("push %d = %+v", i, r)
		}
	}
	reqs := s.Requests()
	if len(reqs) != 20 {
		t.Fatalf("the double saw %d pushes, want 20", len(reqs))
	}
	for i, r := range reqs {
		if r.Token != fmt.Sprintf("%064x", i) || r.Topic != "pass.test.push" || r.PushType != "background" || r.Priority != "5" {
			t.Fatalf("push %d arrived as %+v", i, r)
		}
	}
}

package apnstest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/push"
	"github.com/walletwallet/walletwallet/internal/push/apnstest"
)

func clientCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// h2Transport is an HTTP/2-only client, as APNs clients are.
func h2Transport(cfg *tls.Config) *http.Transport {
	var p http.Protocols
	p.SetHTTP2(true)
	return &http.Transport{TLSClientConfig: cfg, Protocols: &p}
}

func pool(s *apnstest.Server) *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(s.CAPEM)
	return p
}

func post(t *testing.T, rt http.RoundTripper, url string, header map[string]string) (*http.Response, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return rt.RoundTrip(req)
}

// The double must refuse what APNs refuses, or tests against it prove little.
func TestServerRefuses(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := clientCert(t)
	tests := []struct {
		name   string
		opts   []apnstest.Option
		rt     func(s *apnstest.Server) http.RoundTripper
		path   string
		header map[string]string
		// wantStatus 0 means the connection itself must fail.
		wantStatus int
		wantReason string
	}{
		{
			name: "HTTP/1.1 client",
			rt: func(s *apnstest.Server) http.RoundTripper {
				return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(s), Certificates: []tls.Certificate{cert}}}
			},
			path: "/3/device/abc", header: map[string]string{"apns-topic": "t"},
		},
		{
			name: "no client certificate",
			rt: func(s *apnstest.Server) http.RoundTripper {
				return h2Transport(&tls.Config{RootCAs: pool(s)})
			},
			path: "/3/device/abc", header: map[string]string{"apns-topic": "t"},
		},
		{
			name: "missing topic",
			rt: func(s *apnstest.Server) http.RoundTripper {
				return h2Transport(&tls.Config{RootCAs: pool(s), Certificates: []tls.Certificate{cert}})
			},
			path: "/3/device/abc", wantStatus: 400, wantReason: "MissingTopic",
		},
		{
			name: "bad path",
			rt: func(s *apnstest.Server) http.RoundTripper {
				return h2Transport(&tls.Config{RootCAs: pool(s), Certificates: []tls.Certificate{cert}})
			},
			path: "/2/device/abc", header: map[string]string{"apns-topic": "t"}, wantStatus: 404, wantReason: "BadPath",
		},
		{
			name: "token auth without a token",
			opts: []apnstest.Option{apnstest.WithTokenAuth(&key.PublicKey)},
			rt: func(s *apnstest.Server) http.RoundTripper {
				return h2Transport(&tls.Config{RootCAs: pool(s)})
			},
			path: "/3/device/abc", header: map[string]string{"apns-topic": "t"},
			wantStatus: 403, wantReason: "MissingProviderToken",
		},
		{
			name: "token auth with garbage",
			opts: []apnstest.Option{apnstest.WithTokenAuth(&key.PublicKey)},
			rt: func(s *apnstest.Server) http.RoundTripper {
				return h2Transport(&tls.Config{RootCAs: pool(s)})
			},
			path: "/3/device/abc", header: map[string]string{"apns-topic": "t", "authorization": "bearer a.b.c"},
			wantStatus: 403, wantReason: "InvalidProviderToken",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := apnstest.NewServer(tc.opts...)
			defer s.Close()
			resp, err := post(t, tc.rt(s), s.URL+tc.path, tc.header)
			if tc.wantStatus == 0 {
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == 200 {
						t.Fatalf("got 200, want refusal")
					}
				}
				if s.Count() != 0 {
					t.Errorf("refused request was recorded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), `"`+tc.wantReason+`"`) {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, tc.wantStatus, tc.wantReason)
			}
		})
	}
}

func TestHoldAndRelease(t *testing.T) {
	s := apnstest.NewServer()
	defer s.Close()
	cert := clientCert(t)
	c, err := push.NewClient(push.ClientOptions{BaseURL: s.URL, RootCAs: pool(s), Certificate: &cert})
	if err != nil {
		t.Fatal(err)
	}
	s.Hold()
	answered := make(chan push.Result, 1)
	go func() { answered <- c.Push(context.Background(), "pass.t", "tok1") }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitCount(ctx, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-answered:
		t.Fatalf("held request answered: %+v", r)
	default:
	}
	s.Release()
	if r := <-answered; r.Status != 200 {
		t.Errorf("after Release: %+v, want 200", r)
	}
	if got := s.Requests(); len(got) != 1 || got[0].Token != "tok1" {
		t.Errorf("Requests() = %+v", got)
	}
}

func TestWaitCountGivesUp(t *testing.T) {
	s := apnstest.NewServer()
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.WaitCount(ctx, 1); err == nil {
		t.Error("WaitCount on a cancelled context with no requests returned nil")
	}
	if err := s.WaitCount(ctx, 0); err != nil {
		t.Errorf("WaitCount(0) = %v, want nil", err)
	}
}

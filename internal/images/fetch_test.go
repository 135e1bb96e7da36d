package images

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

// fakeResolver answers from a table and never touches DNS.
type fakeResolver struct {
	names map[string][]netip.Addr
	calls atomic.Int64
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.calls.Add(1)
	if a, ok := r.names[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func newResolver() *fakeResolver {
	addrs := func(s ...string) []netip.Addr {
		out := make([]netip.Addr, len(s))
		for i, a := range s {
			out[i] = netip.MustParseAddr(a)
		}
		return out
	}
	return &fakeResolver{names: map[string][]netip.Addr{
		"img.example.com":     addrs("127.0.0.1"),
		"public.example.com":  addrs("8.8.8.8"),
		"private.example.com": addrs("10.1.2.3"),
		"meta.example.com":    addrs("169.254.169.254"),
		"mapped.example.com":  addrs("::ffff:192.168.1.1"),
		"rebind.example.com":  addrs("8.8.8.8", "127.0.0.1"),
	}}
}

// recordingDialer records the address the guard asked for and connects to
// the local test server whatever that address was, so no test can send a
// packet beyond loopback even if the guard were broken.
type recordingDialer struct {
	target string
	mu     sync.Mutex
	addrs  []string
}

func (d *recordingDialer) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", d.target)
}

func (d *recordingDialer) asked() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

// imageServer is a local TLS server with the routes the fetch tests need.
type imageServer struct {
	*httptest.Server
	pngData, jpegData []byte
	loopHits          atomic.Int64
	hits              atomic.Int64
	conns             atomic.Int64
}

func newImageServer(t *testing.T) *imageServer {
	t.Helper()
	s := &imageServer{pngData: pngOf(t, testImage(200, 100)), jpegData: jpegOf(t, testImage(120, 80))}
	mux := http.NewServeMux()
	serve := func(ctype string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.Write(body)
		}
	}
	redirect := func(to string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusFound) }
	}
	mux.HandleFunc("/png", serve("image/png", s.pngData))
	mux.HandleFunc("/jpeg", serve("image/jpeg", s.jpegData))
	mux.HandleFunc("/png-as-html", serve("text/html", s.pngData))
	mux.HandleFunc("/jpeg-as-png", serve("image/png", s.jpegData))
	mux.HandleFunc("/html-as-png", serve("image/png", []byte("<!doctype html><p>not an image")))
	mux.HandleFunc("/exact-limit", serve("image/png", append(append([]byte{}, s.pngData...), make([]byte, MaxBytes-len(s.pngData))...)))
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		// Flushed first so the body is chunked: the limit must hold without a Content-Length.
		w.Write(s.pngData)
		w.(http.Flusher).Flush()
		w.Write(make([]byte, MaxBytes))
	})
	mux.HandleFunc("/big-length", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(MaxBytes+1))
		w.Write(s.pngData)
	})
	mux.HandleFunc("/redirect/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			w.Write(s.pngData)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/redirect/%d", n-1), http.StatusMovedPermanently)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		s.loopHits.Add(1)
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/to-private", redirect("https://10.0.0.1/png"))
	mux.HandleFunc("/to-private-name", redirect("https://private.example.com/png"))
	mux.HandleFunc("/to-metadata", redirect("https://169.254.169.254/latest/meta-data/"))
	mux.HandleFunc("/to-http", redirect("http://img.example.com/png"))
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.Write(s.pngData[:8])
		for {
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
				w.Write([]byte{0})
			}
		}
	})
	mux.HandleFunc("/slow-headers", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *imageServer) port() string {
	_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
	return p
}

func (s *imageServer) url(host, path string) string {
	return "https://" + net.JoinHostPort(host, s.port()) + path
}

func (s *imageServer) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.Certificate())
	return p
}

var loopbackOnly = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// wantClientError asserts err is an EINVALID *walletwallet.Error whose message contains want.
func wantClientError(t *testing.T, err error, want string) {
	t.Helper()
	var e *walletwallet.Error
	if !errors.As(err, &e) || e.Code != walletwallet.EINVALID {
		t.Fatalf("err = %v, want an EINVALID *walletwallet.Error containing %q", err, want)
	}
	if !strings.Contains(e.Message, want) {
		t.Fatalf("message = %q, want it to contain %q", e.Message, want)
	}
}

// TestDialGuardLoopbackListener dials for real, but only ever at a loopback
// listener: without an allowance the guard refuses before connecting and the
// listener sees no connection; with 127.0.0.0/8 allowed the same fetch connects.
func TestDialGuardLoopbackListener(t *testing.T) {
	tests := []struct {
		name    string
		allow   []netip.Prefix
		host    string
		wantErr string
	}{
		{"name resolving to loopback", nil, "img.example.com", "logoURL resolves to a private address (loopback 127.0.0.0/8)"},
		{"literal loopback", nil, "127.0.0.1", "logoURL resolves to a private address (loopback"},
		{"literal decimal loopback", nil, "2130706433", "logoURL resolves to a private address (loopback"},
		{"allowance for another range", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "img.example.com", "resolves to a private address"},
		{"allowed loopback connects", loopbackOnly, "img.example.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newImageServer(t)
			f := NewFetcher(FetchOptions{AllowCIDRs: tt.allow, RootCAs: srv.pool(), Resolver: newResolver()})
			got, err := f.Fetch(context.Background(), "logoURL", srv.url(tt.host, "/png"))
			if tt.wantErr != "" {
				wantClientError(t, err, tt.wantErr)
				if n := srv.conns.Load(); n != 0 {
					t.Fatalf("listener accepted %d connections, want 0", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, srv.pngData) {
				t.Fatal("fetched bytes differ from the served image")
			}
			if srv.conns.Load() == 0 {
				t.Fatal("listener saw no connection on the allowed path")
			}
		})
	}
}

// TestLiteralHostsRefusedWithoutDial: a private literal host is refused from
// the URL alone: no resolver call and no dial.
func TestLiteralHostsRefusedWithoutDial(t *testing.T) {
	hosts := []string{
		"https://10.0.0.1/",
		"https://[::ffff:127.0.0.1]/",
		"https://2130706433/",
		"https://0x7f.1/",
		"https://127.1/",
		"https://0177.0.0.1/",
		"https://169.254.169.254/latest/meta-data/",
		"https://2852039166/",
		"https://[::1]:8443/logo.png",
		"https://[fe80::1%25eth0]/",
		"https://[64:ff9b::7f00:1]/",
		"https://[2002:c0a8:101::1]/",
		"https://100.64.0.1/",
		"https://0.0.0.0/",
		"https://[::]/",
		"https://127.0.0.1./",
	}
	for _, u := range hosts {
		t.Run(u, func(t *testing.T) {
			res := newResolver()
			d := &recordingDialer{target: "127.0.0.1:1"}
			f := NewFetcher(FetchOptions{Resolver: res, Dial: d.Dial})
			_, err := f.Fetch(context.Background(), "logoURL", u)
			wantClientError(t, err, "logoURL resolves to a private address")
			if a := d.asked(); len(a) != 0 {
				t.Fatalf("dialled %v, want no dial", a)
			}
			if n := res.calls.Load(); n != 0 {
				t.Fatalf("resolver called %d times for a literal host", n)
			}
		})
	}
}

// TestResolvedAddresses covers names: the guard dials the IP it checked,
// never the name, and refuses any answer containing a non-public address.
func TestResolvedAddresses(t *testing.T) {
	srv := newImageServer(t)
	tests := []struct {
		name      string
		host      string
		wantDials []string
		wantErr   string
	}{
		{"public name dials its checked IP", "public.example.com", []string{"8.8.8.8:443"}, ""},
		{"private name", "private.example.com", nil, "resolves to a private address (private 10.0.0.0/8)"},
		{"metadata name", "meta.example.com", nil, "cloud metadata"},
		{"mapped private answer", "mapped.example.com", nil, "IPv4-mapped"},
		{"rebinding answer mixing public and loopback", "rebind.example.com", nil, "loopback"},
		{"unknown name", "nowhere.example.com", nil, "could not be fetched: host nowhere.example.com not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &recordingDialer{target: srv.Listener.Addr().String()}
			f := NewFetcher(FetchOptions{RootCAs: srv.pool(), Resolver: newResolver(), Dial: d.Dial})
			got, err := f.Fetch(context.Background(), "logoURL", "https://"+tt.host+"/png")
			if tt.wantErr != "" {
				wantClientError(t, err, tt.wantErr)
			} else if err != nil {
				t.Fatal(err)
			} else if !bytes.Equal(got, srv.pngData) {
				t.Fatal("fetched bytes differ from the served image")
			}
			if a := d.asked(); strings.Join(a, ",") != strings.Join(tt.wantDials, ",") {
				t.Fatalf("dialled %v, want %v", a, tt.wantDials)
			}
		})
	}
}

// TestFetch is the success path and every refusal reached through the
// server: redirects, content sniffing, size limit and status.
func TestFetch(t *testing.T) {
	srv := newImageServer(t)
	tests := []struct {
		name    string
		path    string
		want    []byte // nil: an error is expected
		wantErr string
	}{
		{"png", "/png", nil, ""},
		{"jpeg", "/jpeg", nil, ""},
		{"png served as text/html", "/png-as-html", nil, ""},
		{"jpeg served as image/png", "/jpeg-as-png", nil, ""},
		{"html served as image/png", "/html-as-png", nil, "logoURL is not a PNG or JPEG image"},
		{"exactly 5 MiB", "/exact-limit", nil, ""},
		{"over 5 MiB chunked", "/big", nil, "logoURL is larger than 5 MiB"},
		{"over 5 MiB by Content-Length", "/big-length", nil, "logoURL is larger than 5 MiB"},
		{"three redirects", "/redirect/3", nil, ""},
		{"fourth redirect refused", "/redirect/4", nil, "logoURL could not be fetched: more than 3 redirects"},
		{"redirect loop", "/loop", nil, "more than 3 redirects"},
		{"redirect to private literal", "/to-private", nil, "logoURL resolves to a private address (private 10.0.0.0/8)"},
		{"redirect to private name", "/to-private-name", nil, "logoURL resolves to a private address"},
		{"redirect to metadata", "/to-metadata", nil, "cloud metadata"},
		{"redirect to http", "/to-http", nil, "URL must use HTTPS protocol"},
		{"not found", "/missing", nil, "logoURL could not be fetched: HTTP 404"},
	}
	wantBody := map[string][]byte{
		"/png": srv.pngData, "/png-as-html": srv.pngData, "/redirect/3": srv.pngData,
		"/jpeg": srv.jpegData, "/jpeg-as-png": srv.jpegData,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &recordingDialer{target: srv.Listener.Addr().String()}
			f := NewFetcher(FetchOptions{AllowCIDRs: loopbackOnly, RootCAs: srv.pool(), Resolver: newResolver(), Dial: d.Dial})
			loopsBefore := srv.loopHits.Load()
			got, err := f.Fetch(context.Background(), "logoURL", srv.url("img.example.com", tt.path))
			if tt.wantErr != "" {
				wantClientError(t, err, tt.wantErr)
			} else if err != nil {
				t.Fatal(err)
			} else if want, ok := wantBody[tt.path]; ok && !bytes.Equal(got, want) {
				t.Fatal("fetched bytes differ from the served image")
			} else if len(got) > MaxBytes {
				t.Fatalf("got %d bytes, over the limit", len(got))
			}
			for _, a := range d.asked() {
				if !strings.HasPrefix(a, "127.0.0.1:") {
					t.Errorf("dialled %s; only the loopback server is allowed", a)
				}
			}
			if tt.path == "/loop" {
				if n := srv.loopHits.Load() - loopsBefore; n != 4 {
					t.Errorf("loop served %d requests, want 4 (the first and 3 redirects)", n)
				}
			}
		})
	}
}

func TestFetchSchemes(t *testing.T) {
	urls := []string{
		"http://img.example.com/logo.png",
		"ftp://img.example.com/logo.png",
		"file:///etc/passwd",
		"javascript:alert(1)",
		"//img.example.com/logo.png",
		"img.example.com/logo.png",
		"gopher://127.0.0.1:6379/_INFO",
	}
	for _, u := range urls {
		t.Run(u, func(t *testing.T) {
			d := &recordingDialer{target: "127.0.0.1:1"}
			res := newResolver()
			f := NewFetcher(FetchOptions{Resolver: res, Dial: d.Dial})
			_, err := f.Fetch(context.Background(), "logoURL", u)
			wantClientError(t, err, "URL must use HTTPS protocol (logoURL)")
			if !strings.HasPrefix(err.Error(), "URL must use HTTPS protocol") {
				t.Errorf("message %q does not start with the API page's text", err)
			}
			if len(d.asked()) != 0 || res.calls.Load() != 0 {
				t.Fatal("a non-https URL reached the resolver or dialer")
			}
		})
	}
}

// TestFetchTimeouts uses a short total time-out; the assertion is on the
// error, never on how long it took.
func TestFetchTimeouts(t *testing.T) {
	srv := newImageServer(t)
	for _, path := range []string{"/slow-body", "/slow-headers"} {
		t.Run(path, func(t *testing.T) {
			f := NewFetcher(FetchOptions{AllowCIDRs: loopbackOnly, RootCAs: srv.pool(), Resolver: newResolver(), TotalTimeout: 300 * time.Millisecond})
			_, err := f.Fetch(context.Background(), "logoURL", srv.url("img.example.com", path))
			wantClientError(t, err, "logoURL could not be fetched: timed out")
		})
	}
}

func TestFetchTLSAndCancel(t *testing.T) {
	srv := newImageServer(t)
	t.Run("untrusted certificate", func(t *testing.T) {
		f := NewFetcher(FetchOptions{AllowCIDRs: loopbackOnly, RootCAs: x509.NewCertPool(), Resolver: newResolver()})
		_, err := f.Fetch(context.Background(), "logoURL", srv.url("img.example.com", "/png"))
		wantClientError(t, err, "logoURL could not be fetched: the server's TLS certificate is not trusted")
	})
	t.Run("cancelled caller is not the client's fault", func(t *testing.T) {
		f := NewFetcher(FetchOptions{AllowCIDRs: loopbackOnly, RootCAs: srv.pool(), Resolver: newResolver()})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := f.Fetch(ctx, "logoURL", srv.url("img.example.com", "/png"))
		if err == nil || walletwallet.ErrorCode(err) == walletwallet.EINVALID || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled that is not a client error", err)
		}
	})
}

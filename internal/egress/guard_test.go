package egress

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// tableResolver answers from a map and never touches DNS.
type tableResolver struct {
	names map[string][]netip.Addr
	calls atomic.Int64
}

func (r *tableResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.calls.Add(1)
	if a, ok := r.names[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func resolver() *tableResolver {
	m := func(s ...string) []netip.Addr {
		out := make([]netip.Addr, len(s))
		for i, a := range s {
			out[i] = netip.MustParseAddr(a)
		}
		return out
	}
	return &tableResolver{names: map[string][]netip.Addr{
		"loop.example.com":    m("127.0.0.1"),
		"public.example.com":  m("8.8.8.8"),
		"public6.example.com": m("2606:4700::1111"),
		"private.example.com": m("10.1.2.3"),
		"meta.example.com":    m("169.254.169.254"),
		"mapped.example.com":  m("::ffff:192.168.1.1"),
		"rebind.example.com":  m("8.8.8.8", "127.0.0.1"),
		"empty.example.com":   {},
	}}
}

// recorder notes every address the guard asked to dial and connects to
// target (a loopback listener) whatever it was, so that no test can reach
// beyond loopback even with a broken guard.
type recorder struct {
	target string
	mu     sync.Mutex
	addrs  []string
}

func (d *recorder) Dial(ctx context.Context, _, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	if d.target == "" {
		return nil, errors.New("test dialer: no target")
	}
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", d.target)
}

func (d *recorder) asked() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.addrs, ",")
}

// TestDialContext: refusals happen before any dial, and what is dialled is
// the checked IP, never the name.
func TestDialContext(t *testing.T) {
	allow10 := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name     string
		allow    []netip.Prefix
		addr     string
		wantDial string
		blocked  string // substring of the BlockedError reason; "" = not refused by the guard
	}{
		{"public name", nil, "public.example.com:443", "8.8.8.8:443", ""},
		{"public v6 name", nil, "public6.example.com:443", "[2606:4700::1111]:443", ""},
		{"public literal", nil, "8.8.4.4:443", "8.8.4.4:443", ""},
		{"loopback name", nil, "loop.example.com:443", "", "loopback"},
		{"private name", nil, "private.example.com:443", "", "private 10.0.0.0/8"},
		{"metadata name", nil, "meta.example.com:80", "", "cloud metadata"},
		{"mapped answer", nil, "mapped.example.com:443", "", "IPv4-mapped"},
		{"rebinding answer", nil, "rebind.example.com:443", "", "loopback"},
		{"decimal literal", nil, "2130706433:443", "", "loopback"},
		{"hex literal", nil, "0x7f.1:443", "", "loopback"},
		{"v6 loopback literal", nil, "[::1]:443", "", "loopback"},
		{"allowed private name", allow10, "private.example.com:443", "10.1.2.3:443", ""},
		{"allowance does not cover loopback", allow10, "loop.example.com:443", "", "loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &recorder{}
			g := New(Options{AllowCIDRs: tt.allow, Resolver: resolver(), Dial: d.Dial})
			_, err := g.DialContext(context.Background(), "tcp", tt.addr)
			var be *BlockedError
			if tt.blocked != "" {
				if !errors.As(err, &be) || !strings.Contains(be.Reason, tt.blocked) {
					t.Fatalf("err = %v, want a BlockedError naming %q", err, tt.blocked)
				}
			} else if errors.As(err, &be) {
				t.Fatalf("refused: %v", err)
			}
			if got := d.asked(); got != tt.wantDial {
				t.Fatalf("dialled %q, want %q", got, tt.wantDial)
			}
		})
	}
	t.Run("unknown and empty names", func(t *testing.T) {
		for _, host := range []string{"nowhere.example.com", "empty.example.com"} {
			d := &recorder{}
			g := New(Options{Resolver: resolver(), Dial: d.Dial})
			_, err := g.DialContext(context.Background(), "tcp", host+":443")
			var dnsErr *net.DNSError
			if !errors.As(err, &dnsErr) || d.asked() != "" {
				t.Errorf("%s: err = %v, dialled %q; want a DNS error and no dial", host, err, d.asked())
			}
		}
	})
	t.Run("literals need no resolver", func(t *testing.T) {
		res := resolver()
		g := New(Options{Resolver: res, Dial: (&recorder{}).Dial})
		g.DialContext(context.Background(), "tcp", "10.0.0.1:443")
		g.DialContext(context.Background(), "tcp", "8.8.8.8:443")
		if n := res.calls.Load(); n != 0 {
			t.Errorf("resolver called %d times for literal hosts", n)
		}
	})
}

// TestControlHook exercises the default dialer's second check directly.
func TestControlHook(t *testing.T) {
	g := New(Options{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}})
	tests := []struct {
		name    string
		address string
		refused bool
	}{
		{"loopback", "127.0.0.1:443", true},
		{"private", "192.168.0.10:443", true},
		{"metadata", "169.254.169.254:80", true},
		{"v6 loopback", "[::1]:443", true},
		{"mapped private", "[::ffff:10.0.0.1]:443", true},
		{"public", "8.8.8.8:443", false},
		{"allowed private", "10.9.1.1:443", false},
		{"garbage", "not-an-address", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := g.control("tcp", tt.address, nil)
			if (err != nil) != tt.refused {
				t.Fatalf("control(%q) = %v, refused want %v", tt.address, err, tt.refused)
			}
		})
	}
}

// TestClientRedirects: the guarded client re-checks every redirect target
// and never dials a refused one. The only server is a loopback listener,
// reached through an allowance for the name's loopback address.
func TestClientRedirects(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("ok"))
		case "/to-private":
			http.Redirect(w, r, "https://10.0.0.1/ok", http.StatusFound)
		case "/to-private-name":
			http.Redirect(w, r, "https://private.example.com/ok", http.StatusFound)
		case "/to-http":
			http.Redirect(w, r, "http://loop.example.com/ok", http.StatusFound)
		default:
			http.Redirect(w, r, "/ok", http.StatusFound)
		}
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	loop := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	tests := []struct {
		name, path   string
		maxRedirects int
		want         func(error) bool
	}{
		{"no redirect", "/ok", 0, func(err error) bool { return err == nil }},
		{"followed redirect", "/hop", 1, func(err error) bool { return err == nil }},
		{"redirect not followed when none allowed", "/hop", 0, func(err error) bool { var re *RedirectError; return errors.As(err, &re) }},
		{"redirect to private literal", "/to-private", 3, func(err error) bool { var be *BlockedError; return errors.As(err, &be) }},
		{"redirect to private name", "/to-private-name", 3, func(err error) bool { var be *BlockedError; return errors.As(err, &be) }},
		{"redirect to http", "/to-http", 3, func(err error) bool { var se *SchemeError; return errors.As(err, &se) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &recorder{target: srv.Listener.Addr().String()}
			g := New(Options{AllowCIDRs: loop, RootCAs: pool, Resolver: resolver(), Dial: d.Dial, MaxRedirects: tt.maxRedirects})
			resp, err := g.Client().Get("https://" + net.JoinHostPort("loop.example.com", port) + tt.path)
			if err == nil {
				resp.Body.Close()
			}
			if !tt.want(err) {
				t.Fatalf("err = %v", err)
			}
			for _, a := range strings.Split(d.asked(), ",") {
				if !strings.HasPrefix(a, "127.0.0.1:") {
					t.Errorf("dialled %s; only the loopback server may be dialled", a)
				}
			}
		})
	}
}

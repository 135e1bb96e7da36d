// Package egress is the one way the server reaches out to hosts a customer
// named (image URLs today, webhook endpoints next). Every connection goes
// through Guard's dialer, which resolves the name itself, refuses the host if
// any of its addresses is non-public (loopback, private, link-local, metadata,
// …) and then dials only the addresses it checked, so neither DNS rebinding
// nor a redirect gets past the check.
package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// Resolver looks names up; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Options configures a Guard. Zero fields take the defaults noted.
type Options struct {
	// AllowCIDRs are exempt from the non-public refusal (WW_FETCH_ALLOW_CIDRS).
	AllowCIDRs []netip.Prefix
	// RootCAs verifies servers; nil means the system roots (plus WW_FETCH_CA
	// when the caller built the pool from it).
	RootCAs *x509.CertPool
	// Resolver looks names up; nil means net.DefaultResolver.
	Resolver Resolver
	// Dial connects to an already checked IP:port; nil means a net.Dialer
	// with ConnectTimeout and an address re-check in its Control hook.
	// Tests replace it to prove a refusal happens without any dial.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// ConnectTimeout bounds each dial and TLS handshake (5 s).
	ConnectTimeout time.Duration
	// MaxRedirects is how many redirects Client follows; each must be https
	// and is checked like the first URL. 0 means none are followed.
	MaxRedirects int
}

// Guard is the guarded dialer and the HTTP client built on it; it is safe
// for concurrent use.
type Guard struct {
	o        Options
	resolver Resolver
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	client   *http.Client
}

// New builds a Guard.
func New(o Options) *Guard {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	g := &Guard{o: o, resolver: o.Resolver, dial: o.Dial}
	if g.resolver == nil {
		g.resolver = net.DefaultResolver
	}
	if g.dial == nil {
		d := &net.Dialer{Timeout: o.ConnectTimeout, Control: g.control}
		g.dial = d.DialContext
	}
	tr := &http.Transport{
		// No proxy: a proxy would connect on our behalf, past the guard.
		Proxy:                  nil,
		DialContext:            g.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    o.ConnectTimeout,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	g.client = &http.Client{Transport: tr, CheckRedirect: g.checkRedirect}
	return g
}

// Client is the guarded HTTP client. It has no overall time-out: callers
// bound each request with their context.
func (g *Guard) Client() *http.Client { return g.client }

// BlockedError is the guard's refusal of a non-public address.
type BlockedError struct{ Reason string }

func (e *BlockedError) Error() string { return "refused non-public address: " + e.Reason }

// SchemeError is a redirect to something other than https.
type SchemeError struct{ Scheme string }

func (e *SchemeError) Error() string {
	return "redirect to non-https scheme " + strconv.Quote(e.Scheme)
}

// RedirectError is one redirect too many.
type RedirectError struct{ N int }

func (e *RedirectError) Error() string { return fmt.Sprintf("stopped after %d redirects", e.N) }

// Allowed is the address check shared by every path that connects: nil, or
// a *BlockedError naming the range.
func (g *Guard) Allowed(a netip.Addr) error {
	a = a.WithZone("")
	for _, p := range g.o.AllowCIDRs {
		if p.Contains(a) || p.Contains(a.Unmap()) {
			return nil
		}
	}
	if ok, why := Classify(a); !ok {
		return &BlockedError{why}
	}
	return nil
}

// CheckHost refuses a URL host that is a non-public IP literal, in any of the
// forms ParseHost reads, before anything is resolved or dialled. Names pass
// here and are checked after resolution, in DialContext.
func (g *Guard) CheckHost(host string) error {
	if a, ok := ParseHost(host); ok {
		return g.Allowed(a)
	}
	return nil
}

// DialContext resolves the host itself, checks every address, and dials the
// checked IPs only, never the name, so what is checked is what is reached.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if a, ok := ParseHost(host); ok {
		ips = []netip.Addr{a}
	} else {
		ips, err = g.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
	}
	// One bad address refuses the host: a resolver answer mixing public and
	// private addresses is a rebinding attempt, not a fallback list.
	for _, ip := range ips {
		if err := g.Allowed(ip); err != nil {
			return nil, err
		}
	}
	var firstErr error
	for _, ip := range ips {
		dctx, cancel := context.WithTimeout(ctx, g.o.ConnectTimeout)
		conn, err := g.dial(dctx, "tcp", net.JoinHostPort(ip.Unmap().WithZone("").String(), port))
		cancel()
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// control re-checks the socket's address just before connect: a second line
// of defence should any path hand the default dialer an unchecked address.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{"unparsable address"}
	}
	return g.Allowed(ap.Addr())
}

func (g *Guard) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > g.o.MaxRedirects {
		return &RedirectError{g.o.MaxRedirects}
	}
	if req.URL.Scheme != "https" {
		return &SchemeError{req.URL.Scheme}
	}
	return g.CheckHost(req.URL.Hostname())
}

package images

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/walletwallet/walletwallet"
)

// FetchOptions configures a Fetcher. Zero fields take the defaults noted.
type FetchOptions struct {
	// AllowCIDRs are exempt from the private-address refusal (WW_FETCH_ALLOW_CIDRS).
	AllowCIDRs []netip.Prefix
	// RootCAs verifies servers; nil means the system roots.
	RootCAs *x509.CertPool
	// Resolver looks names up; nil means net.DefaultResolver.
	Resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
	// Dial connects to an already checked IP:port; nil means a net.Dialer
	// with ConnectTimeout and an address re-check in its Control hook.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// ConnectTimeout bounds each dial (5 s); TotalTimeout the whole fetch,
	// redirects and body included (10 s).
	ConnectTimeout, TotalTimeout time.Duration
	// MaxBytes is the largest body accepted (5 MiB).
	MaxBytes int64
	// MaxRedirects is how many redirects are followed (3).
	MaxRedirects int
}

// Fetcher downloads images over HTTPS without ever connecting to a non-public
// address: every address is checked after resolution, at dial time, so
// neither DNS rebinding nor redirects get around the check.
type Fetcher struct {
	o        FetchOptions
	resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	client *http.Client
}

// NewFetcher builds a Fetcher; it is safe for concurrent use.
func NewFetcher(o FetchOptions) *Fetcher {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.TotalTimeout <= 0 {
		o.TotalTimeout = 10 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = MaxBytes
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 3
	}
	f := &Fetcher{o: o, resolver: o.Resolver, dial: o.Dial}
	if f.resolver == nil {
		f.resolver = net.DefaultResolver
	}
	if f.dial == nil {
		d := &net.Dialer{Timeout: o.ConnectTimeout, Control: f.control}
		f.dial = d.DialContext
	}
	tr := &http.Transport{
		// No proxy: a proxy would connect on our behalf, past the guard.
		Proxy:                  nil,
		DialContext:            f.guardedDial,
		TLSClientConfig:        &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    o.ConnectTimeout,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	f.client = &http.Client{Transport: tr, CheckRedirect: f.checkRedirect}
	return f
}

// blockedError is the guard's refusal; Fetch turns it into the client message.
type blockedError struct{ reason string }

func (e *blockedError) Error() string { return "refused non-public address: " + e.reason }

// schemeError is a redirect to something other than https.
type schemeError struct{ scheme string }

func (e *schemeError) Error() string {
	return "redirect to non-https scheme " + strconv.Quote(e.scheme)
}

// redirectError is one redirect too many.
type redirectError struct{ n int }

func (e *redirectError) Error() string { return fmt.Sprintf("stopped after %d redirects", e.n) }

// allowed is the address check shared by every path that connects.
func (f *Fetcher) allowed(a netip.Addr) error {
	a = a.WithZone("")
	for _, p := range f.o.AllowCIDRs {
		if p.Contains(a) || p.Contains(a.Unmap()) {
			return nil
		}
	}
	if ok, why := Classify(a); !ok {
		return &blockedError{why}
	}
	return nil
}

// checkHost refuses a URL whose host is a non-public IP literal, before any connection.
func (f *Fetcher) checkHost(host string) error {
	if a, ok := ParseHost(host); ok {
		return f.allowed(a)
	}
	return nil
}

// guardedDial resolves the host itself, checks every address, and dials the
// checked IPs only, never the name, so what is checked is what is reached.
func (f *Fetcher) guardedDial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if a, ok := ParseHost(host); ok {
		ips = []netip.Addr{a}
	} else {
		ips, err = f.resolver.LookupNetIP(ctx, "ip", host)
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
		if err := f.allowed(ip); err != nil {
			return nil, err
		}
	}
	var firstErr error
	for _, ip := range ips {
		dctx, cancel := context.WithTimeout(ctx, f.o.ConnectTimeout)
		conn, err := f.dial(dctx, "tcp", net.JoinHostPort(ip.Unmap().WithZone("").String(), port))
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
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &blockedError{"unparsable address"}
	}
	return f.allowed(ap.Addr())
}

func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.o.MaxRedirects {
		return &redirectError{f.o.MaxRedirects}
	}
	if req.URL.Scheme != "https" {
		return &schemeError{req.URL.Scheme}
	}
	return f.checkHost(req.URL.Hostname())
}

// Fetch downloads rawURL and returns its bytes, which are a PNG or JPEG of at
// most MaxBytes. field names the request field in client errors
// (*walletwallet.Error EINVALID); a cancelled ctx is returned as is.
func (f *Fetcher) Fetch(ctx context.Context, field, rawURL string) (_ []byte, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "%s is not a valid URL", field)
	}
	if u.Scheme != "https" {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "URL must use HTTPS protocol (%s)", field)
	}
	if u.Hostname() == "" {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "%s is not a valid URL: no host", field)
	}
	if err := f.checkHost(u.Hostname()); err != nil {
		return nil, f.clientError(ctx, field, err)
	}
	tctx, cancel := context.WithTimeout(ctx, f.o.TotalTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(tctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "%s is not a valid URL", field)
	}
	req.Header.Set("Accept", "image/png, image/jpeg")
	req.Header.Set("User-Agent", "WalletWallet-image-fetcher/1")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, f.clientError(ctx, field, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "%s could not be fetched: HTTP %d", field, resp.StatusCode)
	}
	if resp.ContentLength > f.o.MaxBytes {
		return nil, tooLargeN(field, f.o.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.o.MaxBytes+1))
	if err == nil && tctx.Err() != nil {
		// Over HTTP/2 a body can end cleanly in the same instant the
		// deadline cancels the stream: what arrived late is still late.
		err = tctx.Err()
	}
	if err != nil {
		return nil, f.clientError(ctx, field, err)
	}
	if int64(len(body)) > f.o.MaxBytes {
		return nil, tooLargeN(field, f.o.MaxBytes)
	}
	if sniff(body) == formatUnknown {
		return nil, notImage(field)
	}
	return body, nil
}

func tooLargeN(field string, n int64) error {
	if n == MaxBytes {
		return tooLarge(field)
	}
	return walletwallet.Errorf(walletwallet.EINVALID, "%s is larger than %d bytes", field, n)
}

// clientError turns a transport failure into the message the client sees.
// The client supplied the URL, so saying why it failed is useful and leaks
// nothing of ours; resolved addresses are never named.
func (f *Fetcher) clientError(ctx context.Context, field string, err error) error {
	var (
		be    *blockedError
		se    *schemeError
		re    *redirectError
		dnsE  *net.DNSError
		certE *tls.CertificateVerificationError
		hostE x509.HostnameError
		authE x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &be):
		return walletwallet.Errorf(walletwallet.EINVALID, "%s resolves to a private address (%s)", field, be.reason)
	case errors.As(err, &se):
		return walletwallet.Errorf(walletwallet.EINVALID, "URL must use HTTPS protocol (%s redirects to a %s: URL)", field, se.scheme)
	case errors.As(err, &re):
		return walletwallet.Errorf(walletwallet.EINVALID, "%s could not be fetched: more than %d redirects", field, re.n)
	case ctx.Err() != nil:
		// Our caller gave up; that is not the client's URL's fault.
		return fmt.Errorf("images: fetch %s: %w", field, ctx.Err())
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return walletwallet.Errorf(walletwallet.EINVALID, "%s could not be fetched: timed out after %s", field, f.o.TotalTimeout)
	case errors.As(err, &dnsE):
		return walletwallet.Errorf(walletwallet.EINVALID, "%s could not be fetched: host %s not found", field, dnsE.Name)
	case errors.As(err, &certE), errors.As(err, &hostE), errors.As(err, &authE):
		return walletwallet.Errorf(walletwallet.EINVALID, "%s could not be fetched: the server's TLS certificate is not trusted", field)
	case strings.Contains(err.Error(), "tls:"):
		return walletwallet.Errorf(walletwallet.EINVALID, "%s could not be fetched: TLS handshake failed", field)
	}
	return walletwallet.Errorf(walletwallet.EINVALID, "%s could not be fetched: connection failed", field)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

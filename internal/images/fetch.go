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
	"strings"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/egress"
)

// FetchOptions configures a Fetcher. Zero fields take the defaults noted.
type FetchOptions struct {
	// AllowCIDRs are exempt from the private-address refusal (WW_FETCH_ALLOW_CIDRS).
	AllowCIDRs []netip.Prefix
	// RootCAs verifies servers; nil means the system roots.
	RootCAs *x509.CertPool
	// Resolver looks names up; nil means net.DefaultResolver.
	Resolver egress.Resolver
	// Dial connects to an already checked IP:port (see egress.Options.Dial).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// ConnectTimeout bounds each dial (5 s); TotalTimeout the whole fetch,
	// redirects and body included (10 s).
	ConnectTimeout, TotalTimeout time.Duration
	// MaxBytes is the largest body accepted (5 MiB).
	MaxBytes int64
	// MaxRedirects is how many redirects are followed (3).
	MaxRedirects int
}

// Fetcher downloads images over HTTPS through the egress guard, so it never
// connects to a non-public address (checked after resolution, at dial time,
// redirects included).
type Fetcher struct {
	o     FetchOptions
	guard *egress.Guard
}

// NewFetcher builds a Fetcher; it is safe for concurrent use.
func NewFetcher(o FetchOptions) *Fetcher {
	if o.TotalTimeout <= 0 {
		o.TotalTimeout = 10 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = MaxBytes
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 3
	}
	g := egress.New(egress.Options{
		AllowCIDRs:     o.AllowCIDRs,
		RootCAs:        o.RootCAs,
		Resolver:       o.Resolver,
		Dial:           o.Dial,
		ConnectTimeout: o.ConnectTimeout,
		MaxRedirects:   o.MaxRedirects,
	})
	return &Fetcher{o: o, guard: g}
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
	if err := f.guard.CheckHost(u.Hostname()); err != nil {
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
	resp, err := f.guard.Client().Do(req)
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
		be    *egress.BlockedError
		se    *egress.SchemeError
		re    *egress.RedirectError
		dnsE  *net.DNSError
		certE *tls.CertificateVerificationError
		hostE x509.HostnameError
		authE x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &be):
		return walletwallet.Errorf(walletwallet.EINVALID, "%s resolves to a private address (%s)", field, be.Reason)
	case errors.As(err, &se):
		return walletwallet.Errorf(walletwallet.EINVALID, "URL must use HTTPS protocol (%s redirects to a %s: URL)", field, se.Scheme)
	case errors.As(err, &re):
		return walletwallet.Errorf(walletwallet.EINVALID, "%s could not be fetched: more than %d redirects", field, re.N)
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

package push

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultBaseURL is Apple's production APNs endpoint (WW_APNS_URL's default).
const DefaultBaseURL = "https://api.push.apple.com"

// APNs reasons the fan-out acts on.
const (
	ReasonBadDeviceToken         = "BadDeviceToken"
	ReasonDeviceTokenNotForTopic = "DeviceTokenNotForTopic"
	ReasonUnregistered           = "Unregistered"
	ReasonExpiredProviderToken   = "ExpiredProviderToken"
	ReasonInvalidProviderToken   = "InvalidProviderToken"
)

// Result of one push.
type Result struct {
	Status int    // HTTP status APNs answered; 0 when Err is set
	Reason string // APNs' reason for a non-200 answer
	Err    error  // network or transport failure: nothing was answered
}

// Pusher sends one background push; the fan-out depends on this, not on Client.
type Pusher interface {
	Push(ctx context.Context, topic, deviceToken string) Result
}

// ClientOptions configures a Client.
type ClientOptions struct {
	BaseURL     string           // WW_APNS_URL; default DefaultBaseURL
	RootCAs     *x509.CertPool   // nil = system roots (the caller adds WW_APNS_CA)
	Certificate *tls.Certificate // client certificate auth (the pass signer)
	Token       *TokenAuth       // token auth instead (then no client certificate)
	Timeout     time.Duration    // per request; default 10 s
	// Connections is how many HTTP/2 connections pushes are spread over
	// (default 1). APNs allows up to 1,000 streams on each; more than one
	// helps only when a single TLS connection's CPU is the limit.
	Connections int
	// Now is the clock for provider tokens (tests); default time.Now.
	Now func() time.Time
}

// Client sends pushes to APNs over long-lived HTTP/2 connections.
type Client struct {
	base    string
	timeout time.Duration
	tokens  *tokenSource // nil with certificate auth
	// transports are used round robin; each keeps its own connection.
	transports []*http.Transport
	next       atomic.Uint64
}

// NewClient builds a Client on net/http's own HTTP/2 (Transport.HTTP2),
// which covers what APNs needs: HTTP/2 only, one dial per connection even
// under a burst, and pings so a dead connection is noticed instead of
// hanging requests.
func NewClient(o ClientOptions) (*Client, error) {
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("push: APNs URL %q: want https://host[:port]", o.BaseURL)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Connections <= 0 {
		o.Connections = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Certificate == nil && o.Token == nil {
		return nil, errors.New("push: APNs needs a client certificate or token auth")
	}
	c := &Client{
		base:    strings.TrimRight(o.BaseURL, "/"),
		timeout: o.Timeout,
	}
	if o.Token != nil {
		if c.tokens, err = newTokenSource(*o.Token, o.Now); err != nil {
			return nil, err
		}
	}
	for range o.Connections {
		cfg := &tls.Config{
			RootCAs:    o.RootCAs,
			MinVersion: tls.VersionTLS12,
		}
		// Token auth must not present a certificate: APNs would then bind
		// the connection to that certificate's topics.
		if o.Token == nil {
			cfg.Certificates = []tls.Certificate{*o.Certificate}
		}
		var h2only http.Protocols
		h2only.SetHTTP2(true) // APNs speaks nothing else
		c.transports = append(c.transports, &http.Transport{
			TLSClientConfig: cfg,
			Protocols:       &h2only,
			// The number of connections is ours to choose (Connections):
			// a burst before the first connection is up must wait for it,
			// not dial more.
			MaxConnsPerHost: 1,
			// Apple asks providers to keep connections open rather than
			// reconnect per burst, so an idle one is never closed here
			// (IdleConnTimeout 0); pings after 15 s of silence detect a
			// dead peer.
			TLSHandshakeTimeout: 10 * time.Second,
			HTTP2: &http.HTTP2Config{
				SendPingTimeout:  15 * time.Second,
				PingTimeout:      5 * time.Second,
				WriteByteTimeout: 10 * time.Second,
				// When a connection's stream limit is reached, queue on
				// it rather than open another.
				StrictMaxConcurrentRequests: true,
				// Every push has its own :path (/3/device/TOKEN, 111 bytes
				// of HPACK table for a 64-digit token), so with the usual
				// 4,096-byte table the encoder added a path per push and
				// evicted whatever was oldest, the repeating headers
				// included, to add them again: 17 % of the server's CPU
				// while draining a 100,000-device template change. No
				// table size keeps the repeating headers (≈ 450 bytes) but
				// not the paths, so none is kept: every header goes as a
				// literal, ≈ 200 bytes more a push.
				MaxEncoderHeaderTableSize: hpackTableSize,
			},
		})
	}
	return c, nil
}

// hpackTableSize is the request-header compression table each APNs
// connection keeps: smaller than any header, so nothing is indexed (the
// HTTP/2 configuration reads 0 as "the default").
const hpackTableSize = 1

// Close drops idle connections.
func (c *Client) Close() {
	for _, t := range c.transports {
		t.CloseIdleConnections()
	}
}

func (c *Client) transport() *http.Transport {
	if len(c.transports) == 1 {
		return c.transports[0]
	}
	return c.transports[c.next.Add(1)%uint64(len(c.transports))]
}

var emptyPayload = []byte("{}")

// Push sends one background push for topic (the pass type identifier) to
// deviceToken: POST {BaseURL}/3/device/{token}, body {}. With token auth, a
// rejected provider token is refreshed once and the push retried.
func (c *Client) Push(ctx context.Context, topic, deviceToken string) Result {
	jwt := ""
	if c.tokens != nil {
		var err error
		if jwt, err = c.tokens.token(); err != nil {
			return Result{Err: err}
		}
	}
	r := c.send(ctx, topic, deviceToken, jwt)
	if c.tokens != nil && r.Status == http.StatusForbidden &&
		(r.Reason == ReasonExpiredProviderToken || r.Reason == ReasonInvalidProviderToken) &&
		c.tokens.rejected(jwt) {
		if fresh, err := c.tokens.token(); err == nil && fresh != jwt {
			r = c.send(ctx, topic, deviceToken, fresh)
		}
	}
	return r
}

func (c *Client) send(ctx context.Context, topic, deviceToken, jwt string) Result {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		c.base+"/3/device/"+url.PathEscape(deviceToken), bytes.NewReader(emptyPayload))
	if err != nil {
		return Result{Err: fmt.Errorf("push: %w", err)}
	}
	h := req.Header
	h["Apns-Topic"] = []string{topic}
	h["Apns-Push-Type"] = []string{"background"}
	h["Apns-Priority"] = []string{"5"}
	h["Content-Type"] = []string{"application/json"}
	if jwt != "" {
		h["Authorization"] = []string{"bearer " + jwt}
	}
	resp, err := c.transport().RoundTrip(req)
	if err != nil {
		return Result{Err: fmt.Errorf("push: APNs request: %w", err)}
	}
	defer resp.Body.Close()
	res := Result{Status: resp.StatusCode}
	if resp.StatusCode == http.StatusOK {
		// Drain so the stream ends cleanly; a 200 carries no body.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return res
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		// The status is known; a broken body only costs the reason.
		return res
	}
	var e struct {
		Reason string `json:"reason"`
	}
	if json.Unmarshal(body, &e) == nil {
		res.Reason = e.Reason
	}
	return res
}

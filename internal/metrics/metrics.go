// Package metrics is the server's Prometheus registry: the contract's
// instruments (walletwallet_*) plus the Go runtime and process collectors,
// and the GET /metrics handler that serves them only to allowed networks.
//
// Every recording method is safe on a nil *Metrics, so packages that record
// take an optional value and tests that do not care pass nothing.
package metrics

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
)

// Push results (walletwallet_pushes_total{result}).
const (
	PushSent         = "sent"
	PushUnregistered = "unregistered"
	PushRetried      = "retried"
	PushFailed       = "failed"
)

// Webhook delivery results (walletwallet_webhook_deliveries_total{result}).
const (
	WebhookOK      = "ok"
	WebhookRetried = "retried"
	WebhookFailed  = "failed"
)

// PendingCounter reports the push jobs not yet done (the store).
type PendingCounter interface {
	PendingPushJobs(ctx context.Context) (int, error)
}

// Metrics holds the registry and its instruments.
type Metrics struct {
	reg         *prometheus.Registry
	httpReqs    *prometheus.CounterVec
	httpDur     *prometheus.HistogramVec
	created     prometheus.Counter
	updated     prometheus.Counter
	pushes      *prometheus.CounterVec
	webhooks    *prometheus.CounterVec
	signSeconds prometheus.Histogram
}

// New builds the registry. pending, if not nil, is read at each scrape for
// walletwallet_push_jobs_pending: one indexed count per scrape is cheaper
// and never drifts, unlike a gauge every enqueue and completion must adjust
// on every instance.
func New(pending PendingCounter) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpReqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "walletwallet_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		httpDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "walletwallet_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		created: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "walletwallet_passes_created_total",
			Help: "Passes created.",
		}),
		updated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "walletwallet_passes_updated_total",
			Help: "Pass updates that produced a new version (unchanged bodies are not counted).",
		}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "walletwallet_pushes_total",
			Help: "APNs push attempts by result: sent, unregistered (token dead, registrations removed), retried, failed.",
		}, []string{"result"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "walletwallet_webhook_deliveries_total",
			Help: "Webhook delivery attempts by result: ok, retried, failed.",
		}, []string{"result"}),
		signSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "walletwallet_sign_duration_seconds",
			Help:    "Time to build and sign one .pkpass.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	m.reg.MustRegister(m.httpReqs, m.httpDur, m.created, m.updated, m.pushes, m.webhooks, m.signSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every result label exists from the start, so a rate() over a result
	// that has not happened yet reads 0 rather than "no data".
	for _, r := range []string{PushSent, PushUnregistered, PushRetried, PushFailed} {
		m.pushes.WithLabelValues(r)
	}
	for _, r := range []string{WebhookOK, WebhookRetried, WebhookFailed} {
		m.webhooks.WithLabelValues(r)
	}
	if pending != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "walletwallet_push_jobs_pending",
			Help: "Push fan-out jobs not yet done, read from the database at scrape time.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := pending.PendingPushJobs(ctx)
			if err != nil {
				return -1 // visible as impossible rather than a plausible 0
			}
			return float64(n)
		}))
	}
	return m
}

// Registry is the underlying registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveHTTP records one answered request. route must be a route pattern
// (or a fixed placeholder), never a raw path, to keep the label set bounded.
func (m *Metrics) ObserveHTTP(route string, code int, d time.Duration) {
	if m == nil {
		return
	}
	m.httpReqs.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.httpDur.WithLabelValues(route).Observe(d.Seconds())
}

// PassesCreated counts n created passes.
func (m *Metrics) PassesCreated(n int) {
	if m == nil {
		return
	}
	m.created.Add(float64(n))
}

// PassUpdated counts one new version of a pass.
func (m *Metrics) PassUpdated() {
	if m == nil {
		return
	}
	m.updated.Inc()
}

// Push counts one push outcome (PushSent, PushUnregistered, PushRetried, PushFailed).
func (m *Metrics) Push(result string) {
	if m == nil {
		return
	}
	m.pushes.WithLabelValues(result).Inc()
}

// WebhookDelivery counts one delivery outcome (WebhookOK, WebhookRetried, WebhookFailed).
func (m *Metrics) WebhookDelivery(result string) {
	if m == nil {
		return
	}
	m.webhooks.WithLabelValues(result).Inc()
}

// ObserveSign records the time one pass took to build and sign.
func (m *Metrics) ObserveSign(d time.Duration) {
	if m == nil {
		return
	}
	m.signSeconds.Observe(d.Seconds())
}

// Handler serves the registry in the Prometheus text format to clients
// whose TCP peer address lies in allowed, and the project's JSON 404 to
// everyone else, so the endpoint's existence is not advertised. The peer
// address is r.RemoteAddr, never a forwarded header a client could forge.
func (m *Metrics) Handler(allowed []netip.Prefix) http.Handler {
	prom := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return jsonhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if !Allowed(r.RemoteAddr, allowed) {
			return walletwallet.Errorf(walletwallet.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path)
		}
		prom.ServeHTTP(w, r)
		return nil
	})
}

// Allowed reports whether the host of remoteAddr ("ip:port") is in one of
// the prefixes. IPv4-mapped IPv6 peers are compared as IPv4.
func Allowed(remoteAddr string, allowed []netip.Prefix) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap().WithZone("")
	for _, p := range allowed {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

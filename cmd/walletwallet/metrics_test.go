package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/walletwallet/walletwallet/internal/push/apnstest"
)

// scrape reads GET /metrics over HTTP and parses it with the Prometheus
// text parser.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	r := call(t, "GET", base+"/metrics", "")
	if r.status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", r.status, r.body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, r.body)
	}
	return fams
}

// value is the counter, gauge or histogram count of the series of name
// whose labels include want, and whether that series exists.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetrics: after a POST, a device registration and a changed PUT, the
// scraped counters moved, routes are labelled by pattern (never the serial),
// and the push the PUT caused is counted as sent.
func TestMetrics(t *testing.T) {
	double := apnstest.NewServer()
	defer double.Close()
	env := testEnv(t, double)
	srv := startServer(t, env)
	key := newKey(t, env)

	before := scrape(t, srv.URL)
	if v, ok := value(before, "walletwallet_passes_created_total", nil); !ok || v != 0 {
		t.Fatalf("created before any POST: %v %v", v, ok)
	}

	r := call(t, "POST", srv.URL+"/api/pkpass", bayroast, bearer(key), jsonCT)
	if r.status != 200 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	serial := r.header.Get("X-Serial-Number")
	token := unzipJSON(t, r.body)["authenticationToken"].(string)
	regURL := srv.URL + "/v1/devices/device-1/registrations/" + devPassType + "/" + serial
	if r := call(t, "POST", regURL, `{"pushToken":"aabbcc01"}`, "Authorization: ApplePass "+token); r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	changed := strings.Replace(bayroast, `"value": "250"`, `"value": "500"`, 1)
	if r := call(t, "PUT", srv.URL+"/api/pkpass/"+serial, changed, bearer(key), jsonCT); r.status != 200 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	// The same body again is no new version and must not count as one.
	if r := call(t, "PUT", srv.URL+"/api/pkpass/"+serial, changed, bearer(key), jsonCT); r.status != 200 {
		t.Fatalf("PUT unchanged: %d %s", r.status, r.body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := double.WaitCount(ctx, 1); err != nil {
		t.Fatalf("no push arrived: %v", err)
	}

	// The push is counted after APNs' answer is read: poll briefly.
	var fams map[string]*dto.MetricFamily
	for deadline := time.Now().Add(10 * time.Second); ; {
		fams = scrape(t, srv.URL)
		if v, _ := value(fams, "walletwallet_pushes_total", map[string]string{"result": "sent"}); v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pushes_total{result=sent} never reached 1")
		}
		time.Sleep(50 * time.Millisecond)
	}

	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"walletwallet_passes_created_total", nil, 1},
		{"walletwallet_passes_updated_total", nil, 1},
		{"walletwallet_http_requests_total", map[string]string{"route": "POST /api/pkpass", "code": "200"}, 1},
		{"walletwallet_http_requests_total", map[string]string{"route": "PUT /api/pkpass/{serial}", "code": "200"}, 2},
		{"walletwallet_http_request_duration_seconds", map[string]string{"route": "PUT /api/pkpass/{serial}"}, 2},
		{"walletwallet_http_requests_total", map[string]string{"route": "GET /metrics", "code": "200"}, 1}, // at least the first scrape
		{"walletwallet_sign_duration_seconds", nil, 2},                                                     // the POST and the changed PUT
		{"walletwallet_pushes_total", map[string]string{"result": "failed"}, 0},
		{"walletwallet_webhook_deliveries_total", map[string]string{"result": "ok"}, 0},
	}
	for _, c := range checks {
		v, ok := value(fams, c.name, c.labels)
		if !ok {
			t.Errorf("%s%v missing", c.name, c.labels)
			continue
		}
		if c.name == "walletwallet_http_requests_total" && c.labels["route"] == "GET /metrics" {
			if v < c.want {
				t.Errorf("%s%v = %v, want at least %v", c.name, c.labels, v, c.want)
			}
			continue
		}
		if v != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, v, c.want)
		}
	}
	if _, ok := value(fams, "walletwallet_push_jobs_pending", nil); !ok {
		t.Error("walletwallet_push_jobs_pending missing")
	}
	if _, ok := value(fams, "go_goroutines", nil); !ok {
		t.Error("Go runtime collector missing (go_goroutines)")
	}
	for _, m := range fams["walletwallet_http_requests_total"].Metric {
		for _, l := range m.Label {
			if strings.Contains(l.GetValue(), serial) {
				t.Errorf("a label carries the raw path: %s=%q", l.GetName(), l.GetValue())
			}
		}
	}
}

// TestMetricsRefusedOutsideAllowedNetworks: with the allowed networks set to
// a range that excludes loopback, the loopback client gets the JSON 404 of
// an unknown route, and the rest of the server still answers.
func TestMetricsRefusedOutsideAllowedNetworks(t *testing.T) {
	env := testEnv(t, nil)
	env["WW_METRICS_ALLOWED_NETWORKS"] = "10.255.255.0/24"
	srv := startServer(t, env)
	r := call(t, "GET", srv.URL+"/metrics", "")
	if r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /metrics from outside: %d %v %s", r.status, r.header, r.body)
	}
	if msg, _ := r.json(t)["error"].(string); !strings.Contains(msg, "no route") {
		t.Errorf("404 body: %s", r.body)
	}
	if bytes.Contains(r.body, []byte("walletwallet_")) {
		t.Errorf("metrics leaked: %s", r.body)
	}
	if r := call(t, "GET", srv.URL+"/healthz", ""); r.status != http.StatusOK {
		t.Errorf("healthz: %d %s", r.status, r.body)
	}
}

// TestMetricsBadNetworkIsStartupError: a bad range stops serve before it
// listens, naming the variable.
func TestMetricsBadNetworkIsStartupError(t *testing.T) {
	env := testEnv(t, nil)
	env["WW_METRICS_ALLOWED_NETWORKS"] = "127.0.0.0/8,not-a-range"
	_, stderr, code := cli(env, "serve")
	if code == 0 || !strings.Contains(stderr, "WW_METRICS_ALLOWED_NETWORKS") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
}

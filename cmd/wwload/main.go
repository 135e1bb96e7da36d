// Command wwload drives a running walletwallet server with POST /api/pkpass
// (or changed PUTs) at a fixed concurrency for a fixed number of requests,
// and reports throughput and latency percentiles. It only talks to the URL
// it is given; point it at a server on loopback.
//
//	wwload -url http://127.0.0.1:8080 -key ww_live_… -c 8 -n 2000 [-body file.json] [-mode post|put|get] [-passes K] [-client raw|std]
//	wwload -mode sign -n 3000 [-signer go|build]    RSA-2048 signatures/s on every core, no server
//	wwload -mode disk -n 300 [-dir DIR]              the CPU and wait of a commit's writes and fsync on DIR's disk
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const defaultBody = `{ "barcodeValue": "LOYALTY-98765", "barcodeFormat": "QR", "logoText": "Bayroast Coffee", "organizationName": "Bayroast Coffee Co.", "description": "Bayroast loyalty card", "primaryFields": [{"label": "CARD", "value": "Coffee Rewards"}], "secondaryFields": [ { "label": "POINTS", "value": "250", "changeMessage": "You now have %@ points" }, {"label": "TIER", "value": "Gold"} ], "headerFields": [{"label": "BALANCE", "value": "$25.00"}], "backFields": [ {"label": "TERMS", "value": "Points expire after 90 days of inactivity."}, {"label": "SUPPORT", "value": "https://example.com/help"} ], "locations": [ {"latitude": 37.331741, "longitude": -122.030333, "relevantText": "Welcome back to Bayroast"} ], "colorPreset": "dark", "expirationDays": 365 }`

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "server base URL")
	key := flag.String("key", os.Getenv("WW_KEY"), "API key (or WW_KEY)")
	conc := flag.Int("c", 8, "concurrent clients")
	n := flag.Int("n", 1000, "requests in total")
	bodyFile := flag.String("body", "", "request JSON file (default: the API page's Bayroast example)")
	mode := flag.String("mode", "post", "post: create passes; put: changed PUTs to one pass; get: GET /v1/passes of one pass; sign: RSA ceiling, no server; disk: the cost of a commit's writes and fsync")
	signer := flag.String("signer", "go", "with -mode sign: go (Go's crypto/rsa) or build (this build's pass signer)")
	warm := flag.Int("warmup", 20, "requests sent first and not counted")
	passes := flag.Int("passes", 1, "with -mode put: how many passes the PUTs go to, in turn (each one account's)")
	dir := flag.String("dir", os.TempDir(), "with -mode disk: a folder on the disk to measure (the server's data folder)")
	clientKind := flag.String("client", "raw", "raw: a minimal keep-alive HTTP/1.1 client (less of the shared CPU); std: net/http's client")
	flag.Parse()
	if *mode == "disk" {
		if err := diskCost(os.Stdout, *dir, *n); err != nil {
			fail(err)
		}
		return
	}
	if *mode == "sign" {
		if err := signCeiling(*n, *signer); err != nil {
			fail(err)
		}
		return
	}
	body := []byte(defaultBody)
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			fail(err)
		}
		body = b
	}
	send, err := newSender(*clientKind, *url, *key, *conc)
	if err != nil {
		fail(err)
	}
	if *passes < 1 {
		fail(fmt.Errorf("-passes must be 1 or more"))
	}
	req, err := newRequester(send, *url, *mode, body, *passes)
	if err != nil {
		fail(err)
	}
	for i := 0; i < *warm; i++ {
		if _, err := req(i); err != nil {
			fail(err)
		}
	}
	lat := make([]time.Duration, *n)
	var next atomic.Int64
	var errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				t0 := time.Now()
				if _, err := req(*warm + i); err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	fmt.Printf("mode=%s client=%s c=%d n=%d elapsed=%.2fs throughput=%.1f req/s p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms errors=%d\n",
		*mode, *clientKind, *conc, *n, elapsed.Seconds(), float64(*n)/elapsed.Seconds(),
		ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(lat[len(lat)-1]), errs.Load())
	if errs.Load() > 0 {
		fmt.Fprintln(os.Stderr, "first error:", firstErr.Load())
		os.Exit(1)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "wwload:", err)
	os.Exit(1)
}

// sendFunc sends one request (hdr: name, value, …) and returns the body and
// the answer's headers; a status other than 2xx is an error.
type sendFunc func(method, url string, b []byte, hdr ...string) ([]byte, http.Header, error)

// newSender returns the client that sends every request: kind raw or std.
func newSender(kind, base, key string, conc int) (sendFunc, error) {
	auth := "Bearer " + key
	switch kind {
	case "raw":
		rc, err := newRawClient(base)
		if err != nil {
			return nil, err
		}
		want := []string{"X-Serial-Number"}
		return func(method, u string, b []byte, hdr ...string) ([]byte, http.Header, error) {
			h := hdr
			if !slices.Contains(hdr, "Authorization") { // the caller's own (ApplePass) wins
				h = append([]string{"Authorization", auth}, hdr...)
			}
			if b != nil {
				h = append(h, "Content-Type", "application/json")
			}
			status, got, out, err := rc.do(method, strings.TrimPrefix(u, base), b, h, want)
			if err != nil {
				return nil, nil, err
			}
			if status/100 != 2 {
				return nil, nil, fmt.Errorf("%s %s: %d %s", method, u, status, out)
			}
			res := http.Header{}
			for k, v := range got {
				res.Set(k, v)
			}
			return out, res, nil
		}, nil
	case "std":
	default:
		return nil, fmt.Errorf("unknown -client %q (raw or std)", kind)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2}, Timeout: 60 * time.Second}
	return func(method, url string, b []byte, hdr ...string) ([]byte, http.Header, error) {
		var rd io.Reader
		if b != nil {
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Authorization", auth)
		if b != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer res.Body.Close()
		out, err := io.ReadAll(res.Body)
		if err != nil {
			return nil, nil, err
		}
		if res.StatusCode/100 != 2 {
			return nil, nil, fmt.Errorf("%s %s: %d %s", method, url, res.StatusCode, out)
		}
		return out, res.Header, nil
	}, nil
}

// newRequester returns the function that sends request number i.
func newRequester(send sendFunc, base, mode string, body []byte, passes int) (func(i int) ([]byte, error), error) {
	switch mode {
	case "post":
		return func(int) ([]byte, error) {
			b, _, err := send("POST", base+"/api/pkpass", body)
			return b, err
		}, nil
	case "put", "get":
		blob, hdr, err := send("POST", base+"/api/pkpass", body)
		if err != nil {
			return nil, err
		}
		serial := hdr.Get("X-Serial-Number")
		if mode == "put" {
			serials := []string{serial}
			for len(serials) < passes {
				_, hdr, err := send("POST", base+"/api/pkpass", body)
				if err != nil {
					return nil, err
				}
				serials = append(serials, hdr.Get("X-Serial-Number"))
			}
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, err
			}
			return func(i int) ([]byte, error) {
				// Each PUT changes a back field so it is a real change; the
				// workers share m, so each changes its own copy.
				c := maps.Clone(m)
				c["backFields"] = []map[string]string{{"label": "N", "value": strconv.Itoa(i)}}
				b, _ := json.Marshal(c)
				out, _, err := send("PUT", base+"/api/pkpass/"+serials[i%len(serials)], b)
				return out, err
			}, nil
		}
		pj, err := passJSON(blob)
		if err != nil {
			return nil, err
		}
		url := fmt.Sprintf("%s/v1/passes/%s/%s", base, pj.PassTypeIdentifier, serial)
		return func(int) ([]byte, error) {
			b, _, err := send("GET", url, nil, "Authorization", "ApplePass "+pj.AuthenticationToken)
			return b, err
		}, nil
	}
	return nil, fmt.Errorf("unknown -mode %q", strings.TrimSpace(mode))
}

type passInfo struct {
	PassTypeIdentifier  string `json:"passTypeIdentifier"`
	AuthenticationToken string `json:"authenticationToken"`
}

// passJSON reads pass.json out of a .pkpass.
func passJSON(blob []byte) (*passInfo, error) {
	zr, err := zip.NewReader(bytes.NewReader(blob), int64(len(blob)))
	if err != nil {
		return nil, err
	}
	f, err := zr.Open("pass.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var pi passInfo
	return &pi, json.NewDecoder(f).Decode(&pi)
}

package api_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/images"
)

// cdnResolver sends the test's image host (example.com, a name the httptest
// certificate covers) to loopback; every other name fails,
// so nothing leaves the machine.
type cdnResolver struct{}

func (cdnResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if host == "example.com" {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// imageHost is an HTTPS image server that counts requests.
func imageHost(t *testing.T) (*httptest.Server, *atomic.Int64) {
	img := image.NewRGBA(image.Rect(0, 0, 300, 100))
	for x := 0; x < 300; x++ {
		for y := 0; y < 100; y++ {
			img.Set(x, y, color.RGBA{uint8(x), 40, uint8(y * 2), 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	var hits atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/plain") // lies: the bytes decide
		w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestImageURLsFetchedOnceAcrossPut(t *testing.T) {
	srv, hits := imageHost(t)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	f := images.NewFetcher(images.FetchOptions{
		AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		RootCAs:    pool,
		Resolver:   cdnResolver{},
	})
	h := newHarnessWithFetcher(t, f)
	_, key := h.account(walletwallet.PlanPro, 0, "")
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	logo := "https://example.com:" + port + "/logo.png"
	body := `{"barcodeValue":"VIP-001","barcodeFormat":"QR","logoText":"VIP","logoURL":"` + logo + `","stripURL":"` + logo + `?strip"}`
	serial := post(t, h, key, body)
	if hits.Load() != 2 {
		t.Fatalf("image host hit %d times for two URLs, want 2", hits.Load())
	}
	p, _ := h.st.Pass(context.Background(), passTypeID, serial)
	pj, files := passJSON(t, p.Blob)
	if _, ok := pj["storeCard"]; !ok {
		t.Errorf("stripURL should make a storeCard: %v", pj)
	}
	for _, f := range []string{"logo@3x.png", "strip.png", "strip@2x.png"} {
		if _, ok := files[f]; !ok {
			t.Errorf("bundle lacks %s", f)
		}
	}
	// A changed PUT with the same image URLs re-renders without fetching,
	// also after a restart (the URL→image mapping is in the database).
	h.restart()
	r := h.do("PUT", "/api/pkpass/"+serial, key, strings.Replace(body, "VIP-001", "VIP-002", 1))
	if r.status != 200 || r.json(t)["unchanged"] != false {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	if hits.Load() != 2 {
		t.Errorf("PUT with unchanged image URLs fetched again: %d hits", hits.Load())
	}
	// A second pass with the same logo: no fetch either.
	post(t, h, key, strings.Replace(body, "VIP-001", "VIP-003", 1))
	if hits.Load() != 2 {
		t.Errorf("a second pass with the same URLs fetched again: %d hits", hits.Load())
	}
}

func TestImageURLRefusals(t *testing.T) {
	f := images.NewFetcher(images.FetchOptions{Resolver: cdnResolver{}})
	h := newHarnessWithFetcher(t, f)
	_, key := h.account(walletwallet.PlanPro, 0, "")
	cases := []struct{ name, url, msg string }{
		{"http", "http://example.com/logo.png", "URL must use HTTPS protocol"},
		{"javascript", "javascript:alert(1)", "URL must use HTTPS protocol"},
		{"loopback literal", "https://127.0.0.1/logo.png", "logoURL resolves to a private address"},
		{"decimal loopback", "https://2130706433/logo.png", "logoURL resolves to a private address"},
		{"metadata", "https://169.254.169.254/latest/meta-data", "logoURL resolves to a private address"},
		{"name resolving to loopback", "https://example.com/logo.png", "logoURL resolves to a private address"},
		{"not a PNG data URI", "data:image/png;base64,aGVsbG8=", "logoURL is not a PNG or JPEG image"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("POST", "/api/pkpass", key, `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x","logoURL":"`+tc.url+`"}`)
			if r.status != 400 || !strings.HasPrefix(r.errorText(t), tc.msg) {
				t.Fatalf("%d %s, want 400 starting %q", r.status, r.body, tc.msg)
			}
		})
	}
	if c := h.count(key); c != 0 {
		t.Errorf("refused requests counted: %d", c)
	}
}

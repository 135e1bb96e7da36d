package images

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"hash/crc32"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/walletwallet/walletwallet"
)

// memStore is a minimal in-memory AssetStore (the real stores have their own suite).
type memStore struct {
	mu   sync.Mutex
	m    map[string][]byte
	puts map[string]int
}

func newMemStore() *memStore {
	return &memStore{m: map[string][]byte{}, puts: map[string]int{}}
}

func (s *memStore) Asset(_ context.Context, key string) (*walletwallet.Asset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.m[key]
	if !ok {
		return nil, walletwallet.Errorf(walletwallet.ENOTFOUND, "asset %s not found", key)
	}
	return &walletwallet.Asset{Key: key, Data: d}, nil
}

func (s *memStore) PutAsset(_ context.Context, a *walletwallet.Asset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts[a.Key]++
	if _, ok := s.m[a.Key]; !ok {
		s.m[a.Key] = append([]byte(nil), a.Data...)
	}
	return nil
}

// keys lists stored keys with the given prefix, sorted.
func (s *memStore) keys(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.m {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func dataURI(mime string, b []byte) string {
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b)
}

func sameVariants(t *testing.T, a, b []Variant) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d variants vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("variant %d differs: %s vs %s", i, a[i].Name, b[i].Name)
		}
		for _, v := range []Variant{a[i], b[i]} {
			if v.SHA1 != sha1.Sum(v.Data) || v.CRC32 != crc32.ChecksumIEEE(v.Data) {
				t.Fatalf("%s: digests do not match its bytes", v.Name)
			}
		}
	}
}

func TestRendererRendersOnce(t *testing.T) {
	ctx := context.Background()
	src := pngOf(t, testImage(300, 120))
	uri := dataURI("image/png", src)
	tests := []struct {
		name  string
		store bool
	}{{"memory only", false}, {"with store", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{}
			var st *memStore
			if tt.store {
				st = newMemStore()
				o.Store = st
			}
			r := NewRenderer(o)
			first, err := r.Slot(ctx, "logoURL", uri, SlotLogo)
			if err != nil {
				t.Fatal(err)
			}
			second, err := r.Slot(ctx, "logoURL", uri, SlotLogo)
			if err != nil {
				t.Fatal(err)
			}
			sameVariants(t, first, second)
			if n := r.renders.Load(); n != 1 {
				t.Fatalf("rendered %d times, want 1", n)
			}
			// Another slot of the same source is its own rendering.
			if _, err := r.Slot(ctx, "iconURL", uri, SlotIcon); err != nil {
				t.Fatal(err)
			}
			if n := r.renders.Load(); n != 2 {
				t.Fatalf("rendered %d times after a second slot, want 2", n)
			}
			if !tt.store {
				return
			}
			// A new process sharing the database renders nothing.
			r2 := NewRenderer(Options{Store: st})
			third, err := r2.Slot(ctx, "logoURL", uri, SlotLogo)
			if err != nil {
				t.Fatal(err)
			}
			sameVariants(t, first, third)
			if n := r2.renders.Load(); n != 0 {
				t.Fatalf("a new renderer on the same store rendered %d times, want 0", n)
			}
			h := hashHex(src)
			want := []string{h + "/icon-38pt.png", h + "/icon-38pt@2x.png", h + "/icon-38pt@3x.png", h + "/logo.png", h + "/logo@2x.png", h + "/logo@3x.png"}
			if got := st.keys(h + "/"); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("variant keys = %v, want %v", got, want)
			}
		})
	}
}

// TestRendererSameBytesOneAsset: one logo spelled as two different data URIs
// (declared type, padding, line breaks) is stored and rendered once.
func TestRendererSameBytesOneAsset(t *testing.T) {
	ctx := context.Background()
	src := pngOf(t, testImage(90, 90))
	enc := base64.StdEncoding.EncodeToString(src)
	var wrapped strings.Builder
	for i := 0; i < len(enc); i += 76 {
		wrapped.WriteString(enc[i:min(i+76, len(enc))])
		wrapped.WriteString("\r\n")
	}
	uris := []string{
		"data:image/png;base64," + enc,
		"DATA:IMAGE/JPEG;BASE64," + strings.TrimRight(wrapped.String(), "=\r\n"),
	}
	st := newMemStore()
	r := NewRenderer(Options{Store: st})
	var results [][]Variant
	for _, u := range uris {
		vs, err := r.Slot(ctx, "thumbnailURL", u, SlotThumbnail)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, vs)
	}
	sameVariants(t, results[0], results[1])
	if got := st.keys("src/"); len(got) != 1 || got[0] != "src/"+hashHex(src) {
		t.Fatalf("stored sources %v, want exactly src/%s", got, hashHex(src))
	}
	if n := st.puts["src/"+hashHex(src)]; n != 1 {
		t.Fatalf("source written %d times, want 1", n)
	}
	if n := r.renders.Load(); n != 1 {
		t.Fatalf("rendered %d times, want 1", n)
	}
	if got := st.keys(hashHex(src) + "/"); len(got) != 3 {
		t.Fatalf("variant keys %v, want 3", got)
	}
}

// TestRendererHTTPSFetchedOnce is the PUT-with-unchanged-URLs case: a URL
// fetched once is served from the store afterwards, also by a new Renderer
// (a restarted process, a rebuilt blob), without any network request.
func TestRendererHTTPSFetchedOnce(t *testing.T) {
	ctx := context.Background()
	srv := newImageServer(t)
	fetcher := func() *Fetcher {
		d := &recordingDialer{target: srv.Listener.Addr().String()}
		return NewFetcher(FetchOptions{AllowCIDRs: loopbackOnly, RootCAs: srv.pool(), Resolver: newResolver(), Dial: d.Dial})
	}
	st := newMemStore()
	u := srv.url("img.example.com", "/png")

	r1 := NewRenderer(Options{Fetcher: fetcher(), Store: st})
	first, err := r1.Slot(ctx, "logoURL", u, SlotLogo)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r1.Slot(ctx, "logoURL", u, SlotLogo); err != nil {
		t.Fatal(err)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("server saw %d requests after two renders, want 1", n)
	}
	if got := st.keys("url/"); len(got) != 1 || got[0] != "url/"+hashHex([]byte(u)) {
		t.Fatalf("url keys = %v", got)
	}
	if got := st.keys("src/"); len(got) != 1 || got[0] != "src/"+hashHex(srv.pngData) {
		t.Fatalf("src keys = %v", got)
	}

	r2 := NewRenderer(Options{Fetcher: fetcher(), Store: st})
	again, err := r2.Slot(ctx, "logoURL", u, SlotLogo)
	if err != nil {
		t.Fatal(err)
	}
	sameVariants(t, first, again)
	// A slot never rendered before comes from the stored source, still without fetching.
	if _, err := r2.Slot(ctx, "iconURL", u, SlotIcon); err != nil {
		t.Fatal(err)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("server saw %d requests in total, want 1", n)
	}
	if n := r2.fetches.Load(); n != 0 {
		t.Fatalf("new renderer fetched %d times, want 0", n)
	}
	if n := r2.renders.Load(); n != 1 {
		t.Fatalf("new renderer rendered %d times, want 1 (the icon only)", n)
	}
}

// TestRendererConcurrent: simultaneous requests for one new image do the work once.
func TestRendererConcurrent(t *testing.T) {
	ctx := context.Background()
	srv := newImageServer(t)
	d := &recordingDialer{target: srv.Listener.Addr().String()}
	f := NewFetcher(FetchOptions{AllowCIDRs: loopbackOnly, RootCAs: srv.pool(), Resolver: newResolver(), Dial: d.Dial})
	tests := []struct {
		name string
		url  string
	}{
		{"data URI", dataURI("image/png", pngOf(t, testImage(500, 500)))},
		{"https", srv.url("img.example.com", "/jpeg")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hitsBefore := srv.hits.Load()
			r := NewRenderer(Options{Fetcher: f, Store: newMemStore()})
			var wg sync.WaitGroup
			var failed atomic.Int64
			for range 8 {
				wg.Go(func() {
					if _, err := r.Slot(ctx, "stripURL", tt.url, SlotStrip); err != nil {
						failed.Add(1)
					}
				})
			}
			wg.Wait()
			if failed.Load() != 0 {
				t.Fatalf("%d calls failed", failed.Load())
			}
			if n := r.renders.Load(); n != 1 {
				t.Fatalf("rendered %d times, want 1", n)
			}
			if n := r.fetches.Load(); n > 1 {
				t.Fatalf("fetched %d times, want at most 1", n)
			}
			if n := srv.hits.Load() - hitsBefore; n > 1 {
				t.Fatalf("server saw %d requests, want at most 1", n)
			}
		})
	}
}

func TestRendererRefusals(t *testing.T) {
	ctx := context.Background()
	srv := newImageServer(t)
	d := &recordingDialer{target: srv.Listener.Addr().String()}
	f := NewFetcher(FetchOptions{AllowCIDRs: loopbackOnly, RootCAs: srv.pool(), Resolver: newResolver(), Dial: d.Dial})
	tests := []struct {
		name    string
		fetcher *Fetcher
		url     string
		want    string
	}{
		{"https without a fetcher", nil, "https://img.example.com/logo.png", "logoURL: https image URLs are not supported in this build"},
		{"http", f, "http://img.example.com/logo.png", "URL must use HTTPS protocol (logoURL)"},
		{"no scheme", f, "img.example.com/logo.png", "URL must use HTTPS protocol (logoURL)"},
		{"gif data URI", f, "data:image/gif;base64,R0lGODlhAQABAAAAACw=", "logoURL must be an https URL or a data:image/png;base64 or data:image/jpeg;base64 URI"},
		{"data URI without base64", f, "data:image/png,abc", "must be an https URL or a data:image/png;base64"},
		{"data URI without comma", f, "data:image/png;base64", "must be an https URL or a data:image/png;base64"},
		{"bad base64", f, "data:image/png;base64,!!!!", "logoURL is not valid base64"},
		{"data URI not an image", f, dataURI("image/png", []byte("hello world")), "logoURL is not a PNG or JPEG image"},
		{"data URI too large", f, "data:image/png;base64," + strings.Repeat("A", maxEncodedLen+1), "logoURL is larger than 5 MiB"},
		{"data URI decoding over 5 MiB", f, dataURI("image/png", make([]byte, MaxBytes+3)), "logoURL is larger than 5 MiB"},
		{"data URI 20000×20000", f, dataURI("image/png", bombPNG(t, 20000, 20000, 1)), "logoURL is 20000×20000 pixels"},
		{"https not an image", f, srv.url("img.example.com", "/html-as-png"), "logoURL is not a PNG or JPEG image"},
		{"https private", f, "https://10.0.0.1/logo.png", "logoURL resolves to a private address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemStore()
			r := NewRenderer(Options{Fetcher: tt.fetcher, Store: st})
			_, err := r.Slot(ctx, "logoURL", tt.url, SlotLogo)
			wantClientError(t, err, tt.want)
			if got := st.keys(""); len(got) != 0 {
				t.Fatalf("a refused image left %v in the store", got)
			}
		})
	}
	t.Run("unknown slot", func(t *testing.T) {
		r := NewRenderer(Options{})
		_, err := r.Slot(ctx, "logoURL", dataURI("image/png", pngOf(t, testImage(4, 4))), "wallpaper")
		if walletwallet.ErrorCode(err) != walletwallet.EINTERNAL {
			t.Fatalf("err = %v, want internal", err)
		}
	})
}

// TestRendererStoreLostSource: a remembered URL whose source row is gone is
// fetched again rather than failing.
func TestRendererStoreLostSource(t *testing.T) {
	ctx := context.Background()
	srv := newImageServer(t)
	d := &recordingDialer{target: srv.Listener.Addr().String()}
	f := NewFetcher(FetchOptions{AllowCIDRs: loopbackOnly, RootCAs: srv.pool(), Resolver: newResolver(), Dial: d.Dial})
	st := newMemStore()
	u := srv.url("img.example.com", "/png")
	st.PutAsset(ctx, &walletwallet.Asset{Key: "url/" + hashHex([]byte(u)), Data: []byte(hashHex(srv.pngData))})
	r := NewRenderer(Options{Fetcher: f, Store: st})
	if _, err := r.Slot(ctx, "logoURL", u, SlotLogo); err != nil {
		t.Fatal(err)
	}
	if n := r.fetches.Load(); n != 1 {
		t.Fatalf("fetched %d times, want 1", n)
	}
}

func TestLRU(t *testing.T) {
	c := newLRU(10)
	c.put("a", 1, 4)
	c.put("b", 2, 4)
	c.get("a") // a is now the most recent, b the eviction candidate
	c.put("c", 3, 4)
	tests := []struct {
		key  string
		want bool
	}{{"a", true}, {"b", false}, {"c", true}}
	for _, tt := range tests {
		if _, ok := c.get(tt.key); ok != tt.want {
			t.Errorf("get(%q) present = %v, want %v", tt.key, ok, tt.want)
		}
	}
	c.put("huge", 4, 11)
	if _, ok := c.get("huge"); ok {
		t.Error("an entry over the whole budget was cached")
	}
	if c.used > c.budget {
		t.Errorf("used %d over budget %d", c.used, c.budget)
	}
}

// BenchmarkRendererSlot measures a cache hit, the path of every pass after
// the first that uses an image.
func BenchmarkRendererSlot(b *testing.B) {
	ctx := context.Background()
	uri := dataURI("image/png", pngOf(b, testImage(800, 250)))
	r := NewRenderer(Options{Store: newMemStore()})
	if _, err := r.Slot(ctx, "logoURL", uri, SlotLogo); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Slot(ctx, "logoURL", uri, SlotLogo); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRendererDataURIRemembered: a rendered data URI is remembered by the
// hash of its bytes, and the entry is only used for exactly that URI:
// another URI landing on the same key (forged here) gets its own image,
// and a remembered URI whose variants left the cache is decoded again.
func TestRendererDataURIRemembered(t *testing.T) {
	ctx := context.Background()
	srcA, srcB := pngOf(t, testImage(300, 120)), pngOf(t, testImage(120, 300))
	uriA, uriB := dataURI("image/png", srcA), dataURI("image/png", srcB)
	r := NewRenderer(Options{})
	wantA, err := r.Slot(ctx, "logoURL", uriA, SlotLogo)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := r.cache.get(dataURIKey(uriA))
	if !ok || e.(dataURIEntry).uri != uriA || e.(dataURIEntry).hash != hashHex(srcA) {
		t.Fatalf("entry for A = %+v, %v; want A's URI and hash", e, ok)
	}
	wantB, err := NewRenderer(Options{}).Slot(ctx, "logoURL", uriB, SlotLogo)
	if err != nil {
		t.Fatal(err)
	}
	// B's key holding A's entry, as if the two URIs' hashes collided.
	r.cache.put(dataURIKey(uriB), dataURIEntry{uri: uriA, hash: hashHex(srcA)}, 1)
	gotB, err := r.Slot(ctx, "logoURL", uriB, SlotLogo)
	if err != nil {
		t.Fatal(err)
	}
	sameVariants(t, wantB, gotB)
	// A's variants evicted: the remembered hash alone is not enough.
	r.cache.mu.Lock()
	k := hashHex(srcA) + "/" + SlotLogo
	el := r.cache.items[k]
	r.cache.order.Remove(el)
	delete(r.cache.items, k)
	r.cache.used -= el.Value.(*lruEntry).size
	r.cache.mu.Unlock()
	gotA, err := r.Slot(ctx, "logoURL", uriA, SlotLogo)
	if err != nil {
		t.Fatal(err)
	}
	sameVariants(t, wantA, gotA)
	if n := r.renders.Load(); n != 3 {
		t.Fatalf("rendered %d times, want 3 (A, B, A again)", n)
	}
}

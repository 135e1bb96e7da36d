package images

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/singleflight"

	"github.com/walletwallet/walletwallet"
)

// AssetStore is the subset of walletwallet.Store that persists images.
//
// Keys this package writes:
//
//	src/<sha256 hex of source>      the source bytes (PNG or JPEG as received)
//	<sha256 hex>/<slot key>@Nx.png  one rendered file, e.g. <hex>/logo@2x.png
//	                                (the key stem changes when a slot's rendering does)
//	url/<sha256 hex of the URL>     the source hash an https URL was fetched as
//
// One key per variant keeps each row a plain PNG, matching Variant.Name.
type AssetStore interface {
	// Asset returns a stored image; *walletwallet.Error ENOTFOUND when missing.
	Asset(ctx context.Context, key string) (*walletwallet.Asset, error)
	// PutAsset stores an image; storing an existing key again is a no-op.
	PutAsset(ctx context.Context, a *walletwallet.Asset) error
}

// Options configures a Renderer.
type Options struct {
	// Fetcher fetches https URLs; nil refuses them without any network access.
	Fetcher *Fetcher
	// Store persists sources and variants; nil keeps only the memory cache.
	Store AssetStore
	// CacheBytes is the in-memory LRU budget for rendered variants (64 MiB).
	CacheBytes int
}

// Renderer resolves the image URLs of requests into slot variants, rendering
// and fetching each distinct source at most once.
type Renderer struct {
	fetcher *Fetcher
	store   AssetStore
	cache   *lru
	group   singleflight.Group

	// renders counts actual decode+resize runs (tests assert reuse with it).
	renders atomic.Int64
	// fetches counts actual network fetches.
	fetches atomic.Int64
}

// NewRenderer builds a Renderer; it is safe for concurrent use.
func NewRenderer(o Options) *Renderer {
	if o.CacheBytes <= 0 {
		o.CacheBytes = 64 << 20
	}
	return &Renderer{fetcher: o.Fetcher, store: o.Store, cache: newLRU(o.CacheBytes)}
}

// source is a resolved image: its content hash and, when at hand, its bytes.
type source struct {
	hash string
	data []byte // nil when only the hash is known (a remembered URL)
	url  string // the https URL it came from, "" for a data URI
}

// Slot resolves a request's image URL (a data:image/png or data:image/jpeg
// base64 URI, or an https URL) and returns the slot's three variants. The
// returned Data slices are shared with the cache and must not be modified.
func (r *Renderer) Slot(ctx context.Context, field, rawURL, slot string) (_ []Variant, err error) {
	if _, ok := slots[slot]; !ok {
		return nil, fmt.Errorf("images: unknown slot %q", slot)
	}
	if vs, ok := r.knownDataURI(rawURL, slot); ok {
		return vs, nil
	}
	src, err := r.resolve(ctx, field, rawURL)
	if err != nil {
		return nil, err
	}
	key := src.hash + "/" + slot
	if v, ok := r.cache.get(key); ok {
		r.rememberDataURI(rawURL, src)
		return append([]Variant(nil), v.([]Variant)...), nil
	}
	v, err := r.shared(ctx, "render/"+key, func(ctx context.Context) (any, error) {
		return r.variants(ctx, field, src, slot)
	})
	if err != nil {
		return nil, err
	}
	r.rememberDataURI(rawURL, src)
	return append([]Variant(nil), v.([]Variant)...), nil
}

// A data URI that has rendered once is remembered as the hash of its
// decoded bytes, so that the next pass with the same URI (every pass of a
// template or an API client) finds its variants without decoding the
// base64 and hashing the image again. The entry is keyed by a seeded
// 64-bit hash of the URI and holds the URI itself, which must match: two
// URIs that share a hash never share an entry's image.
var dataURISeed = maphash.MakeSeed()

type dataURIEntry struct {
	uri, hash string
}

func dataURIKey(uri string) string {
	return "duri/" + strconv.FormatUint(maphash.String(dataURISeed, uri), 16)
}

// knownDataURI returns a slot's variants for a data URI remembered by
// rememberDataURI whose variants are still cached; false sends the caller
// the whole way (decoding, and rendering if the variants are gone).
func (r *Renderer) knownDataURI(uri, slot string) ([]Variant, bool) {
	if !hasPrefixFold(uri, "data:") {
		return nil, false
	}
	e, ok := r.cache.get(dataURIKey(uri))
	if !ok || e.(dataURIEntry).uri != uri {
		return nil, false
	}
	v, ok := r.cache.get(e.(dataURIEntry).hash + "/" + slot)
	if !ok {
		return nil, false
	}
	return append([]Variant(nil), v.([]Variant)...), true
}

func (r *Renderer) rememberDataURI(uri string, src source) {
	if src.url != "" || !hasPrefixFold(uri, "data:") {
		return
	}
	key := dataURIKey(uri)
	if e, ok := r.cache.get(key); ok && e.(dataURIEntry).uri == uri {
		return
	}
	// A copy: uri is usually a substring of a whole request body.
	e := dataURIEntry{uri: strings.Clone(uri), hash: src.hash}
	r.cache.put(key, e, len(key)+len(e.uri)+len(e.hash))
}

// shared runs fn once for all concurrent callers with the same key. The work
// runs detached from any one caller's cancellation (the fetch has its own
// time-out), while each caller still stops waiting when its ctx ends.
func (r *Renderer) shared(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	work := context.WithoutCancel(ctx)
	ch := r.group.DoChan(key, func() (any, error) { return fn(work) })
	select {
	case res := <-ch:
		return res.Val, res.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// resolve turns a URL into a source.
func (r *Renderer) resolve(ctx context.Context, field, rawURL string) (source, error) {
	// Only the scheme is compared without case: lowering a whole data URI
	// (kilobytes) for it cost more than the rest of the lookup.
	switch {
	case hasPrefixFold(rawURL, "data:"):
		data, err := decodeDataURI(field, rawURL)
		if err != nil {
			return source{}, err
		}
		return source{hash: hashHex(data), data: data}, nil
	case hasPrefixFold(rawURL, "https://"):
		if r.fetcher == nil {
			return source{}, walletwallet.Errorf(walletwallet.EINVALID, "%s: https image URLs are not supported in this build", field)
		}
		return r.remembered(ctx, field, rawURL)
	}
	return source{}, walletwallet.Errorf(walletwallet.EINVALID, "URL must use HTTPS protocol (%s)", field)
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// remembered returns the source an https URL was fetched as, fetching only
// the first time: the URL's hash is kept in memory and in the store, so a
// pass re-rendered later (a PUT with the same URLs, a rebuilt blob) never
// fetches again. The image behind a URL is taken as immutable; a customer who
// changes their logo publishes it under a new URL.
func (r *Renderer) remembered(ctx context.Context, field, rawURL string) (source, error) {
	ukey := "url/" + hashHex([]byte(rawURL))
	if h, ok := r.cache.get(ukey); ok {
		return source{hash: h.(string), url: rawURL}, nil
	}
	v, err := r.shared(ctx, ukey, func(ctx context.Context) (any, error) {
		if h, ok := r.cache.get(ukey); ok {
			return source{hash: h.(string), url: rawURL}, nil
		}
		if r.store != nil {
			a, err := r.store.Asset(ctx, ukey)
			switch {
			case err == nil:
				h := string(a.Data)
				r.cache.put(ukey, h, len(ukey)+len(h))
				return source{hash: h, url: rawURL}, nil
			case !isNotFound(err):
				return nil, fmt.Errorf("images: load %s: %w", ukey, err)
			}
		}
		src, err := r.fetch(ctx, field, rawURL)
		if err != nil {
			return nil, err
		}
		if r.store != nil {
			if err := r.store.PutAsset(ctx, &walletwallet.Asset{Key: ukey, Data: []byte(src.hash)}); err != nil {
				return nil, fmt.Errorf("images: store %s: %w", ukey, err)
			}
		}
		r.cache.put(ukey, src.hash, len(ukey)+len(src.hash))
		return src, nil
	})
	if err != nil {
		return source{}, err
	}
	return v.(source), nil
}

// fetch downloads a URL and stores its source, checked first so that nothing
// unusable is remembered.
func (r *Renderer) fetch(ctx context.Context, field, rawURL string) (source, error) {
	r.fetches.Add(1)
	data, err := r.fetcher.Fetch(ctx, field, rawURL)
	if err != nil {
		return source{}, err
	}
	if _, _, err := CheckSource(field, data); err != nil {
		return source{}, err
	}
	src := source{hash: hashHex(data), data: data, url: rawURL}
	if err := r.putSource(ctx, src); err != nil {
		return source{}, err
	}
	return src, nil
}

func (r *Renderer) putSource(ctx context.Context, src source) error {
	if r.store == nil {
		return nil
	}
	key := "src/" + src.hash
	if err := r.store.PutAsset(ctx, &walletwallet.Asset{Key: key, Data: src.data}); err != nil {
		return fmt.Errorf("images: store %s: %w", key, err)
	}
	return nil
}

// variants finds the slot's variants in the memory cache, then the store,
// and renders and stores them only when both miss.
func (r *Renderer) variants(ctx context.Context, field string, src source, slot string) (any, error) {
	key := src.hash + "/" + slot
	// A flight that started after another finished finds its result here.
	if v, ok := r.cache.get(key); ok {
		return v, nil
	}
	if vs, err := r.storedVariants(ctx, src.hash, slot); err != nil {
		return nil, err
	} else if vs != nil {
		r.cache.put(key, vs, variantsSize(vs))
		return vs, nil
	}
	if src.data == nil {
		data, err := r.loadSource(ctx, field, src)
		if err != nil {
			return nil, err
		}
		src.data = data
	} else if src.url == "" {
		// Fetched sources were stored when fetched; data URIs are stored here,
		// once per distinct content however many URIs spell it.
		if _, _, err := CheckSource(field, src.data); err != nil {
			return nil, err
		}
		if err := r.putSource(ctx, src); err != nil {
			return nil, err
		}
	}
	r.renders.Add(1)
	vs, err := render(ctx, field, src.data, slot)
	if err != nil {
		return nil, err
	}
	if r.store != nil {
		for i, v := range vs {
			k := variantKey(src.hash, slot, scales[i])
			if err := r.store.PutAsset(ctx, &walletwallet.Asset{Key: k, Data: v.Data}); err != nil {
				return nil, fmt.Errorf("images: store %s: %w", k, err)
			}
		}
	}
	r.cache.put(key, vs, variantsSize(vs))
	return vs, nil
}

// storedVariants returns the slot's variants from the store, or nil when any is missing.
func (r *Renderer) storedVariants(ctx context.Context, hash, slot string) ([]Variant, error) {
	if r.store == nil {
		return nil, nil
	}
	vs := make([]Variant, 0, len(scales))
	for _, s := range scales {
		key := variantKey(hash, slot, s)
		a, err := r.store.Asset(ctx, key)
		if isNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("images: load %s: %w", key, err)
		}
		vs = append(vs, newVariant(VariantName(slots[slot].file, s), a.Data))
	}
	return vs, nil
}

// variantKey is the asset key of one stored variant: <source hash>/<slot
// key>[@Nx].png. For slots whose rendering never changed the key stem is
// the file stem (logo → <hash>/logo@2x.png).
func variantKey(hash, slot string, scale int) string {
	return hash + "/" + VariantName(slots[slot].key, scale)
}

// loadSource gets the bytes of a source known only by hash: from the store,
// or, should the store have lost them, by fetching its URL again.
func (r *Renderer) loadSource(ctx context.Context, field string, src source) ([]byte, error) {
	if r.store != nil {
		a, err := r.store.Asset(ctx, "src/"+src.hash)
		if err == nil {
			return a.Data, nil
		}
		if !isNotFound(err) {
			return nil, fmt.Errorf("images: load src/%s: %w", src.hash, err)
		}
	}
	fresh, err := r.fetch(ctx, field, src.url)
	if err != nil {
		return nil, err
	}
	return fresh.data, nil
}

// decodeDataURI returns the bytes of a data:image/png or data:image/jpeg
// base64 URI. The declared type only gates the URI form; the bytes decide
// the format later.
func decodeDataURI(field, uri string) ([]byte, error) {
	comma := strings.IndexByte(uri, ',')
	if comma < 0 {
		return nil, badDataURI(field)
	}
	switch strings.ToLower(uri[:comma]) {
	case "data:image/png;base64", "data:image/jpeg;base64":
	default:
		return nil, badDataURI(field)
	}
	enc := uri[comma+1:]
	// Checked on the encoded length first so an oversized URI is never decoded.
	if len(enc) > maxEncodedLen {
		return nil, tooLarge(field)
	}
	// Padding is optional in the wild; line breaks (common in pasted base64)
	// are skipped by the decoder.
	enc = strings.TrimRight(enc, "=\r\n")
	data, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "%s is not valid base64", field)
	}
	if len(data) > MaxBytes {
		return nil, tooLarge(field)
	}
	return data, nil
}

// maxEncodedLen is the base64 length of MaxBytes, with room for a line break
// every 76 characters.
var maxEncodedLen = base64.StdEncoding.EncodedLen(MaxBytes)/76*78 + 78

func badDataURI(field string) error {
	return walletwallet.Errorf(walletwallet.EINVALID,
		"%s must be an https URL or a data:image/png;base64 or data:image/jpeg;base64 URI", field)
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func isNotFound(err error) bool {
	var e *walletwallet.Error
	return errors.As(err, &e) && e.Code == walletwallet.ENOTFOUND
}

func variantsSize(vs []Variant) int {
	n := 0
	for _, v := range vs {
		n += len(v.Name) + len(v.Data)
	}
	return n
}

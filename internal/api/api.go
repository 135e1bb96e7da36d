// Package api serves the customer-facing REST API: POST /api/pkpass,
// PUT /api/pkpass/{serial}, GET /api/auth/usage and the previews, with
// Bearer-key auth, plan gating and exact monthly quotas.
package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/egress"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/passes"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// MaxBody is the largest request body the API reads.
const MaxBody = 1 << 20

// Store is the part of walletwallet.Store the API uses: key lookup and
// what the pass operations need.
type Store interface {
	AccountByKey(ctx context.Context, hash []byte) (*walletwallet.Account, error)
	Signup(ctx context.Context, a *walletwallet.Account, k *walletwallet.APIKey) error
	CreateWebhook(ctx context.Context, w *walletwallet.Webhook) error
	Webhooks(ctx context.Context, accountID int64) ([]walletwallet.Webhook, error)
	DeleteWebhook(ctx context.Context, accountID int64, id string) error
	Stats(ctx context.Context, accountID int64, month string) (*walletwallet.Stats, error)
	passes.Store
}

// Builder signs a pass, or lists what its bundle holds for the preview (issuer.Issuer).
type Builder interface {
	Build(ctx context.Context, req *pkpass.Request, m issuer.Meta) ([]byte, error)
	Rebuild(ctx context.Context, p *walletwallet.Pass) ([]byte, error)
	Contents(ctx context.Context, req *pkpass.Request, m issuer.Meta) ([]pkpass.File, error)
}

// Blobs gives the signed .pkpass of a stored version (passblob.Source),
// for the routes that hand out a pass they did not just sign.
type Blobs interface {
	Current(ctx context.Context, p *walletwallet.Pass) ([]byte, error)
}

// Options wires the API.
type Options struct {
	Store      Store
	Builder    Builder
	Blobs      Blobs
	PassTypeID string
	// PublicURL is WW_PUBLIC_URL without the trailing slash (share links).
	PublicURL string
	Logger    *slog.Logger
	// Now is the clock (tests move it across months and trial ends).
	Now func() time.Time
	// Signup serves POST /api/signup (WW_SIGNUP=open); without it the route
	// does not exist (404).
	Signup bool
	// Passes performs the operations; nil builds one from the fields above.
	Passes *passes.Service
	// Secrets seals webhook secrets; nil leaves the /api/webhooks routes
	// out (404), since a secret must never be stored in the clear.
	Secrets Sealer
	// WebhookHosts vets a webhook URL's host (the egress guard with
	// WW_FETCH_ALLOW_CIDRS); nil means egress's classifier with no exemptions.
	WebhookHosts HostChecker
}

type server struct {
	Options
	passes  *passes.Service
	signups signupLimiter
}

// Register adds the API routes to rt.
func Register(rt *jsonhttp.Router, o Options) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Passes == nil {
		o.Passes = passes.New(passes.Options{
			Store: o.Store, Builder: o.Builder, Blobs: o.Blobs, PassTypeID: o.PassTypeID,
			PublicURL: o.PublicURL, Now: o.Now,
		})
	}
	s := &server{Options: o, passes: o.Passes}
	// The binary face: answers are signed passes.
	rt.Handle(http.MethodPost, "/api/pkpass", jsonhttp.HandlerFunc(s.createPkpass))
	rt.Handle(http.MethodGet, "/api/pkpass/{serial}", jsonhttp.HandlerFunc(s.getPkpass))
	rt.Handle(http.MethodPut, "/api/pkpass/{serial}", jsonhttp.HandlerFunc(s.updatePass))
	rt.Handle(http.MethodPatch, "/api/pkpass/{serial}", jsonhttp.HandlerFunc(s.patchPass))
	rt.Handle(http.MethodPost, "/api/pkpasses", jsonhttp.HandlerFunc(s.createBundle))
	// The resource face: answers are JSON.
	rt.Handle(http.MethodPost, "/api/passes", jsonhttp.HandlerFunc(s.createPassJSON))
	rt.Handle(http.MethodGet, "/api/passes", jsonhttp.HandlerFunc(s.listPasses))
	rt.Handle(http.MethodGet, "/api/passes/{serial}", jsonhttp.HandlerFunc(s.getPass))
	rt.Handle(http.MethodPut, "/api/passes/{serial}", jsonhttp.HandlerFunc(s.updatePass))
	rt.Handle(http.MethodPatch, "/api/passes/{serial}", jsonhttp.HandlerFunc(s.patchPass))
	rt.Handle(http.MethodDelete, "/api/passes/{serial}", jsonhttp.HandlerFunc(s.voidPass))
	rt.Handle(http.MethodGet, "/api/auth/usage", jsonhttp.HandlerFunc(s.usage))
	rt.Handle(http.MethodGet, "/api/stats", jsonhttp.HandlerFunc(s.stats))
	rt.Handle(http.MethodPost, "/api/preview", jsonhttp.HandlerFunc(s.postPreview))
	if o.Signup {
		rt.Handle(http.MethodPost, "/api/signup", jsonhttp.HandlerFunc(s.signup))
	}
	rt.Handle(http.MethodGet, "/api/passes/{serial}/preview.png", jsonhttp.HandlerFunc(s.passPreview))
	registerTemplates(rt, s)
	if o.Secrets != nil {
		if s.WebhookHosts == nil {
			s.WebhookHosts = egress.New(egress.Options{})
		}
		rt.Handle(http.MethodPost, "/api/webhooks", jsonhttp.HandlerFunc(s.createWebhook))
		rt.Handle(http.MethodGet, "/api/webhooks", jsonhttp.HandlerFunc(s.listWebhooks))
		rt.Handle(http.MethodDelete, "/api/webhooks/{id}", jsonhttp.HandlerFunc(s.deleteWebhook))
	}
}

// CORS puts the CORS headers on every /api/* answer and answers preflights,
// so browser code can call the API and read X-Serial-Number.
func CORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "X-Serial-Number, X-Serial-Numbers, X-Pass-Url, Location, Idempotent-Replayed, X-Request-Id")
		if r.Method == http.MethodOptions {
			method := r.Header.Get("Access-Control-Request-Method")
			if method == "" {
				method = "GET, POST, PUT, PATCH, DELETE"
			}
			h.Set("Access-Control-Allow-Methods", method+", OPTIONS")
			// A "*" would not cover Authorization, so name the headers.
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key")
			h.Set("Access-Control-Max-Age", "86400")
			h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var errUnauthorized = walletwallet.Errorf(walletwallet.EUNAUTHORIZED,
	"missing or invalid API key: send Authorization: Bearer ww_live_<32 hex characters>")

// KeyPrefix starts every API key.
const KeyPrefix = "ww_live_"

// ValidKeyFormat reports whether k looks like an API key (ww_live_ + 32 lowercase hex).
func ValidKeyFormat(k string) bool {
	if len(k) != len(KeyPrefix)+32 || !strings.HasPrefix(k, KeyPrefix) {
		return false
	}
	for _, c := range k[len(KeyPrefix):] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// HashKey is how keys are stored and looked up: SHA-256 of the whole key.
func HashKey(k string) []byte {
	h := sha256.Sum256([]byte(k))
	return h[:]
}

// KeyStore finds the account of a stored key hash (walletwallet.Store).
type KeyStore interface {
	AccountByKey(ctx context.Context, hash []byte) (*walletwallet.Account, error)
}

// Authenticate returns the account of the request's API key (a single
// "Authorization: Bearer ww_live_…" header), or EUNAUTHORIZED. Every face
// that acts as an account (the API, the MCP server) authenticates here.
func Authenticate(r *http.Request, keys KeyStore) (*walletwallet.Account, error) {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return nil, errUnauthorized
	}
	scheme, key, ok := strings.Cut(strings.TrimSpace(vals[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errUnauthorized
	}
	key = strings.TrimSpace(key)
	if !ValidKeyFormat(key) {
		return nil, errUnauthorized
	}
	hash := HashKey(key)
	a, err := keys.AccountByKey(r.Context(), hash)
	if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// authenticate returns the account of the request's API key.
func (s *server) authenticate(r *http.Request) (*walletwallet.Account, error) {
	return Authenticate(r, s.Store)
}

// readJSON enforces the content type and the body limit, and returns the body.
func readJSON(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return readBody(w, r, "application/json")
}

// readPatch is readJSON for a merge patch, which may say so in its type.
func readPatch(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return readBody(w, r, "application/merge-patch+json", "application/json")
}

func readBody(w http.ResponseWriter, r *http.Request, types ...string) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !slices.Contains(types, mt) {
		return nil, walletwallet.Errorf(walletwallet.EMEDIATYPE, "Content-Type must be %s", strings.Join(types, " or "))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, walletwallet.Errorf(walletwallet.ETOOLARGE, "request body is larger than 1 MiB")
	}
	if err != nil {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "could not read the request body: %v", err)
	}
	return body, nil
}

func (s *server) usage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	u, err := s.passes.Usage(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, UsageAnswer(u))
	return nil
}

// usageAnswer keeps the member order the answer always had (it was a map).
type usageAnswer struct {
	Count     int64             `json:"count"`
	Limit     int64             `json:"limit"`
	Plan      walletwallet.Plan `json:"plan"`
	Remaining int64             `json:"remaining"`
	ResetDate string            `json:"resetDate"`
}

// UsageAnswer is the JSON of GET /api/auth/usage (and of the get_usage tool).
func UsageAnswer(u *passes.Usage) any {
	return usageAnswer{Count: u.Count, Limit: u.Limit, Plan: u.Plan, Remaining: u.Remaining, ResetDate: u.ResetDate}
}

// NewKey returns a fresh API key: ww_live_ + 32 lowercase hex characters
// (128 random bits). Only HashKey of it is ever stored.
func NewKey() string {
	var b [16]byte
	rand.Read(b[:])
	return KeyPrefix + hex.EncodeToString(b[:])
}

// ReadJSON is the API's body rule for a JSON request (Content-Type
// application/json, at most MaxBody bytes), with its messages; faces beside
// the API (the MCP endpoint) read their bodies through it too.
func ReadJSON(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return readJSON(w, r)
}

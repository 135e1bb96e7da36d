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
	"strings"
	"sync"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// MaxBody is the largest request body the API reads.
const MaxBody = 1 << 20

// Store is the part of walletwallet.Store the API uses.
type Store interface {
	AccountByKey(ctx context.Context, hash []byte) (*walletwallet.Account, error)
	Usage(ctx context.Context, accountID int64, month string) (int64, error)
	CreatePass(ctx context.Context, p *walletwallet.Pass, q walletwallet.Quota) error
	Pass(ctx context.Context, passTypeID, serial string) (*walletwallet.Pass, error)
	UpdatePass(ctx context.Context, u *walletwallet.PassUpdate, q walletwallet.Quota) (*walletwallet.UpdateResult, error)
	Signup(ctx context.Context, a *walletwallet.Account, k *walletwallet.APIKey) error
}

// Builder signs a pass, or lists what its bundle holds for the preview (issuer.Issuer).
type Builder interface {
	Build(ctx context.Context, req *pkpass.Request, m issuer.Meta) ([]byte, error)
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
	Logger     *slog.Logger
	// Now is the clock (tests move it across months and trial ends).
	Now func() time.Time
	// Signup serves POST /api/signup (WW_SIGNUP=open); without it the route
	// does not exist (404).
	Signup bool
	// PushEnqueued is called after a changed PUT enqueued push work, so the
	// local worker starts at once instead of at its next poll.
	PushEnqueued func()
}

type server struct {
	Options
	putLocks [256]sync.Mutex
	signups  signupLimiter
}

// Register adds the API routes to rt.
func Register(rt *jsonhttp.Router, o Options) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.PushEnqueued == nil {
		o.PushEnqueued = func() {}
	}
	s := &server{Options: o}
	rt.Handle(http.MethodPost, "/api/pkpass", jsonhttp.HandlerFunc(s.createPass))
	rt.Handle(http.MethodPut, "/api/pkpass/{serial}", jsonhttp.HandlerFunc(s.updatePass))
	rt.Handle(http.MethodGet, "/api/auth/usage", jsonhttp.HandlerFunc(s.usage))
	rt.Handle(http.MethodPost, "/api/preview", jsonhttp.HandlerFunc(s.postPreview))
	if o.Signup {
		rt.Handle(http.MethodPost, "/api/signup", jsonhttp.HandlerFunc(s.signup))
	}
	rt.Handle(http.MethodGet, "/api/passes/{serial}/preview.png", jsonhttp.HandlerFunc(s.passPreview))
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
		h.Set("Access-Control-Expose-Headers", "X-Serial-Number, X-Request-Id")
		if r.Method == http.MethodOptions {
			method := r.Header.Get("Access-Control-Request-Method")
			if method == "" {
				method = "GET, POST, PUT"
			}
			h.Set("Access-Control-Allow-Methods", method+", OPTIONS")
			// A "*" would not cover Authorization, so name the headers.
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
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

// authenticate returns the account of the request's API key.
func (s *server) authenticate(r *http.Request) (*walletwallet.Account, error) {
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
	a, err := s.Store.AccountByKey(r.Context(), hash)
	if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// readJSON enforces the content type and the body limit, and returns the body.
func readJSON(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, walletwallet.Errorf(walletwallet.EMEDIATYPE, "Content-Type must be application/json")
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

// quotaError is the 429 answer with the fields the API page documents.
func quotaError(now time.Time) error {
	reset := walletwallet.NextMonthStart(now).Format("2006-01-02")
	return &walletwallet.Error{
		Code:    walletwallet.EQUOTA,
		Message: "Rate limit exceeded",
		Extra: map[string]string{
			"resetDate": reset,
			"message":   "Monthly limit reached. Resets on " + reset,
		},
	}
}

// checkQuota is a cheap early refusal before the expensive signature; the
// store's atomic check in the write transaction is the one that counts.
func (s *server) checkQuota(ctx context.Context, a *walletwallet.Account, now time.Time) (walletwallet.Quota, error) {
	q := walletwallet.Quota{Month: walletwallet.Month(now), Limit: a.Limit(now)}
	used, err := s.Store.Usage(ctx, a.ID, q.Month)
	if err != nil {
		return q, err
	}
	if used >= q.Limit {
		return q, quotaError(now)
	}
	return q, nil
}

func (s *server) usage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	now := s.Now()
	used, err := s.Store.Usage(r.Context(), a.ID, walletwallet.Month(now))
	if err != nil {
		return err
	}
	limit := a.Limit(now)
	jsonhttp.WriteJSON(w, http.StatusOK, map[string]any{
		"count":     used,
		"limit":     limit,
		"remaining": max(limit-used, 0),
		"resetDate": walletwallet.NextMonthStart(now).Format("2006-01-02"),
		"plan":      a.EffectivePlan(now),
	})
	return nil
}

// NewKey returns a fresh API key: ww_live_ + 32 lowercase hex characters
// (128 random bits). Only HashKey of it is ever stored.
func NewKey() string {
	var b [16]byte
	rand.Read(b[:])
	return KeyPrefix + hex.EncodeToString(b[:])
}

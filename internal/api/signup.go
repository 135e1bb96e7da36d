package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
)

// Signup limits: a client address may sign up this many times per window.
const (
	SignupsPerAddress = 5
	SignupWindow      = time.Hour
	MaxEmail          = 254 // RFC 5321's limit on a forward path
)

// signupLimiter counts signups per client address over a sliding window,
// in memory: a restart or another instance starts its own count, which
// bounds a flood at SignupsPerAddress per instance per hour (see
// docs/decisions.md).
type signupLimiter struct {
	mu   sync.Mutex
	seen map[string][]time.Time // address → times of signups (and of ones in progress)
}

// maxTracked bounds the limiter's memory; past it, addresses whose window
// is over are dropped first, then the map is cleared.
const maxTracked = 100_000

// reserve takes one of the address's signups at now, or reports false.
// A reservation whose signup then fails is given back with release.
func (l *signupLimiter) reserve(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string][]time.Time{}
	}
	ts := recent(l.seen[addr], now)
	if len(ts) >= SignupsPerAddress {
		l.seen[addr] = ts
		return false
	}
	if len(l.seen) >= maxTracked {
		for a, t := range l.seen {
			if len(recent(t, now)) == 0 {
				delete(l.seen, a)
			}
		}
		if len(l.seen) >= maxTracked {
			clear(l.seen)
		}
	}
	l.seen[addr] = append(ts, now)
	return true
}

func (l *signupLimiter) release(addr string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.seen[addr]
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Equal(at) {
			l.seen[addr] = append(ts[:i:i], ts[i+1:]...)
			return
		}
	}
}

func recent(ts []time.Time, now time.Time) []time.Time {
	cut := 0
	for cut < len(ts) && !now.Before(ts[cut].Add(SignupWindow)) {
		cut++
	}
	return ts[cut:]
}

// clientAddress is the peer's IP address. Forwarding headers are not
// trusted: a client could write any address into them.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type signupAnswer struct {
	APIKey      string `json:"apiKey"`
	AccountID   int64  `json:"accountId"`
	Plan        string `json:"plan"`
	TrialEndsAt int64  `json:"trialEndsAt"`
}

// signup creates an account on the Pro trial and its first key.
func (s *server) signup(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	email, err := parseSignup(body)
	if err != nil {
		return err
	}
	now := s.Now()
	addr := clientAddress(r)
	if !s.signups.reserve(addr, now) {
		return walletwallet.Errorf(walletwallet.EQUOTA, "too many signups from this address: at most %d per hour", SignupsPerAddress)
	}
	key := NewKey()
	a := &walletwallet.Account{Email: email, Plan: walletwallet.PlanTrial, CreatedAt: now.UTC().Truncate(time.Millisecond)}
	k := &walletwallet.APIKey{Hash: HashKey(key), Hint: key[len(key)-4:]}
	if err := s.Store.Signup(r.Context(), a, k); err != nil {
		s.signups.release(addr, now)
		if walletwallet.ErrorCode(err) == walletwallet.ECONFLICT {
			return walletwallet.Errorf(walletwallet.ECONFLICT, "email %q already has an account", email)
		}
		return err
	}
	s.Logger.InfoContext(r.Context(), "signup", "account", a.ID)
	jsonhttp.WriteJSON(w, http.StatusCreated, signupAnswer{
		APIKey:      key,
		AccountID:   a.ID,
		Plan:        string(walletwallet.PlanTrial),
		TrialEndsAt: a.CreatedAt.Add(walletwallet.TrialLength).UnixMilli(),
	})
	return nil
}

// parseSignup reads {"email": "…"} as strictly as a pass request: valid
// UTF-8, no other or repeated members, nothing after the object.
func parseSignup(body []byte) (string, error) {
	bad := func(format string, args ...any) error {
		return walletwallet.Errorf(walletwallet.EINVALID, format, args...)
	}
	if !utf8.Valid(body) {
		return "", bad("request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", bad(`request body must be a JSON object {"email": "…"}`)
	}
	var email *string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", bad("malformed JSON: %v", err)
		}
		name, _ := tok.(string)
		if name != "email" {
			return "", bad("unknown field %q: the signup body is {\"email\": \"…\"}", name)
		}
		if email != nil {
			return "", bad(`duplicate field "email"`)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return "", bad("malformed JSON: %v", err)
		}
		str, ok := v.(string)
		if !ok {
			return "", bad("email is required and must be a string")
		}
		email = &str
	}
	if _, err := dec.Token(); err != nil {
		return "", bad("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", bad("request body has data after the JSON object")
	}
	if email == nil {
		return "", bad("email is required and must be a string")
	}
	if !validEmail(*email) {
		return "", bad("email must be an e-mail address like name@example.com (ASCII, at most %d characters)", MaxEmail)
	}
	return *email, nil
}

// validEmail accepts the addresses people type: ASCII local@domain with a
// dotted domain of letters, digits and hyphens; net/mail checks the local
// part's syntax.
func validEmail(s string) bool {
	if len(s) > MaxEmail || strings.TrimSpace(s) != s {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(local) > 64 || strings.Contains(domain, "@") {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

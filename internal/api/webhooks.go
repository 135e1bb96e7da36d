package api

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
)

// Webhook limits.
const (
	MaxWebhookURL      = 2048
	MaxWebhooksPerAcct = 25
	secretPrefix       = "whsec_"
	secretBytes        = 32 // 43 base64url characters after the prefix
)

// Sealer encrypts a webhook secret for storage (sealbox.Box); aad is the
// webhook id.
type Sealer interface {
	Seal(plain, aad []byte) []byte
}

// HostChecker refuses a URL host that is a non-public IP literal
// (egress.Guard); names are checked again when a delivery dials.
type HostChecker interface {
	CheckHost(host string) error
}

type webhookJSON struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	Secret    string   `json:"secret,omitempty"`
	CreatedAt int64    `json:"createdAt"`
}

func webhookOut(wh *walletwallet.Webhook) webhookJSON {
	ev := make([]string, len(wh.Events))
	for i, e := range wh.Events {
		ev[i] = string(e)
	}
	return webhookJSON{ID: wh.ID, URL: wh.URL, Events: ev, CreatedAt: wh.CreatedAt.UnixMilli()}
}

func (s *server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	u, events, err := s.parseWebhook(body)
	if err != nil {
		return err
	}
	have, err := s.Store.Webhooks(r.Context(), a.ID)
	if err != nil {
		return err
	}
	if len(have) >= MaxWebhooksPerAcct {
		return walletwallet.Errorf(walletwallet.ECONFLICT, "this account already has %d webhooks, the most allowed; delete one first", MaxWebhooksPerAcct)
	}
	var raw [secretBytes]byte
	rand.Read(raw[:])
	secret := secretPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	wh := &walletwallet.Webhook{ID: walletwallet.NewWebhookID(), AccountID: a.ID, URL: u, Events: events,
		CreatedAt: s.Now()}
	wh.SealedSecret = s.Secrets.Seal([]byte(secret), []byte(wh.ID))
	if err := s.Store.CreateWebhook(r.Context(), wh); err != nil {
		return err
	}
	out := webhookOut(wh)
	out.Secret = secret
	jsonhttp.WriteJSON(w, http.StatusCreated, out)
	return nil
}

func (s *server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	whs, err := s.Store.Webhooks(r.Context(), a.ID)
	if err != nil {
		return err
	}
	out := make([]webhookJSON, len(whs))
	for i := range whs {
		out[i] = webhookOut(&whs[i])
	}
	jsonhttp.WriteJSON(w, http.StatusOK, map[string]any{"webhooks": out})
	return nil
}

func (s *server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	a, err := s.authenticate(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if !validWebhookID(id) {
		return walletwallet.Errorf(walletwallet.ENOTFOUND, "webhook %q not found", id)
	}
	if err := s.Store.DeleteWebhook(r.Context(), a.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// validWebhookID: "wh_" and 24 lowercase hex digits (walletwallet.NewWebhookID).
func validWebhookID(id string) bool {
	hex, ok := strings.CutPrefix(id, "wh_")
	if !ok || len(hex) != 24 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// parseWebhook reads {"url", "events"?}: no other members, nothing after
// the object; events absent means every type, present must name known
// types (duplicates collapse, contract order kept).
func (s *server) parseWebhook(body []byte) (string, []walletwallet.EventType, error) {
	bad := func(format string, args ...any) error {
		return walletwallet.Errorf(walletwallet.EINVALID, format, args...)
	}
	if !utf8.Valid(body) {
		return "", nil, bad("request body is not valid UTF-8")
	}
	var in struct {
		URL    *string          `json:"url"`
		Events *json.RawMessage `json:"events"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return "", nil, bad(`request body must be {"url": "https://…", "events": [names]}: %v`, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", nil, bad("request body has data after the JSON object")
	}
	if in.URL == nil {
		return "", nil, bad("url is required: the https address to POST events to")
	}
	u, err := s.checkWebhookURL(*in.URL)
	if err != nil {
		return "", nil, err
	}
	if in.Events == nil || string(*in.Events) == "null" {
		return u, slices.Clone(walletwallet.AllEventTypes), nil
	}
	var names []string
	if err := json.Unmarshal(*in.Events, &names); err != nil {
		return "", nil, bad("events must be an array of event type names")
	}
	if len(names) == 0 {
		return "", nil, bad("events must name at least one event type (leave it out for all)")
	}
	want := map[walletwallet.EventType]bool{}
	for _, n := range names {
		t, ok := walletwallet.ParseEventType(n)
		if !ok {
			return "", nil, bad("events: unknown event type %q; known: %s", n, joinTypes())
		}
		want[t] = true
	}
	var events []walletwallet.EventType
	for _, t := range walletwallet.AllEventTypes {
		if want[t] {
			events = append(events, t)
		}
	}
	return u, events, nil
}

func joinTypes() string {
	s := make([]string, len(walletwallet.AllEventTypes))
	for i, t := range walletwallet.AllEventTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// checkWebhookURL accepts an absolute https URL without credentials or
// fragment whose host is a name or a public address literal.
func (s *server) checkWebhookURL(raw string) (string, error) {
	bad := func(format string, args ...any) (string, error) {
		return "", walletwallet.Errorf(walletwallet.EINVALID, "url "+format, args...)
	}
	if len(raw) > MaxWebhookURL {
		return bad("is longer than %d characters", MaxWebhookURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("is not a valid URL: %v", err)
	}
	if u.Scheme != "https" {
		return bad("must be https (got %q)", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return bad("must be an absolute https URL with a host")
	}
	if u.User != nil {
		return bad("must not carry credentials")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return bad("must not have a fragment")
	}
	if err := s.WebhookHosts.CheckHost(u.Hostname()); err != nil {
		return bad("names a non-public address: %v", err)
	}
	return u.String(), nil
}

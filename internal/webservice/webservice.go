// Package webservice serves Apple's PassKit web service: the endpoints that
// Wallet on a device calls at a pass's webServiceURL to register for update
// pushes, learn which passes changed, download the latest version of a pass
// and report problems.
//
// Decisions where Apple's reference is silent:
//   - Deleting a registration that does not exist answers 200, like a
//     successful delete: the device's goal (no more pushes) is met, and a
//     device that retries a DELETE whose first answer it lost must not see an
//     error. An unknown pass is still 401, because its token cannot be checked.
//   - A passesUpdatedSince tag that is not a decimal number of milliseconds is
//     treated as absent (list every registered pass): a device with a tag we
//     cannot read is better served by a full list than by an error it cannot
//     recover from. Every tag we hand out is such a number.
//   - Registration bodies may carry members other than pushToken (Wallet may
//     add some); only pushToken is read and it must be a non-empty string.
//   - A path parameter that cannot name a real object (a serial that is not
//     a UUID, a pass type id or device library id of another shape or
//     length, NUL bytes, invalid UTF-8) is answered before any query as an
//     unknown object is: 401 where a token is checked, 204 (nothing to
//     report) on the serial list, which has none.
//   - /v1/log keeps the first 100 messages of a request and notes how many it
//     dropped, rather than rejecting the batch: nobody reads an error there.
package webservice

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
)

// Store is the part of walletwallet.Store the web service needs.
type Store interface {
	Pass(ctx context.Context, passTypeID, serial string) (*walletwallet.Pass, error)
	SetBlob(ctx context.Context, passTypeID, serial string, lastModified time.Time, blob []byte) error
	Register(ctx context.Context, r *walletwallet.Registration) (bool, error)
	Unregister(ctx context.Context, deviceID, passTypeID, serial string) error
	UpdatedSerials(ctx context.Context, deviceID, passTypeID string, since time.Time) ([]string, time.Time, error)
}

// Blobs gives the signed .pkpass of a version of a pass (passblob.Source:
// the stored blob, or one shared rebuild when it is missing).
type Blobs interface {
	Current(ctx context.Context, p *walletwallet.Pass) ([]byte, error)
}

// Options are the dependencies of the web service.
type Options struct {
	Store  Store
	Blobs  Blobs
	Logger *slog.Logger // nil: slog.Default()
	// Now is the clock (nil: time.Now); it decides whether a pass's
	// last-modified second is over (see lastModifiedHeader).
	Now func() time.Time
}

// Limits of what a device may send.
const (
	maxRegisterBody = 4 << 10
	maxLogBody      = 64 << 10
	maxLogMessages  = 100
	maxLogMessage   = 1024 // characters
)

// Routes of the web service (Wallet appends "v1/…" to webServiceURL).
const (
	routeRegistration  = "/v1/devices/{deviceID}/registrations/{passTypeID}/{serial}"
	routeRegistrations = "/v1/devices/{deviceID}/registrations/{passTypeID}"
	routePass          = "/v1/passes/{passTypeID}/{serial}"
	routeLog           = "/v1/log"
)

type service struct {
	store Store
	blobs Blobs
	log   *slog.Logger
	now   func() time.Time
}

// Register adds the web service routes to rt.
func Register(rt *jsonhttp.Router, o Options) {
	s := &service{store: o.Store, blobs: o.Blobs, log: o.Logger, now: o.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	rt.Handle(http.MethodPost, routeRegistration, jsonhttp.HandlerFunc(s.handleRegister))
	rt.Handle(http.MethodDelete, routeRegistration, jsonhttp.HandlerFunc(s.handleUnregister))
	rt.Handle(http.MethodGet, routeRegistrations, jsonhttp.HandlerFunc(s.handleSerials))
	rt.Handle(http.MethodGet, routePass, jsonhttp.HandlerFunc(s.handlePass))
	rt.Handle(http.MethodPost, routeLog, jsonhttp.HandlerFunc(s.handleLog))
}

// errUnauthorized is the one answer for every authentication failure, so a
// caller cannot tell an unknown pass from a wrong token.
var errUnauthorized = &walletwallet.Error{
	Code:    walletwallet.EUNAUTHORIZED,
	Message: "missing or invalid Authorization: ApplePass <authenticationToken>",
}

// authorize loads the pass named in the path and checks the request's
// ApplePass token against it.
func (s *service) authorize(r *http.Request, passTypeID, serial string) (*walletwallet.Pass, error) {
	if !walletwallet.ValidPassTypeID(passTypeID) || !walletwallet.ValidSerial(serial) {
		return nil, errUnauthorized
	}
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return nil, errUnauthorized
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	// Auth schemes are case-insensitive (RFC 9110 §11.1).
	if !ok || !strings.EqualFold(scheme, "ApplePass") || token == "" {
		return nil, errUnauthorized
	}
	p, err := s.store.Pass(r.Context(), passTypeID, serial)
	if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	// The store keys passes by type and serial; checking again keeps a
	// store that ignores the type from serving another type's pass.
	if p.PassTypeID != passTypeID || p.AuthToken == "" ||
		subtle.ConstantTimeCompare([]byte(token), []byte(p.AuthToken)) != 1 {
		return nil, errUnauthorized
	}
	return p, nil
}

// checkDeviceID answers a device library id that no device can have like
// an unknown pass: there is no other answer the protocol gives.
func checkDeviceID(id string) error {
	if !walletwallet.ValidDeviceID(id) {
		return errUnauthorized
	}
	return nil
}

// readBody reads at most limit bytes of the request body; more is a 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, walletwallet.Errorf(walletwallet.ETOOLARGE, "request body is larger than %d bytes", limit)
	}
	if err != nil {
		return nil, walletwallet.Errorf(walletwallet.EINVALID, "could not read request body")
	}
	return b, nil
}

func (s *service) handleRegister(w http.ResponseWriter, r *http.Request) error {
	deviceID, passTypeID, serial := r.PathValue("deviceID"), r.PathValue("passTypeID"), r.PathValue("serial")
	if _, err := s.authorize(r, passTypeID, serial); err != nil {
		return err
	}
	if err := checkDeviceID(deviceID); err != nil {
		return err
	}
	body, err := readBody(w, r, maxRegisterBody)
	if err != nil {
		return err
	}
	var req struct {
		PushToken *string `json:"pushToken"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return walletwallet.Errorf(walletwallet.EINVALID, "request body must be a JSON object {\"pushToken\": \"…\"}: %v", err)
	}
	if req.PushToken == nil || *req.PushToken == "" {
		return walletwallet.Errorf(walletwallet.EINVALID, "pushToken is required")
	}
	if !walletwallet.ValidPushToken(*req.PushToken) {
		return walletwallet.Errorf(walletwallet.EINVALID, "pushToken must be 1 to %d letters, digits, '-', '_', ':' or '.'", walletwallet.MaxPushToken)
	}
	created, err := s.store.Register(r.Context(), &walletwallet.Registration{
		DeviceID: deviceID, PushToken: *req.PushToken, PassTypeID: passTypeID, Serial: serial,
	})
	if walletwallet.ErrorCode(err) == walletwallet.ENOTFOUND {
		// The pass went away between the check and the write.
		return errUnauthorized
	}
	if err != nil {
		return err
	}
	if created {
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	return nil
}

func (s *service) handleUnregister(w http.ResponseWriter, r *http.Request) error {
	deviceID, passTypeID, serial := r.PathValue("deviceID"), r.PathValue("passTypeID"), r.PathValue("serial")
	if _, err := s.authorize(r, passTypeID, serial); err != nil {
		return err
	}
	if err := checkDeviceID(deviceID); err != nil {
		return err
	}
	err := s.store.Unregister(r.Context(), deviceID, passTypeID, serial)
	if err != nil && walletwallet.ErrorCode(err) != walletwallet.ENOTFOUND {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// serialList is Apple's SerialNumbers object.
type serialList struct {
	SerialNumbers []string `json:"serialNumbers"`
	LastUpdated   string   `json:"lastUpdated"`
}

// parseTag reads a passesUpdatedSince tag: the decimal millisecond Unix time
// that lastUpdated gave out. The zero time (anything unreadable) lists all.
func parseTag(tag string) time.Time {
	ms, err := strconv.ParseInt(tag, 10, 64)
	if err != nil || ms < 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func formatTag(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func (s *service) handleSerials(w http.ResponseWriter, r *http.Request) error {
	deviceID, passTypeID := r.PathValue("deviceID"), r.PathValue("passTypeID")
	if !walletwallet.ValidDeviceID(deviceID) || !walletwallet.ValidPassTypeID(passTypeID) {
		// No such device has passes of no such type.
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	since := parseTag(r.URL.Query().Get("passesUpdatedSince"))
	serials, latest, err := s.store.UpdatedSerials(r.Context(), deviceID, passTypeID, since)
	if err != nil {
		return err
	}
	if len(serials) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	jsonhttp.WriteJSON(w, http.StatusOK, serialList{SerialNumbers: serials, LastUpdated: formatTag(latest)})
	return nil
}

func (s *service) handleLog(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxLogBody)
	if err != nil {
		return err
	}
	var req struct {
		Logs []string `json:"logs"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return walletwallet.Errorf(walletwallet.EINVALID, "request body must be a JSON object {\"logs\": [\"…\"]}: %v", err)
	}
	id := jsonhttp.RequestID(r.Context())
	logs := req.Logs
	if len(logs) > maxLogMessages {
		s.log.WarnContext(r.Context(), "passkit device log truncated", "request_id", id, "dropped", len(logs)-maxLogMessages)
		logs = logs[:maxLogMessages]
	}
	for _, m := range logs {
		m, cut := truncate(m, maxLogMessage)
		s.log.WarnContext(r.Context(), "passkit device log", "message", m, "truncated", cut, "request_id", id)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// truncate keeps the first n characters of m and reports whether it cut.
func truncate(m string, n int) (string, bool) {
	i := 0
	for pos := range m {
		if i == n {
			return m[:pos], true
		}
		i++
	}
	return m, false
}

// decodeStrict decodes exactly one JSON value into v; trailing data is an error.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty body")
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

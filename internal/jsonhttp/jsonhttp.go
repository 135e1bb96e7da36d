// Package jsonhttp is the HTTP plumbing shared by the API and the PassKit
// web service: handlers that return errors, the one place that turns an error
// into a JSON answer, request ids, access logs, panic recovery, and a router
// that answers unknown routes, wrong methods and non-canonical paths with JSON
// instead of ServeMux's plain-text answers and redirects.
package jsonhttp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/walletwallet/walletwallet"
)

// HandlerFunc is a handler that reports failure by returning an error;
// ServeHTTP writes it with WriteError.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		WriteError(w, r, err)
	}
}

// Status maps a domain error code to its HTTP status.
func Status(code string) int {
	switch code {
	case walletwallet.EINVALID:
		return http.StatusBadRequest
	case walletwallet.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case walletwallet.EFORBIDDEN:
		return http.StatusForbidden
	case walletwallet.ENOTFOUND:
		return http.StatusNotFound
	case walletwallet.EMETHOD:
		return http.StatusMethodNotAllowed
	case walletwallet.ECONFLICT:
		return http.StatusConflict
	case walletwallet.EGONE:
		return http.StatusGone
	case walletwallet.EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case walletwallet.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case walletwallet.EMEDIATYPE:
		return http.StatusUnsupportedMediaType
	case walletwallet.EQUOTA:
		return http.StatusTooManyRequests
	case walletwallet.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// WriteError answers with {"error": message} (plus the error's Extra members)
// and the status of its code. Internal errors are logged with the request id
// and the client sees only "internal error" and that id.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	id := RequestID(r.Context())
	status, body, internal := ErrorBody(err, id)
	if !internal {
		if ri, ok := r.Context().Value(ctxKey{}).(*reqInfo); ok {
			ri.clientErr = body["error"]
		}
	} else {
		log := logger(r.Context())
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			// The client went away; nobody reads this answer.
			log.InfoContext(r.Context(), "request canceled", "request_id", id)
		} else {
			log.ErrorContext(r.Context(), "internal error", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	WriteJSON(w, status, body)
}

// ErrorBody is what a client is told of err: the status of its code and the
// members {"error": message, …Extra}. internal marks an error of ours, whose
// message stays in the log: the body then says only "internal error" (or
// "service temporarily unavailable") and the request id. Every face that
// reports errors (the API, the MCP tools) words them here.
func ErrorBody(err error, requestID string) (status int, body map[string]string, internal bool) {
	code := walletwallet.ErrorCode(err)
	body = map[string]string{}
	var e *walletwallet.Error
	if errors.As(err, &e) {
		for k, v := range e.Extra {
			body[k] = v
		}
		body["error"] = e.Message
		return Status(code), body, false
	}
	if code == walletwallet.EUNAVAILABLE {
		body["error"] = "service temporarily unavailable (request id " + requestID + ")"
	} else {
		body["error"] = "internal error (request id " + requestID + ")"
	}
	return Status(code), body, true
}

// WriteJSON writes v as a JSON answer with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	// Messages quote what to send ("Bearer ww_live_<32 hex characters>"):
	// keep < > & readable instead of \u003c escapes.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"internal error"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type ctxKey struct{}

type reqInfo struct {
	id  string
	log *slog.Logger
	// clientErr is the message a client error answer carried, for the
	// access log line: a 400 is then explained where it is counted.
	clientErr string
}

// RequestID returns the id the middleware gave this request ("" outside one).
func RequestID(ctx context.Context) string {
	if ri, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return ri.id
	}
	return ""
}

func logger(ctx context.Context) *slog.Logger {
	if ri, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return ri.log
	}
	return slog.Default()
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Middleware gives every request an id (X-Request-Id on every answer),
// recovers panics into a logged 500 JSON answer, and logs one line per
// request with method, route, status, duration and request id, plus the
// error message of a 4xx answer.
func Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return ObservedMiddleware(log, nil, next)
}

// Observer records each answered request (internal/metrics). route is the
// matched route pattern or "-", never the raw path, so its values are bounded.
type Observer interface {
	ObserveHTTP(route string, code int, d time.Duration)
}

// ObservedMiddleware is Middleware that also reports every request to obs
// (nil: none), from the same place that writes the access log line.
func ObservedMiddleware(log *slog.Logger, obs Observer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		ri := &reqInfo{id: id, log: log}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic", "request_id", id, "panic", p, "method", r.Method, "path", r.URL.Path)
				if rec.status == 0 {
					WriteError(rec, r, errors.New("panic"))
				}
			}
			elapsed := time.Since(start)
			route := r.Pattern
			if route == "" {
				route = "-"
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", rec.status),
				slog.Duration("duration", elapsed),
				slog.Int64("bytes", rec.bytes),
				slog.String("request_id", id),
			}
			if ri.clientErr != "" && rec.status >= 400 && rec.status < 500 {
				attrs = append(attrs, slog.String("error", ri.clientErr))
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
			if obs != nil {
				status := rec.status
				if status == 0 {
					status = http.StatusOK // nothing written: net/http answers 200
				}
				obs.ObserveHTTP(route, status, elapsed)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// Router is a route table on http.ServeMux that answers in JSON where the
// mux would answer in plain text or redirect: unknown routes 404, known paths
// with another method 405 with Allow, and non-canonical paths 404.
type Router struct {
	mux     *http.ServeMux
	methods map[string][]string // path pattern → methods
}

// NewRouter returns an empty router.
func NewRouter() *Router {
	rt := &Router{mux: http.NewServeMux(), methods: map[string][]string{}}
	rt.mux.Handle("/", HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return walletwallet.Errorf(walletwallet.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path)
	}))
	return rt
}

// Handle registers h for method and path (a ServeMux path pattern such as
// "/v1/passes/{passTypeID}/{serial}").
func (rt *Router) Handle(method, path string, h http.Handler) {
	if _, ok := rt.methods[path]; !ok {
		// A pattern without a method is less specific than one with: it
		// only sees the methods nobody registered, which are 405s.
		rt.mux.Handle(path, HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			allow := rt.allow(path)
			w.Header().Set("Allow", allow)
			return walletwallet.Errorf(walletwallet.EMETHOD, "method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow)
		}))
	}
	rt.methods[path] = append(rt.methods[path], method)
	rt.mux.Handle(method+" "+path, h)
}

func (rt *Router) allow(path string) string {
	ms := append([]string(nil), rt.methods[path]...)
	for _, m := range ms {
		if m == http.MethodGet {
			ms = append(ms, http.MethodHead)
			break
		}
	}
	sort.Strings(ms)
	return strings.Join(ms, ", ")
}

// Route is one registered method and path pattern.
type Route struct{ Method, Path string }

// Routes lists the registered routes, sorted by path then method (the
// OpenAPI test compares them with the document's).
func (rt *Router) Routes() []Route {
	var out []Route
	for path, ms := range rt.methods {
		for _, m := range ms {
			out = append(out, Route{m, path})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Allow lists the methods registered for a path pattern (for CORS preflights).
func (rt *Router) Allow(path string) string { return rt.allow(path) }

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !canonicalPath(r.URL.Path) || r.Method == http.MethodConnect {
		WriteError(w, r, walletwallet.Errorf(walletwallet.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path))
		return
	}
	rt.mux.ServeHTTP(w, r)
}

// canonicalPath reports whether p is already what ServeMux's path cleaning
// would produce, so that the mux never answers with a redirect.
func canonicalPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	if strings.Contains(p, "//") {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

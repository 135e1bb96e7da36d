// Package mcpserver is the Model Context Protocol face of the product:
// POST /mcp speaks MCP's Streamable HTTP transport (through the official Go
// SDK) and offers tools that act as the account of the request's API key.
// Every tool is a thin call of the pass service the HTTP handlers call, so
// no rule is written twice and a tool refuses exactly what the API refuses,
// with the API's message.
package mcpserver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/api"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/passes"
)

// Path is where the server is mounted.
const Path = "/mcp"

// Options wires the MCP server.
type Options struct {
	// Keys resolves API keys to accounts (the store).
	Keys api.KeyStore
	// Passes performs the operations (the same service the API uses).
	Passes *passes.Service
	Logger *slog.Logger
	// Version is reported as the server's version in the MCP handshake.
	Version string
}

// Register mounts the server at POST /mcp. The transport runs stateless
// (docs/decisions.md): every POST carries its own key and is answered on
// its own, so GET and DELETE have nothing to do and the router answers them
// 405 with Allow: POST.
func Register(rt *jsonhttp.Router, o Options) {
	rt.Handle(http.MethodPost, Path, Handler(o))
}

// Handler returns the /mcp endpoint: API-key auth and the API's body rules
// in front of the SDK's Streamable HTTP handler.
func Handler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	// The SDK logs every request's throwaway session at Info: only its
	// warnings and errors reach our log (the access log has the request).
	sdkLog := slog.New(minLevel{o.Logger.Handler(), slog.LevelWarn})
	srv := mcp.NewServer(&mcp.Implementation{Name: "walletwallet", Title: "WalletWallet", Version: o.Version}, &mcp.ServerOptions{
		Instructions: instructions,
		Logger:       sdkLog,
	})
	t := &tools{passes: o.Passes, log: o.Logger}
	t.register(srv)
	stream := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{
		Stateless: true,
		// Plain JSON answers: there is nothing to stream (no progress, no
		// server-to-client requests), and curl users can read them.
		JSONResponse: true,
		Logger:       sdkLog,
		// The body was already read (and limited) by serve below.
		MaxRequestBodyBytes: api.MaxBody,
		// The SDK's guard refuses requests reaching a loopback listener under
		// another Host name, against DNS rebinding of unauthenticated local
		// servers. Every request here must carry an API key, which a
		// rebinding page does not have, and the guard would refuse every
		// request a reverse proxy on the same host forwards.
		DisableLocalhostProtection: true,
	})
	// The SDK learns the caller from the context RequireBearerToken fills;
	// the verifier only hands on the account serve already resolved.
	inner := auth.RequireBearerToken(func(ctx context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
		c, ok := r.Context().Value(callerKey{}).(*caller)
		if !ok {
			return nil, auth.ErrInvalidToken // unreachable: serve always sets it
		}
		return &auth.TokenInfo{UserID: strconv.FormatInt(c.account.ID, 10), Extra: map[string]any{callerExtra: c}}, nil
	}, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(stream)
	return jsonhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return serve(w, r, o.Keys, inner)
	})
}

// serve authenticates every request with the API's rule (a refused key is
// the API's 401 JSON, before the transport sees anything), reads the body
// under the API's limits and passes the request on with its caller.
func serve(w http.ResponseWriter, r *http.Request, keys api.KeyStore, next http.Handler) error {
	a, err := api.Authenticate(r, keys)
	if err != nil {
		return err
	}
	body, err := api.ReadJSON(w, r)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	c := &caller{account: a, requestID: jsonhttp.RequestID(r.Context())}
	jw := &jsonErrors{ResponseWriter: w}
	next.ServeHTTP(jw, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	jw.finish()
	return nil
}

// jsonErrors turns the transport's plain-text refusals (http.Error: a wrong
// Accept header, an unsupported protocol version) into the API's JSON error
// answer, so that nothing on /mcp answers a client's mistake in plain text.
// JSON answers (JSON-RPC results and errors) pass untouched.
type jsonErrors struct {
	http.ResponseWriter
	status int // of an intercepted refusal; 0 = passing through
	text   bytes.Buffer
}

func (w *jsonErrors) WriteHeader(code int) {
	if code >= 400 && w.status == 0 && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		w.status = code
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *jsonErrors) Write(b []byte) (int, error) {
	if w.status != 0 {
		return w.text.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *jsonErrors) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && w.status == 0 {
		f.Flush()
	}
}

func (w *jsonErrors) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *jsonErrors) finish() {
	if w.status == 0 {
		return
	}
	w.Header().Del("X-Content-Type-Options")
	jsonhttp.WriteJSON(w.ResponseWriter, w.status, map[string]string{"error": strings.TrimSpace(w.text.String())})
}

const instructions = `WalletWallet issues Apple Wallet passes. Every tool acts as the account of the API key this connection was made with.
create_pass takes the same JSON body as POST /api/passes and returns the pass's serial number and share link; update_pass replaces a pass's body, patch_pass merges a JSON merge patch into it (both push the new version to every device that holds the pass), void_pass withdraws it.
get_pass, list_passes and get_usage read; preview_pass draws a body or a stored pass as a PNG without storing or counting anything.
A refused call returns an error result whose text is the API's message: it names the field and the rule.`

// caller is who a request acts as, resolved once per HTTP request.
type caller struct {
	account   *walletwallet.Account
	requestID string
}

type callerKey struct{}

// callerExtra is the TokenInfo.Extra member carrying the caller.
const callerExtra = "walletwallet.caller"

var errNoCaller = errors.New("mcpserver: tool called without an authenticated caller")

// callerOf returns the caller of a tool call.
func callerOf(req *mcp.CallToolRequest) (*caller, error) {
	if req.Extra == nil || req.Extra.TokenInfo == nil {
		return nil, errNoCaller
	}
	c, ok := req.Extra.TokenInfo.Extra[callerExtra].(*caller)
	if !ok {
		return nil, errNoCaller
	}
	return c, nil
}

// minLevel drops records below its level.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.level}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.level}
}

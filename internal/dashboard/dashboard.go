// Package dashboard serves the web app at / and the signup page: plain HTML,
// CSS and a small script embedded in the binary, so it works offline and
// loads nothing from elsewhere. The app signs in with an API key kept in
// sessionStorage and calls only the public API on its own origin; every
// customer string it shows goes through textContent, never markup.
package dashboard

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy of every HTML answer: scripts, styles,
// fonts and connections only from this origin, no inline script or style,
// images also from blob: URLs (the app fetches previews with its key and
// shows them through object URLs), and no framing.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// SetHTMLHeaders puts the policy and the other headers every HTML answer of
// the server carries (the share page uses it too).
func SetHTMLHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-cache")
}

// Options wires the dashboard.
type Options struct {
	// Signup serves GET /signup (WW_SIGNUP=open); without it the page does
	// not exist (404).
	Signup bool
}

// Register adds the dashboard's routes to rt.
func Register(rt *jsonhttp.Router, o Options) {
	rt.Handle(http.MethodGet, "/{$}", page("index.html"))
	if o.Signup {
		rt.Handle(http.MethodGet, "/signup", page("signup.html"))
	}
	rt.Handle(http.MethodGet, "/assets/{name}", jsonhttp.HandlerFunc(asset))
}

func page(name string) http.Handler {
	body, err := static.ReadFile("static/" + name)
	if err != nil {
		panic("dashboard: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetHTMLHeaders(w.Header())
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
}

func asset(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	body, err := fs.ReadFile(static, "static/assets/"+name)
	if err != nil || path.Base(name) != name {
		return walletwallet.Errorf(walletwallet.ENOTFOUND, "no asset %q", name)
	}
	h := w.Header()
	h.Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

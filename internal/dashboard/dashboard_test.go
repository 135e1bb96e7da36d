package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet/internal/jsonhttp"
)

func server(t *testing.T, signup bool) *httptest.Server {
	rt := jsonhttp.NewRouter()
	Register(rt, Options{Signup: signup})
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

var (
	inlineScript  = regexp.MustCompile(`(?is)<script(?:\s[^>]*)?>\s*[^<\s]`)
	scriptTag     = regexp.MustCompile(`(?is)<script[^>]*>`)
	eventHandler  = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	styleAttr     = regexp.MustCompile(`(?i)\sstyle\s*=`)
	external      = regexp.MustCompile(`(?i)(?:src|href)\s*=\s*"(?:https?:)?//`)
	javascriptURL = regexp.MustCompile(`(?i)javascript:`)
)

func TestPagesCarryTheCSPAndNoInlineCode(t *testing.T) {
	srv := server(t, true)
	for _, path := range []string{"/", "/signup"} {
		res, body := get(t, srv.URL+path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s Content-Type %q", path, ct)
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "*") {
			t.Errorf("%s CSP allows inline code or other origins: %q", path, csp)
		}
		for name, re := range map[string]*regexp.Regexp{
			"inline script": inlineScript, "event handler attribute": eventHandler,
			"style attribute": styleAttr, "external resource": external, "javascript: URL": javascriptURL,
		} {
			if m := re.FindString(body); m != "" {
				t.Errorf("%s has a %s: %q", path, name, m)
			}
		}
		tags := scriptTag.FindAllString(body, -1)
		if len(tags) == 0 {
			t.Errorf("%s loads no script", path)
		}
		for _, tag := range tags {
			if !strings.Contains(tag, ` src="/assets/`) {
				t.Errorf("%s: script tag %q does not load an own asset", path, tag)
			}
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s without nosniff", path)
		}
	}
}

func TestAssets(t *testing.T) {
	srv := server(t, false)
	for path, ct := range map[string]string{
		"/assets/app.js":    "text/javascript; charset=utf-8",
		"/assets/signup.js": "text/javascript; charset=utf-8",
		"/assets/app.css":   "text/css; charset=utf-8",
		"/assets/icon.svg":  "image/svg+xml",
	} {
		res, body := get(t, srv.URL+path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != ct || len(body) < 100 {
			t.Errorf("%s: %d %q, %d bytes", path, res.StatusCode, res.Header.Get("Content-Type"), len(body))
		}
	}
	// The scripts never build markup from strings.
	_, js := get(t, srv.URL+"/assets/app.js")
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
	for _, path := range []string{"/assets/nope.js", "/assets/..%2fdashboard.go", "/assets/"} {
		res, body := get(t, srv.URL+path)
		if res.StatusCode != 404 || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s, want a 404 JSON error", path, res.StatusCode, body)
		}
	}
}

func TestSignupPageOnlyWhenOpen(t *testing.T) {
	res, body := get(t, server(t, false).URL+"/signup")
	if res.StatusCode != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("closed: %d %s, want a 404 JSON error", res.StatusCode, body)
	}
	if res, _ := get(t, server(t, true).URL+"/signup"); res.StatusCode != 200 {
		t.Errorf("open: %d", res.StatusCode)
	}
}

package openapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet/internal/openapi/openapitest"
)

// exampleSerial stands in for the serial placeholders of the examples.
const exampleSerial = "8f4c3a2e-1b2c-4d5e-8f90-123456789abc"

// block is one fenced code block and the heading it sits under.
type block struct {
	lang, heading, text string
	line                int
}

func blocks(t *testing.T, path string) []block {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []block
	var cur *block
	heading := ""
	for i, l := range strings.Split(string(raw), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(l, "```"):
			cur = &block{lang: strings.TrimPrefix(l, "```"), heading: heading, line: i + 1}
		case cur != nil && strings.HasPrefix(l, "```"):
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += l + "\n"
		case strings.HasPrefix(l, "#"):
			heading = strings.TrimSpace(strings.TrimLeft(l, "#"))
		}
	}
	return out
}

// shellWords splits a command line the way sh would for the quoting the
// examples use ('…' and "…").
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	for _, c := range s {
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(c)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

var placeholders = strings.NewReplacer("$SERIAL", exampleSerial, "8f4c3a2e-...", exampleSerial, "$TEMPLATE", "tpl_AAAAAAAAAAAAAAAAAAAAAA")

// curlRequest rebuilds the HTTP request a curl command line sends.
func curlRequest(t *testing.T, root, cmd string) (*http.Request, []byte) {
	t.Helper()
	words := shellWords(cmd)
	method, target := "", ""
	var body []byte
	header := http.Header{}
	for i := 0; i < len(words); i++ {
		switch w := words[i]; {
		case w == "-X":
			i++
			method = words[i]
		case w == "-H":
			i++
			k, v, _ := strings.Cut(words[i], ":")
			header.Add(k, strings.TrimSpace(v))
		case w == "-d" || w == "--data":
			i++
			if f, ok := strings.CutPrefix(words[i], "@"); ok {
				b, err := os.ReadFile(root + "/" + f)
				if err != nil {
					t.Fatalf("%s: %v", cmd, err)
				}
				body = b
			} else {
				body = []byte(words[i])
			}
		case w == "-o" || w == "-D":
			i++
		case strings.HasPrefix(w, "http") || strings.HasPrefix(w, "$BASE/"):
			w = strings.Replace(w, "$BASE", "http://localhost:8080", 1)
			target = placeholders.Replace(w)
		}
	}
	if method == "" {
		method = http.MethodGet
		if body != nil {
			method = http.MethodPost
		}
	}
	u, err := url.Parse(target)
	if err != nil || u.Path == "" || strings.Contains(target, "$") {
		t.Fatalf("cannot read the URL of %q: %q", cmd, target)
	}
	req, _ := http.NewRequest(method, u.Path+"?"+u.RawQuery, nil)
	req.URL.RawQuery = u.RawQuery
	req.Header = header
	return req, body
}

// curlCommands are the curl command lines of a shell block, continuation
// lines joined.
func curlCommands(text string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\\\n", " "), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "curl ") {
			out = append(out, l)
		}
	}
	return out
}

// jsLiteral turns the object literals of the JavaScript and Python
// examples into JSON: quoted keys, double quotes, no trailing commas.
func jsLiteral(s string) string {
	s = regexp.MustCompile(`'([^']*)'`).ReplaceAllString(s, `"$1"`)
	s = regexp.MustCompile(`([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:`).ReplaceAllString(s, `$1"$2":`)
	return regexp.MustCompile(`,\s*([}\]])`).ReplaceAllString(s, "$1")
}

// balanced returns the JSON-ish object starting at s[i] ('{').
func balanced(s string, i int) string {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return s[i : j+1]
			}
		}
	}
	return ""
}

// answerExamples maps the headings of the API page's answer examples to
// the schema the example shows.
var answerExamples = map[string]string{
	"Response (200)":      "PassUpdated",
	"Idempotent retries":  "PassUpdated",
	"GET /api/auth/usage": "Usage",
	"Errors":              "Error",
}

// checkFile checks the examples of a Markdown file; curlOnly limits it to
// curl command lines (the docs pages show answers of many kinds).
func checkFile(t *testing.T, c *openapitest.Checker, root, path string, curlOnly bool) int {
	n := 0
	for _, b := range blocks(t, path) {
		where := path + ":" + itoa(b.line)
		for _, cmd := range curlCommands(b.text) {
			if curlOnly && (strings.Contains(cmd, "$(") || strings.Contains(cmd, "${")) {
				continue // computed in the shell; the docs test runs these
			}
			req, body := curlRequest(t, root, cmd)
			if err := c.Request(req, body); err != nil {
				t.Errorf("%s: %s %s does not validate: %v", where, req.Method, req.URL.Path, err)
			}
			n++
		}
		text := strings.TrimSpace(b.text)
		if curlOnly {
			continue
		}
		switch {
		case b.lang == "json" && strings.HasPrefix(text, "PUT "):
			// "Common patterns": partial bodies, which the contract makes PATCH bodies.
			body := text[strings.Index(text, "{"):]
			req, _ := http.NewRequest(http.MethodPatch, "/api/pkpass/"+exampleSerial, nil)
			req.Header.Set("Content-Type", "application/merge-patch+json")
			if err := c.Request(req, []byte(body)); err != nil {
				t.Errorf("%s: PATCH body does not validate: %v", where, err)
			}
			n++
		case b.lang == "json":
			schema, ok := answerExamples[b.heading]
			if !ok {
				t.Errorf("%s: answer example under %q: name its schema in answerExamples", where, b.heading)
				continue
			}
			var v any
			if err := json.Unmarshal([]byte(placeholders.Replace(text)), &v); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if err := c.Schema(schema, v); err != nil {
				t.Errorf("%s: example does not validate as %s: %v", where, schema, err)
			}
			n++
		case b.lang == "javascript" || b.lang == "python":
			marker := "JSON.stringify("
			if b.lang == "python" {
				marker = "json="
			}
			i := strings.Index(text, marker)
			if i < 0 {
				t.Errorf("%s: no request body found", where)
				continue
			}
			body := jsLiteral(balanced(text, strings.Index(text[i:], "{")+i))
			req, _ := http.NewRequest(http.MethodPost, "/api/pkpass", nil)
			req.Header.Set("Content-Type", "application/json")
			if err := c.Request(req, []byte(body)); err != nil {
				t.Errorf("%s: body %s does not validate: %v", where, body, err)
			}
			n++
		}
	}
	return n
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestExamplesValidate: every example request of the API page (its code
// blocks, copied into testdata) and of README.md, and every answer example of the API page,
// validates against the document.
func TestExamplesValidate(t *testing.T) {
	c, err := openapitest.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		path     string
		min      int
		curlOnly bool
	}{
		{"testdata/api-page-examples.md", 13, false},
		{"../../README.md", 9, false},
		{"../../docs/api.md", 1, true},
	} {
		n := checkFile(t, c, "../..", f.path, f.curlOnly)
		t.Logf("%s: %d examples", f.path, n)
		if n < f.min {
			t.Errorf("%s: only %d examples found, want at least %d (is the parser still reading them?)", f.path, n, f.min)
		}
	}
}

// TestExamplesCanFail: the checker refuses what the server refuses, so a
// passing example is not a checker that passes everything.
func TestExamplesCanFail(t *testing.T) {
	c, err := openapitest.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		`{"barcodeFormat": "QR", "logoText": "x"}`,
		`{"barcodeValue": "1", "barcodeFormat": "EAN13", "logoText": "x"}`,
		`{"barcodeValue": "1", "barcodeFormat": "QR", "logoText": "x", "serialNumber": "s"}`,
		`{"barcodeValue": "1", "barcodeFormat": "QR", "logoText": "` + strings.Repeat("é", 65) + `"}`,
	} {
		req, _ := http.NewRequest(http.MethodPost, "/api/pkpass", nil)
		req.Header.Set("Content-Type", "application/json")
		if err := c.Request(req, []byte(body)); err == nil {
			t.Errorf("%s validates", body)
		}
	}
}

// apiPage finds the hosted API page in the project's workspace: a
// shared/spec folder beside one of the checkout's parent folders ("" when
// this machine has none).
func apiPage() string {
	dir, err := filepath.Abs(".")
	if err != nil {
		return ""
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "shared", "spec", "walletwallet-api.md")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// TestExamplesMatchThePage: the copied examples are the page's code blocks,
// under the same headings, so the copy cannot drift from the page.
func TestExamplesMatchThePage(t *testing.T) {
	path := apiPage()
	if path == "" {
		t.Skip("no shared/spec/walletwallet-api.md above this checkout; the copy is compared where the page is at hand")
	}
	page, copied := blocks(t, path), blocks(t, "testdata/api-page-examples.md")
	if len(page) != len(copied) {
		t.Fatalf("the page has %d code blocks, the copy %d", len(page), len(copied))
	}
	for i := range page {
		if page[i].lang != copied[i].lang || page[i].heading != copied[i].heading || page[i].text != copied[i].text {
			t.Errorf("block %d (page line %d, under %q) differs from the copy", i, page[i].line, page[i].heading)
		}
	}
}

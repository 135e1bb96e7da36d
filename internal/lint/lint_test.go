package lint_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"math/big"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/images"
	"github.com/walletwallet/walletwallet/internal/issuer"
	"github.com/walletwallet/walletwallet/internal/lint"
	"github.com/walletwallet/walletwallet/internal/pkpass"
	"github.com/walletwallet/walletwallet/internal/signing"
)

type fixture struct {
	is    *issuer.Issuer
	id    *signing.Identity
	roots *x509.CertPool
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	id, rootPEM, err := signing.NewTestChain("pass.test.lint", "TEAMLINT01")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rootPEM)
	return &fixture{
		is: &issuer.Issuer{Signer: id, PassTypeID: id.PassTypeID, TeamID: id.TeamID,
			Images: images.NewRenderer(images.Options{}), WebServiceURL: "https://passes.example.test/"},
		id: id, roots: roots,
	}
}

func pngURI(t *testing.T, w, h int) string {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

func (fx *fixture) build(t *testing.T, body string) map[string][]byte {
	t.Helper()
	req, err := pkpass.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	blob, err := fx.is.Build(context.Background(), req, issuer.Meta{Serial: issuer.NewSerial(), AuthToken: issuer.NewAuthToken(), FirstIssued: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(blob), int64(len(blob)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		files[f.Name] = b.Bytes()
	}
	return files
}

// resign bundles files (without manifest and signature) the way the engine does.
func (fx *fixture) resign(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var fs []pkpass.File
	for _, name := range sortedNames(files) {
		if name != "manifest.json" && name != "signature" {
			fs = append(fs, pkpass.File{Name: name, Data: files[name]})
		}
	}
	b, err := pkpass.Bundle(fs, fx.id.Sign)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rezip writes files as they are (no new manifest or signature), with
// archive/zip's streaming writer when descriptor is set.
func rezip(t *testing.T, files map[string][]byte, descriptor bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range sortedNames(files) {
		var w interface{ Write([]byte) (int, error) }
		var err error
		if descriptor {
			w, err = zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		} else {
			w, err = zw.Create(name) // deflated: streamable with a descriptor
		}
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[name])
	}
	zw.Close()
	return buf.Bytes()
}

func sortedNames(m map[string][]byte) []string {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// editPass applies f to the decoded pass.json.
func editPass(t *testing.T, files map[string][]byte, f func(p map[string]any)) {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(files["pass.json"], &p); err != nil {
		t.Fatal(err)
	}
	f(p)
	b, _ := json.Marshal(p)
	files["pass.json"] = b
}

func otherRoot(t *testing.T) *x509.CertPool {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Other Root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return pool
}

const base = `{"barcodeValue":"X-1","barcodeFormat":"QR","logoText":"Lint","style":"%s"%s}`

func body(style, extra string) string {
	return strings.Replace(strings.Replace(base, "%s", style, 1), "%s", extra, 1)
}

// TestLintBrokenPasses: each check fails on a pass broken in its way, and
// the unbroken pass has no error.
func TestLintBrokenPasses(t *testing.T) {
	fx := newFixture(t)
	good := fx.build(t, body("storeCard", `,"stripURL":"`+pngURI(t, 750, 288)+`","localizations":{"fr":{"Lint":"Peluche"}}`))
	if rep := lint.Check(fx.resign(t, good), lint.Options{Roots: fx.roots}); rep.Errors() != 0 {
		t.Fatalf("the good pass has errors: %v", rep.Findings)
	}
	clone := func() map[string][]byte {
		c := map[string][]byte{}
		for k, v := range good {
			c[k] = bytes.Clone(v)
		}
		return c
	}
	tests := []struct {
		name  string
		make  func() []byte
		opts  lint.Options
		check string
	}{
		{"stored entries with data descriptors", func() []byte { return rezip(t, clone(), true) }, lint.Options{}, "zip"},
		{"not a zip", func() []byte { return []byte("PK but not really") }, lint.Options{}, "zip"},
		{"no manifest", func() []byte { c := clone(); delete(c, "manifest.json"); return rezip(t, c, false) }, lint.Options{}, "required-file"},
		{"file changed after signing", func() []byte {
			c := clone()
			c["pass.json"] = append(c["pass.json"], ' ')
			return rezip(t, c, false)
		}, lint.Options{}, "manifest"},
		{"file not in manifest", func() []byte { c := clone(); c["extra.txt"] = []byte("x"); return rezip(t, c, false) }, lint.Options{}, "manifest"},
		{"garbage signature", func() []byte { c := clone(); c["signature"] = []byte("nope"); return rezip(t, c, false) }, lint.Options{}, "signature"},
		{"signature of another manifest", func() []byte {
			c := clone()
			sig, _ := fx.id.Sign([]byte(`{"pass.json":"0000"}`))
			c["signature"] = sig
			return rezip(t, c, false)
		}, lint.Options{}, "signature"},
		{"untrusted root", func() []byte { return fx.resign(t, clone()) }, lint.Options{Roots: otherRoot(t)}, "chain"},
		{"certificate expired", func() []byte { return fx.resign(t, clone()) }, lint.Options{Now: time.Now().AddDate(30, 0, 0)}, "chain"},
		{"pass type id not the certificate's", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { p["passTypeIdentifier"] = "pass.someone.else" })
			return fx.resign(t, c)
		}, lint.Options{}, "signature"},
		{"team id not the certificate's", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { p["teamIdentifier"] = "OTHERTEAM1" })
			return fx.resign(t, c)
		}, lint.Options{}, "signature"},
		{"http web service", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { p["webServiceURL"] = "http://localhost:8080/" })
			return fx.resign(t, c)
		}, lint.Options{}, "web-service"},
		{"short token", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { p["authenticationToken"] = "short" })
			return fx.resign(t, c)
		}, lint.Options{}, "web-service"},
		{"token without web service", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { delete(p, "webServiceURL") })
			return fx.resign(t, c)
		}, lint.Options{}, "web-service"},
		{"missing organizationName", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { delete(p, "organizationName") })
			return fx.resign(t, c)
		}, lint.Options{}, "required-key"},
		{"formatVersion 2", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { p["formatVersion"] = 2 })
			return fx.resign(t, c)
		}, lint.Options{}, "required-key"},
		{"no style key", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { delete(p, "storeCard") })
			return fx.resign(t, c)
		}, lint.Options{}, "style"},
		{"duplicate field key", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) {
				sc := p["storeCard"].(map[string]any)
				sc["primaryFields"] = []any{map[string]any{"key": "k", "value": "a"}}
				sc["backFields"] = []any{map[string]any{"key": "k", "value": "again"}}
			})
			return fx.resign(t, c)
		}, lint.Options{}, "field-key"},
		{"bad relevantDate", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { p["relevantDate"] = "next Tuesday" })
			return fx.resign(t, c)
		}, lint.Options{}, "date"},
		{"bad expirationDate", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { p["expirationDate"] = "2026-05-11" })
			return fx.resign(t, c)
		}, lint.Options{}, "date"},
		{"bad colour", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { p["backgroundColor"] = "#ffffff" })
			return fx.resign(t, c)
		}, lint.Options{}, "color"},
		{"bad barcode format", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { p["barcodes"].([]any)[0].(map[string]any)["format"] = "EAN13" })
			return fx.resign(t, c)
		}, lint.Options{}, "barcode"},
		{"poster without semantics", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) {
				p["eventTicket"] = p["storeCard"]
				delete(p, "storeCard")
				p["preferredStyleSchemes"] = []any{"posterEventTicket", "eventTicket"}
			})
			delete(c, "strip.png")
			delete(c, "strip@2x.png")
			delete(c, "strip@3x.png")
			return fx.resign(t, c)
		}, lint.Options{}, "poster"},
		{"no icon", func() []byte {
			c := clone()
			delete(c, "icon.png")
			delete(c, "icon@2x.png")
			delete(c, "icon@3x.png")
			return fx.resign(t, c)
		}, lint.Options{}, "icon"},
		{"strip of the wrong size", func() []byte {
			c := clone()
			var buf bytes.Buffer
			png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 750, 196))) // the event ticket's @2x
			c["strip@2x.png"] = buf.Bytes()
			return fx.resign(t, c)
		}, lint.Options{}, "image-size"},
		{"strip on a boarding pass", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) {
				sc := p["storeCard"].(map[string]any)
				sc["transitType"] = "PKTransitTypeAir"
				p["boardingPass"] = sc
				delete(p, "storeCard")
			})
			return fx.resign(t, c)
		}, lint.Options{}, "image-slot"},
		{"boarding pass without transitType", func() []byte {
			c := clone()
			editPass(t, c, func(p map[string]any) { p["boardingPass"] = p["storeCard"]; delete(p, "storeCard") })
			for _, n := range []string{"strip.png", "strip@2x.png", "strip@3x.png"} {
				delete(c, n)
			}
			return fx.resign(t, c)
		}, lint.Options{}, "style"},
		{"image that is not a PNG", func() []byte { c := clone(); c["logo.png"] = []byte("\xff\xd8\xff jpeg"); return fx.resign(t, c) }, lint.Options{}, "image"},
		{"malformed pass.strings", func() []byte {
			c := clone()
			c["fr.lproj/pass.strings"] = []byte("\"Lint\" = Peluche\n")
			return fx.resign(t, c)
		}, lint.Options{}, "strings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Roots == nil && tc.name != "untrusted root" {
				tc.opts.Roots = fx.roots
			}
			rep := lint.Check(tc.make(), tc.opts)
			found := false
			for _, f := range rep.Findings {
				found = found || (f.Check == tc.check && f.Severity == lint.Error)
			}
			if !found {
				t.Errorf("no %s error; findings: %v", tc.check, rep.Findings)
			}
		})
	}
}

// TestLintWarnings: what Wallet tolerates but shows worse is a warning, and
// warnings alone leave the pass without errors.
func TestLintWarnings(t *testing.T) {
	fx := newFixture(t)
	files := fx.build(t, `{"style":"eventTicket","poster":true,"barcodeValue":"X","barcodeFormat":"QR","logoText":"Match",
		"semantics":{"eventName":"Derby","venueName":"Stadium","eventType":"PKEventTypeSports","homeTeamAbbreviation":"HOM"},
		"relevantDates":[{"startDate":"2026-05-11T10:00:00Z","endDate":"2026-05-13T10:00:00Z"}]}`)
	rep := lint.Check(fx.resign(t, files), lint.Options{Roots: fx.roots})
	if rep.Errors() != 0 {
		t.Fatalf("errors: %v", rep.Findings)
	}
	var msgs []string
	for _, f := range rep.Findings {
		msgs = append(msgs, f.String())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		"warning: poster: a sports poster ticket needs semantics.awayTeamAbbreviation",
		"warning: date: relevantDates[0] spans more than 24 hours",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in\n%s", want, all)
		}
	}
	if strings.Contains(all, "homeTeamAbbreviation") {
		t.Errorf("warned about a tag that is present:\n%s", all)
	}
}

// TestSelfCheck: the issuer's self-check passes a good pass, fails a broken
// one with the findings in its message, and an issuer with the check fails
// the build instead of returning the broken pass.
func TestSelfCheck(t *testing.T) {
	fx := newFixture(t)
	check := lint.SelfCheck(lint.Options{Roots: fx.roots})
	good := fx.build(t, body("generic", ""))
	if err := check(fx.resign(t, good)); err != nil {
		t.Fatalf("good pass: %v", err)
	}
	for name := range good {
		if strings.HasPrefix(name, "icon") {
			delete(good, name)
		}
	}
	err := check(fx.resign(t, good))
	if err == nil || !strings.Contains(err.Error(), "pass fails lint: error: ") || !strings.Contains(err.Error(), "icon.png") {
		t.Fatalf("broken pass: %v", err)
	}

	is := *fx.is
	is.SelfCheck = func([]byte) error { return errors.New("refused") }
	req, err := pkpass.Parse([]byte(body("generic", "")))
	if err != nil {
		t.Fatal(err)
	}
	if blob, err := is.Build(context.Background(), req, issuer.Meta{Serial: "s", AuthToken: strings.Repeat("t", 32), FirstIssued: time.Now()}); err == nil || blob != nil ||
		!strings.Contains(err.Error(), "self-check: refused") {
		t.Fatalf("Build with a failing self-check: %d bytes, %v", len(blob), err)
	}
}

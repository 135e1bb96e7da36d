package lint

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/smallstep/pkcs7"
)

// Severity of a finding: an error means Wallet refuses the pass or shows it
// wrongly; a warning is something a careful issuer would fix.
type Severity int

const (
	Warning Severity = iota
	Error
)

func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// Finding is one problem: which check found it and what it is.
type Finding struct {
	Severity Severity
	Check    string // short id, e.g. "manifest", "image-size"
	Message  string
}

func (f Finding) String() string { return f.Severity.String() + ": " + f.Check + ": " + f.Message }

// Options tune a lint run.
type Options struct {
	// Roots, when set, are trusted to anchor the signer's chain (Apple's
	// root in production, the development CA in tests). Without it the
	// chain is only checked to be complete and consistent.
	Roots *x509.CertPool
	// Now is the time certificates are checked at (time.Now when zero).
	Now time.Time
}

// Report is the outcome of Check.
type Report struct{ Findings []Finding }

// Errors counts the error findings.
func (r *Report) Errors() int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == Error {
			n++
		}
	}
	return n
}

// Has reports whether a finding of the check exists (for tests and callers
// that act on one check).
func (r *Report) Has(check string) bool {
	for _, f := range r.Findings {
		if f.Check == check {
			return true
		}
	}
	return false
}

func (r *Report) add(sev Severity, check, format string, args ...any) {
	r.Findings = append(r.Findings, Finding{sev, check, fmt.Sprintf(format, args...)})
}

// Check lints a .pkpass archive.
func Check(archive []byte, o Options) *Report {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	r := &Report{}
	entries, err := ReadZip(archive)
	if err != nil {
		r.add(Error, "zip", "%s", strings.TrimPrefix(err.Error(), "zip: "))
		return r
	}
	files := map[string][]byte{}
	var names []string
	for _, e := range entries {
		if _, dup := files[e.Name]; dup {
			r.add(Error, "zip", "%s appears twice", e.Name)
			continue
		}
		if strings.HasPrefix(e.Name, "/") || strings.Contains(e.Name, "..") || strings.Contains(e.Name, `\`) {
			r.add(Error, "zip", "unsafe file name %q", e.Name)
		}
		files[e.Name] = e.Data
		names = append(names, e.Name)
	}
	for _, req := range []string{"pass.json", "manifest.json", "signature"} {
		if _, ok := files[req]; !ok {
			r.add(Error, "required-file", "%s is missing", req)
		}
	}
	checkManifest(r, files, names)
	pass := checkPassJSON(r, files["pass.json"])
	if sig, ok := files["signature"]; ok {
		checkSignature(r, sig, files["manifest.json"], pass, o)
	}
	checkImages(r, files, names, pass)
	checkStrings(r, files, names)
	sort.SliceStable(r.Findings, func(i, j int) bool { return r.Findings[i].Severity > r.Findings[j].Severity })
	return r
}

// checkManifest: every file but manifest.json and signature is listed with
// its SHA-1, and the manifest lists nothing else.
func checkManifest(r *Report, files map[string][]byte, names []string) {
	raw, ok := files["manifest.json"]
	if !ok {
		return
	}
	var manifest map[string]string
	if err := json.Unmarshal(raw, &manifest); err != nil {
		r.add(Error, "manifest", "manifest.json is not a JSON object of strings: %v", err)
		return
	}
	for _, name := range names {
		if name == "manifest.json" || name == "signature" {
			continue
		}
		want, listed := manifest[name]
		if !listed {
			r.add(Error, "manifest", "%s is not in manifest.json", name)
			continue
		}
		sum := sha1.Sum(files[name])
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(want, got) {
			r.add(Error, "manifest", "%s has SHA-1 %s, manifest.json says %s", name, got, want)
		}
	}
	for name := range manifest {
		if _, ok := files[name]; !ok {
			r.add(Error, "manifest", "manifest.json lists %s, which the archive lacks", name)
		}
	}
}

// appleWWDR is the subject common name of Apple's pass signing intermediate.
const appleWWDR = "Apple Worldwide Developer Relations Certification Authority"

// checkSignature: a detached PKCS#7 signature of manifest.json by the pass
// type certificate whose UID and OU match pass.json, with the intermediate
// included and every certificate valid now.
func checkSignature(r *Report, sig, manifest []byte, pass map[string]any, o Options) {
	p7, err := pkcs7.Parse(sig)
	if err != nil {
		r.add(Error, "signature", "signature is not PKCS#7 signed data: %v", err)
		return
	}
	if len(p7.Content) != 0 && !bytes.Equal(p7.Content, manifest) {
		r.add(Error, "signature", "signature embeds content that is not manifest.json")
	}
	p7.Content = manifest
	if err := p7.Verify(); err != nil {
		r.add(Error, "signature", "signature does not verify over manifest.json: %v", err)
		return
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		r.add(Error, "signature", "signature must have exactly one signer")
		return
	}
	var issuer *x509.Certificate
	for _, c := range p7.Certificates {
		if c != signer && signer.CheckSignatureFrom(c) == nil {
			issuer = c
		}
	}
	if issuer == nil {
		r.add(Error, "chain", "the signer's issuing certificate (WWDR) is not in the signature")
	} else if !strings.HasPrefix(issuer.Subject.CommonName, appleWWDR) {
		r.add(Warning, "chain", "the signer was issued by %q, not Apple's WWDR: Wallet will refuse the pass (a development identity?)", issuer.Subject.CommonName)
	}
	for _, c := range p7.Certificates {
		if o.Now.Before(c.NotBefore) || o.Now.After(c.NotAfter) {
			r.add(Error, "chain", "certificate %q is not valid at %s (valid %s to %s)", c.Subject.CommonName,
				o.Now.UTC().Format(time.RFC3339), c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	if o.Roots != nil {
		inter := x509.NewCertPool()
		for _, c := range p7.Certificates {
			inter.AddCert(c)
		}
		if _, err := signer.Verify(x509.VerifyOptions{Roots: o.Roots, Intermediates: inter, CurrentTime: o.Now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			r.add(Error, "chain", "the signer does not chain to a trusted root: %v", err)
		}
	}
	uid := ""
	for _, n := range signer.Subject.Names {
		if n.Type.String() == "0.9.2342.19200300.100.1.1" {
			uid, _ = n.Value.(string)
		}
	}
	if pass == nil {
		return
	}
	if pt, _ := pass["passTypeIdentifier"].(string); uid != "" && pt != uid {
		r.add(Error, "signature", "passTypeIdentifier %q differs from the certificate's UID %q", pt, uid)
	}
	if team, _ := pass["teamIdentifier"].(string); len(signer.Subject.OrganizationalUnit) > 0 && team != signer.Subject.OrganizationalUnit[0] {
		r.add(Error, "signature", "teamIdentifier %q differs from the certificate's OU %q", team, signer.Subject.OrganizationalUnit[0])
	}
}

// checkStrings: each <lang>.lproj/pass.strings is UTF-8 (or UTF-16 with a
// byte-order mark) of `"key" = "value";` lines.
func checkStrings(r *Report, files map[string][]byte, names []string) {
	for _, name := range names {
		if !strings.HasSuffix(name, ".lproj/pass.strings") {
			if strings.Contains(name, ".lproj/") && strings.HasSuffix(name, ".strings") {
				r.add(Warning, "strings", "%s: Wallet reads only pass.strings", name)
			}
			continue
		}
		b := files[name]
		if bytes.HasPrefix(b, []byte{0xff, 0xfe}) || bytes.HasPrefix(b, []byte{0xfe, 0xff}) {
			continue // UTF-16: accepted by Wallet, not parsed here
		}
		if !utf8.Valid(b) {
			r.add(Error, "strings", "%s is not valid UTF-8", name)
			continue
		}
		for i, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "/*") {
				continue
			}
			if !stringsLine(line) {
				r.add(Error, "strings", "%s line %d is not a \"key\" = \"value\"; line", name, i+1)
				break
			}
		}
	}
}

// stringsLine matches `"key" = "value";` with backslash escapes.
func stringsLine(s string) bool {
	quoted := func(s string) (rest string, ok bool) {
		if !strings.HasPrefix(s, `"`) {
			return "", false
		}
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				return strings.TrimSpace(s[i+1:]), true
			}
		}
		return "", false
	}
	rest, ok := quoted(s)
	if !ok || !strings.HasPrefix(rest, "=") {
		return false
	}
	rest, ok = quoted(strings.TrimSpace(rest[1:]))
	return ok && rest == ";"
}

// SelfCheck returns a check for issuer.Issuer.SelfCheck: an error listing
// the error findings of a pass, nil when it has none.
func SelfCheck(o Options) func([]byte) error {
	return func(blob []byte) error {
		rep := Check(blob, o)
		if rep.Errors() == 0 {
			return nil
		}
		var msgs []string
		for _, f := range rep.Findings {
			if f.Severity == Error {
				msgs = append(msgs, f.String())
			}
		}
		return fmt.Errorf("pass fails lint: %s", strings.Join(msgs, "; "))
	}
}

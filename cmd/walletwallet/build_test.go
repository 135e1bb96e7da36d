package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestPassBuild(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"WW_DATA_DIR": dir}
	outFile := filepath.Join(dir, "membership.pkpass")
	_, errOut, code := cli(env, "pass", "build", "-i", "../../examples/membership.json", "-o", outFile)
	if code != 0 {
		t.Fatalf("pass build: %d %s", code, errOut)
	}
	m := regexp.MustCompile(`serial ([0-9a-f-]{36})`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("no serial on stderr: %s", errOut)
	}
	blob, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	pj := verifyPass(t, blob, filepath.Join(dir, "dev-identity", "ca.pem"))
	if pj["serialNumber"] != m[1] || pj["logoText"] != "Membership Card" {
		t.Errorf("pass.json: %v", pj)
	}
	// Invalid input: the validation message, exit 1, nothing written.
	var out, errb bytes.Buffer
	e := env2(env, &out, &errb)
	e.stdin = strings.NewReader(`{"barcodeFormat":"QR","logoText":"x"}`)
	if code := run(t.Context(), []string{"pass", "build", "-o", "-"}, e); code != 1 || !strings.Contains(errb.String(), "barcodeValue is required") || out.Len() != 0 {
		t.Errorf("invalid input: exit %d, stderr %q, stdout %d bytes", code, errb.String(), out.Len())
	}
	// Free plan gate applies offline too.
	out.Reset()
	errb.Reset()
	e.stdin = strings.NewReader(`{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x","color":"#112233"}`)
	if code := run(t.Context(), []string{"pass", "build", "--plan", "free", "-o", "-"}, e); code != 1 || !strings.Contains(errb.String(), "color is only available on the Pro plan") {
		t.Errorf("free gate: exit %d, stderr %q", code, errb.String())
	}
}

// TestPassBuildWebService: an offline pass is static unless --web-service
// asks for the web service keys, and a non-https webServiceURL is warned about.
func TestPassBuildWebService(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "dev-identity", "ca.pem")
	cases := []struct {
		name      string
		env       map[string]string
		args      []string
		wantURL   string // "" = no web service keys at all
		wantWarn  bool
		forbidden string // must not be on stderr
	}{
		{"static by default", map[string]string{}, nil, "", false, "webServiceURL"},
		{"static even with an https public URL", map[string]string{"WW_PUBLIC_URL": "https://passes.example.test"}, nil, "", false, "authenticationToken"},
		{"asked for, default http URL", map[string]string{}, []string{"--web-service"}, "http://localhost:8080/", true, ""},
		{"asked for, https URL", map[string]string{"WW_PUBLIC_URL": "https://passes.example.test/"}, []string{"--web-service"}, "https://passes.example.test/", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["WW_DATA_DIR"] = dir
			var out, errb bytes.Buffer
			e := env2(tc.env, &out, &errb)
			e.stdin = strings.NewReader(`{"barcodeValue":"1","barcodeFormat":"QR","logoText":"x"}`)
			if code := run(t.Context(), append([]string{"pass", "build", "-o", "-"}, tc.args...), e); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			var expect []string
			if tc.wantWarn {
				expect = []string{"web-service"} // http: iOS would not register it
			}
			pj := verifyPass(t, out.Bytes(), ca, expect...)
			url, hasURL := pj["webServiceURL"]
			token, hasToken := pj["authenticationToken"]
			if tc.wantURL == "" {
				if hasURL || hasToken {
					t.Fatalf("static pass carries webServiceURL %v, authenticationToken %v", url, token)
				}
			} else {
				if url != tc.wantURL {
					t.Errorf("webServiceURL %v, want %s", url, tc.wantURL)
				}
				tok, _ := token.(string)
				if len(tok) < 32 || !strings.Contains(errb.String(), "authenticationToken "+tok+"\n") {
					t.Errorf("token %q, stderr %q: want 32+ characters, printed on stderr", tok, errb.String())
				}
			}
			if warned := strings.Contains(errb.String(), "WW_PUBLIC_URL is not https"); warned != tc.wantWarn {
				t.Errorf("warned %v, want %v: %s", warned, tc.wantWarn, errb.String())
			}
			if tc.forbidden != "" && strings.Contains(errb.String(), tc.forbidden) {
				t.Errorf("stderr mentions %s: %s", tc.forbidden, errb.String())
			}
		})
	}
}

package main

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/push/apnstest"
)

func sha1hex(b []byte) string {
	h := sha1.Sum(b)
	return hex.EncodeToString(h[:])
}

const devPassType = "pass.dev.walletwallet.local"

const bayroast = `{ "barcodeValue": "LOYALTY-98765", "barcodeFormat": "QR", "logoText": "Bayroast Coffee", "organizationName": "Bayroast Coffee Co.", "description": "Bayroast loyalty card", "primaryFields": [{"label": "CARD", "value": "Coffee Rewards"}], "secondaryFields": [ { "label": "POINTS", "value": "250", "changeMessage": "You now have %@ points" }, {"label": "TIER", "value": "Gold"} ], "headerFields": [{"label": "BALANCE", "value": "$25.00"}], "backFields": [ {"label": "TERMS", "value": "Points expire after 90 days of inactivity."}, {"label": "SUPPORT", "value": "https://example.com/help"} ], "locations": [ {"latitude": 37.331741, "longitude": -122.030333, "relevantText": "Welcome back to Bayroast"} ], "colorPreset": "dark", "expirationDays": 365 }`

// testEnv is the configuration of one spawned deployment: a data folder and
// an APNs double.
func testEnv(t testing.TB, double *apnstest.Server) map[string]string {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"WW_DATA_DIR":   dir,
		"WW_PUBLIC_URL": "https://passes.example.test",
	}
	if double != nil {
		caFile := filepath.Join(dir, "apns-ca.pem")
		if err := os.WriteFile(caFile, double.CAPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		env["WW_APNS_URL"] = double.URL
		env["WW_APNS_CA"] = caFile
	}
	return env
}

func bearer(key string) string { return "Authorization: Bearer " + key }

const jsonCT = "Content-Type: application/json"

// TestIPhoneFlow plays an iPhone against the spawned binary: install
// (register), PUT, push received by the APNs double, serial list since the
// tag, fetch of the new pass (verified with openssl), 304 on the next fetch.
func TestIPhoneFlow(t *testing.T) {
	double := apnstest.NewServer()
	defer double.Close()
	env := testEnv(t, double)
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	caPEM := filepath.Join(env["WW_DATA_DIR"], "dev-identity", "ca.pem")

	r := call(t, "POST", srv.URL+"/api/pkpass", bayroast, bearer(key), jsonCT)
	if r.status != 200 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	serial := r.header.Get("X-Serial-Number")
	pj := verifyPass(t, r.body, caPEM)
	token := pj["authenticationToken"].(string)
	if pj["webServiceURL"] != "https://passes.example.test/" || pj["passTypeIdentifier"] != devPassType || pj["teamIdentifier"] != "DEVTEAM001" {
		t.Fatalf("pass.json: %v", pj)
	}

	regURL := fmt.Sprintf("%s/v1/devices/%s/registrations/%s/%s", srv.URL, "device-1", devPassType, serial)
	auth := "Authorization: ApplePass " + token
	if r := call(t, "POST", regURL, `{"pushToken":"aabbcc01"}`, auth); r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	if r := call(t, "POST", regURL, `{"pushToken":"aabbcc01"}`, auth); r.status != 200 {
		t.Fatalf("register again: %d %s", r.status, r.body)
	}
	if r := call(t, "POST", regURL, `{"pushToken":"aabbcc01"}`, "Authorization: ApplePass wrong"); r.status != 401 {
		t.Fatalf("register with a wrong token: %d %s", r.status, r.body)
	}
	listURL := fmt.Sprintf("%s/v1/devices/%s/registrations/%s", srv.URL, "device-1", devPassType)
	r = call(t, "GET", listURL, "")
	if r.status != 200 {
		t.Fatalf("serial list: %d %s", r.status, r.body)
	}
	tag1 := r.json(t)["lastUpdated"].(string)

	changed := strings.Replace(bayroast, `"value": "250"`, `"value": "500"`, 1)
	r = call(t, "PUT", srv.URL+"/api/pkpass/"+serial, changed, bearer(key), jsonCT)
	if r.status != 200 || r.json(t)["notifiedDevices"].(float64) != 1 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := double.WaitCount(ctx, 1); err != nil {
		t.Fatalf("no push arrived: %v\n%s", err, srv.Logs())
	}
	push := double.Requests()[0]
	signerPEM, _ := os.ReadFile(filepath.Join(env["WW_DATA_DIR"], "dev-identity", "signer.pem"))
	blk, _ := pem.Decode(signerPEM)
	if push.Token != "aabbcc01" || push.Topic != devPassType || string(push.Body) != "{}" || push.Method != "POST" ||
		push.Proto != "HTTP/2.0" || push.PushType != "background" || push.Priority != "5" {
		t.Errorf("push: %+v", push)
	}
	if push.ClientCert == nil || blk == nil || string(push.ClientCert.Raw) != string(blk.Bytes) {
		t.Errorf("the push's client certificate is not the pass signer")
	}

	r = call(t, "GET", listURL+"?passesUpdatedSince="+tag1, "")
	if r.status != 200 {
		t.Fatalf("serial list since %s: %d %s", tag1, r.status, r.body)
	}
	m := r.json(t)
	if sns := m["serialNumbers"].([]any); len(sns) != 1 || sns[0] != serial {
		t.Errorf("serials %v", sns)
	}
	tag2 := m["lastUpdated"].(string)
	t1, _ := strconv.ParseInt(tag1, 10, 64)
	t2, _ := strconv.ParseInt(tag2, 10, 64)
	if t2 <= t1 {
		t.Errorf("tag did not move: %s → %s", tag1, tag2)
	}
	if r := call(t, "GET", listURL+"?passesUpdatedSince="+tag2, ""); r.status != 204 {
		t.Errorf("nothing newer than the latest tag: %d %s", r.status, r.body)
	}

	passURL := fmt.Sprintf("%s/v1/passes/%s/%s", srv.URL, devPassType, serial)
	r = call(t, "GET", passURL, "", auth)
	if r.status != 200 || r.header.Get("Content-Type") != "application/vnd.apple.pkpass" {
		t.Fatalf("fetch: %d %v", r.status, r.header)
	}
	pj = verifyPass(t, r.body, caPEM)
	if !strings.Contains(fmt.Sprint(pj["generic"]), "500") {
		t.Errorf("fetched pass does not show the new value: %v", pj["generic"])
	}
	lm := r.header.Get("Last-Modified")
	if r := call(t, "GET", passURL, "", auth, "If-Modified-Since: "+lm); r.status != 304 {
		t.Errorf("If-Modified-Since %s: %d", lm, r.status)
	}
	if r := call(t, "GET", passURL, "", "Authorization: ApplePass nope"); r.status != 401 {
		t.Errorf("fetch with a wrong token: %d", r.status)
	}
	if double.Count() != 1 {
		t.Errorf("%d pushes, want exactly 1", double.Count())
	}
}

// TestCrashLosesNoPush kills the server with SIGKILL after a changed PUT
// answered 200 but before APNs answered, restarts it on the same data, and
// checks every device still gets its push.
func TestCrashLosesNoPush(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a push lease to expire")
	}
	double := apnstest.NewServer()
	defer double.Close()
	env := testEnv(t, double)
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	r := call(t, "POST", srv.URL+"/api/pkpass", bayroast, bearer(key), jsonCT)
	serial := r.header.Get("X-Serial-Number")
	token := unzipJSON(t, r.body)["authenticationToken"].(string)
	const devices = 25
	want := map[string]bool{}
	for i := 0; i < devices; i++ {
		tok := fmt.Sprintf("feed%04d", i)
		want[tok] = true
		url := fmt.Sprintf("%s/v1/devices/dev-%d/registrations/%s/%s", srv.URL, i, devPassType, serial)
		if r := call(t, "POST", url, `{"pushToken":"`+tok+`"}`, "Authorization: ApplePass "+token); r.status != 201 {
			t.Fatalf("register %d: %d %s", i, r.status, r.body)
		}
	}
	double.Hold()
	r = call(t, "PUT", srv.URL+"/api/pkpass/"+serial, strings.Replace(bayroast, "250", "260", 1), bearer(key), jsonCT)
	if r.status != 200 || r.json(t)["notifiedDevices"].(float64) != devices {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := double.WaitCount(ctx, 1); err != nil {
		t.Fatalf("the worker never started pushing: %v", err)
	}
	srv.Kill()
	before := double.Count()
	double.Release()

	srv2 := startServer(t, env)
	healthy := time.Now()
	deadline := time.After(60 * time.Second)
	for {
		got := map[string]bool{}
		for _, req := range double.Requests()[before:] {
			got[req.Token] = true
		}
		if len(got) == devices {
			t.Logf("all %d devices pushed %.1fs after the restarted server answered /healthz", devices, time.Since(healthy).Seconds())
			if time.Since(healthy) > 30*time.Second {
				t.Errorf("resumed after %s, the contract allows 30 s", time.Since(healthy))
			}
			break
		}
		select {
		case <-deadline:
			t.Fatalf("after restart only %d of %d devices were pushed\n%s", len(got), devices, srv2.Logs())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// unzipJSON returns the pass.json of a .pkpass.
func unzipJSON(t testing.TB, blob []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(unzip(t, blob)["pass.json"], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestServerHygiene(t *testing.T) {
	env := testEnv(t, nil)
	env["WW_APNS_URL"] = "https://127.0.0.1:1" // never reached: no push in this test
	env["WW_PUBLIC_URL"] = "http://localhost:8080"
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "free")

	// A 64 KiB request header is accepted.
	big := "X-Padding: " + strings.Repeat("a", 64<<10)
	if r := call(t, "GET", srv.URL+"/api/auth/usage", "", bearer(key), big); r.status != 200 {
		t.Errorf("64 KiB header: %d", r.status)
	}
	// The server never redirects.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"//api/auth/usage", "/api/./auth/usage", "/api/pkpass/../auth/usage", "/v1//log"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.URL.Opaque = path
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	if r := call(t, "GET", srv.URL+"/healthz", ""); r.status != 200 || r.header.Get("X-Request-Id") == "" {
		t.Errorf("healthz: %d %v", r.status, r.header)
	}
	if !strings.Contains(srv.Logs(), "DEVELOPMENT identity") || !strings.Contains(srv.Logs(), "is not https") {
		t.Errorf("start-up warnings missing:\n%s", srv.Logs())
	}
	// Graceful stop on SIGTERM.
	if err := srv.Stop(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	if !strings.Contains(srv.Logs(), `"msg":"stopped"`) {
		t.Errorf("no clean stop in the log")
	}
}

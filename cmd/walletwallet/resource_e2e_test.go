package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/push/apnstest"
)

// TestPatchAndVoidReachTheDevice plays an iPhone holding a pass while its
// issuer sends the API page's "Common patterns" bodies as PATCHes and then
// voids the pass: each change is pushed through the APNs double, the
// device is told the serial changed, and the version it fetches shows the
// change and verifies with openssl.
func TestPatchAndVoidReachTheDevice(t *testing.T) {
	double := apnstest.NewServer()
	defer double.Close()
	env := testEnv(t, double)
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	caPEM := env["WW_DATA_DIR"] + "/dev-identity/ca.pem"

	r := call(t, "POST", srv.URL+"/api/passes", bayroast, bearer(key), jsonCT)
	if r.status != 201 {
		t.Fatalf("POST /api/passes: %d %s", r.status, r.body)
	}
	created := r.json(t)
	serial := created["serialNumber"].(string)
	blob, err := base64.StdEncoding.DecodeString(created["applePass"].(string))
	if err != nil {
		t.Fatal(err)
	}
	token := verifyPass(t, blob, caPEM)["authenticationToken"].(string)
	auth := "Authorization: ApplePass " + token
	regURL := fmt.Sprintf("%s/v1/devices/%s/registrations/%s/%s", srv.URL, "device-1", devPassType, serial)
	if r := call(t, "POST", regURL, `{"pushToken":"aabbcc01"}`, auth); r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	listURL := fmt.Sprintf("%s/v1/devices/%s/registrations/%s", srv.URL, "device-1", devPassType)
	passURL := fmt.Sprintf("%s/v1/passes/%s/%s", srv.URL, devPassType, serial)
	tag := call(t, "GET", listURL, "").json(t)["lastUpdated"].(string)

	// deviceFetches waits for push number n, asks which passes changed since
	// the device's tag, and fetches the pass; it returns pass.json.
	deviceFetches := func(n int) map[string]any {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := double.WaitCount(ctx, n); err != nil {
			t.Fatalf("push %d did not arrive: %v\n%s", n, err, srv.Logs())
		}
		if p := double.Requests()[n-1]; p.Token != "aabbcc01" || p.Topic != devPassType {
			t.Fatalf("push %d: %+v", n, p)
		}
		r := call(t, "GET", listURL+"?passesUpdatedSince="+tag, "")
		if r.status != 200 {
			t.Fatalf("serial list since %s: %d %s", tag, r.status, r.body)
		}
		m := r.json(t)
		if sns := m["serialNumbers"].([]any); len(sns) != 1 || sns[0] != serial {
			t.Fatalf("serials %v", sns)
		}
		tag = m["lastUpdated"].(string)
		f := call(t, "GET", passURL, "", auth)
		if f.status != 200 {
			t.Fatalf("fetch: %d %s", f.status, f.body)
		}
		return verifyPass(t, f.body, caPEM)
	}
	field := func(pj map[string]any, array string, i int) map[string]any {
		t.Helper()
		fs, _ := pj["generic"].(map[string]any)[array].([]any)
		if len(fs) <= i {
			t.Fatalf("%s has %d entries: %v", array, len(fs), pj["generic"])
		}
		return fs[i].(map[string]any)
	}

	patterns := []struct {
		name, path, body, array, value, changeMessage string
	}{
		{"update one field and let %@ substitute", "/api/passes/" + serial,
			`{ "headerFields": [{ "label": "POINTS", "value": "1,300", "changeMessage": "Now at %@ points" }] }`,
			"headerFields", "1,300", "Now at %@ points"},
		{"a custom banner through the backFields sentinel", "/api/pkpass/" + serial,
			`{ "backFields": [{ "label": "__NOTIFICATION", "value": "1747400000000", "changeMessage": "Free coffee on us! Come grab yours." }] }`,
			"backFields", "1747400000000", "Free coffee on us! Come grab yours."},
	}
	for i, p := range patterns {
		r := call(t, "PATCH", srv.URL+p.path, p.body, bearer(key), "Content-Type: application/merge-patch+json")
		if r.status != 200 || r.json(t)["notifiedDevices"] != 1.0 || r.json(t)["unchanged"] != false {
			t.Fatalf("%s: PATCH %d %s", p.name, r.status, r.body)
		}
		pj := deviceFetches(i + 1)
		f := field(pj, p.array, 0)
		if f["value"] != p.value || f["changeMessage"] != p.changeMessage {
			t.Fatalf("%s: device got %s[0] = %v", p.name, p.array, f)
		}
		// Everything the patch did not name is still there.
		if pj["logoText"] != "Bayroast Coffee" || field(pj, "secondaryFields", 0)["value"] != "250" {
			t.Fatalf("%s: the patch lost other fields: %v", p.name, pj)
		}
	}

	r = call(t, "DELETE", srv.URL+"/api/passes/"+serial, "", bearer(key))
	if r.status != 200 || r.json(t)["notifiedDevices"] != 1.0 || r.json(t)["status"] != "voided" {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	pj := deviceFetches(len(patterns) + 1)
	if pj["voided"] != true {
		t.Fatalf("the device's pass is not voided: %v", pj["voided"])
	}
	if r := call(t, "PATCH", srv.URL+"/api/passes/"+serial, `{"logoText":"x"}`, bearer(key), jsonCT); r.status != 409 {
		t.Fatalf("PATCH after void: %d %s", r.status, r.body)
	}
	share := strings.TrimPrefix(created["shareUrl"].(string), "https://passes.example.test")
	if r := call(t, "GET", srv.URL+share, ""); r.status != 410 {
		t.Fatalf("share page after void: %d", r.status)
	}
	// Two PATCHes counted, the void did not.
	if u := call(t, "GET", srv.URL+"/api/auth/usage", "", bearer(key)).json(t); u["count"] != 3.0 {
		t.Fatalf("usage %v, want 3", u["count"])
	}
}

package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet/internal/openapi"
	"github.com/walletwallet/walletwallet/internal/openapi/openapitest"
	"github.com/walletwallet/walletwallet/internal/push/apnstest"
)

// answerChecker calls the spawned server and validates each answer
// against the operation of its request, recording which operations were
// seen answering with success and with an error.
type answerChecker struct {
	t    *testing.T
	c    *openapitest.Checker
	base string
	seen map[openapi.Route][2]bool // [0] success, [1] error
}

func (a *answerChecker) do(method, path, body string, headers ...string) *reply {
	a.t.Helper()
	r := call(a.t, method, a.base+path, body, headers...)
	u, _ := url.Parse(path)
	req, _ := http.NewRequest(method, path, nil)
	req.URL.RawQuery = u.RawQuery
	for _, hv := range headers {
		k, v, _ := strings.Cut(hv, ": ")
		req.Header.Add(k, v)
	}
	if err := a.c.Response(req, r.status, r.header, r.body); err != nil {
		a.t.Errorf("%s %s → %d does not validate against the document: %v\nbody: %.300s", method, path, r.status, err, r.body)
	}
	// What the server accepted, the document must admit.
	if r.status < 400 {
		if err := a.c.Request(req, []byte(body)); err != nil {
			a.t.Errorf("%s %s was accepted (%d) but the document refuses the request: %v", method, path, r.status, err)
		}
	}
	route, err := a.c.Route(req)
	if err != nil {
		a.t.Fatal(err)
	}
	s := a.seen[route]
	s[boolIndex(r.status >= 400)] = true
	a.seen[route] = s
	return r
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// want fails unless the answer has the status (the sequence below relies
// on each step having worked).
func (a *answerChecker) want(r *reply, status int, what string) {
	a.t.Helper()
	if r.status != status {
		a.t.Fatalf("%s: %d, want %d: %.500s", what, r.status, status, r.body)
	}
}

// TestOpenAPIAnswersValidate drives every documented operation of a
// spawned server to a success and to an error and validates each answer
// (status, media type, headers, body) against the document with
// kin-openapi. It also checks that /openapi.json serves the document.
func TestOpenAPIAnswersValidate(t *testing.T) {
	c, err := openapitest.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	double := apnstest.NewServer()
	defer double.Close()
	env := testEnv(t, double)
	env["WW_SIGNUP"] = "open"
	// The webhook below points at a closed loopback port: allowed, never answered.
	env["WW_FETCH_ALLOW_CIDRS"] = "127.0.0.1/32"
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	other := newKey(t, env, "--plan", "pro")
	a := &answerChecker{t: t, c: c, base: srv.URL, seen: map[openapi.Route][2]bool{}}
	auth, ct := bearer(key), jsonCT
	const missing = "/api/passes/00000000-0000-4000-8000-000000000000"

	if r := call(t, "GET", srv.URL+"/openapi.json", ""); r.status != 200 || !bytes.Equal(r.body, openapi.JSON()) {
		t.Errorf("GET /openapi.json: %d, body is not the generated document", r.status)
	}

	// Webhooks first, and gone before any event happens.
	r := a.do("POST", "/api/webhooks", `{"url": "https://127.0.0.1:1/hook", "events": ["pass.created"]}`, auth, ct)
	a.want(r, 201, "create webhook")
	hook := r.json(t)["id"].(string)
	a.do("POST", "/api/webhooks", `{"url": "http://127.0.0.1:1/hook"}`, auth, ct)
	a.want(a.do("GET", "/api/webhooks", "", auth), 200, "list webhooks")
	a.do("GET", "/api/webhooks", "")
	a.want(a.do("DELETE", "/api/webhooks/"+hook, "", auth), 204, "delete webhook")
	a.do("DELETE", "/api/webhooks/"+hook, "", auth)

	// The binary face.
	r = a.do("POST", "/api/pkpass", bayroast, auth, ct, "Idempotency-Key: k1")
	a.want(r, 200, "POST /api/pkpass")
	serial := r.header.Get("X-Serial-Number")
	a.want(a.do("POST", "/api/pkpass", bayroast, auth, ct, "Idempotency-Key: k1"), 200, "replay")
	a.do("POST", "/api/pkpass", bayroast, ct)
	a.want(a.do("GET", "/api/pkpass/"+serial, "", auth), 200, "GET pkpass")
	a.do("GET", "/api/pkpass/00000000-0000-4000-8000-000000000000", "", auth)
	a.want(a.do("PUT", "/api/pkpass/"+serial, strings.Replace(bayroast, "250", "260", 1), auth, ct), 200, "PUT pkpass")
	a.do("PUT", "/api/pkpass/"+serial, `{"logoText": "x"}`, auth, ct)
	a.want(a.do("PATCH", "/api/pkpass/"+serial, `{"headerFields": [{"label": "POINTS", "value": "1,300"}]}`, auth, "Content-Type: application/merge-patch+json"), 200, "PATCH pkpass")
	a.do("PATCH", "/api/pkpass/"+serial, `{}`, auth, "Content-Type: text/plain")
	r = a.do("POST", "/api/pkpasses", `{"passes": [`+bayroast+`, `+bayroast+`]}`, auth, ct)
	a.want(r, 200, "bundle")
	a.do("POST", "/api/pkpasses", `{"passes": []}`, auth, ct)

	// The resource face.
	r = a.do("POST", "/api/passes", bayroast, auth, ct)
	a.want(r, 201, "POST /api/passes")
	created := r.json(t)
	res := created["serialNumber"].(string)
	share := strings.TrimPrefix(created["shareUrl"].(string), "https://passes.example.test")
	a.do("POST", "/api/passes", `{"barcodeValue": "1", "barcodeFormat": "QR", "logoText": "x", "colour": "red"}`, auth, ct)
	a.want(a.do("GET", "/api/passes?limit=2", "", auth), 200, "list")
	a.do("GET", "/api/passes?limit=abc", "", auth)
	a.want(a.do("GET", "/api/passes/"+res, "", auth), 200, "GET pass")
	a.do("GET", "/api/passes/"+res, "", bearer(other))
	a.want(a.do("PUT", "/api/passes/"+res, bayroast, auth, ct), 200, "PUT pass (unchanged)")
	a.do("PUT", missing, bayroast, auth, ct)
	a.want(a.do("PATCH", "/api/passes/"+res, `{"logoText": "Bayroast"}`, auth, ct), 200, "PATCH pass")
	a.do("PATCH", "/api/passes/"+res, `{"serialNumber": "x"}`, auth, ct)
	a.want(a.do("GET", "/api/passes/"+res+"/preview.png?side=back", "", auth), 200, "stored preview")
	a.do("GET", "/api/passes/"+res+"/preview.png?side=sideways", "", auth)
	a.want(a.do("POST", "/api/preview", bayroast, auth, ct), 200, "preview")
	a.do("POST", "/api/preview", `{"barcodeValue": ""}`, auth, ct)
	a.want(a.do("GET", "/api/auth/usage", "", auth), 200, "usage")
	a.do("GET", "/api/auth/usage", "", "Authorization: Basic eA==")
	a.want(a.do("GET", "/api/stats", "", auth), 200, "stats")
	a.do("GET", "/api/stats", "")
	a.want(a.do("POST", "/api/signup", `{"email": "new@example.com"}`, ct), 201, "signup")
	a.do("POST", "/api/signup", `{"email": "new@example.com"}`, ct)

	// The holder's link.
	a.want(a.do("GET", share, ""), 200, "share page")
	a.want(a.do("GET", share+"/pass.pkpass", ""), 200, "share download")
	a.do("GET", "/p/AAAAAAAAAAAAAAAAAAAAAAAA", "")
	a.do("GET", "/p/AAAAAAAAAAAAAAAAAAAAAAAA/pass.pkpass", "")

	// The PassKit web service, as Wallet calls it.
	blob, err := base64.StdEncoding.DecodeString(created["applePass"].(string))
	if err != nil {
		t.Fatal(err)
	}
	token := verifyPass(t, blob, env["WW_DATA_DIR"]+"/dev-identity/ca.pem")["authenticationToken"].(string)
	apple := "Authorization: ApplePass " + token
	reg := fmt.Sprintf("/v1/devices/device-1/registrations/%s/%s", devPassType, res)
	a.want(a.do("POST", reg, `{"pushToken": "aabbcc01"}`, apple, ct), 201, "register")
	a.want(a.do("POST", reg, `{"pushToken": "aabbcc02"}`, apple, ct), 200, "register again")
	a.do("POST", reg, `{"pushToken": "aabbcc01"}`, "Authorization: ApplePass wrong-token-wrong-token-wrong-token")
	a.want(a.do("GET", "/v1/devices/device-1/registrations/"+devPassType+"?passesUpdatedSince=0", ""), 200, "serials")
	a.want(a.do("GET", "/v1/devices/device-2/registrations/"+devPassType, ""), 204, "no serials")
	pass := fmt.Sprintf("/v1/passes/%s/%s", devPassType, res)
	r = a.do("GET", pass, "", apple)
	a.want(r, 200, "device fetch")
	a.want(a.do("GET", pass, "", apple, "If-Modified-Since: "+r.header.Get("Last-Modified")), 304, "not modified")
	a.do("GET", pass, "")
	a.want(a.do("POST", "/v1/log", `{"logs": ["a message"]}`, ct), 200, "log")
	a.do("POST", "/v1/log", `{"logs": 5}`, ct)
	a.want(a.do("DELETE", reg, "", apple), 200, "unregister")
	a.do("DELETE", reg, "")

	// Templates: a design, passes made from it, a change to all of them.
	design := `{"name": "club", "pass": {"title": "Club", "barcodeValue": "M-{{member}}", "barcodeFormat": "QR"}}`
	r = a.do("POST", "/api/templates", design, auth, ct)
	a.want(r, 201, "create template")
	tpl := r.json(t)["id"].(string)
	a.do("POST", "/api/templates", `{"name": "club"}`, auth, ct)
	a.want(a.do("GET", "/api/templates", "", auth), 200, "list templates")
	a.do("GET", "/api/templates", "")
	r = a.do("POST", "/api/templates/"+tpl+"/passes", `{"values": {"member": "1"}}`, auth, ct)
	a.want(r, 201, "pass from template")
	fromTpl := r.json(t)["serialNumber"].(string)
	a.want(a.do("PATCH", "/api/passes/"+fromTpl, `{"values": {"member": "7"}}`, auth, ct), 200, "PATCH a template pass's values")
	a.want(a.do("POST", "/api/templates/"+tpl+"/passes", `{"passes": [{"values": {"member": "2"}}, {"values": {"member": "3"}}]}`, auth, ct), 201, "bulk from template")
	a.do("POST", "/api/templates/"+tpl+"/passes", `{"values": {}}`, auth, ct)
	a.want(a.do("GET", "/api/templates/"+tpl, "", auth), 200, "GET template")
	a.do("GET", "/api/templates/"+tpl, "", bearer(other))
	a.want(a.do("PATCH", "/api/templates/"+tpl, `{"pass": {"title": "Club+"}}`, auth, "Content-Type: application/merge-patch+json"), 200, "PATCH template")
	a.do("PATCH", "/api/templates/"+tpl, `{"pass": {"title": "{{since}}"}}`, auth, ct)
	a.want(a.do("PUT", "/api/templates/"+tpl, design, auth, ct), 200, "PUT template")
	a.do("PUT", "/api/templates/"+tpl, `{"name": ""}`, auth, ct)
	a.do("DELETE", "/api/templates/"+tpl, "", auth)
	r = a.do("POST", "/api/templates", design, auth, ct)
	a.want(a.do("DELETE", "/api/templates/"+r.json(t)["id"].(string), "", auth), 204, "delete template")

	// Voiding, and what a voided pass answers.
	a.want(a.do("DELETE", "/api/passes/"+res, "", auth), 200, "void")
	a.do("DELETE", missing, "", auth)
	a.do("PUT", "/api/passes/"+res, bayroast, auth, ct)
	a.do("GET", share, "")
	a.do("GET", share+"/pass.pkpass", "")
	a.want(a.do("GET", "/healthz", ""), 200, "healthz")

	// Every operation was seen succeeding, and failing where it can fail
	// (the health check fails only with its database down; the serial
	// list answers 204, not an error, for anything it cannot list).
	cannotFail := map[openapi.Route]bool{
		{Method: "GET", Path: "/healthz"}:                                          true,
		{Method: "GET", Path: "/v1/devices/{deviceID}/registrations/{passTypeID}"}: true,
	}
	for _, rt := range openapi.Routes() {
		s := a.seen[rt]
		if !s[0] {
			t.Errorf("%s %s: no success answer was validated", rt.Method, rt.Path)
		}
		if !s[1] && !cannotFail[rt] {
			t.Errorf("%s %s: no error answer was validated", rt.Method, rt.Path)
		}
	}
}

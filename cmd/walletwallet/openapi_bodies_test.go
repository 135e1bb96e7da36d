package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet/internal/openapi"
	"github.com/walletwallet/walletwallet/internal/openapi/openapitest"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// TestOpenAPIBodyLimits is TestOpenAPILimits for the other request bodies
// with limits: a device registration, a webhook and a template. Each
// accepted webhook or template is deleted again. (Signup is left out: five
// per client address per hour would stop it after five accepted cases.)
func TestOpenAPIBodyLimits(t *testing.T) {
	c, err := openapitest.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, nil)
	env["WW_FETCH_ALLOW_CIDRS"] = "127.0.0.1/32"
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	auth := bearer(key)
	r := call(t, "POST", srv.URL+"/api/passes", bayroast, auth, jsonCT)
	if r.status != 201 {
		t.Fatalf("POST /api/passes: %d %s", r.status, r.body)
	}
	created := r.json(t)
	blob, _ := base64.StdEncoding.DecodeString(created["applePass"].(string))
	token := verifyPass(t, blob, env["WW_DATA_DIR"]+"/dev-identity/ca.pem")["authenticationToken"].(string)
	reg := fmt.Sprintf("%s/v1/devices/device-1/registrations/%s/%s", srv.URL, devPassType, created["serialNumber"])

	var design map[string]any
	json.Unmarshal([]byte(bayroast), &design)
	schemas := openapi.Document()["components"].(map[string]any)["schemas"].(map[string]any)
	s := newSampler(t)
	s.members["pass"] = design
	s.members["defaults"] = map[string]any{}
	for _, b := range []struct {
		schema string
		send   func(body string) (accepted bool, status int, answer []byte)
	}{
		{"RegisterRequest", func(body string) (bool, int, []byte) {
			r := call(t, "POST", reg, body, "Authorization: ApplePass "+token, jsonCT)
			return r.status == 200 || r.status == 201, r.status, r.body
		}},
		{"WebhookRequest", func(body string) (bool, int, []byte) {
			r := call(t, "POST", srv.URL+"/api/webhooks", body, auth, jsonCT)
			if r.status == 201 {
				call(t, "DELETE", srv.URL+"/api/webhooks/"+r.json(t)["id"].(string), "", auth)
			}
			return r.status == 201, r.status, r.body
		}},
		{"TemplateRequest", func(body string) (bool, int, []byte) {
			r := call(t, "POST", srv.URL+"/api/templates", body, auth, jsonCT)
			if r.status == 201 {
				call(t, "DELETE", srv.URL+"/api/templates/"+r.json(t)["id"].(string), "", auth)
			}
			return r.status == 201, r.status, r.body
		}},
	} {
		sc := schemas[b.schema].(map[string]any)
		s.learn(sc)
		n := 0
		for _, lc := range s.cases("", sc, nil) {
			if len(lc.path) == 0 && lc.value == nil {
				continue // a body of null is not JSON object; the server says so as for any body
			}
			raw, err := json.Marshal(s.build("", sc, lc.path, lc.value))
			if err != nil {
				t.Fatal(err)
			}
			where := b.schema + "." + strings.Join(lc.path, ".")
			var decoded any
			json.Unmarshal(raw, &decoded)
			schemaOK := c.Schema(b.schema, decoded) == nil
			if schemaOK != lc.valid {
				t.Errorf("%s (%s): the schema says valid=%v, the case expected %v: %s", where, lc.what, schemaOK, lc.valid, raw)
			}
			ok, status, answer := b.send(string(raw))
			if !ok && status != 400 {
				t.Errorf("%s (%s): %d %s", where, lc.what, status, answer)
			} else if ok != schemaOK {
				t.Errorf("%s (%s): the schema says valid=%v, the server answered %d %s\nbody: %.300s", where, lc.what, schemaOK, status, answer, raw)
			}
			n++
		}
		t.Logf("%s: %d cases", b.schema, n)
		if n < 5 {
			t.Errorf("%s: only %d cases", b.schema, n)
		}
	}
}

// TestOpenAPIParameterLimits: query parameters and the Idempotency-Key
// header at and past their documented limits; the server refuses (400)
// exactly what the document forbids.
func TestOpenAPIParameterLimits(t *testing.T) {
	c, err := openapitest.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv(t, nil)
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	r := call(t, "POST", srv.URL+"/api/passes", bayroast, bearer(key), jsonCT)
	if r.status != 201 {
		t.Fatalf("POST /api/passes: %d %s", r.status, r.body)
	}
	serial := r.json(t)["serialNumber"].(string)
	cases := []struct {
		method, path, body, header string
	}{
		{"GET", "/api/passes?limit=1", "", ""},
		{"GET", "/api/passes?limit=200", "", ""},
		{"GET", "/api/passes?limit=0", "", ""},
		{"GET", "/api/passes?limit=201", "", ""},
		{"GET", "/api/passes?limit=abc", "", ""},
		{"GET", "/api/passes?status=active", "", ""},
		{"GET", "/api/passes?status=voided", "", ""},
		{"GET", "/api/passes?status=bogus", "", ""},
		{"GET", "/api/passes/" + serial + "/preview.png?side=front", "", ""},
		{"GET", "/api/passes/" + serial + "/preview.png?side=back", "", ""},
		{"GET", "/api/passes/" + serial + "/preview.png?side=top", "", ""},
		{"POST", "/api/preview?side=back", bayroast, ""},
		{"POST", "/api/preview?side=top", bayroast, ""},
		{"POST", "/api/passes", bayroast, "Idempotency-Key: " + strings.Repeat("k", 255)},
		{"POST", "/api/passes", bayroast, "Idempotency-Key: " + strings.Repeat("k", 256)},
		{"POST", "/api/passes", bayroast, "Idempotency-Key: k é"},
		{"POST", "/api/passes", bayroast, "Idempotency-Key: k ~"},
	}
	for _, tc := range cases {
		headers := []string{bearer(key)}
		if tc.body != "" {
			headers = append(headers, jsonCT)
		}
		if tc.header != "" {
			headers = append(headers, tc.header)
		}
		req, _ := http.NewRequest(tc.method, tc.path, nil)
		for _, hv := range headers {
			k, v, _ := strings.Cut(hv, ": ")
			req.Header.Add(k, v)
		}
		docOK := c.Request(req, []byte(tc.body)) == nil
		r := call(t, tc.method, srv.URL+tc.path, tc.body, headers...)
		if r.status >= 300 && r.status != 400 {
			t.Errorf("%s %s %.40s: %d %s", tc.method, tc.path, tc.header, r.status, r.body)
			continue
		}
		if serverOK := r.status < 300; serverOK != docOK {
			t.Errorf("%s %s %.40s: the document says valid=%v, the server answered %d %s", tc.method, tc.path, tc.header, docOK, r.status, r.body)
		}
	}
}

// TestOpenAPIPlanAndStyleMarks: the document marks Pro fields (x-plan) and
// the styles that have a field (x-styles); the server refuses each Pro
// field on a Free account and each styled field on a style not listed.
func TestOpenAPIPlanAndStyleMarks(t *testing.T) {
	env := testEnv(t, nil)
	srv := startServer(t, env)
	free := newKey(t, env, "--plan", "free")
	pro := newKey(t, env, "--plan", "pro")
	props := openapi.Document()["components"].(map[string]any)["schemas"].(map[string]any)["PassRequest"].(map[string]any)["properties"].(map[string]any)
	s := newSampler(t)
	send := func(key string, body map[string]any) *reply {
		raw, _ := json.Marshal(body)
		return call(t, "POST", srv.URL+"/api/preview", string(raw), bearer(key), jsonCT)
	}
	marked := 0
	for _, f := range pkpass.Fields() {
		p := props[f.Name].(map[string]any)
		v := s.sample(f.Name, f.Schema)
		if f.Name == "poster" || f.Name == "sharingProhibited" {
			v = true // false is as good as absent
		}
		body := baseBody(f, v)
		body[f.Name] = v
		if r := send(pro, body); r.status != 200 {
			t.Errorf("%s: the sample body is refused on Pro: %d %s", f.Name, r.status, r.body)
			continue
		}
		if p["x-plan"] == "pro" {
			marked++
			if r := send(free, body); r.status != 400 || !strings.Contains(string(r.body), f.Name+" is only available on the Pro plan") {
				t.Errorf("%s is marked Pro, but a Free account gets %d %s", f.Name, r.status, r.body)
			}
		} else if r := send(free, body); r.status != 200 {
			t.Errorf("%s is not marked Pro, but a Free account gets %d %s", f.Name, r.status, r.body)
		}
		styles, _ := p["x-styles"].([]string)
		for _, style := range pkpass.Styles {
			if styles == nil || slices.Contains(styles, style) {
				continue
			}
			marked++
			other := maps.Clone(body)
			other["style"] = style
			if style == pkpass.StyleBoardingPass && f.Name != "transitType" {
				other["transitType"] = "air"
			}
			if r := send(pro, other); r.status != 400 || !strings.Contains(string(r.body), "not available on "+style) {
				t.Errorf("%s is not marked for %s, but the server answers %d %s", f.Name, style, r.status, r.body)
			}
		}
	}
	if marked < 20 {
		t.Errorf("only %d marks tried", marked)
	}
}

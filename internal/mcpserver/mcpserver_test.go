package mcpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/api"
	"github.com/walletwallet/walletwallet/internal/openapi"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// The contract's tools, in its order.
var contractTools = []string{"create_pass", "update_pass", "patch_pass", "get_pass", "list_passes", "void_pass", "get_usage", "preview_pass"}

const body1 = `{"barcodeValue":"MEMBER-1","barcodeFormat":"QR","title":"Gold card","logoText":"Bay Roast","primaryFields":[{"label":"Points","value":"120"}]}`

func TestListTools(t *testing.T) {
	h := newHarness(t, "")
	cs := h.mustConnect(h.account(walletwallet.PlanPro, 100))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	schemas := map[string]map[string]any{}
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		s, _ := tool.InputSchema.(map[string]any)
		if s["type"] != "object" {
			t.Errorf("%s: input schema %v is not an object schema", tool.Name, tool.InputSchema)
		}
		if tool.Description == "" {
			t.Errorf("%s has no description", tool.Name)
		}
		schemas[tool.Name] = s
	}
	slices.Sort(names)
	want := slices.Clone(contractTools)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("tools %v, want %v", names, want)
	}
	// The body and the patch have the OpenAPI document's schemas, which
	// carry every field of the validator's table.
	if !jsonEqual(schemas["create_pass"], openapi.PassRequestSchema()) {
		t.Error("create_pass's input schema is not the document's pass body schema")
	}
	patchProps, _ := schemas["patch_pass"]["properties"].(map[string]any)
	if !jsonEqual(patchProps["patch"], openapi.PassPatchSchema()) {
		t.Error("patch_pass's patch is not the document's merge patch schema")
	}
	props, _ := schemas["create_pass"]["properties"].(map[string]any)
	for _, f := range pkpass.Fields() {
		if p, _ := props[f.Name].(map[string]any); p == nil || p["type"] == nil && p["enum"] == nil && p["const"] == nil {
			t.Errorf("create_pass schema: %s is missing or untyped: %v", f.Name, p)
		}
	}
	for name, req := range map[string][]any{"update_pass": {"serialNumber", "pass"}, "patch_pass": {"serialNumber", "patch"},
		"get_pass": {"serialNumber"}, "void_pass": {"serialNumber"}} {
		if got, _ := schemas[name]["required"].([]any); !slices.Equal(got, req) {
			t.Errorf("%s requires %v, want %v", name, got, req)
		}
	}
	// Clients get self-contained schemas: no reference into a document
	// they do not have.
	for name, s := range schemas {
		if b, _ := json.Marshal(s); bytes.Contains(b, []byte(`"$ref"`)) {
			t.Errorf("%s's input schema holds a $ref", name)
		}
	}

	// Each schema is valid JSON Schema 2020-12 (compiled by a real
	// validator, as the client received it) and agrees with the server on
	// what a typical call may hold.
	compiled := map[string]*jsonschema.Schema{}
	for name, s := range schemas {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if err := c.AddResource(name+".json", s); err != nil {
			t.Fatal(err)
		}
		sch, err := c.Compile(name + ".json")
		if err != nil {
			t.Fatalf("%s's input schema does not compile: %v", name, err)
		}
		compiled[name] = sch
	}
	const serial = `"0f5bd4a9-6c1e-4d5e-9a43-1a2b3c4d5e6f"`
	for _, tc := range []struct {
		tool, args string
		valid      bool
	}{
		{"create_pass", body1, true},
		{"create_pass", `{"barcodeValue":"X","barcodeFormat":"QRX","title":"T"}`, false},
		{"create_pass", `{"barcodeValue":"X","barcodeFormat":"QR","titel":"T"}`, false},
		{"update_pass", `{"serialNumber":` + serial + `,"pass":` + body1 + `}`, true},
		{"update_pass", `{"serialNumber":` + serial + `}`, false},
		{"patch_pass", `{"serialNumber":` + serial + `,"patch":{"title":"New","logoText":null}}`, true},
		{"get_pass", `{"serialNumber":` + serial + `}`, true},
		{"get_pass", `{"serialNumber":"not-a-serial"}`, false},
		{"list_passes", `{"limit":10,"status":"voided"}`, true},
		{"list_passes", `{"limit":0}`, false},
		{"get_usage", `{}`, true},
		{"preview_pass", `{"pass":` + body1 + `,"side":"back"}`, true},
		{"preview_pass", `{"serialNumber":` + serial + `,"side":"left"}`, false},
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(tc.args))
		if err != nil {
			t.Fatal(err)
		}
		if err := compiled[tc.tool].Validate(v); (err == nil) != tc.valid {
			t.Errorf("%s(%s): schema says %v, want valid=%v", tc.tool, tc.args, err, tc.valid)
		}
	}
}

// TestPassLife walks a pass through every tool and checks each answer
// against what the HTTP API says about the same pass.
func TestPassLife(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		key := h.account(walletwallet.PlanPro, 100)
		cs := h.mustConnect(key)

		c := ok(t, cs, "create_pass", body1)
		serial, _ := c["serialNumber"].(string)
		if !walletwallet.ValidSerial(serial) || !strings.HasPrefix(fmt.Sprint(c["shareUrl"]), publicURL+"/p/") {
			t.Fatalf("create_pass answered %v", c)
		}
		if _, has := c["applePass"]; has {
			t.Errorf("create_pass answer carries the bundle: %v", c)
		}
		// The API sees the pass the tool created, as that account's.
		got := ok(t, cs, "get_pass", `{"serialNumber":"`+serial+`"}`)
		r := h.do("GET", "/api/passes/"+serial, key, "", "")
		var viaAPI map[string]any
		json.Unmarshal(r.body, &viaAPI)
		if r.status != 200 || !jsonEqual(got, viaAPI) {
			t.Fatalf("get_pass %v, GET /api/passes %d %s", got, r.status, r.body)
		}
		if got["request"].(map[string]any)["title"] != "Gold card" || got["status"] != "active" {
			t.Errorf("get_pass answered %v", got)
		}

		// update_pass replaces the body and counts; the same body again is free.
		body2 := strings.Replace(body1, "Gold card", "Platinum card", 1)
		u := ok(t, cs, "update_pass", `{"serialNumber":"`+serial+`","pass":`+body2+`}`)
		if u["unchanged"] != false || u["lastUpdated"].(float64) <= c["lastUpdated"].(float64) {
			t.Errorf("update_pass answered %v after creation at %v", u, c["lastUpdated"])
		}
		if u2 := ok(t, cs, "update_pass", `{"serialNumber":"`+serial+`","pass":`+body2+`}`); u2["unchanged"] != true {
			t.Errorf("the same body again: %v, want unchanged", u2)
		}
		// patch_pass merges: title changes, the rest stays.
		ok(t, cs, "patch_pass", `{"serialNumber":"`+serial+`","patch":{"title":"Patched","logoText":null}}`)
		req := ok(t, cs, "get_pass", `{"serialNumber":"`+serial+`"}`)["request"].(map[string]any)
		if req["title"] != "Patched" || req["logoText"] != nil || req["barcodeValue"] != "MEMBER-1" {
			t.Errorf("after the patch the body is %v", req)
		}

		// list_passes pages like GET /api/passes.
		second := ok(t, cs, "create_pass", `{"barcodeValue":"MEMBER-2","barcodeFormat":"QR","title":"Second"}`)["serialNumber"]
		page := ok(t, cs, "list_passes", `{"limit":1}`)
		entries := page["passes"].([]any)
		if len(entries) != 1 || entries[0].(map[string]any)["serialNumber"] != second || page["nextCursor"] == nil {
			t.Fatalf("first page %v, want only %v and a cursor", page, second)
		}
		next := ok(t, cs, "list_passes", fmt.Sprintf(`{"limit":"1","cursor":%q}`, page["nextCursor"]))
		if e := next["passes"].([]any); len(e) != 1 || e[0].(map[string]any)["serialNumber"] != serial || next["nextCursor"] != nil {
			t.Errorf("second page %v, want only %s and no cursor", next, serial)
		}
		r = h.do("GET", "/api/passes?limit=1", key, "", "")
		var listAPI map[string]any
		json.Unmarshal(r.body, &listAPI)
		if !jsonEqual(listAPI, page) {
			t.Errorf("list_passes %v, GET /api/passes %s", page, r.body)
		}

		// get_usage: two creations, one update, one patch; the unchanged
		// update was free. The API says the same.
		usage := ok(t, cs, "get_usage", "")
		if usage["count"] != 4.0 || usage["limit"] != 100.0 || usage["remaining"] != 96.0 || usage["plan"] != "pro" {
			t.Errorf("get_usage %v, want count 4 of 100", usage)
		}
		r = h.do("GET", "/api/auth/usage", key, "", "")
		var usageAPI map[string]any
		json.Unmarshal(r.body, &usageAPI)
		if !jsonEqual(usage, usageAPI) {
			t.Errorf("get_usage %v, GET /api/auth/usage %s", usage, r.body)
		}

		// void_pass withdraws it; afterwards a change is refused with the
		// API's message.
		v := ok(t, cs, "void_pass", `{"serialNumber":"`+serial+`"}`)
		if v["status"] != "voided" || ok(t, cs, "get_pass", `{"serialNumber":"`+serial+`"}`)["status"] != "voided" {
			t.Errorf("void_pass answered %v", v)
		}
		msg, sc := refused(t, cs, "update_pass", `{"serialNumber":"`+serial+`","pass":`+body1+`}`)
		r = h.do("PUT", "/api/passes/"+serial, key, "application/json", body1)
		if msg == "" || msg != r.apiError(t) || sc["status"] != float64(r.status) {
			t.Errorf("update of a voided pass: tool says %q (%v), the API %d %q", msg, sc["status"], r.status, r.apiError(t))
		}
		if n := ok(t, cs, "get_usage", "")["count"]; n != 4.0 {
			t.Errorf("count %v after void and a refused update, want still 4", n)
		}
	})
}

// TestRefusals: a refused call is a tool error whose text is exactly the
// API's message for the same request, with its status; nothing is stored
// or counted.
func TestRefusals(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		key := h.account(walletwallet.PlanFree, 10)
		other := h.account(walletwallet.PlanPro, 10)
		cs := h.mustConnect(key)
		theirs := ok(t, h.mustConnect(other), "create_pass", body1)["serialNumber"].(string)
		mine := ok(t, cs, "create_pass", body1)["serialNumber"].(string)

		cases := []struct {
			name, tool, args string
			// method, path and body of the same request to the API.
			method, path, body string
		}{
			{"bad barcode format", "create_pass", `{"barcodeValue":"X","barcodeFormat":"QRX","title":"T"}`,
				"POST", "/api/passes", `{"barcodeValue":"X","barcodeFormat":"QRX","title":"T"}`},
			{"unknown field", "create_pass", `{"barcodeValue":"X","barcodeFormat":"QR","titel":"T"}`,
				"POST", "/api/passes", `{"barcodeValue":"X","barcodeFormat":"QR","titel":"T"}`},
			{"Pro field on the free plan", "create_pass", `{"barcodeValue":"X","barcodeFormat":"QR","title":"T","color":"#112233"}`,
				"POST", "/api/passes", `{"barcodeValue":"X","barcodeFormat":"QR","title":"T","color":"#112233"}`},
			{"no arguments", "create_pass", "", "POST", "/api/passes", `{}`},
			{"another account's pass", "get_pass", `{"serialNumber":"` + theirs + `"}`, "GET", "/api/passes/" + theirs, ""},
			{"void another account's pass", "void_pass", `{"serialNumber":"` + theirs + `"}`, "DELETE", "/api/passes/" + theirs, ""},
			{"no such pass", "get_pass", `{"serialNumber":"00000000-0000-4000-8000-000000000000"}`,
				"GET", "/api/passes/00000000-0000-4000-8000-000000000000", ""},
			{"bad body on update", "update_pass", `{"serialNumber":"` + mine + `","pass":{"barcodeFormat":"QR","title":"T"}}`,
				"PUT", "/api/passes/" + mine, `{"barcodeFormat":"QR","title":"T"}`},
			{"patch breaking a rule", "patch_pass", `{"serialNumber":"` + mine + `","patch":{"barcodeValue":null}}`,
				"PATCH", "/api/passes/" + mine, `{"barcodeValue":null}`},
			{"patch of a server-owned member", "patch_pass", `{"serialNumber":"` + mine + `","patch":{"serialNumber":"x"}}`,
				"PATCH", "/api/passes/" + mine, `{"serialNumber":"x"}`},
			{"limit out of range", "list_passes", `{"limit":0}`, "GET", "/api/passes?limit=0", ""},
			{"unknown status", "list_passes", `{"status":"gone"}`, "GET", "/api/passes?status=gone", ""},
			{"bad side", "preview_pass", `{"serialNumber":"` + mine + `","side":"left"}`, "GET", "/api/passes/" + mine + "/preview.png?side=left", ""},
			{"bad preview body", "preview_pass", `{"pass":{"barcodeValue":"X","barcodeFormat":"QR"}}`,
				"POST", "/api/preview", `{"barcodeValue":"X","barcodeFormat":"QR"}`},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				msg, sc := refused(t, cs, tc.tool, tc.args)
				ct := ""
				if tc.body != "" {
					ct = "application/json"
				}
				r := h.do(tc.method, tc.path, key, ct, tc.body)
				if r.status < 400 || r.status >= 500 {
					t.Fatalf("the API answered %d %s: the case does not test a refusal", r.status, r.body)
				}
				if want := r.apiError(t); msg != want {
					t.Errorf("tool error %q, the API's message %q", msg, want)
				}
				if sc["status"] != float64(r.status) || sc["error"] != msg {
					t.Errorf("structured content %v, want status %d and the message", sc, r.status)
				}
			})
		}

		// The tools' own arguments are checked as strictly as a body.
		for _, tc := range []struct{ tool, args, want string }{
			{"get_pass", `{}`, "serialNumber is required and must be a string"},
			{"get_pass", `{"serialNumber":12}`, "serialNumber must be a string"},
			{"get_pass", `{"serialNumber":"x","serial":"y"}`, `unknown argument "serial": this tool takes serialNumber`},
			{"update_pass", `{"serialNumber":"` + mine + `"}`, "pass is required: the new request body"},
			{"get_usage", `{"account":1}`, `unknown argument "account": this tool takes none`},
			{"preview_pass", `{}`, "preview_pass takes exactly one of pass (a request body to draw) or serialNumber (a stored pass to draw)"},
		} {
			if msg, _ := refused(t, cs, tc.tool, tc.args); msg != tc.want {
				t.Errorf("%s(%s): %q, want %q", tc.tool, tc.args, msg, tc.want)
			}
		}
		// Only the two successful creations counted.
		if n := ok(t, cs, "get_usage", "")["count"]; n != 1.0 {
			t.Errorf("count %v after refusals, want 1", n)
		}
		if n := len(ok(t, cs, "list_passes", "")["passes"].([]any)); n != 1 {
			t.Errorf("%d passes listed, want 1: a refused call stored something", n)
		}
	})
}

// TestQuota: the quota refusal carries the API's extra members.
func TestQuota(t *testing.T) {
	h := newHarness(t, "")
	key := h.account(walletwallet.PlanFree, 1)
	cs := h.mustConnect(key)
	ok(t, cs, "create_pass", body1)
	msg, sc := refused(t, cs, "create_pass", body1)
	r := h.do("POST", "/api/passes", key, "application/json", body1)
	var want map[string]any
	json.Unmarshal(r.body, &want)
	want["status"] = float64(r.status)
	if r.status != 429 || msg != want["error"] || !jsonEqual(sc, want) || sc["resetDate"] == nil {
		t.Errorf("tool: %q %v; API: %d %s", msg, sc, r.status, r.body)
	}
}

// TestInternalError: a failure of ours is not explained to the client;
// it gets the request id under which the log holds the cause.
func TestInternalError(t *testing.T) {
	h := newHarness(t, "")
	cs := h.mustConnect(h.account(walletwallet.PlanPro, 100))
	serial := ok(t, cs, "create_pass", body1)["serialNumber"].(string)
	p, err := h.st.Pass(context.Background(), passTypeID, serial)
	if err != nil {
		t.Fatal(err)
	}
	// A stored bundle that is no zip: drawing it fails inside the server.
	if err := h.st.SetBlob(context.Background(), passTypeID, serial, p.LastModified, []byte("not a zip")); err != nil {
		t.Fatal(err)
	}
	msg, sc := refused(t, cs, "preview_pass", `{"serialNumber":"`+serial+`"}`)
	m := regexp.MustCompile(`^internal error \(request id ([0-9a-f]{16})\)$`).FindStringSubmatch(msg)
	if m == nil || sc["status"] != 500.0 {
		t.Fatalf("tool error %q %v, want internal error with a request id", msg, sc)
	}
	var logged bool
	for _, line := range strings.Split(h.logs.String(), "\n") {
		logged = logged || strings.Contains(line, `"request_id":"`+m[1]+`"`) && strings.Contains(line, `"tool":"preview_pass"`) &&
			strings.Contains(line, "zip")
	}
	if !logged {
		t.Errorf("no log line for request %s with the cause:\n%s", m[1], h.logs.String())
	}
}

func TestPreview(t *testing.T) {
	h := newHarness(t, "")
	key := h.account(walletwallet.PlanPro, 100)
	cs := h.mustConnect(key)
	serial := ok(t, cs, "create_pass", body1)["serialNumber"].(string)

	image := func(args string) []byte {
		t.Helper()
		res, err := call(t, cs, "preview_pass", args)
		if err != nil || res.IsError {
			t.Fatalf("preview_pass(%s): %v %v", args, err, res)
		}
		if len(res.Content) != 1 {
			t.Fatalf("want one image, got %d contents", len(res.Content))
		}
		img, isImage := res.Content[0].(*mcp.ImageContent)
		if !isImage || img.MIMEType != "image/png" {
			t.Fatalf("want an image/png content, got %#v", res.Content[0])
		}
		if _, err := png.Decode(bytes.NewReader(img.Data)); err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		return img.Data
	}
	// A stored pass: exactly the API's picture of it.
	for _, side := range []string{"front", "back"} {
		got := image(`{"serialNumber":"` + serial + `","side":"` + side + `"}`)
		r := h.do("GET", "/api/passes/"+serial+"/preview.png?side="+side, key, "", "")
		if r.status != 200 || !bytes.Equal(got, r.body) {
			t.Errorf("%s: preview_pass gave %d bytes, the API %d (%d bytes)", side, len(got), r.status, len(r.body))
		}
	}
	// A body: drawn without being stored or counted.
	front := image(`{"pass":` + body1 + `}`)
	cfg, _ := png.DecodeConfig(bytes.NewReader(front))
	stored, _ := png.DecodeConfig(bytes.NewReader(image(`{"serialNumber":"` + serial + `"}`)))
	if cfg.Width != stored.Width || cfg.Width == 0 {
		t.Errorf("body preview %dx%d, stored pass %dx%d", cfg.Width, cfg.Height, stored.Width, stored.Height)
	}
	if bytes.Equal(front, image(`{"pass":`+body1+`,"side":"back"}`)) {
		t.Error("front and back previews are the same picture")
	}
	if n := ok(t, cs, "get_usage", "")["count"]; n != 1.0 {
		t.Errorf("count %v after previews, want 1", n)
	}
}

// initialize is a raw MCP initialize request.
const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}`

var accept = "Accept: application/json, text/event-stream"

func TestAuth(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		key := h.account(walletwallet.PlanPro, 100)
		apiAnswer := h.do("GET", "/api/auth/usage", "", "", "")

		// No key, a malformed key, an unknown key: the SDK's client cannot
		// open a session, and the answer is the API's 401.
		for _, k := range []string{"", "ww_live_nothex", api.NewKey()} {
			if cs, err := h.connect(k); err == nil {
				cs.Close()
				t.Errorf("key %q: session opened", k)
			}
			r := h.do("POST", "/mcp", k, "application/json", initialize, accept)
			if r.status != 401 || r.apiError(t) != apiAnswer.apiError(t) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("key %q: %d %s, want the API's 401 %s", k, r.status, r.body, apiAnswer.body)
			}
		}

		// A key revoked while a client is connected: its next call is refused.
		cs := h.mustConnect(key)
		ok(t, cs, "get_usage", "")
		if _, err := h.st.RevokeKey(context.Background(), api.HashKey(key), time.Now()); err != nil {
			t.Fatal(err)
		}
		if res, err := call(t, cs, "get_usage", ""); err == nil {
			t.Errorf("call after revocation answered %v", res)
		}
		if r := h.do("POST", "/mcp", key, "application/json", initialize, accept); r.status != 401 {
			t.Errorf("revoked key: %d %s", r.status, r.body)
		}
	})
}

// TestTransport covers the HTTP edges: the API's body rules, the methods
// the stateless transport answers, and a raw initialize.
func TestTransport(t *testing.T) {
	h := newHarness(t, "")
	key := h.account(walletwallet.PlanPro, 100)

	r := h.do("POST", "/mcp", key, "application/json", initialize, accept)
	var init struct {
		Result struct {
			ServerInfo   mcp.Implementation `json:"serverInfo"`
			Capabilities map[string]any     `json:"capabilities"`
		} `json:"result"`
	}
	if err := json.Unmarshal(r.body, &init); r.status != 200 || err != nil || init.Result.ServerInfo.Name != "walletwallet" || init.Result.Capabilities["tools"] == nil {
		t.Fatalf("initialize: %d %s", r.status, r.body)
	}
	if r.header.Get("Mcp-Session-Id") != "" {
		t.Errorf("a stateless server handed out session %q", r.header.Get("Mcp-Session-Id"))
	}

	// Bodies over the API's limit, or not JSON, get the API's answers.
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_pass","arguments":{"title":"` +
		strings.Repeat("x", api.MaxBody) + `"}}}`
	for _, tc := range []struct {
		name, ct, body string
		apiCT, apiBody string
	}{
		{"too large", "application/json", big, "application/json", `{"title":"` + strings.Repeat("x", api.MaxBody) + `"}`},
		{"not JSON", "text/plain", initialize, "text/plain", body1},
	} {
		r := h.do("POST", "/mcp", key, tc.ct, tc.body, accept)
		want := h.do("POST", "/api/passes", key, tc.apiCT, tc.apiBody)
		if r.status != want.status || r.apiError(t) != want.apiError(t) {
			t.Errorf("%s: %d %s, the API answers %d %s", tc.name, r.status, r.body, want.status, want.body)
		}
	}
	if n := h.do("GET", "/api/auth/usage", key, "", "").body; !bytes.Contains(n, []byte(`"count":0`)) {
		t.Errorf("usage after refused bodies: %s", n)
	}

	// The transport's own refusals are JSON too.
	for _, tc := range []struct {
		name    string
		headers []string
		status  int
		want    string
	}{
		{"no event stream in Accept", []string{"Accept: application/json"}, 400, "Accept must contain both 'application/json' and 'text/event-stream'"},
		{"unknown protocol version", []string{accept, "MCP-Protocol-Version: 1999-01-01"}, 400, "Bad Request: Unsupported protocol version"},
	} {
		r := h.do("POST", "/mcp", key, "application/json", initialize, tc.headers...)
		if r.status != tc.status || !strings.HasPrefix(r.apiError(t), tc.want) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %q %s, want %d and an error starting %q", tc.name, r.status, r.header.Get("Content-Type"), r.body, tc.status, tc.want)
		}
	}

	// Stateless: no standalone stream, no session to delete.
	for _, m := range []string{"GET", "DELETE", "PUT"} {
		r := h.do(m, "/mcp", key, "", "", "Accept: text/event-stream")
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" {
			t.Errorf("%s /mcp: %d (Allow %q) %s", m, r.status, r.header.Get("Allow"), r.body)
		}
	}
}

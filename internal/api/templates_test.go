package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet"
)

// design is the suite's template: a member card whose barcode and name
// come from each pass, whose tier has a default.
const design = `{"title": "Coffee Club", "barcodeValue": "M-{{member}}", "barcodeFormat": "QR",
	"headerFields": [{"label": "Tier", "value": "{{tier}}"}], "primaryFields": [{"label": "Name", "value": "{{name}}"}]}`

func templateBody(name, pass, defaults string) string {
	b := `{"name": "` + name + `", "pass": ` + pass
	if defaults != "" {
		b += `, "defaults": ` + defaults
	}
	return b + `}`
}

// newTemplate creates the suite's template and returns its id.
func newTemplate(t *testing.T, h *harness, key string) string {
	t.Helper()
	r := h.do("POST", "/api/templates", key, templateBody("club", design, `{"tier": "Bronze"}`))
	if r.status != 201 {
		t.Fatalf("create template: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if got := fmt.Sprint(m["placeholders"]); got != "[member name tier]" || m["passes"].(float64) != 0 {
		t.Fatalf("created template = %v", m)
	}
	return m["id"].(string)
}

// issue makes one pass from the template and returns its serial.
func issue(t *testing.T, h *harness, key, id, values string) string {
	t.Helper()
	r := h.do("POST", "/api/templates/"+id+"/passes", key, `{"values": `+values+`}`)
	if r.status != 201 {
		t.Fatalf("issue: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["templateId"] != id {
		t.Fatalf("issued pass templateId = %v, want %s", m["templateId"], id)
	}
	return m["serialNumber"].(string)
}

// currentPass downloads the pass and returns its pass.json.
func currentPass(t *testing.T, h *harness, key, serial string) map[string]any {
	t.Helper()
	r := h.do("GET", "/api/pkpass/"+serial, key, "")
	if r.status != 200 {
		t.Fatalf("download %s: %d %s", serial, r.status, r.body)
	}
	pj, _ := passJSON(t, r.body)
	return pj
}

func fieldValue(pj map[string]any, group string) string {
	style := pj["generic"].(map[string]any)
	return fmt.Sprint(style[group].([]any)[0].(map[string]any)["value"])
}

func TestTemplateCreateRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, pro := h.account(walletwallet.PlanPro, 0, "")
		_, free := h.account(walletwallet.PlanFree, 0, "")
		cases := []struct {
			name, key, body string
			status          int
			want            string // start of the error
		}{
			{"no name", pro, `{"pass": ` + design + `}`, 400, "name is required"},
			{"long name", pro, templateBody(strings.Repeat("n", 65), design, ""), 400, "name must be at most 64"},
			{"unknown member", pro, `{"name": "x", "pass": ` + design + `, "colour": 1}`, 400, `unknown field "colour"`},
			{"no pass", pro, `{"name": "x"}`, 400, "pass is required"},
			{"bad marker", pro, templateBody("x", `{"title": "{{bad name}}", "barcodeValue": "1", "barcodeFormat": "QR"}`, ""), 400, `pass.title: "{{bad name}}" is not a placeholder`},
			{"too long marker", pro, templateBody("x", `{"title": "{{`+strings.Repeat("a", 65)+`}}", "barcodeValue": "1", "barcodeFormat": "QR"}`, ""), 400, "pass.title:"},
			{"placeholder in an enumeration", pro, templateBody("x", `{"title": "t", "barcodeValue": "1", "barcodeFormat": "{{f}}"}`, ""), 400, "pass.barcodeFormat must be one of"},
			{"fixed text breaks a rule", pro, templateBody("x", `{"title": "`+strings.Repeat("t", 65)+`", "barcodeValue": "{{m}}", "barcodeFormat": "QR"}`, ""), 400, "pass.title"},
			{"wrong type", pro, templateBody("x", `{"title": "t", "barcodeValue": "{{m}}", "barcodeFormat": "QR", "expirationDays": "{{d}}"}`, ""), 400, "pass.expirationDays"},
			{"pro field on free", free, templateBody("x", `{"title": "t", "barcodeValue": "{{m}}", "barcodeFormat": "QR", "color": "{{c}}"}`, ""), 400, "pass.color is only available on the Pro plan"},
			{"default of no placeholder", pro, templateBody("x", design, `{"colour": "red"}`), 400, "defaults.colour names no placeholder"},
			{"non-string default", pro, templateBody("x", design, `{"tier": 3}`), 400, "defaults.tier must be a string"},
			{"value-dependent rules wait for values", pro, templateBody("x", `{"title": "t", "barcodeValue": "{{m}}", "barcodeFormat": "QR", "color": "{{c}}", "stripURL": "{{img}}"}`, ""), 201, ""},
			{"no placeholders at all", pro, templateBody("x", `{"title": "t", "barcodeValue": "1", "barcodeFormat": "QR"}`, ""), 201, ""},
		}
		for _, c := range cases {
			r := h.do("POST", "/api/templates", c.key, c.body)
			if r.status != c.status {
				t.Fatalf("%s: %d %s, want %d", c.name, r.status, r.body, c.status)
			}
			if c.want != "" && !strings.HasPrefix(r.errorText(t), c.want) {
				t.Fatalf("%s: error %q, want it to start with %q", c.name, r.errorText(t), c.want)
			}
		}
		r := h.do("GET", "/api/templates", pro, "")
		if n := len(r.json(t)["templates"].([]any)); r.status != 200 || n != 2 {
			t.Fatalf("list after 2 successful creates: %d, %d templates", r.status, n)
		}
	})
}

func TestTemplateIssueRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanPro, 0, "")
		id := newTemplate(t, h, key)
		serial := issue(t, h, key, id, `{"member": "0042", "name": "Ada"}`)
		pj := currentPass(t, h, key, serial)
		if got := pj["barcodes"].([]any)[0].(map[string]any)["message"]; got != "M-0042" {
			t.Fatalf("barcode = %v", got)
		}
		if fieldValue(pj, "primaryFields") != "Ada" || fieldValue(pj, "headerFields") != "Bronze" {
			t.Fatalf("rendered fields: %v", pj["generic"])
		}
		g := h.do("GET", "/api/passes/"+serial, key, "").json(t)
		if g["templateId"] != id || !strings.Contains(fmt.Sprint(g["request"]), "M-0042") {
			t.Fatalf("GET pass = %v", g)
		}
		cases := []struct {
			name, body, want string
		}{
			{"missing value", `{"values": {"name": "Ada"}}`, "values.member is required"},
			{"unknown value", `{"values": {"member": "1", "name": "A", "nmae": "x"}}`, `values.nmae is not a placeholder of this template`},
			{"non-string value", `{"values": {"member": 1, "name": "A"}}`, "values.member must be a string"},
			{"rendered body breaks a rule", `{"values": {"member": "1", "name": "` + strings.Repeat("n", 300) + `"}}`, "primaryFields[0].value"},
			{"bulk names the entry", `{"passes": [{"values": {"member": "1", "name": "A"}}, {"values": {"name": "B"}}]}`, "passes[1].values.member is required"},
			{"bulk rendered rule names the entry", `{"passes": [{"values": {"member": "1", "name": "A"}}, {"values": {"member": "2", "name": "` + strings.Repeat("n", 300) + `"}}]}`, "passes[1].primaryFields[0].value"},
			{"empty bulk", `{"passes": []}`, "passes must hold 1 to 1000"},
			{"both forms", `{"values": {}, "passes": []}`, "the body must be"},
			{"bulk entry member", `{"passes": [{"value": {}}]}`, `passes[0].unknown field "value"`},
		}
		before := h.count(key)
		for _, c := range cases {
			r := h.do("POST", "/api/templates/"+id+"/passes", key, c.body)
			if r.status != 400 || !strings.Contains(r.errorText(t), c.want) {
				t.Fatalf("%s: %d %q, want 400 containing %q", c.name, r.status, r.errorText(t), c.want)
			}
		}
		if h.count(key) != before {
			t.Fatalf("refused requests were counted: %d → %d", before, h.count(key))
		}
	})
}

func TestTemplateBulkQuotaAndIdempotency(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanPro, 5, "")
		id := newTemplate(t, h, key)
		bulk := func(n int) string {
			var es []string
			for i := range n {
				es = append(es, fmt.Sprintf(`{"values": {"member": "%d", "name": "N%d"}}`, i, i))
			}
			return `{"passes": [` + strings.Join(es, ",") + `]}`
		}
		r := h.do("POST", "/api/templates/"+id+"/passes", key, bulk(3), "Idempotency-Key: k1")
		if r.status != 201 {
			t.Fatalf("bulk of 3: %d %s", r.status, r.body)
		}
		first := r.json(t)["passes"].([]any)
		if len(first) != 3 || h.count(key) != 3 {
			t.Fatalf("bulk answer %v, count %d", first, h.count(key))
		}
		again := h.do("POST", "/api/templates/"+id+"/passes", key, bulk(3), "Idempotency-Key: k1")
		if again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" || fmt.Sprint(again.json(t)["passes"]) != fmt.Sprint(first) {
			t.Fatalf("replay: %d %s (replayed %q)", again.status, again.body, again.header.Get("Idempotent-Replayed"))
		}
		if other := h.do("POST", "/api/templates/"+id+"/passes", key, bulk(2), "Idempotency-Key: k1"); other.status != 422 {
			t.Fatalf("same key, other body: %d %s", other.status, other.body)
		}
		// Two remain: a bulk of three is refused whole.
		if r := h.do("POST", "/api/templates/"+id+"/passes", key, bulk(3)); r.status != 429 {
			t.Fatalf("bulk over the limit: %d %s", r.status, r.body)
		}
		tpl := h.do("GET", "/api/templates/"+id, key, "").json(t)
		if h.count(key) != 3 || tpl["passes"].(float64) != 3 {
			t.Fatalf("after the refused bulk: count %d, template passes %v", h.count(key), tpl["passes"])
		}
		// A lazily signed bulk pass is signed on its first download.
		serial := first[0].(map[string]any)["serialNumber"].(string)
		if fieldValue(currentPass(t, h, key, serial), "primaryFields") != "N0" {
			t.Fatal("bulk pass 0 does not carry its own value")
		}
	})
}

func TestTemplateUpdate(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanPro, 0, "")
		_, other := h.account(walletwallet.PlanPro, 0, "")
		id := newTemplate(t, h, key)
		bronze := issue(t, h, key, id, `{"member": "1", "name": "Ada"}`)
		gold := issue(t, h, key, id, `{"member": "2", "name": "Bo", "tier": "Gold"}`)
		before := h.count(key)
		lastMod := h.do("GET", "/api/passes/"+gold, key, "").json(t)["lastUpdated"]
		lastModBronze := h.do("GET", "/api/passes/"+bronze, key, "").json(t)["lastUpdated"]

		// Only the default changes: the pass with its own tier keeps its version.
		r := h.do("PATCH", "/api/templates/"+id, key, `{"defaults": {"tier": "Silver"}}`, "Content-Type: application/merge-patch+json")
		if r.status != 200 {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		if m := r.json(t); m["updatedPasses"].(float64) != 1 || m["notifiedDevices"].(float64) != 0 || m["id"] != id {
			t.Fatalf("patch answer %v, want 1 updated pass", m)
		}
		if h.count(key) != before+1 {
			t.Fatalf("count %d, want %d (only the changed pass counts)", h.count(key), before+1)
		}
		if got := h.do("GET", "/api/passes/"+gold, key, "").json(t)["lastUpdated"]; got != lastMod {
			t.Fatalf("unchanged pass got a new version: %v → %v", lastMod, got)
		}
		// No job runs here: the read folds the pass (new version, new
		// signature) before answering.
		if fieldValue(currentPass(t, h, key, bronze), "headerFields") != "Silver" {
			t.Fatal("the default's pass does not show the new default")
		}
		if got := h.do("GET", "/api/passes/"+bronze, key, "").json(t)["lastUpdated"]; got == lastModBronze {
			t.Fatalf("changed pass read after the answer kept its version %v", got)
		}
		// A whole new design reaches both, each with its own values.
		newDesign := strings.Replace(design, "Coffee Club", "Tea Club", 1)
		r = h.do("PUT", "/api/templates/"+id, key, templateBody("club", newDesign, `{"tier": "Silver"}`))
		if r.status != 200 || r.json(t)["updatedPasses"].(float64) != 2 {
			t.Fatalf("put: %d %s", r.status, r.body)
		}
		for serial, name := range map[string]string{bronze: "Ada", gold: "Bo"} {
			pj := currentPass(t, h, key, serial)
			if !strings.Contains(fmt.Sprint(pj), "Tea Club") || strings.Contains(fmt.Sprint(pj), "Coffee Club") || fieldValue(pj, "primaryFields") != name {
				t.Fatalf("%s after PUT: %v", serial, pj)
			}
			if !strings.Contains(fmt.Sprint(h.do("GET", "/api/passes/"+serial, key, "").json(t)["request"]), "Tea Club") {
				t.Fatalf("%s: GET request is not the new design", serial)
			}
		}
		// The same design again changes nothing and counts nothing.
		count := h.count(key)
		r = h.do("PUT", "/api/templates/"+id, key, templateBody("club", newDesign, `{"tier": "Silver"}`))
		if r.status != 200 || r.json(t)["updatedPasses"].(float64) != 0 || h.count(key) != count {
			t.Fatalf("same design: %d %s, count %d→%d", r.status, r.body, count, h.count(key))
		}
		cases := []struct {
			name, method, key, body string
			status                  int
			want                    string
		}{
			{"placeholder no pass can fill", "PATCH", key, `{"pass": {"secondaryFields": [{"label": "Since", "value": "{{since}}"}]}}`, 400, "placeholder {{since}} has no default"},
			{"rule broken after the patch", "PATCH", key, `{"pass": {"barcodeFormat": "QQ"}}`, 400, "pass.barcodeFormat must be one of"},
			{"another account's", "PATCH", other, `{"name": "mine"}`, 403, ""},
			{"another account's PUT", "PUT", other, templateBody("club", design, ""), 403, ""},
			{"unknown template", "PATCH", key, `{"name": "x"}`, 404, ""},
		}
		for _, c := range cases {
			path := "/api/templates/" + id
			if c.status == 404 {
				path = "/api/templates/" + walletwallet.NewTemplateID()
			}
			r := h.do(c.method, path, c.key, c.body)
			if r.status != c.status || !strings.HasPrefix(r.errorText(t), c.want) {
				t.Fatalf("%s: %d %q, want %d %q", c.name, r.status, r.errorText(t), c.status, c.want)
			}
		}
		// A value the design check's samples satisfy but a pass's own
		// value breaks: the refusal names the pass and the rule.
		r = h.do("PATCH", "/api/templates/"+id, key, `{"pass": {"foregroundColor": "{{name}}"}}`)
		msg := r.errorText(t)
		if r.status != 400 || !(strings.HasPrefix(msg, "pass "+bronze+" ") || strings.HasPrefix(msg, "pass "+gold+" ")) ||
			!strings.Contains(msg, "would break a rule with the new design: foregroundColor must be") {
			t.Fatalf("value breaking a rule: %d %q", r.status, msg)
		}
		if h.count(key) != count {
			t.Fatal("refused template changes were counted")
		}
	})
}

func TestTemplateUpdateQuotaAllOrNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanPro, 4, "")
		id := newTemplate(t, h, key)
		a := issue(t, h, key, id, `{"member": "1", "name": "A"}`)
		issue(t, h, key, id, `{"member": "2", "name": "B"}`)
		issue(t, h, key, id, `{"member": "3", "name": "C"}`)
		// One remains, three would change.
		r := h.do("PATCH", "/api/templates/"+id, key, `{"pass": {"title": "New"}}`)
		if r.status != 429 || r.json(t)["resetDate"] == nil {
			t.Fatalf("over the limit: %d %s", r.status, r.body)
		}
		if h.count(key) != 3 {
			t.Fatalf("count %d after the refused update", h.count(key))
		}
		if pj := currentPass(t, h, key, a); strings.Contains(fmt.Sprint(pj), "New") {
			t.Fatal("refused update changed a pass")
		}
		if got := h.do("GET", "/api/templates/"+id, key, "").json(t)["pass"].(map[string]any)["title"]; got != "Coffee Club" {
			t.Fatalf("refused update changed the design: title %v", got)
		}
	})
}

func TestTemplatePassValues(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, key := h.account(walletwallet.PlanPro, 0, "")
		_, other := h.account(walletwallet.PlanPro, 0, "")
		id := newTemplate(t, h, key)
		serial := issue(t, h, key, id, `{"member": "1", "name": "Ada"}`)
		count := h.count(key)
		steps := []struct {
			name, method, key, body string
			status                  int
			check                   func(t *testing.T, m map[string]any)
		}{
			{"values change", "PATCH", key, `{"values": {"name": "Ada L."}}`, 200, func(t *testing.T, m map[string]any) {
				if m["unchanged"] != false || h.count(key) != count+1 {
					t.Fatalf("answer %v, count %d", m, h.count(key))
				}
				if fieldValue(currentPass(t, h, key, serial), "primaryFields") != "Ada L." {
					t.Fatal("new value not in the pass")
				}
			}},
			{"same values", "PATCH", key, `{"values": {"name": "Ada L."}}`, 200, func(t *testing.T, m map[string]any) {
				if m["unchanged"] != true || h.count(key) != count+1 {
					t.Fatalf("answer %v, count %d", m, h.count(key))
				}
			}},
			{"null restores the default", "PATCH", key, `{"values": {"tier": null}}`, 200, func(t *testing.T, m map[string]any) {
				if m["unchanged"] != true {
					t.Fatalf("tier had no value of its own: %v", m)
				}
			}},
			{"removing a value without default", "PATCH", key, `{"values": {"member": null}}`, 400, nil},
			{"unknown value", "PATCH", key, `{"values": {"nmae": "x"}}`, 400, nil},
			{"other members", "PATCH", key, `{"title": "x"}`, 400, nil},
			{"whole-body PUT", "PUT", key, `{"title": "x", "barcodeValue": "1", "barcodeFormat": "QR"}`, 409, nil},
			{"another account", "PATCH", other, `{"values": {"name": "x"}}`, 403, nil},
			{"delete in use", "DELETE", key, "", 409, nil},
		}
		for _, s := range steps {
			path := "/api/passes/" + serial
			if s.method == "DELETE" {
				path = "/api/templates/" + id
			}
			r := h.do(s.method, path, s.key, s.body)
			if r.status != s.status {
				t.Fatalf("%s: %d %s, want %d", s.name, r.status, r.body, s.status)
			}
			if s.check != nil {
				s.check(t, r.json(t))
			}
		}
		if h.count(key) != count+1 {
			t.Fatal("refused value changes were counted")
		}
		for _, c := range []struct {
			method, key string
			status      int
		}{{"GET", other, 403}, {"DELETE", other, 403}, {"POST", other, 403}} {
			path := "/api/templates/" + id
			body := ""
			if c.method == "POST" {
				path, body = path+"/passes", `{"values": {"member": "1", "name": "x"}}`
			}
			if r := h.do(c.method, path, c.key, body); r.status != c.status {
				t.Fatalf("%s by another account: %d %s", c.method, r.status, r.body)
			}
		}
		if r := h.do("DELETE", "/api/passes/"+serial, key, ""); r.status != 200 {
			t.Fatalf("void: %d %s", r.status, r.body)
		}
		// The voided pass still renders from the template.
		pj := currentPass(t, h, key, serial)
		if pj["voided"] != true || fieldValue(pj, "primaryFields") != "Ada L." {
			t.Fatalf("voided pass: %v", pj)
		}
		if r := h.do("DELETE", "/api/templates/"+id, key, ""); r.status != 204 {
			t.Fatalf("delete without active passes: %d %s", r.status, r.body)
		}
		for _, m := range []string{"GET", "DELETE", "PATCH"} {
			body := ""
			if m == "PATCH" {
				body = `{"name": "x"}`
			}
			if r := h.do(m, "/api/templates/"+id, key, body); r.status != 404 {
				t.Fatalf("%s of a deleted template: %d %s", m, r.status, r.body)
			}
		}
		if pj := currentPass(t, h, key, serial); pj["voided"] != true {
			t.Fatal("voided pass of a deleted template no longer downloads")
		}
		for _, bad := range []string{"tpl_x", "nope", "tpl_%00aaaaaaaaaaaaaaaaaaaaa"} {
			if r := h.do("GET", "/api/templates/"+bad, key, ""); r.status != 404 {
				t.Fatalf("GET /api/templates/%s: %d %s", bad, r.status, r.body)
			}
		}
	})
}

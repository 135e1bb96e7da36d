package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet/internal/push/apnstest"
)

// clubDesign is the end-to-end tests' template: each member's number and
// name come from the pass.
const clubDesign = `{"name": "club", "pass": {"logoText": "Bayroast", "description": "Bayroast card",
	"barcodeValue": "M-{{member}}", "barcodeFormat": "QR", "primaryFields": [{"label": "MEMBER", "value": "{{name}}"}],
	"secondaryFields": [{"label": "TIER", "value": "{{tier}}"}]}, "defaults": {"tier": "Bronze"}}`

// templateMember is one pass made from the template, with its devices.
type templateMember struct {
	serial, token, name, number string
	devices                     []string // deviceLibraryIdentifiers
	pushTokens                  []string
	tags                        []string // each device's serial-list tag before the change
}

// issueMembers makes n passes from the template and registers devices
// devices per pass, each with its own push token.
func issueMembers(t *testing.T, base, key, tpl string, n, devices int) []*templateMember {
	t.Helper()
	var ms []*templateMember
	for i := range n {
		m := &templateMember{name: fmt.Sprintf("Member %d", i), number: fmt.Sprintf("%04d", i)}
		r := call(t, "POST", base+"/api/templates/"+tpl+"/passes", fmt.Sprintf(`{"values": {"member": %q, "name": %q}}`, m.number, m.name), bearer(key), jsonCT)
		if r.status != 201 {
			t.Fatalf("issue %d: %d %s", i, r.status, r.body)
		}
		ans := r.json(t)
		blob, _ := base64.StdEncoding.DecodeString(ans["applePass"].(string))
		m.serial, m.token = ans["serialNumber"].(string), unzipJSON(t, blob)["authenticationToken"].(string)
		for d := range devices {
			dev, tok := fmt.Sprintf("dev-%d-%d", i, d), fmt.Sprintf("beef%02d%02d", i, d)
			url := fmt.Sprintf("%s/v1/devices/%s/registrations/%s/%s", base, dev, devPassType, m.serial)
			if r := call(t, "POST", url, `{"pushToken":"`+tok+`"}`, "Authorization: ApplePass "+m.token); r.status != 201 {
				t.Fatalf("register %s: %d %s", dev, r.status, r.body)
			}
			r := call(t, "GET", fmt.Sprintf("%s/v1/devices/%s/registrations/%s", base, dev, devPassType), "")
			if r.status != 200 {
				t.Fatalf("serial list of %s: %d %s", dev, r.status, r.body)
			}
			m.devices, m.pushTokens = append(m.devices, dev), append(m.pushTokens, tok)
			m.tags = append(m.tags, r.json(t)["lastUpdated"].(string))
		}
		ms = append(ms, m)
	}
	return ms
}

// TestTemplateFlow: three passes from one template, two devices each; one
// template PATCH answers at once and pushes exactly the six devices; each
// device's serial list names its pass; each pass, fetched by both its
// devices at once, is signed once, verifies with openssl, passes the
// linter and carries the new design with its own values; 304 afterwards.
func TestTemplateFlow(t *testing.T) {
	double := apnstest.NewServer()
	defer double.Close()
	env := testEnv(t, double)
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	caPEM := filepath.Join(env["WW_DATA_DIR"], "dev-identity", "ca.pem")

	r := call(t, "POST", srv.URL+"/api/templates", clubDesign, bearer(key), jsonCT)
	if r.status != 201 {
		t.Fatalf("create template: %d %s", r.status, r.body)
	}
	tpl := r.json(t)["id"].(string)
	members := issueMembers(t, srv.URL, key, tpl, 3, 2)
	oldLM := map[string]string{}
	for _, m := range members {
		r := call(t, "GET", fmt.Sprintf("%s/v1/passes/%s/%s", srv.URL, devPassType, m.serial), "", "Authorization: ApplePass "+m.token)
		oldLM[m.serial] = r.header.Get("Last-Modified")
	}
	signsBefore, _ := value(scrape(t, srv.URL), "walletwallet_sign_duration_seconds", nil)

	r = call(t, "PATCH", srv.URL+"/api/templates/"+tpl, `{"pass": {"logoText": "Bayroast Roasters", "secondaryFields": [{"label": "LEVEL", "value": "{{tier}}"}]}}`,
		bearer(key), "Content-Type: application/merge-patch+json")
	if r.status != 200 {
		t.Fatalf("PATCH template: %d %s", r.status, r.body)
	}
	if ans := r.json(t); ans["updatedPasses"].(float64) != 3 || ans["notifiedDevices"].(float64) != 6 {
		t.Fatalf("PATCH answer %v, want 3 passes and 6 devices", ans)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := double.WaitCount(ctx, 6); err != nil {
		t.Fatalf("pushes: %v\n%s", err, srv.Logs())
	}
	time.Sleep(500 * time.Millisecond) // a seventh push would have arrived by now
	var pushed, want []string
	for _, req := range double.Requests() {
		if req.Topic != devPassType || string(req.Body) != "{}" {
			t.Errorf("push %+v", req)
		}
		pushed = append(pushed, req.Token)
	}
	for _, m := range members {
		want = append(want, m.pushTokens...)
	}
	sort.Strings(pushed)
	sort.Strings(want)
	if strings.Join(pushed, ",") != strings.Join(want, ",") {
		t.Fatalf("pushed %v, want each of %v exactly once", pushed, want)
	}

	for _, m := range members {
		for d, dev := range m.devices {
			r := call(t, "GET", fmt.Sprintf("%s/v1/devices/%s/registrations/%s?passesUpdatedSince=%s", srv.URL, dev, devPassType, m.tags[d]), "")
			if r.status != 200 {
				t.Fatalf("%s serial list: %d %s", dev, r.status, r.body)
			}
			if sns := r.json(t)["serialNumbers"].([]any); len(sns) != 1 || sns[0] != m.serial {
				t.Fatalf("%s told of %v, want only %s", dev, sns, m.serial)
			}
		}
		// Both devices ask at once, with the version they hold.
		url := fmt.Sprintf("%s/v1/passes/%s/%s", srv.URL, devPassType, m.serial)
		replies := make([]*reply, len(m.devices))
		var wg sync.WaitGroup
		for i := range m.devices {
			wg.Add(1)
			go func() {
				defer wg.Done()
				replies[i] = call(t, "GET", url, "", "Authorization: ApplePass "+m.token, "If-Modified-Since: "+oldLM[m.serial])
			}()
		}
		wg.Wait()
		for _, r := range replies {
			if r.status != 200 || r.header.Get("Last-Modified") == oldLM[m.serial] {
				t.Fatalf("fetch of %s: %d, Last-Modified %q (was %q)", m.serial, r.status, r.header.Get("Last-Modified"), oldLM[m.serial])
			}
			pj := verifyPass(t, r.body, caPEM)
			g := fmt.Sprint(pj["generic"])
			if pj["logoText"] != "Bayroast Roasters" || !strings.Contains(g, m.name) || !strings.Contains(g, "LEVEL") || strings.Contains(g, "TIER") {
				t.Fatalf("%s: pass.json does not carry the new design with its values: logoText %v, %s", m.serial, pj["logoText"], g)
			}
			if bc := fmt.Sprint(pj["barcodes"]); !strings.Contains(bc, "message:M-"+m.number+" ") {
				t.Fatalf("%s: barcode %s", m.serial, bc)
			}
			if nm := call(t, "GET", url, "", "Authorization: ApplePass "+m.token, "If-Modified-Since: "+r.header.Get("Last-Modified")); nm.status != 304 {
				t.Fatalf("%s: revalidation of the new version: %d", m.serial, nm.status)
			}
		}
	}
	signs, _ := value(scrape(t, srv.URL), "walletwallet_sign_duration_seconds", nil)
	if signs-signsBefore != 3 {
		t.Errorf("%v signings for 3 new versions fetched by 6 devices, want exactly 3", signs-signsBefore)
	}
	if n := double.Count(); n != 6 {
		t.Errorf("%d pushes in all, want 6", n)
	}
}

// TestTemplateCrashLosesNoPush: a template change answered 200, the server
// killed while its fan-out was in flight; after a restart every device is
// pushed and every pass serves its new version.
func TestTemplateCrashLosesNoPush(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a push lease to expire")
	}
	// Killed while the job pushes (a page in flight), or at once after the
	// answer (the revision perhaps not folded into any pass yet).
	t.Run("during the fan-out", func(t *testing.T) { templateCrash(t, true) })
	t.Run("right after the answer", func(t *testing.T) { templateCrash(t, false) })
}

func templateCrash(t *testing.T, afterFirstPush bool) {
	double := apnstest.NewServer()
	defer double.Close()
	env := testEnv(t, double)
	srv := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	caPEM := filepath.Join(env["WW_DATA_DIR"], "dev-identity", "ca.pem")
	r := call(t, "POST", srv.URL+"/api/templates", clubDesign, bearer(key), jsonCT)
	tpl := r.json(t)["id"].(string)
	members := issueMembers(t, srv.URL, key, tpl, 5, 4)
	double.Hold()
	r = call(t, "PUT", srv.URL+"/api/templates/"+tpl, strings.Replace(clubDesign, `"Bayroast"`, `"Bayroast Roasters"`, 1), bearer(key), jsonCT)
	if r.status != 200 || r.json(t)["notifiedDevices"].(float64) != 20 {
		t.Fatalf("PUT template: %d %s", r.status, r.body)
	}
	if afterFirstPush {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := double.WaitCount(ctx, 1); err != nil {
			t.Fatalf("the fan-out never started: %v", err)
		}
	}
	srv.Kill()
	before := double.Count()
	double.Release()

	srv2 := startServer(t, env)
	deadline := time.After(60 * time.Second)
	for {
		got := map[string]bool{}
		for _, req := range double.Requests()[before:] {
			got[req.Token] = true
		}
		if len(got) == 20 {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("after restart only %d of 20 devices were pushed\n%s", len(got), srv2.Logs())
		case <-time.After(100 * time.Millisecond):
		}
	}
	for _, m := range members {
		r := call(t, "GET", fmt.Sprintf("%s/v1/passes/%s/%s", srv2.URL, devPassType, m.serial), "", "Authorization: ApplePass "+m.token)
		if r.status != 200 {
			t.Fatalf("fetch after restart: %d %s", r.status, r.body)
		}
		if pj := verifyPass(t, r.body, caPEM); pj["logoText"] != "Bayroast Roasters" || !strings.Contains(fmt.Sprint(pj["generic"]), m.name) {
			t.Fatalf("%s after restart: logoText %v", m.serial, pj["logoText"])
		}
	}
}

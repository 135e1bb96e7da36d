package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"
)

// pixelJS reads the RGB of one pixel of an <img> (a same-origin blob: URL,
// so the canvas is not tainted) as "r,g,b".
func pixelJS(id string, x int, yFrac float64) string {
	return fmt.Sprintf(`(() => { const img = document.getElementById(%q);
		const c = document.createElement("canvas"); c.width = img.naturalWidth; c.height = img.naturalHeight;
		const g = c.getContext("2d"); g.drawImage(img, 0, 0);
		const d = g.getImageData(%d, Math.floor(img.naturalHeight * %g), 1, 1).data;
		return d[0] + "," + d[1] + "," + d[2]; })()`, id, x, yFrac)
}

// has reports whether the server has an API route (a 404 means it does not).
func has(t *testing.T, p *proc, key, method, path string) bool {
	return call(t, method, p.URL+path, "", bearer(key)).status != 404
}

// TestDashboardInBrowser drives the dashboard in headless Chromium against
// the spawned binary: sign in, usage, a pass's preview, the designer's live
// preview and field errors, create and download, the list, void, signup
// with the new key, and the share page on a phone.
func TestDashboardInBrowser(t *testing.T) {
	tb := newTab(t)
	env := testEnv(t, nil)
	env["WW_SIGNUP"] = "open"
	p := startServer(t, env)
	key := newKey(t, env, "--plan", "pro")
	// The first pass carries markup in its strings: the dashboard must show
	// it as text.
	hostileLabel, hostileValue := `<img src=x onerror="window.__xss=1">`, `</td><script>window.__xss=2</script>`
	var serials []string
	for i := range 2 {
		body := strings.Replace(bayroast, "LOYALTY-98765", "LOYALTY-"+strconv.Itoa(i), 1)
		if i == 0 {
			hl, _ := json.Marshal(hostileLabel)
			hv, _ := json.Marshal(hostileValue)
			body = strings.Replace(body, `{"label": "CARD", "value": "Coffee Rewards"}`, `{"label": `+string(hl)+`, "value": `+string(hv)+`}`, 1)
		}
		r := call(t, "POST", p.URL+"/api/pkpass", body, bearer(key), jsonCT)
		if r.status != 200 {
			t.Fatalf("POST: %d %s", r.status, r.body)
		}
		serials = append(serials, r.header.Get("X-Serial-Number"))
	}
	// The pass resource (list, detail, void) and share pages are part of
	// the server now; the dashboard still hides them on one without.
	if !has(t, p, key, "GET", "/api/passes") {
		t.Fatal("the server has no GET /api/passes")
	}
	// The dashboard probes for the optional endpoints; the browser logs the
	// 404 of each one it does not find.
	for _, path := range []string{"/api/passes?limit=1", "/api/templates", "/api/webhooks"} {
		defer tb.allow("404 (Not Found) " + p.URL + path)
	}

	// Sign in with a wrong key, then the right one.
	tb.do("open the dashboard", chromedp.Navigate(p.URL+"/"), chromedp.WaitVisible(chromedp.ID("#signin-key")))
	tb.screenshot("01-signin")
	tb.do("wrong key", chromedp.SendKeys(chromedp.ID("#signin-key"), "ww_live_00000000000000000000000000000000"), chromedp.Click(chromedp.ID("#signin-submit")))
	tb.waitJS("the refusal", `!document.getElementById("signin-error").hidden`)
	tb.allow("401")
	if got := eval[string](tb, `sessionStorage.getItem("walletwallet.apiKey") || ""`); got != "" {
		t.Errorf("a refused key stayed in sessionStorage: %q", got)
	}
	tb.do("sign in", chromedp.SetValue(chromedp.ID("#signin-key"), key), chromedp.Click(chromedp.ID("#signin-submit")))
	tb.waitJS("usage", `document.getElementById("view-usage").dataset.loaded === "true"`)
	tb.screenshot("02-usage")
	usage := call(t, "GET", p.URL+"/api/auth/usage", "", bearer(key)).json(t)
	for id, field := range map[string]string{"usage-count": "count", "usage-limit": "limit", "usage-remaining": "remaining", "usage-plan": "plan", "usage-reset": "resetDate"} {
		got := eval[string](tb, `document.getElementById("`+id+`").textContent`)
		if want := fmt.Sprint(usage[field]); got != want {
			t.Errorf("dashboard shows %s %q, the API says %q", field, got, want)
		}
	}
	if got := eval[string](tb, `sessionStorage.getItem("walletwallet.apiKey") || ""`); got != key {
		t.Errorf("sessionStorage holds %q, want the key", got)
	}
	if got := eval[string](tb, `localStorage.length + document.cookie`); got != "0" {
		t.Errorf("the key leaked into localStorage or cookies: %q", got)
	}
	// Nav shows only what the server has.
	for id, path := range map[string]string{"nav-passes": "/api/passes", "nav-templates": "/api/templates", "nav-webhooks": "/api/webhooks"} {
		shown := !eval[bool](tb, `document.getElementById("`+id+`").hidden`)
		if want := has(t, p, key, "GET", path); shown != want {
			t.Errorf("%s shown=%v, but the server has %s: %v", id, shown, path, want)
		}
	}

	// Open a pass from the list.
	tb.do("passes", chromedp.Navigate(p.URL+"/#/passes"))
	tb.waitJS("the list", `document.querySelector('#passes-body tr[data-serial="`+serials[0]+`"] a')`)
	tb.screenshot("03-passes")
	tb.do("open a pass", chromedp.Click(chromedp.CSS(`#passes-body tr[data-serial="`+serials[0]+`"] a`)))
	tb.waitJS("the pass preview", `document.getElementById("view-pass").dataset.loaded === "true" && document.getElementById("pass-preview").complete && document.getElementById("pass-preview").naturalWidth === 750`)
	if got := eval[string](tb, pixelJS("pass-preview", 8, 0.5)); got != "17,24,39" {
		t.Errorf("pass preview margin pixel %s, want the dark preset 17,24,39", got)
	}
	tb.screenshot("04-pass")
	cells := eval[string](tb, `[...document.querySelectorAll("#pass-fields td")].map(td => td.textContent).join("|")`)
	if !strings.Contains(cells, hostileLabel+"|"+hostileValue) {
		t.Errorf("the fields table does not show the markup as text: %q", cells)
	}
	if n := eval[int](tb, `document.querySelectorAll("#pass-fields img, #pass-fields script").length + (window.__xss ? 100 : 0)`); n != 0 {
		t.Errorf("a customer string became markup (%d)", n)
	}

	// The designer: the preview follows the form, errors sit by the field.
	tb.do("designer", chromedp.Navigate(p.URL+"/#/designer"))
	tb.waitJS("the first preview", `document.getElementById("designer-preview").naturalWidth === 750 && document.getElementById("designer-preview").dataset.seq`)
	first := eval[string](tb, `document.getElementById("designer-preview").src`)
	if got := eval[string](tb, pixelJS("designer-preview", 8, 0.5)); got != "17,24,39" {
		t.Errorf("designer preview pixel %s, want dark 17,24,39", got)
	}
	tb.do("pick green", chromedp.SetValue(chromedp.ID("#d-colorPreset"), "green"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("d-colorPreset").dispatchEvent(new Event("change"))`))
	tb.waitJS("the green preview", `document.getElementById("designer-preview").src !== `+strconv.Quote(first)+` && document.getElementById("designer-preview").complete`)
	tb.waitJS("green pixels", pixelJS("designer-preview", 8, 0.5)+` === "22,101,52"`)
	if body := eval[string](tb, `document.getElementById("designer-json").value`); !strings.Contains(body, `"colorPreset": "green"`) {
		t.Errorf("the JSON did not follow the form: %s", body)
	}
	tb.screenshot("05-designer")
	// The back, and the front again.
	tb.do("show the back", chromedp.Click(chromedp.ID("#designer-back")))
	tb.waitJS("the back", pixelJS("designer-preview", 8, 0.5)+` === "242,242,247"`)
	tb.do("show the front", chromedp.Click(chromedp.ID("#designer-back")))
	tb.waitJS("the front again", pixelJS("designer-preview", 8, 0.5)+` === "22,101,52"`)
	// Clear the barcode value: the API's 400 appears next to the form and
	// under the field.
	tb.do("clear the barcode value", chromedp.Evaluate[chromedp.Void](`(() => { const el = document.getElementById("d-barcodeValue");
		el.value = ""; el.dispatchEvent(new Event("input")); })()`))
	tb.waitJS("the field error", `!document.getElementById("err-barcodeValue").hidden`)
	tb.allow("400")
	for _, id := range []string{"designer-error", "err-barcodeValue"} {
		if msg := eval[string](tb, `document.getElementById("`+id+`").textContent`); !strings.HasPrefix(msg, "barcodeValue is required") {
			t.Errorf("#%s says %q", id, msg)
		}
	}
	if inv := eval[string](tb, `document.getElementById("d-barcodeValue").getAttribute("aria-invalid")`); inv != "true" {
		t.Errorf("the barcode input is not marked invalid")
	}
	tb.screenshot("06-designer-error")
	tb.do("restore the barcode value", chromedp.SendKeys(chromedp.ID("#d-barcodeValue"), "DESIGNED-1"))
	tb.waitJS("the error gone", `document.getElementById("designer-error").hidden && document.getElementById("err-barcodeValue").hidden`)

	// Create and download.
	before := int(call(t, "GET", p.URL+"/api/auth/usage", "", bearer(key)).json(t)["count"].(float64))
	tb.do("create", chromedp.Click(chromedp.ID("#designer-create")))
	tb.waitJS("the created pass", `!document.getElementById("designer-created").hidden && !document.getElementById("designer-download").hidden`)
	created := eval[string](tb, `document.getElementById("designer-created").dataset.serial`)
	if !strings.Contains(created, "-") {
		t.Fatalf("created serial %q", created)
	}
	// Download it for real, into a folder of the test, and check the file
	// is the signed pass.
	dl := t.TempDir()
	if _, err := chromedp.CallBrowser(tb.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl,
	}); err != nil {
		t.Fatal(err)
	}
	tb.do("download", chromedp.Click(chromedp.ID("#designer-download")))
	file := filepath.Join(dl, created+".pkpass")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
			pj := verifyPass(t, b, filepath.Join(env["WW_DATA_DIR"], "dev-identity", "ca.pem"))
			if pj["serialNumber"] != created || pj["backgroundColor"] != "rgb(22, 101, 52)" {
				t.Errorf("downloaded pass.json: serial %v, background %v", pj["serialNumber"], pj["backgroundColor"])
			}
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dl)
			t.Fatalf("no download at %s (folder holds %v)", file, entries)
		}
		time.Sleep(100 * time.Millisecond)
	}
	after := int(call(t, "GET", p.URL+"/api/auth/usage", "", bearer(key)).json(t)["count"].(float64))
	if after != before+1 {
		t.Errorf("count %d after creating, want %d (the previews must not count)", after, before+1)
	}
	tb.screenshot("07-created")

	tb.do("passes again", chromedp.Navigate(p.URL+"/#/passes"))
	tb.waitJS("the new pass in the list", `document.querySelector('#passes-body tr[data-serial="`+created+`"]')`)
	tb.do("open it", chromedp.Click(chromedp.CSS(`#passes-body tr[data-serial="`+created+`"] a`)))
	tb.waitJS("its detail", `document.getElementById("view-pass").dataset.loaded === "true" && !document.getElementById("pass-void").hidden`)
	// Void: cancel first (nothing happens), then confirm.
	tb.do("void, cancel", chromedp.Click(chromedp.ID("#pass-void")))
	tb.waitJS("the dialog", `document.getElementById("void-dialog").open`)
	tb.screenshot("08-void-dialog")
	tb.do("cancel", chromedp.Click(chromedp.ID("#void-cancel")))
	tb.waitJS("the dialog closed", `!document.getElementById("void-dialog").open`)
	if st := call(t, "GET", p.URL+"/api/passes/"+created, "", bearer(key)).json(t)["status"]; st != "active" {
		t.Fatalf("after cancel the pass is %v", st)
	}
	tb.do("void, confirm", chromedp.Click(chromedp.ID("#pass-void")))
	tb.waitJS("the dialog", `document.getElementById("void-dialog").open`)
	tb.do("confirm", chromedp.Click(chromedp.ID("#void-confirm")))
	tb.waitJS("voided, and no void button", `document.getElementById("pass-status").textContent === "voided" && document.getElementById("pass-void").hidden`)
	if st := call(t, "GET", p.URL+"/api/passes/"+created, "", bearer(key)).json(t)["status"]; st != "voided" {
		t.Errorf("the API says the pass is %v after voiding", st)
	}
	tb.screenshot("09-voided")

	// Signup in the browser, then use the new key.
	tb.do("sign out", chromedp.Click(chromedp.ID("#signout")))
	tb.waitJS("signed out", `!document.getElementById("view-signin").hidden && !sessionStorage.getItem("walletwallet.apiKey")`)
	tb.waitJS("the signup offer", `!document.getElementById("signup-offer").hidden`)
	tb.do("signup page", chromedp.Click(chromedp.CSS("#signup-offer a")), chromedp.WaitVisible(chromedp.ID("#signup-email")))
	tb.do("bad e-mail", chromedp.SendKeys(chromedp.ID("#signup-email"), "not-an-address"), chromedp.Click(chromedp.ID("#signup-submit")))
	tb.waitJS("the refusal", `!document.getElementById("signup-error").hidden`)
	tb.allow("400")
	if msg := eval[string](tb, `document.getElementById("signup-error").textContent`); !strings.HasPrefix(msg, "email must be an e-mail address") {
		t.Errorf("signup error %q", msg)
	}
	tb.do("good e-mail", chromedp.SetValue(chromedp.ID("#signup-email"), "grace@example.com"), chromedp.Click(chromedp.ID("#signup-submit")))
	tb.waitJS("the new key", `!document.getElementById("signup-done").hidden`)
	newKey := eval[string](tb, `document.getElementById("signup-key").textContent`)
	tb.screenshot("10-signup")
	if r := call(t, "GET", p.URL+"/api/auth/usage", "", bearer(newKey)); r.status != 200 || r.json(t)["plan"] != "pro" {
		t.Fatalf("the signup key: %d %s", r.status, r.body)
	}
	tb.do("open the dashboard with it", chromedp.Click(chromedp.ID("#signup-open")))
	tb.waitJS("usage with the new key", `document.getElementById("view-usage").dataset.loaded === "true"`)
	if got := eval[string](tb, `document.getElementById("usage-plan").textContent + "/" + document.getElementById("usage-count").textContent`); got != "pro/0" {
		t.Errorf("new account's usage shows %q, want pro/0", got)
	}
	tb.screenshot("11-new-account")

	// The share page on a phone.
	share, _ := call(t, "GET", p.URL+"/api/passes/"+serials[1], "", bearer(key)).json(t)["shareUrl"].(string)
	_, id, ok := strings.Cut(share, "/p/")
	if !ok {
		t.Fatalf("shareUrl %q", share)
	}
	tb.do("phone", chromedp.Emulate(device.IPhone13), chromedp.Navigate(p.URL+"/p/"+id))
	tb.waitJS("the wallet link", `[...document.querySelectorAll("a")].some(a => /Add to Apple Wallet/i.test(a.textContent) && a.getAttribute("href").endsWith("/pass.pkpass") && a.getBoundingClientRect().width > 0)`)
	if w := eval[int](tb, `window.innerWidth`); w > 430 {
		t.Errorf("not a phone viewport: %d px", w)
	}
	// On a phone the page itself is the way in: no QR code to scan.
	if shown := eval[bool](tb, `document.querySelector(".qr").getBoundingClientRect().height > 0`); shown {
		t.Errorf("the QR code shows on a phone")
	}
	if css := eval[string](tb, `getComputedStyle(document.querySelector(".add-to-wallet")).backgroundColor`); css != "rgb(0, 0, 0)" {
		t.Errorf("the share page is not styled by the dashboard's stylesheet: link background %q", css)
	}
	tb.screenshot("12-share-phone")
	desk := newTab(t)
	desk.do("desktop", chromedp.Navigate(p.URL+"/p/"+id))
	desk.waitJS("the QR code for desktop visitors", `document.querySelector(".qr img").complete && document.querySelector(".qr img").naturalWidth > 0 && document.querySelector(".qr").getBoundingClientRect().height > 0`)
	desk.screenshot("13-share-desktop")
}

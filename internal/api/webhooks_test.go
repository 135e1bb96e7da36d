package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
)

var allEvents = []any{"pass.created", "pass.updated", "pass.voided", "pass.installed", "pass.uninstalled"}

func TestWebhookCreateListDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		acct, key := h.account(walletwallet.PlanPro, 0, "")
		_, otherKey := h.account(walletwallet.PlanPro, 0, "")

		res := h.do(http.MethodPost, "/api/webhooks", key, `{"url":"https://hooks.example.com/ww"}`)
		if res.status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.status, res.body)
		}
		m := res.json(t)
		id, _ := m["id"].(string)
		secret, _ := m["secret"].(string)
		if !strings.HasPrefix(id, "wh_") || m["url"] != "https://hooks.example.com/ww" ||
			!slices.Equal(m["events"].([]any), allEvents) || m["createdAt"] != float64(h.clock().UnixMilli()) {
			t.Fatalf("create answer %v", m)
		}
		if !strings.HasPrefix(secret, "whsec_") || len(secret)-len("whsec_") < 32 {
			t.Fatalf("secret %q: want whsec_ and at least 32 characters", secret)
		}

		// Stored sealed: the row does not hold the secret, and it opens to it.
		stored, err := h.st.Webhooks(context.Background(), acct)
		if err != nil || len(stored) != 1 {
			t.Fatalf("stored %v, %v", stored, err)
		}
		if strings.Contains(string(stored[0].SealedSecret), secret[len("whsec_"):]) {
			t.Fatal("the secret is stored in the clear")
		}
		plain, err := h.box().Open(stored[0].SealedSecret, []byte(id))
		if err != nil || string(plain) != secret {
			t.Fatalf("sealed secret opens to %q, %v; want %q", plain, err, secret)
		}

		h.setNow(h.clock().Add(time.Second)) // the listing is oldest first
		res = h.do(http.MethodPost, "/api/webhooks", key, `{"url":"https://two.example.com/","events":["pass.installed","pass.created","pass.installed"]}`)
		if res.status != http.StatusCreated {
			t.Fatalf("create with events: %d %s", res.status, res.body)
		}
		second := res.json(t)
		if !slices.Equal(second["events"].([]any), []any{"pass.created", "pass.installed"}) {
			t.Fatalf("events = %v, want the named ones once, in contract order", second["events"])
		}
		if second["secret"] == secret {
			t.Fatal("two webhooks share a secret")
		}

		res = h.do(http.MethodGet, "/api/webhooks", key, "")
		if res.status != http.StatusOK {
			t.Fatalf("list: %d %s", res.status, res.body)
		}
		if strings.Contains(string(res.body), "secret") || strings.Contains(string(res.body), secret) {
			t.Fatalf("list shows secrets: %s", res.body)
		}
		list := res.json(t)["webhooks"].([]any)
		if len(list) != 2 || list[0].(map[string]any)["id"] != id || list[1].(map[string]any)["id"] != second["id"] {
			t.Fatalf("list = %v", list)
		}
		if other := h.do(http.MethodGet, "/api/webhooks", otherKey, "").json(t)["webhooks"].([]any); len(other) != 0 {
			t.Fatalf("another account sees %v", other)
		}

		if res := h.do(http.MethodDelete, "/api/webhooks/"+id, otherKey, ""); res.status != http.StatusForbidden {
			t.Fatalf("delete by another account: %d %s", res.status, res.body)
		}
		for _, bad := range []string{"wh_000000000000000000000000", "nope", "wh_" + strings.ToUpper(id[3:])} {
			if res := h.do(http.MethodDelete, "/api/webhooks/"+bad, key, ""); res.status != http.StatusNotFound {
				t.Fatalf("delete %q: %d %s", bad, res.status, res.body)
			}
		}
		if res := h.do(http.MethodDelete, "/api/webhooks/"+id, key, ""); res.status != http.StatusNoContent || len(res.body) != 0 {
			t.Fatalf("delete: %d %s", res.status, res.body)
		}
		list = h.do(http.MethodGet, "/api/webhooks", key, "").json(t)["webhooks"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["id"] != second["id"] {
			t.Fatalf("after delete: %v", list)
		}
		if res := h.do(http.MethodGet, "/api/webhooks", "", ""); res.status != http.StatusUnauthorized {
			t.Fatalf("no key: %d", res.status)
		}
	})
}

func TestWebhookCreateRefusals(t *testing.T) {
	h := newHarness(t)
	acct, key := h.account(walletwallet.PlanPro, 0, "")
	cases := []struct{ body, want string }{
		{`{"url":"http://hooks.example.com/"}`, "https"},
		{`{"url":"ftp://hooks.example.com/"}`, "https"},
		{`{"url":"https://127.0.0.1/hook"}`, "non-public"},
		{`{"url":"https://10.1.2.3/hook"}`, "non-public"},
		{`{"url":"https://[::1]:8443/hook"}`, "non-public"},
		{`{"url":"https://169.254.169.254/latest"}`, "non-public"},
		{`{"url":"https://2130706433/"}`, "non-public"}, // 127.0.0.1 as one number
		{`{"url":"https://0x7f.1/"}`, "non-public"},
		{`{"url":"https://[::ffff:192.168.0.1]/"}`, "non-public"},
		{`{"url":"https:///nohost"}`, "host"},
		{`{"url":"https://user:pw@hooks.example.com/"}`, "credentials"},
		{`{"url":"https://hooks.example.com/#x"}`, "fragment"},
		{`{"url":"https://hooks.example.com/` + strings.Repeat("a", 2100) + `"}`, "longer"},
		{`{}`, "url is required"},
		{`{"url":7}`, "request body"},
		{`{"url":"https://hooks.example.com/","events":["pass.exploded"]}`, `unknown event type "pass.exploded"`},
		{`{"url":"https://hooks.example.com/","events":[]}`, "at least one"},
		{`{"url":"https://hooks.example.com/","events":"pass.created"}`, "array"},
		{`{"url":"https://hooks.example.com/","secret":"mine"}`, "unknown field"},
		{`{"url":"https://hooks.example.com/"} {}`, "after the JSON"},
		{`not json`, "request body"},
	}
	for _, c := range cases {
		res := h.do(http.MethodPost, "/api/webhooks", key, c.body)
		if res.status != http.StatusBadRequest || !strings.Contains(res.errorText(t), c.want) {
			t.Errorf("%s: %d %q, want 400 mentioning %q", c.body, res.status, res.body, c.want)
		}
	}
	if got, _ := h.st.Webhooks(context.Background(), acct); len(got) != 0 {
		t.Fatalf("refused creates stored %v", got)
	}
}

func TestWebhookLimitPerAccount(t *testing.T) {
	h := newHarness(t)
	_, key := h.account(walletwallet.PlanPro, 0, "")
	for i := range 25 {
		if res := h.do(http.MethodPost, "/api/webhooks", key, fmt.Sprintf(`{"url":"https://h%d.example.com/"}`, i)); res.status != http.StatusCreated {
			t.Fatalf("webhook %d: %d %s", i, res.status, res.body)
		}
	}
	if res := h.do(http.MethodPost, "/api/webhooks", key, `{"url":"https://one-more.example.com/"}`); res.status != http.StatusConflict {
		t.Fatalf("26th webhook: %d %s", res.status, res.body)
	}
}

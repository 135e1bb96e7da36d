package api_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/store/pgtest"
)

// signupHarness is the API with signup open, on SQLite or PostgreSQL.
func signupHarness(t *testing.T, backend string) *harness {
	h := &harness{t: t, now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), path: filepath.Join(t.TempDir(), "ww.db"), logs: &syncBuffer{}, signup: true}
	if backend == "postgres" {
		h.dbURL = pgtest.FreshDatabase(t)
	}
	h.start()
	return h
}

func accounts(t *testing.T, h *harness) int {
	t.Helper()
	list, err := h.st.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestSignupClosedIs404(t *testing.T) {
	h := newHarness(t)
	r := h.do("POST", "/api/signup", "", `{"email":"a@example.com"}`)
	if r.status != 404 || r.errorText(t) == "" {
		t.Fatalf("closed signup: %d %s, want a 404 JSON error", r.status, r.body)
	}
	if n := accounts(t, h); n != 0 {
		t.Errorf("%d accounts after a closed signup", n)
	}
}

func TestSignup(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			h := signupHarness(t, backend)
			r := h.do("POST", "/api/signup", "", `{"email":"Ada@Example.com"}`)
			if r.status != 201 {
				t.Fatalf("signup: %d %s", r.status, r.body)
			}
			ans := r.json(t)
			key, _ := ans["apiKey"].(string)
			if !strings.HasPrefix(key, "ww_live_") || len(key) != 40 {
				t.Fatalf("apiKey %q", key)
			}
			if ans["plan"] != "trial" {
				t.Errorf("plan %v, want trial", ans["plan"])
			}
			if want := float64(h.clock().Add(30 * 24 * time.Hour).UnixMilli()); ans["trialEndsAt"] != want {
				t.Errorf("trialEndsAt %v, want %v", ans["trialEndsAt"], want)
			}
			id, _ := ans["accountId"].(float64)
			a, err := h.st.Account(context.Background(), int64(id))
			if err != nil || a.Email != "Ada@Example.com" || a.Plan != walletwallet.PlanTrial {
				t.Fatalf("stored account %+v, %v", a, err)
			}
			// The new key works at once: Pro during the trial.
			u := h.usage(key)
			if u["plan"] != "pro" || u["limit"] != float64(100000) || u["count"] != float64(0) {
				t.Errorf("usage with the new key: %v", u)
			}
			if r := h.do("POST", "/api/pkpass", key, `{"barcodeValue":"1","barcodeFormat":"QR","logoText":"L","color":"#112233"}`); r.status != 200 {
				t.Errorf("Pro field with the trial key: %d %s", r.status, r.body)
			}

			refusals := []struct{ name, body, want string }{
				{"no at", `{"email":"ada.example.com"}`, "email must be an e-mail address"},
				{"no dot in domain", `{"email":"ada@localhost"}`, "email must be an e-mail address"},
				{"space", `{"email":"ada lovelace@example.com"}`, "email must be an e-mail address"},
				{"display name", `{"email":"Ada <ada@example.com>"}`, "email must be an e-mail address"},
				{"two ats", `{"email":"a@b@example.com"}`, "email must be an e-mail address"},
				{"empty", `{"email":""}`, "email must be an e-mail address"},
				{"too long", `{"email":"` + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + `.com"}`, "email must be an e-mail address"},
				{"non-ascii", `{"email":"adá@example.com"}`, "email must be an e-mail address"},
				{"number", `{"email":42}`, "email is required and must be a string"},
				{"null", `{"email":null}`, "email is required and must be a string"},
				{"missing", `{}`, "email is required"},
				{"unknown field", `{"email":"x@example.com","plan":"pro"}`, `unknown field "plan"`},
				{"duplicate", `{"email":"x@example.com","email":"y@example.com"}`, `duplicate field "email"`},
				{"trailing data", `{"email":"x@example.com"} {}`, "data after the JSON object"},
				{"not an object", `["x@example.com"]`, "must be a JSON object"},
				{"malformed", `{"email":`, "malformed JSON"},
				{"invalid utf-8", "{\"email\":\"x\xff@example.com\"}", "not valid UTF-8"},
			}
			for _, c := range refusals {
				r := h.do("POST", "/api/signup", "", c.body)
				if r.status != 400 || !strings.Contains(r.errorText(t), c.want) {
					t.Errorf("%s: %d %s, want 400 containing %q", c.name, r.status, r.body, c.want)
				}
			}
			if r := h.do("POST", "/api/signup", "", `{"email":"x@example.com"}`, "Content-Type: text/plain"); r.status != 415 {
				t.Errorf("text/plain: %d, want 415", r.status)
			}
			// The same address in another case is taken; an operator-made
			// account counts too.
			for _, email := range []string{"ada@example.com", "ADA@EXAMPLE.COM"} {
				r := h.do("POST", "/api/signup", "", `{"email":"`+email+`"}`)
				if r.status != 409 || !strings.Contains(r.errorText(t), "already has an account") {
					t.Errorf("%s again: %d %s, want 409", email, r.status, r.body)
				}
			}
			if n := accounts(t, h); n != 1 {
				t.Fatalf("%d accounts after refusals, want 1", n)
			}

			// Five signups per address per hour: one is used, and the 409s
			// above gave their places back.
			for i := 2; i <= 5; i++ {
				if r := h.do("POST", "/api/signup", "", `{"email":"user`+itoa(i)+`@example.com"}`); r.status != 201 {
					t.Fatalf("signup %d: %d %s", i, r.status, r.body)
				}
			}
			r = h.do("POST", "/api/signup", "", `{"email":"user6@example.com"}`)
			if r.status != 429 || !strings.Contains(r.errorText(t), "at most 5 per hour") {
				t.Fatalf("6th signup: %d %s, want 429", r.status, r.body)
			}
			if n := accounts(t, h); n != 5 {
				t.Fatalf("%d accounts, want 5", n)
			}
			h.setNow(h.clock().Add(59 * time.Minute))
			if r := h.do("POST", "/api/signup", "", `{"email":"user6@example.com"}`); r.status != 429 {
				t.Errorf("59 minutes later: %d, want 429", r.status)
			}
			h.setNow(h.clock().Add(time.Minute))
			if r := h.do("POST", "/api/signup", "", `{"email":"user6@example.com"}`); r.status != 201 {
				t.Errorf("an hour after the first: %d %s, want 201", r.status, r.body)
			}
		})
	}
}

package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/walletwallet/walletwallet/internal/store/pgtest"
)

// TestMalformedPathParams sends path parameters that cannot name anything
// (NUL bytes, invalid UTF-8, wrong shapes) to the spawned server on each
// backend. Each gets the answer an unknown object gets, never a 500:
// PostgreSQL refuses such text outright, so they must not reach a query.
func TestMalformedPathParams(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			env := testEnv(t, nil)
			env["WW_APNS_URL"] = "https://127.0.0.1:1" // never reached: nothing is pushed
			if backend == "postgres" {
				env["WW_DATABASE_URL"] = pgtest.FreshDatabase(t)
			}
			srv := startServer(t, env)
			key := newKey(t, env)
			serial, token := issue(t, srv, key)
			apple := "Authorization: ApplePass " + token
			const dev = "0123456789abcdef0123456789abcdef"
			reg := `{"pushToken":"` + strings.Repeat("ab", 32) + `"}`
			devices := "/v1/devices/"
			for _, c := range []struct {
				method, path, body string
				headers            []string
				want               int
			}{
				{"PUT", "/api/pkpass/%00", bayroast, []string{bearer(key), jsonCT}, 404},
				{"PUT", "/api/pkpass/" + serial + "%00", bayroast, []string{bearer(key), jsonCT}, 404},
				{"PUT", "/api/pkpass/%ff%fe", bayroast, []string{bearer(key), jsonCT}, 404},
				{"PUT", "/api/pkpass/%c0%ae%c0%ae", bayroast, []string{bearer(key), jsonCT}, 404},
				{"PUT", "/api/pkpass/%ed%a0%80", bayroast, []string{bearer(key), jsonCT}, 404},
				{"GET", "/v1/passes/" + devPassType + "/%00", "", []string{apple}, 401},
				{"GET", "/v1/passes/%00/" + serial, "", []string{apple}, 401},
				{"GET", "/v1/passes/%ff%fe/" + serial, "", []string{apple}, 401},
				{"GET", "/v1/passes/" + devPassType + "/" + serial + "%00", "", []string{apple}, 401},
				{"POST", devices + "%00/registrations/" + devPassType + "/" + serial, reg, []string{apple}, 401},
				{"POST", devices + dev + "/registrations/%00/" + serial, reg, []string{apple}, 401},
				{"POST", devices + dev + "/registrations/" + devPassType + "/%c0%ae%c0%ae", reg, []string{apple}, 401},
				{"POST", devices + "%ff%fe/registrations/" + devPassType + "/" + serial, reg, []string{apple}, 401},
				{"DELETE", devices + "%ff%fe/registrations/" + devPassType + "/" + serial, "", []string{apple}, 401},
				{"DELETE", devices + dev + "/registrations/" + devPassType + "/%00", "", []string{apple}, 401},
				{"GET", devices + "%ff%fe/registrations/" + devPassType, "", nil, 204},
				{"GET", devices + "%00/registrations/" + devPassType, "", nil, 204},
				{"GET", devices + dev + "/registrations/%00", "", nil, 204},
				{"GET", devices + dev + "/registrations/%c0%ae%c0%ae", "", nil, 204},
			} {
				r := call(t, c.method, srv.URL+c.path, c.body, c.headers...)
				if r.status != c.want {
					t.Errorf("%s %s: %d, want %d (%s)", c.method, c.path, r.status, c.want, r.body)
				}
			}
			// The real pass is untouched and still counted once.
			if r := call(t, "GET", srv.URL+"/v1/passes/"+devPassType+"/"+serial, "", apple); r.status != http.StatusOK {
				t.Errorf("GET the real pass: %d %s", r.status, r.body)
			}
			if r := call(t, "GET", srv.URL+"/api/auth/usage", "", bearer(key)); r.status != 200 || r.json(t)["count"] != float64(1) {
				t.Errorf("usage: %d %s", r.status, r.body)
			}
			if strings.Contains(srv.Logs(), `"level":"ERROR"`) {
				t.Errorf("the server logged errors:\n%s", srv.Logs())
			}
		})
	}
}

// With the development identity and Apple's APNs, serve says at start-up
// that every push will be refused, instead of leaving it to a retry loop.
// Nothing is pushed here, so nothing dials Apple.
func TestDevIdentityAgainstAppleAPNsWarns(t *testing.T) {
	for _, c := range []struct {
		url  string
		warn bool
	}{
		{"https://api.push.apple.com", true},
		{"https://api.sandbox.push.apple.com", true},
		{"https://127.0.0.1:1", false},
	} {
		env := testEnv(t, nil)
		env["WW_APNS_URL"] = c.url
		srv := startServer(t, env)
		if err := srv.Stop(); err != nil {
			t.Fatalf("stop: %v", err)
		}
		got := strings.Contains(srv.Logs(), "will refuse every push")
		if got != c.warn {
			t.Errorf("%s: warning logged %v, want %v\n%s", c.url, got, c.warn, srv.Logs())
		}
	}
}

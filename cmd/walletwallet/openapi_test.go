package main

import (
	"slices"
	"testing"

	"github.com/walletwallet/walletwallet/internal/config"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/metrics"
	"github.com/walletwallet/walletwallet/internal/openapi"
	"github.com/walletwallet/walletwallet/internal/sealbox"
)

// servedRoutes mounts the server's routes as serve does, with every
// optional route switched on (open signup, a webhook key), and lists them.
func servedRoutes(t *testing.T) []jsonhttp.Route {
	t.Helper()
	box, err := sealbox.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	rt := jsonhttp.NewRouter()
	mount(rt, mountDeps{cfg: &config.Config{Signup: "open"}, secrets: box, metrics: metrics.New(nil)})
	return rt.Routes()
}

// TestOpenAPICoversEveryRoute: every route the server registers is in the
// OpenAPI document or among the contract's exclusions, and every route the
// document describes is registered.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	served := servedRoutes(t)
	documented := openapi.Routes()
	has := func(rs []openapi.Route, m, p string) bool {
		return slices.Contains(rs, openapi.Route{Method: m, Path: p})
	}
	for _, r := range served {
		if !has(documented, r.Method, r.Path) && !has(openapi.Excluded, r.Method, r.Path) {
			t.Errorf("%s %s is served but not in the OpenAPI document (internal/openapi/routes.go)", r.Method, r.Path)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, jsonhttp.Route{Method: d.Method, Path: d.Path}) {
			t.Errorf("%s %s is in the OpenAPI document but not served", d.Method, d.Path)
		}
		if has(openapi.Excluded, d.Method, d.Path) {
			t.Errorf("%s %s is both documented and excluded", d.Method, d.Path)
		}
	}
	if !slices.Contains(served, jsonhttp.Route{Method: "GET", Path: "/openapi.json"}) {
		t.Error("GET /openapi.json is not served")
	}
}

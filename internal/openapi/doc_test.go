package openapi

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// load parses the generated document with kin-openapi and validates it as
// OpenAPI 3.1 (its schemas with the JSON Schema 2020-12 validator).
func load(t testing.TB) *openapi3.T {
	t.Helper()
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData(JSON())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi = %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return doc
}

func TestDocumentIsValidOpenAPI31(t *testing.T) {
	doc := load(t)
	for _, name := range []string{"bearer", "applePass"} {
		if doc.Components.SecuritySchemes[name] == nil {
			t.Errorf("security scheme %s missing", name)
		}
	}
	if doc.Components.Schemas["Error"] == nil {
		t.Error("Error schema missing")
	}
}

// TestCheckedInDocument keeps docs/openapi.json equal to the generated
// document; `go generate ./internal/openapi` refreshes it.
func TestCheckedInDocument(t *testing.T) {
	have, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, JSON()) {
		t.Fatal("docs/openapi.json is not the generated document: run go generate ./internal/openapi")
	}
}

// TestOperationsAreNamed: operation ids are unique and every tag an
// operation uses is declared (generators name methods and files by them).
func TestOperationsAreNamed(t *testing.T) {
	declared := map[string]bool{}
	for _, tag := range Document()["tags"].([]obj) {
		declared[tag["name"].(string)] = true
	}
	ids := map[string]bool{}
	for _, o := range operations {
		if o.id == "" || ids[o.id] {
			t.Errorf("%s %s: operation id %q is empty or used twice", o.method, o.path, o.id)
		}
		ids[o.id] = true
		if !declared[o.tag] {
			t.Errorf("%s %s: tag %q is not declared", o.method, o.path, o.tag)
		}
	}
}

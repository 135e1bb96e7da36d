package mcpserver

import (
	"github.com/walletwallet/walletwallet/internal/openapi"
)

// The tools' input schemas (JSON Schema 2020-12, as MCP asks). A pass body
// and a merge patch have the OpenAPI document's schemas, which are built
// from pkpass's field table, the one the validator runs on: a field has the
// same schema in the document and in the tools, and a new field appears in
// both without anyone listing it. Limits the other schemas state come from
// the same document: a tool's other arguments are the path and query
// parameters of the operation it performs.

// passSchema is the request body of POST /api/passes.
func passSchema() map[string]any { return openapi.PassRequestSchema() }

// bodySchema is passSchema under another description.
func bodySchema(description string) map[string]any {
	s := openapi.PassRequestSchema()
	s["description"] = description
	return s
}

// param is a parameter of a documented operation; the schema test checks
// that every one named here exists.
func param(method, path, name string) map[string]any {
	p := openapi.Parameter(method, path, name)
	if p == nil {
		panic("mcpserver: the OpenAPI document has no parameter " + name + " of " + method + " " + path)
	}
	return p
}

func serialProp(what string) map[string]any {
	p := param("GET", "/api/passes/{serial}", "serial")
	p["description"] = what + " Its serial number, as create_pass or list_passes returned it."
	return p
}

// serialSchema is the input of a tool that takes only a serial number.
func serialSchema(what string) map[string]any {
	return object(map[string]any{argSerial: serialProp(what)}, argSerial)
}

func updateSchema() map[string]any {
	body := bodySchema("The new request body, complete (as for create_pass): it replaces the stored one.")
	return object(map[string]any{argSerial: serialProp("The pass to replace."), argPass: body}, argSerial, argPass)
}

func patchSchema() map[string]any {
	return object(map[string]any{
		argSerial: serialProp("The pass to change."),
		argPatch:  openapi.PassPatchSchema(),
	}, argSerial, argPatch)
}

func listSchema() map[string]any {
	return object(map[string]any{
		argLimit:  param("GET", "/api/passes", "limit"),
		argCursor: param("GET", "/api/passes", "cursor"),
		argStatus: param("GET", "/api/passes", "status"),
	})
}

func previewSchema() map[string]any {
	body := bodySchema("A request body to draw, as create_pass would issue it (give this or serialNumber).")
	return object(map[string]any{
		argPass:   body,
		argSerial: serialProp("A stored pass to draw, in its current version (give this or pass)."),
		argSide:   param("GET", "/api/passes/{serial}/preview.png", "side"),
	})
}

func emptySchema() map[string]any { return object(map[string]any{}) }

// object is a closed object schema.
func object(props map[string]any, required ...string) map[string]any {
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

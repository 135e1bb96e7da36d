package mcpserver

import (
	"strings"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/passes"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// The tools' input schemas (JSON Schema 2020-12, as MCP asks). The request
// body's is built from pkpass.Fields(), the table the validator runs on, so
// a new field appears here without anyone listing it. Until the OpenAPI
// generator's typed schema is on main, a field is described by its rule in
// a line and is not typed: the schema names every member and refuses others,
// and the validator's answer (the API's message) says the rest.
// Limits that the schemas state come from the service's constants.

// passSchema is the request body of POST /api/passes.
func passSchema() map[string]any {
	s := bodySchema()
	s["description"] = "The JSON body of POST /api/passes (the API page documents it); each member's description is its rule. " +
		"Pro fields need the Pro plan (or the trial)."
	return s
}

// bodySchema is an object with one property per request field.
func bodySchema() map[string]any {
	props := map[string]any{}
	for _, f := range pkpass.Fields() {
		d := f.Rule
		if f.Pro {
			d += "; Pro plan"
		}
		if f.Styles != nil {
			d += "; only on " + strings.Join(f.Styles, ", ")
		}
		props[f.Name] = map[string]any{"description": d}
	}
	return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
}

func serialProp(what string) map[string]any {
	return map[string]any{"type": "string", "description": what + " Its serial number, as create_pass or list_passes returned it."}
}

// serialSchema is the input of a tool that takes only a serial number.
func serialSchema(what string) map[string]any {
	return object(map[string]any{argSerial: serialProp(what)}, argSerial)
}

func updateSchema() map[string]any {
	body := bodySchema()
	body["description"] = "The new request body, complete (as for create_pass): it replaces the stored one."
	return object(map[string]any{argSerial: serialProp("The pass to replace."), argPass: body}, argSerial, argPass)
}

func patchSchema() map[string]any {
	return object(map[string]any{
		argSerial: serialProp("The pass to change."),
		argPatch: map[string]any{"type": "object",
			"description": "A JSON merge patch (RFC 7396) of the body: members given replace the stored ones, null removes one. " +
				"serialNumber and authenticationToken cannot be set."},
	}, argSerial, argPatch)
}

func listSchema() map[string]any {
	return object(map[string]any{
		argLimit: map[string]any{"type": "integer", "minimum": 1, "maximum": passes.MaxListLimit, "default": passes.DefaultListLimit,
			"description": "Passes per page."},
		argCursor: map[string]any{"type": "string", "description": "nextCursor of the previous page, unchanged."},
		argStatus: map[string]any{"type": "string", "enum": []string{string(walletwallet.StatusActive), string(walletwallet.StatusVoided)},
			"description": "Only passes of this status."},
	})
}

func previewSchema() map[string]any {
	body := bodySchema()
	body["description"] = "A request body to draw, as create_pass would issue it (give this or serialNumber)."
	return object(map[string]any{
		argPass:   body,
		argSerial: serialProp("A stored pass to draw, in its current version (give this or pass)."),
		argSide:   map[string]any{"type": "string", "enum": []string{"front", "back"}, "default": "front"},
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

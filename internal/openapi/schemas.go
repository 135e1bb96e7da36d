package openapi

import (
	"reflect"
	"slices"
	"strings"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/api"
	"github.com/walletwallet/walletwallet/internal/passes"
	"github.com/walletwallet/walletwallet/internal/pkpass"
)

// obj is a JSON object of the document; encoding/json writes its keys
// sorted, so the document's bytes are stable.
type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func str() obj { return obj{"type": "string"} }

// count is a non-negative integer described by what.
func count(what string) obj { return obj{"type": "integer", "minimum": 0, "description": what} }

func millis(what string) obj {
	return obj{"type": "integer", "minimum": 0, "description": what + ", milliseconds since 1970-01-01 UTC"}
}

func closed(props obj, required ...string) obj {
	o := obj{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// answer is an object every member of which is always present (the
// server's answer structs have no omitted members).
func answer(props obj) obj {
	req := make([]string, 0, len(props))
	for k := range props {
		req = append(req, k)
	}
	slices.Sort(req)
	return closed(props, req...)
}

// Shapes of identifiers, as the walletwallet package checks them.
const (
	serialPattern   = `^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`
	webhookPattern  = `^wh_[0-9a-f]{24}$`
	templatePattern = `^tpl_[A-Za-z0-9_-]{22}$`
	sharePattern    = `^[A-Za-z0-9_-]{24}$`
	tokenPattern    = `^[A-Za-z0-9_:.-]+$`
	passTypePat     = `^[A-Za-z0-9._-]+$`
	apiKeyPattern   = `^ww_live_[0-9a-f]{32}$`
)

// passRequest is the body of POST /api/pkpass and its siblings, one
// property per row of pkpass's field table, each with the row's schema.
func passRequest() obj {
	props := obj{}
	for _, f := range pkpass.Fields() {
		s := obj{}
		for k, v := range f.Schema {
			s[k] = v
		}
		desc := f.Rule
		if f.Pro {
			desc += ". Pro plan only (a Free account gets 400)"
			s["x-plan"] = "pro"
		}
		if f.Styles != nil {
			desc += ". Only on " + strings.Join(f.Styles, ", ") + " passes"
			s["x-styles"] = f.Styles
		}
		if d, ok := s["description"].(string); ok {
			desc += ". " + d
		}
		s["description"] = desc
		props[f.Name] = s
	}
	o := closed(props, "barcodeValue", "barcodeFormat")
	o["description"] = "A pass. Unknown members are refused, null means absent, and the server also " +
		"applies the rules that span members: at least one of title, primaryFields or logoText; " +
		"label with value; the style's slots and fields; transitType with boardingPass; poster's semantics."
	return o
}

// passPatch is a JSON merge patch (RFC 7396) of a pass body: any member,
// null removes it; objects merge, so their inner rules apply to the merged
// body only, which is then validated as a whole like a POST.
func passPatch() obj {
	props := obj{}
	for _, f := range pkpass.Fields() {
		s := obj{}
		switch types(f.Schema["type"]) {
		case "object":
			s["type"] = []string{"object", "null"}
		default:
			for k, v := range f.Schema {
				s[k] = v
			}
			s["type"] = nullable(f.Schema["type"])
			if e, ok := s["enum"].([]string); ok {
				s["enum"] = append(anyList(e), nil)
			}
		}
		s["description"] = f.Rule
		props[f.Name] = s
	}
	o := obj{"type": "object", "properties": props, "additionalProperties": false,
		"description": "A JSON merge patch (RFC 7396) over the stored body: null removes a member, arrays are replaced whole, " +
			"objects merge. The merged body must be a valid pass body. serialNumber and authenticationToken are refused."}
	return o
}

func types(t any) string {
	switch t := t.(type) {
	case string:
		return t
	case []string:
		return t[0]
	}
	return ""
}

func nullable(t any) []string {
	switch t := t.(type) {
	case string:
		return []string{t, "null"}
	case []string:
		return t
	}
	return nil
}

func anyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func eventNames() []string {
	var names []string
	for _, t := range walletwallet.AllEventTypes {
		names = append(names, string(t))
	}
	return names
}

// schemas is the document's components.schemas.
func schemas() obj {
	status := obj{"type": "string", "enum": []string{string(walletwallet.StatusActive), string(walletwallet.StatusVoided)}}
	templateID := obj{"type": []string{"string", "null"}}
	return obj{
		"Error": obj{"type": "object", "required": []string{"error"},
			"properties":           obj{"error": obj{"type": "string", "minLength": 1, "description": "what was wrong, naming the field and the rule"}},
			"additionalProperties": str(),
			"description":          "Every non-2xx answer. Some errors add string members with details."},
		"PassRequest": withFieldRefs(passRequest()),
		"PassPatch":   passPatch(),
		"PatchBody": obj{"description": "a merge patch of the pass body; for a pass made from a template, only {\"values\": {…}}",
			"anyOf": []obj{ref("PassPatch"), ref("ValuesPatch")}},
		"ValuesPatch": closed(obj{"values": obj{"type": []string{"object", "null"},
			"description":          "merged into the pass's values: null removes one (its default applies), null for all resets them",
			"propertyNames":        obj{"pattern": `^[A-Za-z0-9_]{1,64}$`},
			"additionalProperties": obj{"type": []string{"string", "null"}}}}, "values"),
		"FieldObject":     pkpass.FieldObjectSchema(false),
		"BackFieldObject": pkpass.FieldObjectSchema(true),
		"BundleRequest": closed(obj{
			"passes": obj{"type": "array", "minItems": 1, "maxItems": passes.MaxBundle, "items": ref("PassRequest")},
		}, "passes"),
		"PassCreated": answer(obj{
			"serialNumber": obj{"type": "string", "pattern": serialPattern},
			"lastUpdated":  millis("the version's time"),
			"shareUrl":     obj{"type": "string", "format": "uri"},
			"applePass":    obj{"type": "string", "contentEncoding": "base64", "contentMediaType": "application/vnd.apple.pkpass", "description": "standard base64 of the signed .pkpass"},
		}),
		"Pass": answer(obj{
			"serialNumber":       obj{"type": "string", "pattern": serialPattern},
			"passTypeIdentifier": str(),
			"status":             status,
			"createdAt":          millis("first issue"),
			"lastUpdated":        millis("current version"),
			"devices":            obj{"type": "integer", "minimum": 0, "description": "current registrations"},
			"installs":           obj{"type": "integer", "minimum": 0, "description": "distinct devices that ever registered"},
			"shareUrl":           obj{"type": "string", "format": "uri"},
			"templateId":         templateID,
			"request":            obj{"type": "object", "description": "the stored request body"},
		}),
		"PassList": answer(obj{
			"passes": obj{"type": "array", "maxItems": passes.MaxListLimit, "items": answer(obj{
				"serialNumber": obj{"type": "string", "pattern": serialPattern},
				"status":       status,
				"createdAt":    millis("first issue"),
				"lastUpdated":  millis("current version"),
				"devices":      obj{"type": "integer", "minimum": 0},
				"templateId":   templateID,
			})},
			"nextCursor": obj{"type": []string{"string", "null"}, "description": "opaque; null on the last page"},
		}),
		"PassUpdated": answer(obj{
			"serialNumber":    obj{"type": "string", "pattern": serialPattern},
			"lastUpdated":     millis("current version"),
			"notifiedDevices": obj{"type": "integer", "minimum": 0},
			"unchanged":       obj{"type": "boolean", "description": "true when the body equals the stored one: nothing counted or pushed"},
		}),
		"PassVoided": answer(obj{
			"serialNumber":    obj{"type": "string", "pattern": serialPattern},
			"lastUpdated":     millis("voided version"),
			"notifiedDevices": obj{"type": "integer", "minimum": 0},
			"status":          obj{"const": string(walletwallet.StatusVoided)},
		}),
		"Usage": answer(obj{
			"count":     obj{"type": "integer", "minimum": 0},
			"limit":     obj{"type": "integer", "minimum": 0},
			"remaining": obj{"type": "integer", "minimum": 0},
			"resetDate": obj{"type": "string", "format": "date", "pattern": `^[0-9]{4}-[0-9]{2}-01$`},
			"plan":      obj{"type": "string", "enum": []string{string(walletwallet.PlanFree), string(walletwallet.PlanPro)}},
		}),
		"Stats": answer(obj{
			"passes":     answer(obj{"active": count("passes not voided"), "voided": count("voided passes")}),
			"devices":    count("current registrations of the account's passes"),
			"installs":   count("pass.installed events: a device registering a pass it did not hold"),
			"uninstalls": count("pass.uninstalled events: a device unregistering, or APNs saying the token is gone"),
			"month": answer(obj{
				"created": count("passes created this UTC month"), "updated": count("changed versions this month"),
				"installs": count("installs this month"), "uninstalls": count("uninstalls this month"),
			}),
		}),
		"SignupRequest": closed(obj{"email": obj{"type": "string", "format": "email", "maxLength": api.MaxEmail}}, "email"),
		"SignupAnswer": answer(obj{
			"apiKey":      obj{"type": "string", "pattern": apiKeyPattern},
			"accountId":   obj{"type": "integer", "minimum": 1},
			"plan":        obj{"const": string(walletwallet.PlanTrial)},
			"trialEndsAt": millis("end of the trial"),
		}),
		"WebhookRequest": closed(obj{
			"url": obj{"type": "string", "format": "uri", "pattern": "^https://", "maxLength": api.MaxWebhookURL,
				"description": "https, to a public address"},
			"events": obj{"type": []string{"array", "null"}, "minItems": 1, "items": obj{"enum": eventNames()},
				"description": "default (absent or null): every event type"},
		}, "url"),
		"Webhook":         webhook(false),
		"WebhookCreated":  webhook(true),
		"WebhookList":     answer(obj{"webhooks": obj{"type": "array", "maxItems": api.MaxWebhooksPerAcct, "items": ref("Webhook")}}),
		"RegisterRequest": closed(obj{"pushToken": obj{"type": "string", "minLength": 1, "maxLength": walletwallet.MaxPushToken, "pattern": tokenPattern}}, "pushToken"),
		"SerialList": answer(obj{
			"serialNumbers": obj{"type": "array", "minItems": 1, "items": str()},
			"lastUpdated":   obj{"type": "string", "pattern": "^[0-9]+$", "description": "tag for passesUpdatedSince (milliseconds)"},
		}),
		"LogRequest": closed(obj{"logs": obj{"type": []string{"array", "null"}, "items": str()}}),
		"Health":     answer(obj{"status": obj{"const": "ok"}}),
		"TemplateRequest": closed(obj{
			"name":     obj{"type": "string", "minLength": 1, "maxLength": passes.MaxTemplateName},
			"pass":     obj{"type": "object", "description": "a pass body (PassRequest) whose string values may hold {{name}} placeholders (1–64 letters, digits or _)"},
			"defaults": placeholderValues("default values"),
		}, "name", "pass"),
		"TemplatePatch": obj{"type": "object", "description": "a JSON merge patch (RFC 7396) of {name, pass, defaults}",
			"properties":           obj{"name": obj{"type": "string"}, "pass": obj{"type": []string{"object", "null"}}, "defaults": obj{"type": []string{"object", "null"}}},
			"additionalProperties": false},
		"TemplateSummary": templateSchema(false),
		"Template":        templateSchema(true),
		"TemplateList":    answer(obj{"templates": obj{"type": "array", "items": ref("TemplateSummary")}}),
		"TemplateUpdated": answer(obj{
			"id":              obj{"type": "string", "pattern": templatePattern},
			"updatedPasses":   obj{"type": "integer", "minimum": 0, "description": "active passes whose rendered body changed (each counted once)"},
			"notifiedDevices": obj{"type": "integer", "minimum": 0, "description": "their registrations, pushed by one background fan-out"},
		}),
		"TemplatePassesRequest": obj{"oneOf": []obj{
			closed(obj{"values": placeholderValues("this pass's values")}, "values"),
			closed(obj{"passes": obj{"type": "array", "minItems": 1, "maxItems": passes.MaxTemplateBulk,
				"items": closed(obj{"values": placeholderValues("this pass's values")})}}, "passes"),
		}},
		"TemplatePassCreated": answer(obj{
			"serialNumber": obj{"type": "string", "pattern": serialPattern},
			"lastUpdated":  millis("the version's time"),
			"shareUrl":     obj{"type": "string", "format": "uri"},
			"applePass":    obj{"type": "string", "contentEncoding": "base64", "contentMediaType": "application/vnd.apple.pkpass"},
			"templateId":   obj{"type": "string", "pattern": templatePattern},
		}),
		"TemplatePassesCreated": answer(obj{"passes": obj{"type": "array", "minItems": 1, "maxItems": passes.MaxTemplateBulk, "items": answer(obj{
			"serialNumber": obj{"type": "string", "pattern": serialPattern},
			"shareUrl":     obj{"type": "string", "format": "uri"},
		})}}),
	}
}

func webhook(withSecret bool) obj {
	props := obj{
		"id":        obj{"type": "string", "pattern": webhookPattern},
		"url":       obj{"type": "string", "format": "uri"},
		"events":    obj{"type": "array", "minItems": 1, "items": obj{"enum": eventNames()}},
		"createdAt": millis("creation"),
	}
	if withSecret {
		props["secret"] = obj{"type": "string", "pattern": "^whsec_[A-Za-z0-9_-]{32,}$", "description": "signing secret, shown only in this answer"}
	}
	return answer(props)
}

// placeholderValues is an object of placeholder names to strings.
func placeholderValues(desc string) obj {
	return obj{"type": "object", "description": desc,
		"propertyNames":        obj{"pattern": `^[A-Za-z0-9_]{1,64}$`},
		"additionalProperties": str()}
}

func templateSchema(full bool) obj {
	props := obj{
		"id":           obj{"type": "string", "pattern": templatePattern},
		"name":         obj{"type": "string", "minLength": 1, "maxLength": passes.MaxTemplateName},
		"placeholders": obj{"type": "array", "items": str(), "description": "the design's placeholder names, sorted"},
		"passes":       obj{"type": "integer", "minimum": 0, "description": "active passes made from it"},
		"devices":      obj{"type": "integer", "minimum": 0, "description": "their current registrations"},
		"createdAt":    millis("creation"),
		"updatedAt":    millis("last change"),
	}
	if full {
		props["pass"] = obj{"type": "object", "description": "the design"}
		props["defaults"] = placeholderValues("default values")
	}
	return answer(props)
}

// withFieldRefs makes the document's field arrays share their item schemas
// by reference; passRequest itself stays self-contained (the MCP tools'
// input schemas are it).
func withFieldRefs(o obj) obj {
	for _, p := range o["properties"].(obj) {
		s := p.(obj)
		for name, back := range map[string]bool{"FieldObject": false, "BackFieldObject": true} {
			if reflect.DeepEqual(s["items"], pkpass.FieldObjectSchema(back)) {
				s["items"] = ref(name)
			}
		}
	}
	return o
}

package openapi

import (
	"net/http"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/passes"
)

// Security requirements of an operation.
const (
	noAuth    = ""
	bearer    = "bearer"
	applePass = "applePass"
)

// Media types the server answers with.
const (
	jsonType   = "application/json"
	pkpassType = "application/vnd.apple.pkpass"
	bundleType = "application/vnd.apple.pkpasses"
	pngType    = "image/png"
	htmlType   = "text/html"
)

// Route is one method and path (a ServeMux pattern) the document describes.
type Route struct{ Method, Path string }

// op is one operation: what it takes and what it answers. The path
// parameters come from the path; their schemas from params below.
type op struct {
	method, path, id, tag, summary string
	auth                           string
	query                          []param
	headers                        []param
	// body is the request schema's name ("" = no body); bodyTypes are the
	// accepted media types (default application/json).
	body      string
	bodyTypes []string
	// answers by status; errors lists the error statuses worth naming
	// (every other non-2xx is the default Error answer too).
	answers []reply
	errors  []int
}

type param struct {
	name, desc string
	schema     obj
	required   bool
}

type reply struct {
	status  int
	desc    string
	media   string // "" = no body
	schema  obj
	headers []string // names from answerHeaders
}

var idempotencyHeader = param{name: "Idempotency-Key",
	desc:   "repeat-safe creation: within 24 h the same key and body give the first answer again (1–255 printable ASCII characters)",
	schema: obj{"type": "string", "minLength": 1, "maxLength": passes.MaxIdempotencyKey, "pattern": `^[\x20-\x7e]+$`}}

// answerHeaders are the headers answers document.
var answerHeaders = map[string]obj{
	"X-Serial-Number":     {"description": "serial number of the pass", "schema": obj{"type": "string", "pattern": serialPattern}},
	"X-Serial-Numbers":    {"description": "serial numbers of the bundle's passes, comma-separated, in order", "schema": str()},
	"X-Pass-Url":          {"description": "the pass's share link", "schema": obj{"type": "string", "format": "uri"}},
	"Location":            {"description": "the created pass", "schema": str()},
	"Idempotent-Replayed": {"description": "true when this is the remembered answer of an earlier request with the same Idempotency-Key", "schema": obj{"const": "true"}},
	"Last-Modified":       {"description": "the version's time (whole seconds)", "schema": str()},
	"Content-Disposition": {"description": "attachment; filename=\"<slug>.pkpass\"", "schema": str()},
}

var (
	pkpassAnswer = reply{status: 200, desc: "the signed pass", media: pkpassType, schema: binary(pkpassType),
		headers: []string{"X-Serial-Number", "X-Pass-Url", "Content-Disposition", "Idempotent-Replayed"}}
	updated = reply{status: 200, desc: "the pass after the update", media: jsonType, schema: ref("PassUpdated")}
	noBody  = func(status int, desc string) reply { return reply{status: status, desc: desc} }
	// bodyErrors are the refusals every call with a pass body may give.
	bodyErrors = []int{400, 401, 413, 415}
)

func binary(media string) obj { return obj{"type": "string", "contentMediaType": media} }

var serialParam = param{name: "serial", desc: "the pass's serial number (UUID)", schema: obj{"type": "string", "pattern": serialPattern}}

// pathParams are the schemas of every path parameter name the routes use.
var pathParams = map[string]param{
	"serial":     serialParam,
	"id":         {name: "id", desc: "webhook id", schema: obj{"type": "string", "pattern": webhookPattern}},
	"templateID": {name: "templateID", desc: "template id", schema: obj{"type": "string", "pattern": templatePattern}},
	"shareID":    {name: "shareID", desc: "the pass's share id", schema: obj{"type": "string", "pattern": sharePattern}},
	"deviceID":   {name: "deviceID", desc: "Wallet's device library identifier", schema: obj{"type": "string", "maxLength": walletwallet.MaxDeviceID, "pattern": tokenPattern}},
	"passTypeID": {name: "passTypeID", desc: "the pass type identifier", schema: obj{"type": "string", "maxLength": walletwallet.MaxPassTypeID, "pattern": passTypePat}},
}

// operations is every route the document describes, in the order readers
// meet them. The route test in cmd/walletwallet checks that this list and
// the server's router agree both ways.
var operations = []op{
	{method: http.MethodPost, path: "/api/pkpass", id: "createPkpass", tag: "passes", auth: bearer,
		summary: "Create a pass and answer the signed .pkpass", headers: []param{idempotencyHeader}, body: "PassRequest",
		answers: []reply{pkpassAnswer}, errors: append(bodyErrors, 409, 422, 429)},
	{method: http.MethodGet, path: "/api/pkpass/{serial}", id: "getPkpass", tag: "passes", auth: bearer,
		summary: "Download the current signed .pkpass (not counted)", answers: []reply{pkpassAnswer}, errors: []int{401, 403, 404}},
	{method: http.MethodPut, path: "/api/pkpass/{serial}", id: "updatePkpass", tag: "passes", auth: bearer,
		summary: "Replace a pass's body; devices are pushed when it changed", body: "PassRequest",
		answers: []reply{updated}, errors: append(bodyErrors, 403, 404, 409, 429)},
	{method: http.MethodPatch, path: "/api/pkpass/{serial}", id: "patchPkpass", tag: "passes", auth: bearer,
		summary: "Merge-patch a pass's body (RFC 7396), or the values of a pass made from a template", body: "PatchBody", bodyTypes: []string{"application/merge-patch+json", jsonType},
		answers: []reply{updated}, errors: append(bodyErrors, 403, 404, 409, 429)},
	{method: http.MethodPost, path: "/api/pkpasses", id: "createBundle", tag: "passes", auth: bearer,
		summary: "Create 1–10 passes at once, all or nothing; answers a .pkpasses zip", headers: []param{idempotencyHeader}, body: "BundleRequest",
		answers: []reply{{status: 200, desc: "a zip of one <serial>.pkpass per pass, in order", media: bundleType, schema: binary(bundleType),
			headers: []string{"X-Serial-Numbers", "Idempotent-Replayed"}}}, errors: append(bodyErrors, 409, 422, 429)},
	{method: http.MethodPost, path: "/api/passes", id: "createPass", tag: "passes", auth: bearer,
		summary: "Create a pass and answer JSON", headers: []param{idempotencyHeader}, body: "PassRequest",
		answers: []reply{{status: 201, desc: "the created pass", media: jsonType, schema: ref("PassCreated"),
			headers: []string{"Location", "Idempotent-Replayed"}}}, errors: append(bodyErrors, 409, 422, 429)},
	{method: http.MethodGet, path: "/api/passes", id: "listPasses", tag: "passes", auth: bearer,
		summary: "List the account's passes, newest first",
		query: []param{
			{name: "limit", desc: "page size", schema: obj{"type": "integer", "minimum": 1, "maximum": passes.MaxListLimit, "default": passes.DefaultListLimit}},
			{name: "cursor", desc: "nextCursor of the previous page", schema: str()},
			{name: "status", desc: "only passes of this status", schema: obj{"type": "string", "enum": []string{"active", "voided"}}},
		},
		answers: []reply{{status: 200, desc: "a page of passes", media: jsonType, schema: ref("PassList")}}, errors: []int{400, 401}},
	{method: http.MethodGet, path: "/api/passes/{serial}", id: "getPass", tag: "passes", auth: bearer,
		summary: "Read a pass", answers: []reply{{status: 200, desc: "the pass", media: jsonType, schema: ref("Pass")}}, errors: []int{401, 403, 404}},
	{method: http.MethodPut, path: "/api/passes/{serial}", id: "updatePass", tag: "passes", auth: bearer,
		summary: "Replace a pass's body (as PUT /api/pkpass/{serial})", body: "PassRequest",
		answers: []reply{updated}, errors: append(bodyErrors, 403, 404, 409, 429)},
	{method: http.MethodPatch, path: "/api/passes/{serial}", id: "patchPass", tag: "passes", auth: bearer,
		summary: "Merge-patch a pass's body (RFC 7396), or the values of a pass made from a template", body: "PatchBody", bodyTypes: []string{"application/merge-patch+json", jsonType},
		answers: []reply{updated}, errors: append(bodyErrors, 403, 404, 409, 429)},
	{method: http.MethodDelete, path: "/api/passes/{serial}", id: "voidPass", tag: "passes", auth: bearer,
		summary: "Void a pass: re-signed with voided: true and pushed to its devices",
		answers: []reply{{status: 200, desc: "the voided pass", media: jsonType, schema: ref("PassVoided")}}, errors: []int{401, 403, 404}},
	{method: http.MethodGet, path: "/api/passes/{serial}/preview.png", id: "passPreview", tag: "preview", auth: bearer,
		summary: "Draw the stored current version",
		query:   []param{{name: "side", desc: "which side to draw", schema: obj{"type": "string", "enum": []string{"front", "back"}, "default": "front"}}},
		answers: []reply{{status: 200, desc: "the pass drawn 750 px wide", media: pngType, schema: binary(pngType)}}, errors: []int{400, 401, 403, 404}},
	{method: http.MethodPost, path: "/api/preview", id: "preview", tag: "preview", auth: bearer,
		summary: "Draw a pass body without storing or counting it", body: "PassRequest",
		query:   []param{{name: "side", desc: "which side to draw", schema: obj{"type": "string", "enum": []string{"front", "back"}, "default": "front"}}},
		answers: []reply{{status: 200, desc: "the pass drawn 750 px wide", media: pngType, schema: binary(pngType)}}, errors: bodyErrors},
	{method: http.MethodGet, path: "/api/auth/usage", id: "usage", tag: "account", auth: bearer,
		summary: "This month's count, limit and plan", answers: []reply{{status: 200, desc: "usage", media: jsonType, schema: ref("Usage")}}, errors: []int{401}},
	{method: http.MethodGet, path: "/api/stats", id: "stats", tag: "account", auth: bearer,
		summary: "The account's pass, device and install counts, all time and this UTC month",
		answers: []reply{{status: 200, desc: "the counts", media: jsonType, schema: ref("Stats")}}, errors: []int{401}},
	{method: http.MethodPost, path: "/api/signup", id: "signup", tag: "account", auth: noAuth,
		summary: "Create an account on the 30-day Pro trial (only with WW_SIGNUP=open; else 404)", body: "SignupRequest",
		answers: []reply{{status: 201, desc: "the new account and its key", media: jsonType, schema: ref("SignupAnswer")}}, errors: []int{400, 404, 409, 413, 415, 429}},
	{method: http.MethodPost, path: "/api/webhooks", id: "createWebhook", tag: "webhooks", auth: bearer,
		summary: "Subscribe an https URL to events", body: "WebhookRequest",
		answers: []reply{{status: 201, desc: "the webhook, with its secret (shown only here)", media: jsonType, schema: ref("WebhookCreated")}}, errors: []int{400, 401, 409, 413, 415}},
	{method: http.MethodGet, path: "/api/webhooks", id: "listWebhooks", tag: "webhooks", auth: bearer,
		summary: "The account's webhooks, without secrets", answers: []reply{{status: 200, desc: "the webhooks", media: jsonType, schema: ref("WebhookList")}}, errors: []int{401}},
	{method: http.MethodDelete, path: "/api/webhooks/{id}", id: "deleteWebhook", tag: "webhooks", auth: bearer,
		summary: "Delete a webhook", answers: []reply{noBody(204, "deleted")}, errors: []int{401, 403, 404}},
	{method: http.MethodPost, path: "/api/templates", id: "createTemplate", tag: "templates", auth: bearer,
		summary: "Create a template: a pass design whose strings may hold {{placeholders}}", body: "TemplateRequest",
		answers: []reply{{status: 201, desc: "the template", media: jsonType, schema: ref("TemplateSummary"), headers: []string{"Location"}}},
		errors:  bodyErrors},
	{method: http.MethodGet, path: "/api/templates", id: "listTemplates", tag: "templates", auth: bearer,
		summary: "The account's templates, oldest first", answers: []reply{{status: 200, desc: "the templates", media: jsonType, schema: ref("TemplateList")}},
		errors: []int{400, 401}},
	{method: http.MethodGet, path: "/api/templates/{templateID}", id: "getTemplate", tag: "templates", auth: bearer,
		summary: "Read a template with its design, defaults and counts", answers: []reply{{status: 200, desc: "the template", media: jsonType, schema: ref("Template")}},
		errors: []int{401, 403, 404}},
	{method: http.MethodPut, path: "/api/templates/{templateID}", id: "replaceTemplate", tag: "templates", auth: bearer,
		summary: "Replace the design; every active pass whose rendered body changes gets a new version (counted) and its devices are pushed",
		body:    "TemplateRequest", answers: []reply{{status: 200, desc: "what changed (signing and pushes follow)", media: jsonType, schema: ref("TemplateUpdated")}},
		errors: append(bodyErrors, 403, 404, 429)},
	{method: http.MethodPatch, path: "/api/templates/{templateID}", id: "patchTemplate", tag: "templates", auth: bearer,
		summary: "Merge-patch {name, pass, defaults} (RFC 7396); then as PUT", body: "TemplatePatch", bodyTypes: []string{"application/merge-patch+json", jsonType},
		answers: []reply{{status: 200, desc: "what changed (signing and pushes follow)", media: jsonType, schema: ref("TemplateUpdated")}},
		errors:  append(bodyErrors, 403, 404, 429)},
	{method: http.MethodDelete, path: "/api/templates/{templateID}", id: "deleteTemplate", tag: "templates", auth: bearer,
		summary: "Delete a template without active passes", answers: []reply{noBody(204, "deleted")}, errors: []int{401, 403, 404, 409}},
	{method: http.MethodPost, path: "/api/templates/{templateID}/passes", id: "issueFromTemplate", tag: "templates", auth: bearer,
		summary: "Make one pass ({values}) or 1–1000 ({passes: [{values}]}, all or nothing) from a template; each counts one",
		headers: []param{idempotencyHeader}, body: "TemplatePassesRequest",
		answers: []reply{{status: 201, desc: "the pass (as POST /api/passes, with templateId), or for a bulk the serials and links", media: jsonType,
			schema: obj{"oneOf": []obj{ref("TemplatePassCreated"), ref("TemplatePassesCreated")}}, headers: []string{"Location", "Idempotent-Replayed"}}},
		errors: append(bodyErrors, 403, 404, 409, 422, 429)},

	{method: http.MethodGet, path: "/p/{shareID}", id: "sharePage", tag: "share", auth: noAuth,
		summary: "The pass holder's page with an Add to Apple Wallet link",
		answers: []reply{{status: 200, desc: "an HTML page", media: htmlType, schema: str()},
			{status: 404, desc: "no pass behind this link (an HTML page saying so)", media: htmlType, schema: str()},
			{status: 410, desc: "the pass was voided (an HTML page saying so)", media: htmlType, schema: str()}}},
	{method: http.MethodGet, path: "/p/{shareID}/pass.pkpass", id: "sharePass", tag: "share", auth: noAuth,
		summary: "The current signed pass, for its holder (not counted)",
		answers: []reply{{status: 200, desc: "the signed pass", media: pkpassType, schema: binary(pkpassType), headers: []string{"Content-Disposition"}}},
		errors:  []int{404, 410}},

	{method: http.MethodPost, path: "/v1/devices/{deviceID}/registrations/{passTypeID}/{serial}", id: "registerDevice", tag: "passkit", auth: applePass,
		summary: "Apple Wallet registers a device for a pass's updates", body: "RegisterRequest",
		answers: []reply{noBody(201, "registered"), noBody(200, "already registered (push token replaced)")}, errors: []int{400, 401, 413}},
	{method: http.MethodDelete, path: "/v1/devices/{deviceID}/registrations/{passTypeID}/{serial}", id: "unregisterDevice", tag: "passkit", auth: applePass,
		summary: "Apple Wallet unregisters a device", answers: []reply{noBody(200, "unregistered")}, errors: []int{401}},
	{method: http.MethodGet, path: "/v1/devices/{deviceID}/registrations/{passTypeID}", id: "updatedSerials", tag: "passkit", auth: noAuth,
		summary: "The serial numbers of the device's passes changed after a tag",
		query:   []param{{name: "passesUpdatedSince", desc: "lastUpdated of an earlier answer", schema: str()}},
		answers: []reply{{status: 200, desc: "changed passes", media: jsonType, schema: ref("SerialList")}, noBody(204, "none changed")}},
	{method: http.MethodGet, path: "/v1/passes/{passTypeID}/{serial}", id: "devicePass", tag: "passkit", auth: applePass,
		summary: "Apple Wallet fetches the current version of a pass",
		headers: []param{{name: "If-Modified-Since", desc: "Last-Modified of the version the device holds", schema: str()}},
		answers: []reply{{status: 200, desc: "the signed pass", media: pkpassType, schema: binary(pkpassType), headers: []string{"Last-Modified"}},
			noBody(304, "the device's version is current")}, errors: []int{401}},
	{method: http.MethodPost, path: "/v1/log", id: "deviceLog", tag: "passkit", auth: noAuth,
		summary: "Apple Wallet reports problems with the web service", body: "LogRequest",
		answers: []reply{noBody(200, "logged")}, errors: []int{400, 413}},

	{method: http.MethodGet, path: "/healthz", id: "health", tag: "operations", auth: noAuth,
		summary: "200 when the server reaches its database",
		answers: []reply{{status: 200, desc: "healthy", media: jsonType, schema: ref("Health")}}, errors: []int{503}},
}

// Routes lists every route the document describes.
func Routes() []Route {
	out := make([]Route, len(operations))
	for i, o := range operations {
		out[i] = Route{o.method, o.path}
	}
	return out
}

// Excluded are the routes the contract leaves out of the document: the
// dashboard's pages and assets, /metrics, /mcp and the document itself.
var Excluded = []Route{
	{http.MethodGet, "/{$}"},
	{http.MethodGet, "/signup"},
	{http.MethodGet, "/assets/{name}"},
	{http.MethodGet, "/metrics"},
	{http.MethodPost, "/mcp"},
	{http.MethodGet, "/mcp"},
	{http.MethodDelete, "/mcp"},
	{http.MethodGet, "/openapi.json"},
}

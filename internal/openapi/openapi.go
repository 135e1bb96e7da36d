// Package openapi builds the OpenAPI 3.1 description of the server's HTTP
// surface, served at GET /openapi.json and checked into docs/openapi.json.
// The pass body's schema is generated from pkpass's field table (the same
// rows that decode and validate it); the routes are declared in routes.go
// and a test holds them equal to the router's.
package openapi

//go:generate go run ./gen ../../docs/openapi.json

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/walletwallet/walletwallet/internal/jsonhttp"
)

// Version is the document's info.version; it changes when the API does.
const Version = "2.0.0"

// Document returns the OpenAPI document as JSON values.
func Document() obj {
	paths := obj{}
	for _, o := range operations {
		item, _ := paths[o.path].(obj)
		if item == nil {
			item = obj{}
			paths[o.path] = item
		}
		item[strings.ToLower(o.method)] = o.operation()
	}
	return obj{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
		"info": obj{
			"title":   "WalletWallet API",
			"version": Version,
			"summary": "Apple Wallet passes as a service: create, update, void and share signed .pkpass files.",
			"description": "Every non-2xx answer is an Error object naming the field and the rule. Request bodies are strict JSON: " +
				"unknown members, duplicate keys and trailing data are refused; null for an optional member means absent. " +
				"Bodies over 1 MiB are 413; a body without Content-Type application/json is 415.",
		},
		"servers": []obj{{"url": "/", "description": "the server this document was fetched from (WW_PUBLIC_URL)"}},
		"tags": []obj{
			{"name": "passes", "description": "passes as signed files and as JSON resources"},
			{"name": "preview", "description": "pictures of passes"},
			{"name": "account", "description": "usage and signup"},
			{"name": "webhooks", "description": "event subscriptions"},
			{"name": "templates", "description": "one design, many passes, one call to change them all"},
			{"name": "share", "description": "the holder's share link (no auth)"},
			{"name": "passkit", "description": "Apple's PassKit web service, called by Wallet on devices"},
			{"name": "operations", "description": "health"},
		},
		"paths": paths,
		"components": obj{
			"schemas": schemas(),
			"responses": obj{
				"Error": obj{"description": "refused: the message names the field and the rule",
					"content": obj{jsonType: obj{"schema": ref("Error")}}},
			},
			"securitySchemes": obj{
				bearer: obj{"type": "http", "scheme": "bearer", "bearerFormat": "ww_live_ followed by 32 lowercase hex characters",
					"description": "Authorization: Bearer ww_live_…; one Authorization header only"},
				applePass: obj{"type": "apiKey", "in": "header", "name": "Authorization",
					"description": "Authorization: ApplePass <authenticationToken of the pass>, sent by Apple Wallet"},
			},
		},
	}
}

var pathParam = regexp.MustCompile(`\{([A-Za-z]+)\}`)

func (o op) operation() obj {
	out := obj{"operationId": o.id, "summary": o.summary, "tags": []string{o.tag}}
	if o.auth == noAuth {
		out["security"] = []obj{}
	} else {
		out["security"] = []obj{{o.auth: []string{}}}
	}
	var params []obj
	for _, m := range pathParam.FindAllStringSubmatch(o.path, -1) {
		p := pathParams[m[1]]
		params = append(params, obj{"name": m[1], "in": "path", "required": true, "description": p.desc, "schema": p.schema})
	}
	for _, p := range o.query {
		params = append(params, obj{"name": p.name, "in": "query", "required": p.required, "description": p.desc, "schema": p.schema})
	}
	for _, p := range o.headers {
		params = append(params, obj{"name": p.name, "in": "header", "required": p.required, "description": p.desc, "schema": p.schema})
	}
	if params != nil {
		out["parameters"] = params
	}
	if o.body != "" {
		types := o.bodyTypes
		if types == nil {
			types = []string{jsonType}
		}
		content := obj{}
		for _, t := range types {
			content[t] = obj{"schema": ref(o.body)}
		}
		out["requestBody"] = obj{"required": true, "content": content}
	}
	answers := obj{}
	for _, r := range o.answers {
		a := obj{"description": r.desc}
		if r.media != "" {
			a["content"] = obj{r.media: obj{"schema": r.schema}}
		}
		if len(r.headers) > 0 {
			hs := obj{}
			for _, h := range r.headers {
				hs[h] = answerHeaders[h]
			}
			a["headers"] = hs
		}
		answers[strconv.Itoa(r.status)] = a
	}
	errs := slices.Clone(o.errors)
	slices.Sort(errs)
	for _, s := range slices.Compact(errs) {
		answers[strconv.Itoa(s)] = obj{"$ref": "#/components/responses/Error"}
	}
	answers["default"] = obj{"$ref": "#/components/responses/Error"}
	out["responses"] = answers
	return out
}

// JSON is the document as indented JSON with a final newline, the bytes of
// docs/openapi.json.
func JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(Document()); err != nil {
		panic(err) // the document is built from literals; a failure is a bug
	}
	return buf.Bytes()
}

// Handler serves the document (no auth).
func Handler() http.Handler {
	doc := JSON()
	return jsonhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("Access-Control-Allow-Origin", "*")
		w.Write(doc)
		return nil
	})
}

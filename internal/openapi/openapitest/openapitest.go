// Package openapitest checks requests and answers against the OpenAPI
// document with a real validator (kin-openapi, whose 3.1 mode validates
// schemas as JSON Schema 2020-12). Only tests import it.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/walletwallet/walletwallet/internal/openapi"
)

// Checker validates against one loaded document.
type Checker struct {
	Doc    *openapi3.T
	router routers.Router
}

var registerOnce sync.Once

// Load parses doc (nil: the generated document), validates it as an
// OpenAPI 3.1 document and returns a checker for it.
func Load(doc []byte) (*Checker, error) {
	registerOnce.Do(func() {
		// The binary answers are opaque strings to the schema.
		for _, t := range []string{"application/vnd.apple.pkpass", "application/vnd.apple.pkpasses", "image/png", "text/html"} {
			openapi3filter.RegisterBodyDecoder(t, openapi3filter.FileBodyDecoder)
		}
	})
	if doc == nil {
		doc = openapi.JSON()
	}
	d, err := openapi3.NewLoader().LoadFromData(doc)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if !d.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("openapi is %q, not 3.1", d.OpenAPI)
	}
	if err := d.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	r, err := legacy.NewRouter(d)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	return &Checker{Doc: d, router: r}, nil
}

func (c *Checker) input(req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: no operation in the document: %w", req.Method, req.URL.Path, err)
	}
	req = req.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(body))
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}, nil
}

// Request validates a request (path, query, headers and body) against
// its operation.
func (c *Checker) Request(req *http.Request, body []byte) error {
	in, err := c.input(req, body)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(context.Background(), in)
}

// Response validates an answer against the operation of the request that
// got it: its status must be declared (or fall to default), its media
// type and body must match.
func (c *Checker) Response(req *http.Request, status int, header http.Header, body []byte) error {
	in, err := c.input(req, nil)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}

// Schema validates a value (decoded JSON) against a component schema.
func (c *Checker) Schema(name string, v any) error {
	s := c.Doc.Components.Schemas[name]
	if s == nil {
		return fmt.Errorf("no schema %s", name)
	}
	return s.Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
}

// Route is the documented route (method and path template) a request is for.
func (c *Checker) Route(req *http.Request) (openapi.Route, error) {
	route, _, err := c.router.FindRoute(req)
	if err != nil {
		return openapi.Route{}, fmt.Errorf("%s %s: no operation in the document: %w", req.Method, req.URL.Path, err)
	}
	return openapi.Route{Method: route.Method, Path: route.Path}, nil
}

package mcpserver

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/walletwallet/walletwallet"
	"github.com/walletwallet/walletwallet/internal/api"
	"github.com/walletwallet/walletwallet/internal/jsonhttp"
	"github.com/walletwallet/walletwallet/internal/passes"
)

// tools holds what the tool handlers call.
type tools struct {
	passes *passes.Service
	log    *slog.Logger
}

// call is one tool's work: it returns the answer (JSON, or an image) or an
// error, which the wrapper turns into an error result.
type call func(ctx context.Context, a *walletwallet.Account, args json.RawMessage) (result, error)

// result is a tool's successful answer: a JSON value (the API's answer for
// the same operation) or a PNG.
type result struct {
	json any
	png  []byte
}

// tool is one row of the tool table.
type tool struct {
	name, title, description string
	input                    map[string]any
	readOnly, idempotent     bool
	destructive              bool
	run                      func(t *tools) call
}

// toolTable lists the tools of the contract, in its order.
var toolTable = []tool{
	{name: "create_pass", title: "Create a pass", input: passSchema(),
		description: "Issue a new pass from the JSON body of POST /api/passes. Counts one against the monthly quota. " +
			"Returns serialNumber, lastUpdated and shareUrl (the public link that installs the pass).",
		run: func(t *tools) call { return t.create }},
	{name: "update_pass", title: "Replace a pass", input: updateSchema(), idempotent: true, destructive: true,
		description: "Replace the body of a pass (PUT /api/passes/{serial}): the new body is validated like a new pass, " +
			"re-signed and pushed to every device holding the pass; it counts one unless the body is unchanged.",
		run: func(t *tools) call { return t.update }},
	{name: "patch_pass", title: "Change part of a pass", input: patchSchema(), idempotent: true, destructive: true,
		description: "Apply a JSON merge patch (RFC 7396) to the body of a pass (PATCH /api/passes/{serial}): members given replace " +
			"the stored ones, null removes one; the result is validated, re-signed and pushed like update_pass.",
		run: func(t *tools) call { return t.patch }},
	{name: "get_pass", title: "Read a pass", input: serialSchema("The pass to read."), readOnly: true, idempotent: true,
		description: "Read a pass (GET /api/passes/{serial}): status, dates, devices, installs, share link and its current request body.",
		run:         func(t *tools) call { return t.get }},
	{name: "list_passes", title: "List passes", input: listSchema(), readOnly: true, idempotent: true,
		description: "List this account's passes, newest first, one page at a time (GET /api/passes). " +
			"Pass nextCursor back as cursor for the next page; it is null on the last page.",
		run: func(t *tools) call { return t.list }},
	{name: "void_pass", title: "Void a pass", input: serialSchema("The pass to void."), idempotent: true, destructive: true,
		description: "Void a pass (DELETE /api/passes/{serial}): every device shows it as no longer valid. Not counted; " +
			"a voided pass can no longer be changed.",
		run: func(t *tools) call { return t.void }},
	{name: "get_usage", title: "Usage this month", input: emptySchema(), readOnly: true, idempotent: true,
		description: "This month's count of passes created and updated, the limit of the plan in force, what remains and the reset date (GET /api/auth/usage).",
		run:         func(t *tools) call { return t.usage }},
	{name: "preview_pass", title: "Preview a pass", input: previewSchema(), readOnly: true, idempotent: true,
		description: "Draw a pass as a PNG image: a request body as create_pass would issue it (pass), or a stored pass's current " +
			"version (serialNumber); front or back. Stores and counts nothing.",
		run: func(t *tools) call { return t.preview }},
}

// register adds every tool of the table to srv.
func (t *tools) register(srv *mcp.Server) {
	for _, row := range toolTable {
		destructive := row.destructive
		srv.AddTool(&mcp.Tool{
			Name:        row.name,
			Title:       row.title,
			Description: row.description,
			InputSchema: row.input,
			Annotations: &mcp.ToolAnnotations{
				Title:           row.title,
				ReadOnlyHint:    row.readOnly,
				IdempotentHint:  row.idempotent,
				DestructiveHint: &destructive,
			},
		}, t.handler(row.name, row.run(t)))
	}
}

// handler adapts a call to the SDK: the caller comes from the request,
// failures become error results with the API's message.
func (t *tools) handler(name string, run call) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		c, err := callerOf(req)
		if err != nil {
			return nil, err // a protocol error: the server is miswired
		}
		res, err := run(ctx, c.account, req.Params.Arguments)
		if err != nil {
			return t.errorResult(ctx, name, c, err), nil
		}
		if res.png != nil {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.ImageContent{Data: res.png, MIMEType: "image/png"}}}, nil
		}
		text, err := json.Marshal(res.json)
		if err != nil {
			return t.errorResult(ctx, name, c, err), nil
		}
		return &mcp.CallToolResult{
			Content:           []mcp.Content{&mcp.TextContent{Text: string(text)}},
			StructuredContent: json.RawMessage(text),
		}, nil
	}
}

// errorResult is a refused or failed call as MCP wants it: a result with
// IsError, whose text is exactly what the API would put in "error" (so a
// model reads the field and the rule), and whose structured content is the
// API's error body plus its HTTP status.
func (t *tools) errorResult(ctx context.Context, name string, c *caller, err error) *mcp.CallToolResult {
	status, body, internal := jsonhttp.ErrorBody(err, c.requestID)
	if internal {
		t.log.ErrorContext(ctx, "internal error", "request_id", c.requestID, "tool", name, "err", err)
	}
	sc := make(map[string]any, len(body)+1)
	for k, v := range body {
		sc[k] = v
	}
	sc["status"] = status
	return &mcp.CallToolResult{
		IsError:           true,
		Content:           []mcp.Content{&mcp.TextContent{Text: body["error"]}},
		StructuredContent: sc,
	}
}

func (t *tools) create(ctx context.Context, a *walletwallet.Account, args json.RawMessage) (result, error) {
	// The arguments are the request body itself, read by the API's parser.
	c, err := t.passes.Create(ctx, a, args, passes.CreateOptions{})
	if err != nil {
		return result{}, err
	}
	defer c.Recycle()
	// No applePass: a base64 bundle is of no use to a model; the share
	// link installs the pass (docs/decisions.md).
	return result{json: api.CreatedAnswer(t.passes, c.Passes[0], nil)}, nil
}

func (t *tools) update(ctx context.Context, a *walletwallet.Account, args json.RawMessage) (result, error) {
	m, err := arguments(args, argSerial, argPass)
	if err != nil {
		return result{}, err
	}
	serial, err := m.str(argSerial, true)
	if err != nil {
		return result{}, err
	}
	body, err := m.value(argPass, "the new request body")
	if err != nil {
		return result{}, err
	}
	u, err := t.passes.Update(ctx, a, serial, body)
	if err != nil {
		return result{}, err
	}
	return result{json: api.UpdatedAnswer(u)}, nil
}

func (t *tools) patch(ctx context.Context, a *walletwallet.Account, args json.RawMessage) (result, error) {
	m, err := arguments(args, argSerial, argPatch)
	if err != nil {
		return result{}, err
	}
	serial, err := m.str(argSerial, true)
	if err != nil {
		return result{}, err
	}
	patch, err := m.value(argPatch, "a JSON merge patch of the members to change")
	if err != nil {
		return result{}, err
	}
	u, err := t.passes.Patch(ctx, a, serial, patch)
	if err != nil {
		return result{}, err
	}
	return result{json: api.UpdatedAnswer(u)}, nil
}

func (t *tools) get(ctx context.Context, a *walletwallet.Account, args json.RawMessage) (result, error) {
	serial, err := serialArg(args)
	if err != nil {
		return result{}, err
	}
	p, err := t.passes.Get(ctx, a, serial)
	if err != nil {
		return result{}, err
	}
	return result{json: api.PassAnswer(t.passes, p)}, nil
}

func (t *tools) list(ctx context.Context, a *walletwallet.Account, args json.RawMessage) (result, error) {
	m, err := arguments(args, argLimit, argCursor, argStatus)
	if err != nil {
		return result{}, err
	}
	var o passes.ListOptions
	// limit goes to the service as the text the client sent, number or
	// string, so its rule and message are the API's (?limit=).
	o.Limit = m.text(argLimit)
	if o.Cursor, err = m.str(argCursor, false); err != nil {
		return result{}, err
	}
	if o.Status, err = m.str(argStatus, false); err != nil {
		return result{}, err
	}
	page, err := t.passes.List(ctx, a, o)
	if err != nil {
		return result{}, err
	}
	return result{json: api.ListAnswer(page)}, nil
}

func (t *tools) void(ctx context.Context, a *walletwallet.Account, args json.RawMessage) (result, error) {
	serial, err := serialArg(args)
	if err != nil {
		return result{}, err
	}
	u, err := t.passes.Void(ctx, a, serial)
	if err != nil {
		return result{}, err
	}
	return result{json: api.VoidAnswer(u)}, nil
}

func (t *tools) usage(ctx context.Context, a *walletwallet.Account, args json.RawMessage) (result, error) {
	if _, err := arguments(args); err != nil {
		return result{}, err
	}
	u, err := t.passes.Usage(ctx, a)
	if err != nil {
		return result{}, err
	}
	return result{json: api.UsageAnswer(u)}, nil
}

func (t *tools) preview(ctx context.Context, a *walletwallet.Account, args json.RawMessage) (result, error) {
	m, err := arguments(args, argPass, argSerial, argSide)
	if err != nil {
		return result{}, err
	}
	sideText, err := m.str(argSide, false)
	if err != nil {
		return result{}, err
	}
	side, err := passes.ParseSide(sideText)
	if err != nil {
		return result{}, err
	}
	_, hasPass := m[argPass]
	_, hasSerial := m[argSerial]
	var png []byte
	switch {
	case hasPass == hasSerial:
		return result{}, walletwallet.Errorf(walletwallet.EINVALID,
			"preview_pass takes exactly one of pass (a request body to draw) or serialNumber (a stored pass to draw)")
	case hasPass:
		png, err = t.passes.Preview(ctx, a, m[argPass], side)
	default:
		var serial string
		if serial, err = m.str(argSerial, true); err != nil {
			return result{}, err
		}
		png, err = t.passes.PreviewPass(ctx, a, serial, side)
	}
	if err != nil {
		return result{}, err
	}
	return result{png: png}, nil
}

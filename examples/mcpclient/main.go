// Command mcpclient shows a Go program driving WalletWallet's MCP server
// with the official SDK: it lists the tools, creates a pass, reads it back
// and saves its preview as pass.png. docs/mcp.md quotes this file, and a
// test runs it against a real server.
//
//	WW_URL=https://passes.example.com WW_KEY=ww_live_… go run ./examples/mcpclient
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func main() {
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpclient", Version: "1.0.0"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint: os.Getenv("WW_URL") + "/mcp",
		// Every request carries the API key.
		HTTPClient: &http.Client{Transport: bearer(os.Getenv("WW_KEY"))},
	}, nil)
	if err != nil {
		log.Fatal(err) // a refused key ends here: the server answers 401
	}
	defer session.Close()

	tools, err := session.ListTools(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range tools.Tools {
		fmt.Println("tool:", t.Name)
	}

	// A tool's arguments are the API's request: here the body of POST /api/passes.
	created := call(ctx, session, "create_pass", map[string]any{
		"barcodeValue": "MEMBER-12345", "barcodeFormat": "QR", "logoText": "Membership Card",
	})
	var pass struct {
		SerialNumber string `json:"serialNumber"`
		ShareURL     string `json:"shareUrl"`
	}
	if err := json.Unmarshal([]byte(created.Content[0].(*mcp.TextContent).Text), &pass); err != nil {
		log.Fatal(err)
	}
	fmt.Println("created:", pass.SerialNumber, pass.ShareURL)

	got := call(ctx, session, "get_pass", map[string]any{"serialNumber": pass.SerialNumber})
	fmt.Println("read:", got.Content[0].(*mcp.TextContent).Text)

	preview := call(ctx, session, "preview_pass", map[string]any{"serialNumber": pass.SerialNumber})
	if err := os.WriteFile("pass.png", preview.Content[0].(*mcp.ImageContent).Data, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Println("saved: pass.png")
}

// call calls a tool and stops on a refusal, printing the API's message.
func call(ctx context.Context, s *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		log.Fatalf("%s refused: %s", name, res.Content[0].(*mcp.TextContent).Text)
	}
	return res
}

// bearer is an http.RoundTripper that adds "Authorization: Bearer key".
type bearer string

func (key bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(key))
	return http.DefaultTransport.RoundTrip(r)
}

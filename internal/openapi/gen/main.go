// Command gen writes the OpenAPI document to the file its argument names
// (go generate ./internal/openapi refreshes docs/openapi.json).
package main

import (
	"fmt"
	"os"

	"github.com/walletwallet/walletwallet/internal/openapi"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen FILE")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], openapi.JSON(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

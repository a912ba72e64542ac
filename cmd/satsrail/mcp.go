package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/satsrail/satsrail/client"
	"github.com/satsrail/satsrail/internal/mcpserver"
)

const mcpHelp = `
Serves the Model Context Protocol on stdin/stdout for AI agents (Claude,
Cursor, ...): tools to create, get, list and expire checkout sessions, list
and create products, list transactions, get rates and get the merchant.

Environment:
  SATSRAIL_API_KEY    the merchant's secret key, sk_test_... or sk_live_...
                      (required; a publishable pk_ key is refused)
  SATSRAIL_BASE_URL   the gateway, e.g. https://pay.example.com (or --base-url)

The key is checked with GET /api/v1/merchant before serving; a refused key
exits with status 1 and says why on stderr. An MCP client's configuration:

  {"mcpServers": {"satsrail": {"command": "satsrail", "args": ["mcp"],
    "env": {"SATSRAIL_API_KEY": "sk_test_...", "SATSRAIL_BASE_URL": "http://127.0.0.1:8080"}}}}
`

// mcpCmd runs `satsrail mcp`: the MCP server of package mcpserver on stdio.
func mcpCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("mcp", "mcp [--base-url URL]", stdout)
	baseURL := fs.String("base-url", client.DefaultBaseURL, "the gateway's URL")
	usage := fs.Usage
	fs.Usage = func() { usage(); fmt.Fprint(stdout, mcpHelp) }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	srv, err := mcpserver.Start(ctx, mcpserver.Config{APIKey: os.Getenv("SATSRAIL_API_KEY"), BaseURL: *baseURL})
	if err != nil {
		return err
	}
	m := srv.Merchant()
	mode := "test"
	if m.Livemode {
		mode = "live"
	}
	fmt.Fprintf(stderr, "satsrail mcp: serving merchant %s (%s, %s mode) on stdio\n", m.Name, m.ID, mode)
	return srv.Run(ctx, stdin, stdout)
}

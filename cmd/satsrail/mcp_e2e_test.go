package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/satsrail/satsrail/apitype"
)

// mcpCommand is `satsrail mcp` with key and base URL in its environment.
func mcpCommand(key, baseURL string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, append([]string{"mcp"}, args...)...)
	cmd.Env = append(os.Environ(), "SATSRAIL_API_KEY="+key, "SATSRAIL_BASE_URL="+baseURL)
	return cmd
}

// TestMCPServer drives the real binary's `satsrail mcp` over stdio with the
// Go MCP SDK's client, against a real `satsrail serve --demo`: it lists the
// tools, creates a checkout session, reads it back, and gets a tool error
// for a bad argument.
func TestMCPServer(t *testing.T) {
	g := start(t, "--demo", "--data-dir", t.TempDir())
	sk := regexp.MustCompile(`sk_test_[0-9A-Za-z]+`).FindString(g.stdout.String())
	if sk == "" {
		t.Fatalf("no demo key in:\n%s", g.stdout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	cmd := mcpCommand(sk, g.url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	c := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "0"}, nil)
	s, err := c.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, stderr.String())
	}
	defer s.Close()

	var names []string
	for tool, err := range s.Tools(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if tool.InputSchema == nil {
			t.Errorf("%s has no input schema", tool.Name)
		}
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	want := []string{"create_checkout_session", "create_product", "expire_checkout_session", "get_checkout_session",
		"get_merchant", "get_rates", "list_checkout_sessions", "list_products", "list_transactions"}
	if !slices.Equal(names, want) {
		t.Fatalf("tools %v, want %v", names, want)
	}

	call := func(name string, args map[string]any) *mcp.CallToolResult {
		t.Helper()
		res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res
	}
	decode := func(res *mcp.CallToolResult) apitype.CheckoutSession {
		t.Helper()
		var out apitype.CheckoutSession
		b, _ := json.Marshal(res.StructuredContent)
		if res.IsError || json.Unmarshal(b, &out) != nil {
			t.Fatalf("result %+v", res.Content)
		}
		return out
	}
	created := decode(call("create_checkout_session", map[string]any{"amount_cents": 5000, "currency": "usd",
		"success_url": "https://store.example/success", "cancel_url": "https://store.example/cart",
		"metadata": map[string]any{"order_id": "ORD-1234"}}))
	if created.Status != "pending" || !strings.HasPrefix(created.ID, "cs_") || !strings.HasPrefix(created.CheckoutURL, g.url+"/checkout/cs_") {
		t.Fatalf("created %+v", created)
	}
	got := decode(call("get_checkout_session", map[string]any{"id": created.ID}))
	if got.ID != created.ID || got.AmountCents != 5000 || got.Metadata["order_id"] != "ORD-1234" {
		t.Fatalf("read back %+v", got)
	}

	bad := call("create_checkout_session", map[string]any{"amount_cents": 0, "success_url": "https://store.example/success",
		"cancel_url": "https://store.example/cart"})
	msg := ""
	for _, c := range bad.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			msg += tc.Text
		}
	}
	if !bad.IsError || !strings.Contains(msg, "validation_error") || !strings.Contains(msg, "amount_cents") {
		t.Fatalf("bad argument: error %v, %q", bad.IsError, msg)
	}
	if !strings.Contains(stderr.String(), "serving merchant Demo Store") || strings.Contains(stderr.String(), sk) {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// TestMCPRefusesKeys: a publishable key, no key and an unknown key exit
// non-zero before serving, saying why on stderr (never echoing the key).
func TestMCPRefusesKeys(t *testing.T) {
	g := start(t, "--demo", "--data-dir", t.TempDir())
	pk := regexp.MustCompile(`pk_test_[0-9A-Za-z]+`).FindString(g.stdout.String())
	for _, tc := range []struct {
		key, want string
	}{
		{pk, "publishable key (pk_...)"},
		{"", "SATSRAIL_API_KEY is not set"},
		{"sk_test_0000000000000000000000", "refused SATSRAIL_API_KEY"},
	} {
		cmd := mcpCommand(tc.key, g.url)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
			t.Errorf("key %q: %v, stderr %q, stdout %q", tc.want, err, stderr.String(), stdout.String())
		}
		if tc.key != "" && strings.Contains(stderr.String(), tc.key) {
			t.Errorf("stderr shows the key: %s", stderr.String())
		}
	}
	out, err := exec.Command(binary, "mcp", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Usage: satsrail mcp") || !strings.Contains(string(out), "SATSRAIL_API_KEY") {
		t.Errorf("mcp --help: %v\n%s", err, out)
	}
}

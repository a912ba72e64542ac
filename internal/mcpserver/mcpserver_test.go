package mcpserver_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/client"
	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/httpapi"
	"github.com/satsrail/satsrail/internal/mcpserver"
	"github.com/satsrail/satsrail/internal/rates"
	"github.com/satsrail/satsrail/internal/testdb"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
)

type testWallets struct{ w *testwallet.Wallet }

func (r testWallets) Wallet(_ context.Context, s gateway.Scope) (gateway.Wallet, error) {
	if s.Mode != gateway.ModeTest {
		return nil, gateway.Errorf(gateway.CodeWalletUnavailable, "No Lightning wallet is connected for live mode.")
	}
	return r.w.For(s.MerchantID), nil
}

// gatewayURL runs the real API handler on the run's engine with the test
// wallet and fixed prices, and returns its URL and the merchant's keys.
func gatewayURL(t *testing.T) (string, map[gateway.KeyType]string) {
	t.Helper()
	st := testdb.Open(t)
	key := make([]byte, 32)
	rand.Read(key)
	tw := testwallet.New(testwallet.Config{Store: st, MasterKey: key})
	fixed, err := rates.ParseFixed("usd=65000,eur=60000")
	if err != nil {
		t.Fatal(err)
	}
	svc := gateway.NewService(gateway.Config{Store: st, Rates: rates.New(rates.Config{Fixed: fixed, Currencies: []string{"usd", "eur"}}),
		Wallets: testWallets{tw}, Decode: bolt11.Decode})
	api := httpapi.New(httpapi.Config{Service: svc, PublicURL: "https://pay.example.com"})
	root := http.NewServeMux()
	root.Handle("/", api)
	root.Handle("POST /checkout/{token}/simulate_payment", api)
	srv := httptest.NewServer(root)
	t.Cleanup(srv.Close)
	_, keys, err := svc.CreateMerchant(context.Background(), gateway.MerchantParams{Name: "Alice's Shop", Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, keys
}

// connect starts the server for key and connects an MCP client to it over
// pipes, as stdio would.
func connect(t *testing.T, url, key string) *mcp.ClientSession {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := mcpserver.Start(ctx, mcpserver.Config{APIKey: key, BaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, toServer, fromServer) }()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "0"}, nil)
	sess, err := c.Connect(ctx, &mcp.IOTransport{Reader: toClient, Writer: fromClient}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sess.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return sess
}

// callTool calls a tool and decodes its structured result into out (if the
// call succeeded), returning the result.
func callTool(t *testing.T, s *mcp.ClientSession, name string, args map[string]any, out any) *mcp.CallToolResult {
	t.Helper()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError || out == nil {
		return res
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, b)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

var wantTools = []string{"create_checkout_session", "create_product", "expire_checkout_session", "get_checkout_session",
	"get_merchant", "get_rates", "list_checkout_sessions", "list_products", "list_transactions"}

func TestTools(t *testing.T) {
	url, keys := gatewayURL(t)
	s := connect(t, url, keys["sk_test"])
	ctx := context.Background()

	// Every tool, each with an object input schema.
	var names []string
	for tool, err := range s.Tools(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tool.Name)
		schema, _ := json.Marshal(tool.InputSchema)
		var sc struct {
			Type       string                     `json:"type"`
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		}
		if err := json.Unmarshal(schema, &sc); err != nil || sc.Type != "object" || tool.Description == "" {
			t.Errorf("%s: schema %s", tool.Name, schema)
		}
		switch tool.Name {
		case "create_checkout_session":
			if !slices.Contains(sc.Required, "success_url") || sc.Properties["amount_cents"] == nil || sc.Properties["metadata"] == nil {
				t.Errorf("create_checkout_session schema %s", schema)
			}
		case "list_checkout_sessions":
			if sc.Properties["status"] == nil || sc.Properties["per_page"] == nil || sc.Properties["starting_after"] == nil {
				t.Errorf("list_checkout_sessions schema %s", schema)
			}
		case "get_checkout_session":
			if !slices.Equal(sc.Required, []string{"id"}) {
				t.Errorf("get_checkout_session schema %s", schema)
			}
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, wantTools) {
		t.Fatalf("tools %v, want %v", names, wantTools)
	}

	// Create, read back, pay (through the SDK, as a customer would), list.
	var sess apitype.CheckoutSession
	callTool(t, s, "create_checkout_session", map[string]any{"amount_cents": 5000, "currency": "usd",
		"success_url": "https://store.example/success", "cancel_url": "https://store.example/cart",
		"metadata": map[string]any{"order_id": "ORD-1"}, "idempotency_key": "order-1"}, &sess)
	if sess.Status != "pending" || sess.AmountCents != 5000 || sess.Metadata["order_id"] != "ORD-1" || !strings.HasPrefix(sess.CheckoutURL, "https://pay.example.com/checkout/") {
		t.Fatalf("created %+v", sess)
	}
	var again apitype.CheckoutSession
	callTool(t, s, "create_checkout_session", map[string]any{"amount_cents": 5000, "currency": "usd",
		"success_url": "https://store.example/success", "cancel_url": "https://store.example/cart",
		"metadata": map[string]any{"order_id": "ORD-1"}, "idempotency_key": "order-1"}, &again)
	if again.ID != sess.ID {
		t.Fatalf("the same idempotency_key made another session: %s, %s", sess.ID, again.ID)
	}
	var got apitype.CheckoutSession
	callTool(t, s, "get_checkout_session", map[string]any{"id": sess.ID}, &got)
	if got.ID != sess.ID || got.Status != "pending" {
		t.Fatalf("get %+v", got)
	}
	if _, err := client.New(url, keys["sk_test"]).SimulatePayment(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	callTool(t, s, "get_checkout_session", map[string]any{"id": sess.ID}, &got)
	if got.Status != "completed" || got.TransactionID == nil {
		t.Fatalf("after payment %+v", got)
	}
	var txs apitype.List[apitype.Transaction]
	callTool(t, s, "list_transactions", map[string]any{"checkout_session_id": sess.ID}, &txs)
	if len(txs.Data) != 1 || txs.Data[0].ID != *got.TransactionID {
		t.Fatalf("transactions %+v", txs)
	}

	// Expire another; reading it back shows it expired (the API's 410 body).
	var other apitype.CheckoutSession
	callTool(t, s, "create_checkout_session", map[string]any{"amount_cents": 100, "success_url": "https://store.example/s",
		"cancel_url": "https://store.example/c"}, &other)
	callTool(t, s, "expire_checkout_session", map[string]any{"id": other.ID}, &got)
	if got.Status != "expired" {
		t.Fatalf("expired %+v", got)
	}
	callTool(t, s, "get_checkout_session", map[string]any{"id": other.ID}, &got)
	if got.ID != other.ID || got.Status != "expired" {
		t.Fatalf("get expired %+v", got)
	}
	var list apitype.List[apitype.CheckoutSession]
	callTool(t, s, "list_checkout_sessions", map[string]any{"status": "expired", "per_page": 10}, &list)
	if len(list.Data) != 1 || list.Data[0].ID != other.ID {
		t.Fatalf("list expired %+v", list)
	}

	// Products, rates, merchant.
	var prod apitype.Product
	callTool(t, s, "create_product", map[string]any{"name": "Coffee", "price_cents": 450, "sku": "C-1"}, &prod)
	if prod.Name != "Coffee" || prod.PriceCents != 450 || prod.PaymentLinkURL == "" {
		t.Fatalf("product %+v", prod)
	}
	var prods apitype.List[apitype.Product]
	callTool(t, s, "list_products", map[string]any{"name": "Cof"}, &prods)
	if len(prods.Data) != 1 || prods.Data[0].ID != prod.ID {
		t.Fatalf("products %+v", prods)
	}
	var rate apitype.Rate
	callTool(t, s, "get_rates", map[string]any{"currency": "eur"}, &rate)
	if rate.BTCPrice != "60000.00" {
		t.Fatalf("rate %+v", rate)
	}
	var m apitype.Merchant
	callTool(t, s, "get_merchant", nil, &m)
	if m.Name != "Alice's Shop" || m.Livemode {
		t.Fatalf("merchant %+v", m)
	}
}

// TestToolErrors: a bad argument is a tool error (IsError) carrying the
// API's message, or the schema's complaint when it does not even fit.
func TestToolErrors(t *testing.T) {
	url, keys := gatewayURL(t)
	s := connect(t, url, keys["sk_test"])
	cases := []struct {
		name, tool string
		args       map[string]any
		want       []string
	}{
		{"API validation", "create_checkout_session", map[string]any{"amount_cents": -5, "success_url": "https://s.example/a", "cancel_url": "https://s.example/b"},
			[]string{"validation_error (HTTP 422)", "amount_cents", "request_id: req_"}},
		{"bad URL", "create_checkout_session", map[string]any{"amount_cents": 100, "success_url": "not a url", "cancel_url": "https://s.example/b"},
			[]string{"validation_error", "success_url"}},
		{"unknown session", "get_checkout_session", map[string]any{"id": "cs_nonesuch"}, []string{"not_found (HTTP 404)"}},
		{"bad filter", "list_checkout_sessions", map[string]any{"status": "paid"}, []string{"validation_error", "status"}},
		{"bad time", "list_transactions", map[string]any{"created_after": "yesterday"}, []string{"created_after must be an RFC 3339 time"}},
		{"wrong type", "create_checkout_session", map[string]any{"amount_cents": "fifty", "success_url": "https://s.example/a", "cancel_url": "https://s.example/b"},
			[]string{"amount_cents"}},
		{"missing required", "get_checkout_session", map[string]any{}, []string{"id"}},
		{"unknown argument", "get_rates", map[string]any{"currency": "usd", "colour": "red"}, []string{"colour"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := callTool(t, s, tc.tool, tc.args, nil)
			if !res.IsError {
				t.Fatalf("not a tool error: %s", text(res))
			}
			t.Logf("%s", text(res))
			for _, w := range tc.want {
				if !strings.Contains(text(res), w) {
					t.Errorf("error %q lacks %q", text(res), w)
				}
			}
		})
	}
}

// TestStartRefuses: no key, a publishable key and a key the gateway does
// not know never start a server.
func TestStartRefuses(t *testing.T) {
	url, keys := gatewayURL(t)
	ctx := context.Background()
	if _, err := mcpserver.Start(ctx, mcpserver.Config{BaseURL: url}); !errors.Is(err, mcpserver.ErrNoKey) {
		t.Errorf("no key: %v", err)
	}
	if _, err := mcpserver.Start(ctx, mcpserver.Config{APIKey: keys["pk_test"], BaseURL: url}); !errors.Is(err, mcpserver.ErrPublishableKey) {
		t.Errorf("pk: %v", err)
	}
	_, err := mcpserver.Start(ctx, mcpserver.Config{APIKey: "sk_test_unknown", BaseURL: url})
	if err == nil || !strings.Contains(err.Error(), "refused SATSRAIL_API_KEY") || strings.Contains(err.Error(), "sk_test_unknown") {
		t.Errorf("unknown key: %v", err)
	}
	if srv, err := mcpserver.Start(ctx, mcpserver.Config{APIKey: keys["sk_live"], BaseURL: url}); err != nil || !srv.Merchant().Livemode {
		t.Errorf("live key: %v", err)
	}
}

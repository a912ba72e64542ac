package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/client"
)

// Config configures the server; zero fields mean defaults.
type Config struct {
	// APIKey is the merchant's secret key (sk_test_... or sk_live_...).
	APIKey string
	// BaseURL is the gateway, e.g. "https://pay.example.com" (default
	// client.DefaultBaseURL).
	BaseURL string
	// HTTPClient sends the API requests (default: the SDK's).
	HTTPClient *http.Client
	// Version is reported to MCP clients.
	Version string
}

// ErrPublishableKey is returned by Start for a pk_ key: publishable keys may
// only create checkout sessions and read rates, and belong in browsers.
var ErrPublishableKey = errors.New("SATSRAIL_API_KEY is a publishable key (pk_...); the MCP server needs a secret key (sk_test_... or sk_live_...) from the dashboard's API keys page")

// ErrNoKey is returned by Start when no key is given.
var ErrNoKey = errors.New("SATSRAIL_API_KEY is not set; give the merchant's secret key (sk_test_... or sk_live_...)")

// Server is a validated MCP server for one merchant.
type Server struct {
	mcp      *mcp.Server
	merchant *apitype.Merchant
}

// Merchant is the merchant the key belongs to, as read at Start.
func (s *Server) Merchant() *apitype.Merchant { return s.merchant }

// Start checks the key — not publishable, and accepted by the gateway
// (GET /merchant) — and builds the server with its tools.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	key := strings.TrimSpace(cfg.APIKey)
	switch {
	case key == "":
		return nil, ErrNoKey
	case strings.HasPrefix(key, "pk_"):
		return nil, ErrPublishableKey
	}
	var opts []client.Option
	if cfg.HTTPClient != nil {
		opts = append(opts, client.WithHTTPClient(cfg.HTTPClient))
	}
	opts = append(opts, client.WithUserAgent("satsrail-mcp/"+cmpOr(cfg.Version, client.Version)))
	c := client.New(cfg.BaseURL, key, opts...)

	vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	m, err := c.GetMerchant(vctx)
	if err != nil {
		var apiErr *client.Error
		if errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden) {
			return nil, fmt.Errorf("the gateway at %s refused SATSRAIL_API_KEY: %s", c.BaseURL(), apiErr.Message)
		}
		return nil, fmt.Errorf("could not check SATSRAIL_API_KEY with the gateway at %s (SATSRAIL_BASE_URL): %w", c.BaseURL(), err)
	}
	mode := "test"
	if m.Livemode {
		mode = "live"
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "satsrail", Title: "satsrail", Version: cmpOr(cfg.Version, client.Version)},
		&mcp.ServerOptions{Instructions: fmt.Sprintf("Tools for the satsrail Lightning payment gateway at %s, merchant %q (%s), in %s mode. "+
			"Amounts are in the currency's minor units (cents). A checkout session's checkout_url is the page the customer pays on.",
			c.BaseURL(), m.Name, m.ID, mode)})
	addTools(srv, c)
	return &Server{mcp: srv, merchant: m}, nil
}

// Run serves MCP over in and out (newline-delimited JSON-RPC, as on stdio)
// until the client disconnects or ctx ends.
func (s *Server) Run(ctx context.Context, in io.Reader, out io.Writer) error {
	err := s.mcp.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(in), Writer: nopWriteCloser{out}})
	if errors.Is(err, io.EOF) || (err != nil && ctx.Err() != nil) {
		return nil
	}
	return err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// nopWriteCloser leaves closing the output (stdout) to its owner.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

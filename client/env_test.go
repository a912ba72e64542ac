package client_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/httpapi"
	"github.com/satsrail/satsrail/internal/rates"
	"github.com/satsrail/satsrail/internal/secretbox"
	"github.com/satsrail/satsrail/internal/testdb"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
	"github.com/satsrail/satsrail/internal/worker/deliver"
)

// clock is a settable clock: the gateway's rate limits and idempotency
// records read it, so a test can let a minute pass at once.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type sealer []byte

func (k sealer) Seal(p []byte) ([]byte, error) { return secretbox.Seal(k, p) }
func (k sealer) Open(s []byte) ([]byte, error) { return secretbox.Open(k, s) }

// testWallets gives test mode the gateway's test wallet and live mode none.
type testWallets struct{ w *testwallet.Wallet }

func (r testWallets) Wallet(_ context.Context, s gateway.Scope) (gateway.Wallet, error) {
	if s.Mode != gateway.ModeTest {
		return nil, gateway.Errorf(gateway.CodeWalletUnavailable, "No Lightning wallet is connected for live mode.")
	}
	return r.w.For(s.MerchantID), nil
}

// gw is a real gateway: the API handler over a real store, the test wallet,
// the BOLT11 decoder, fixed prices and a settable clock.
type gw struct {
	url   string
	svc   *gateway.Service
	store gateway.Store
	clock *clock
	mid   string
	keys  map[gateway.KeyType]string
	stop  func() // stops the delivery worker
	// handler is the gateway's root handler, for in-process calls.
	handler http.Handler
}

type gwOptions struct {
	rateLimit int  // the merchant's requests per minute
	noRates   bool // no price source answers: GET /rates is 503
	// guard, if set, vets webhook URLs (and may hold a create up).
	guard gateway.URLGuard
}

// newGateway builds the gateway's handler on st, as `satsrail serve` wires
// it, and one merchant.
func newGateway(st gateway.Store, o gwOptions) (*gw, http.Handler, error) {
	key := make([]byte, 32)
	rand.Read(key)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	tw := testwallet.New(testwallet.Config{Store: st, MasterKey: key, Now: clk.Now})
	fixed := map[string]gateway.Decimal{}
	if !o.noRates {
		var err error
		if fixed, err = rates.ParseFixed("usd=65000,eur=60000"); err != nil {
			return nil, nil, err
		}
	}
	dead, err := rates.ParseProviders("coinbase=http://127.0.0.1:9", nil)
	if err != nil {
		return nil, nil, err
	}
	src := rates.New(rates.Config{Providers: dead, Fixed: fixed, Currencies: []string{"usd", "eur"}})
	svc := gateway.NewService(gateway.Config{Store: st, Rates: src, Clock: clk, Wallets: testWallets{tw},
		Decode: bolt11.Decode, Sealer: sealer(key), GuardURL: o.guard})
	api := httpapi.New(httpapi.Config{Service: svc, PublicURL: "https://pay.example.com"})
	root := http.NewServeMux()
	root.Handle("/", api)
	root.Handle("POST /checkout/{token}/simulate_payment", api)
	m, keys, err := svc.CreateMerchant(context.Background(), gateway.MerchantParams{
		Name: "Alice's Shop", Email: "alice@example.com", RateLimitPerMinute: o.rateLimit})
	if err != nil {
		return nil, nil, err
	}
	// The delivery worker, as serve runs it, without the SSRF guard: the
	// tests' receivers are on 127.0.0.1.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	w := &deliver.Worker{Service: svc, Store: st, Clients: map[gateway.Mode]*http.Client{gateway.ModeTest: noRedirect},
		Schedule: []time.Duration{time.Second}, Timeout: 5 * time.Second, Poll: 50 * time.Millisecond, Now: clk.Now}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	stop := func() { cancel(); <-done }
	return &gw{svc: svc, store: st, clock: clk, mid: m.ID, keys: keys, stop: stop}, root, nil
}

// setup starts a gateway on the run's engine (SQLite, or PostgreSQL with
// SATSRAIL_TEST_STORE=postgres) behind a local HTTP server.
func setup(t testing.TB, opts ...gwOptions) *gw {
	t.Helper()
	var o gwOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	g, h, err := newGateway(testdb.Open(t), o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(g.stop)
	g.url = srv.URL
	g.handler = h
	return g
}

func (g *gw) sk() string { return g.keys["sk_test"] }
func (g *gw) pk() string { return g.keys["pk_test"] }

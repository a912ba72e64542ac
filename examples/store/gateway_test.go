package main

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/apitype"
	"github.com/satsrail/satsrail/client"
	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/httpapi"
	"github.com/satsrail/satsrail/internal/rates"
	"github.com/satsrail/satsrail/internal/secretbox"
	"github.com/satsrail/satsrail/internal/testdb"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
	deliverworker "github.com/satsrail/satsrail/internal/worker/deliver"
)

// The shop against a real gateway in this process: the API handler over a
// real store (SQLite, or PostgreSQL with SATSRAIL_TEST_STORE=postgres), the
// test wallet, fixed prices and the webhook delivery worker, wired as
// `satsrail serve` wires them.

type sealer []byte

func (k sealer) Seal(p []byte) ([]byte, error) { return secretbox.Seal(k, p) }
func (k sealer) Open(s []byte) ([]byte, error) { return secretbox.Open(k, s) }

// testWallets gives test mode the gateway's test wallet.
type testWallets struct{ w *testwallet.Wallet }

func (r testWallets) Wallet(_ context.Context, s gateway.Scope) (gateway.Wallet, error) {
	if s.Mode != gateway.ModeTest {
		return nil, gateway.Errorf(gateway.CodeWalletUnavailable, "No Lightning wallet is connected for live mode.")
	}
	return r.w.For(s.MerchantID), nil
}

// realGateway starts a gateway with one merchant and returns its URL and
// the merchant's test secret key.
func realGateway(t *testing.T) (string, string) {
	t.Helper()
	st := testdb.Open(t)
	key := make([]byte, 32)
	rand.Read(key)
	fixed, err := rates.ParseFixed("usd=65000")
	if err != nil {
		t.Fatal(err)
	}
	dead, err := rates.ParseProviders("coinbase=http://127.0.0.1:9", nil)
	if err != nil {
		t.Fatal(err)
	}
	tw := testwallet.New(testwallet.Config{Store: st, MasterKey: key})
	svc := gateway.NewService(gateway.Config{Store: st, Wallets: testWallets{tw}, Decode: bolt11.Decode, Sealer: sealer(key),
		Rates: rates.New(rates.Config{Providers: dead, Fixed: fixed, Currencies: []string{"usd"}})})
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	api := httpapi.New(httpapi.Config{Service: svc, PublicURL: srv.URL})
	root := http.NewServeMux()
	root.Handle("/", api)
	root.Handle("POST /checkout/{token}/simulate_payment", api)
	srv.Config.Handler = root
	_, keys, err := svc.CreateMerchant(context.Background(), gateway.MerchantParams{Name: "Corner Shop", Email: "shop@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	// The delivery worker, without serve's SSRF guard: the shop is on
	// 127.0.0.1.
	w := &deliverworker.Worker{Service: svc, Store: st, Clients: map[gateway.Mode]*http.Client{gateway.ModeTest: {Timeout: 5 * time.Second}},
		Schedule: []time.Duration{time.Second}, Timeout: 5 * time.Second, Poll: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return srv.URL, keys["sk_test"]
}

// connectedShop starts the shop's web front on a local port, connected to
// the gateway as run does (connect), with a publishable key so the pay.js
// product and origin are set up too.
func connectedShop(t *testing.T, gw, sk string) (*App, string) {
	t.Helper()
	var app *App
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { app.routes().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	a, err := newApp(config{publicURL: srv.URL, gatewayURL: gw, secretKey: sk, publishableKey: "pk_test_x"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.connect(ctx); err != nil {
		t.Fatal(err)
	}
	app = a
	return a, srv.URL
}

// TestConnectTwice: a first start registers the webhook endpoint, the pay.js
// product and the shop's origin; a restart (whose process lost the secret)
// rotates the endpoint's secret instead of adding another endpoint, and
// deliveries verify with the new secret.
func TestConnectTwice(t *testing.T) {
	gw, sk := realGateway(t)
	sr := client.New(gw, sk)
	ctx := context.Background()
	first, url1 := connectedShop(t, gw, sk)
	// The second start serves on the first's URL (as a restarted shop
	// does): it takes over that URL's endpoint.
	second, err := newApp(first.cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := second.connect(ctx); err != nil {
		t.Fatal(err)
	}
	if second.secrets[0] == first.secrets[0] || !strings.HasPrefix(second.secrets[0], "whsec_") {
		t.Errorf("the restart did not get a new secret")
	}
	var endpoints []apitype.WebhookEndpoint
	for we, err := range sr.AllWebhooks(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		endpoints = append(endpoints, we)
	}
	if len(endpoints) != 1 || endpoints[0].URL != url1+webhookPath || !slices.Contains(endpoints[0].Events, "checkout.completed") {
		t.Fatalf("endpoints after two starts: %+v", endpoints)
	}
	p, err := sr.GetProduct(ctx, "sticker-pack")
	if err != nil || p.PriceCents != 300 || p.Currency != "usd" {
		t.Errorf("the pay.js product: %+v, %v", p, err)
	}
	m, err := sr.GetMerchant(ctx)
	if err != nil || !slices.Equal(m.AllowedOrigins, []string{url1}) {
		t.Errorf("allowed origins after two starts: %v, %v", m.AllowedOrigins, err)
	}

	// The serving shop (the first App's server, now with the second's
	// secret, as after a restart) verifies a delivery with it.
	first.secrets = second.secrets
	ev, err := sr.SendTestWebhook(ctx, endpoints[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var d apitype.WebhookDelivery
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		list, err := sr.ListWebhookDeliveries(ctx, endpoints[0].ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Data) > 0 && list.Data[0].EventID == ev.ID && list.Data[0].Status != "pending" {
			d = list.Data[0]
			break
		}
	}
	if d.Status != "succeeded" || d.LastStatusCode == nil || *d.LastStatusCode != 200 {
		t.Errorf("the test event's delivery to the shop: %+v", d)
	}
}

// TestSuccessPageAsksTheGateway: the success page's answer for each state
// of a real session.
func TestSuccessPageAsksTheGateway(t *testing.T) {
	gw, sk := realGateway(t)
	sr := client.New(gw, sk)
	ctx := context.Background()
	app, shop := connectedShop(t, gw, sk)
	checkout := func(slug string) string {
		t.Helper()
		cart := app.shop.NewCart()
		app.shop.Add(cart, slug, 2)
		req := httptest.NewRequest("POST", "/checkout", nil)
		req.AddCookie(&http.Cookie{Name: cartCookie, Value: cart})
		rec := httptest.NewRecorder()
		app.createCheckout(rec, req)
		loc := rec.Header().Get("Location")
		id, ok := strings.CutPrefix(loc, gw+"/checkout/")
		if rec.Code != http.StatusSeeOther || !ok {
			t.Fatalf("checkout: %d to %q: %s", rec.Code, loc, rec.Body)
		}
		return id
	}
	success := func(id string) string {
		t.Helper()
		res, err := http.Get(shop + "/success?checkout_id=" + url.QueryEscape(id))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}

	paid := checkout("satoshi-mug")
	s, err := sr.GetCheckoutSession(ctx, paid)
	if err != nil || s.AmountCents != 2500 || s.Metadata["order_id"] == "" || s.SuccessURL != shop+"/success" || len(s.LineItems) != 1 {
		t.Fatalf("the session the shop made: %+v, %v", s, err)
	}
	if page := success(paid); !strings.Contains(page, "Not paid yet") || !strings.Contains(page, "the payment is pending") {
		t.Errorf("a pending session:\n%s", page)
	}
	if _, err := sr.SimulatePayment(ctx, paid); err != nil {
		t.Fatal(err)
	}
	if page := success(paid); !strings.Contains(page, "Paid ✓") || !strings.Contains(page, "$25.00") {
		t.Errorf("a completed session:\n%s", page)
	}

	expired := checkout("node-tee")
	if _, err := sr.ExpireCheckoutSession(ctx, expired); err != nil {
		t.Fatal(err)
	}
	if page := success(expired); !strings.Contains(page, "Not paid yet") || !strings.Contains(page, "the payment is expired") {
		t.Errorf("an expired session (410):\n%s", page)
	}

	// A session of the merchant that the shop did not make, paid: its id on
	// the shop's success URL proves nothing about any order.
	other, err := sr.CreateCheckoutSession(ctx, &apitype.CheckoutSessionParams{AmountCents: client.Int64(2500), Currency: client.String("usd"),
		SuccessURL: client.String(shop + "/success"), CancelURL: client.String(shop + "/cart")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sr.SimulatePayment(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if page := success(other.ID); !strings.Contains(page, "Not paid yet") || strings.Contains(page, "Paid ✓") {
		t.Errorf("a paid session of no order:\n%s", page)
	}
}

package lnd_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/regtest"
	"github.com/satsrail/satsrail/internal/wallet/lnd"
	"github.com/satsrail/satsrail/internal/wallet/wallettest"
)

// The package's tests share one regtest network, started by the first test
// that needs it and stopped by TestMain.
var (
	netOnce sync.Once
	netw    *regtest.Network
	netErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if netw != nil {
		if code != 0 {
			netw.Stop() // keep the logs
			fmt.Fprintf(os.Stderr, "regtest network logs kept in %s\n", netw.Dir)
		} else if err := netw.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

// network returns the package's regtest network.
func network(t *testing.T) *regtest.Network {
	t.Helper()
	netOnce.Do(func() {
		netw, netErr = regtest.New(context.Background(), t.Logf)
	})
	if netErr != nil {
		t.Fatalf("regtest: %v", netErr)
	}
	return netw
}

// client returns a client on the merchant's node with the baked invoice
// macaroon, configured as a merchant would: from its lndconnect URI.
func client(t *testing.T, n *regtest.Network) *lnd.Client {
	t.Helper()
	cfg, err := lnd.ParseLNDConnect(n.Merchant.LNDConnect(n.Merchant.InvoiceMacaroon))
	if err != nil {
		t.Fatal(err)
	}
	c, err := lnd.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pay pays bolt11 from the customer's node.
func pay(t *testing.T, n *regtest.Network, bolt11 string, amount gateway.MilliSat) {
	t.Helper()
	var err error
	if amount == 0 {
		err = n.Pay(bolt11)
	} else {
		err = n.PayAmount(bolt11, int64(amount))
	}
	if err != nil {
		t.Fatal(err)
	}
}

func newInvoice(t *testing.T, c *lnd.Client, amount gateway.MilliSat) gateway.Invoice {
	t.Helper()
	inv, err := c.CreateInvoice(t.Context(), gateway.InvoiceRequest{
		AmountMsat: amount,
		Memo:       t.Name(),
		ExpiresAt:  time.Now().Add(10 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestConformance(t *testing.T) {
	n := network(t)
	c := client(t, n)
	if _, err := c.Test(t.Context()); err != nil { // learn the network, as ConnectWallet does
		t.Fatal(err)
	}
	wallettest.Run(t, wallettest.Harness{
		Wallet: c,
		Pay:    func(t *testing.T, bolt11 string, amount gateway.MilliSat) { pay(t, n, bolt11, amount) },
		Decode: bolt11.Decode,
	})
}

func TestConnectionTest(t *testing.T) {
	n := network(t)
	c := client(t, n)
	if got := c.Network(); got != "" {
		t.Errorf("Network() before any invoice = %q, want it unknown", got)
	}
	network, err := c.Test(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if network != "regtest" || c.Network() != "regtest" {
		t.Errorf("Test() = %q, Network() = %q; want regtest", network, c.Network())
	}

	// A client told the wrong network refuses the node's invoices.
	cfg, _ := lnd.ParseLNDConnect(n.Merchant.LNDConnect(n.Merchant.InvoiceMacaroon))
	cfg.Network = "mainnet"
	wrong, err := lnd.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Test(t.Context()); err == nil || !strings.Contains(err.Error(), "regtest") {
		t.Errorf("Test() on a mainnet client of a regtest node = %v, want a network error", err)
	}
}

func TestRealMacaroons(t *testing.T) {
	n := network(t)
	ctx := t.Context()
	file := func(name string) []byte {
		b, err := n.Merchant.MacaroonFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	bake := func(perms ...string) []byte {
		b, err := n.Merchant.BakeMacaroon(ctx, perms...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		mac  []byte
		ok   bool
	}{
		{"admin.macaroon", file("admin"), false},
		{"readonly.macaroon", file("readonly"), false},
		{"lnd's invoice.macaroon", file("invoice"), false},
		{"baked invoices:read invoices:write", n.Merchant.InvoiceMacaroon, true},
		{"baked with info:read", bake("invoices:read", "invoices:write", "info:read"), true},
		{"baked per URI", bake("uri:/lnrpc.Lightning/AddInvoice", "uri:/lnrpc.Lightning/LookupInvoice",
			"uri:/lnrpc.Lightning/SubscribeInvoices"), true},
		{"baked per URI that pays", bake("uri:/lnrpc.Lightning/AddInvoice", "uri:/lnrpc.Lightning/LookupInvoice",
			"uri:/routerrpc.Router/SendPaymentV2"), false},
		{"baked offchain:write", bake("invoices:read", "invoices:write", "offchain:write"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := lnd.CheckReceiveOnly(tt.mac)
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				// And it works: the connection test passes with it.
				cfg, err := lnd.ParseLNDConnect(n.Merchant.LNDConnect(tt.mac))
				if err != nil {
					t.Fatal(err)
				}
				c, err := lnd.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Test(ctx); err != nil {
					t.Errorf("connection test with it: %v", err)
				}
				return
			}
			if !errors.Is(err, lnd.ErrNotReceiveOnly) {
				t.Fatalf("CheckReceiveOnly = %v, want ErrNotReceiveOnly", err)
			}
			if !strings.Contains(err.Error(), "lncli bakemacaroon invoices:read invoices:write") {
				t.Errorf("error %q does not say how to bake an invoice macaroon", err)
			}
			cfg, _ := lnd.ParseLNDConnect(n.Merchant.LNDConnect(tt.mac))
			if _, err := lnd.New(cfg); !errors.Is(err, lnd.ErrNotReceiveOnly) {
				t.Errorf("New = %v, want ErrNotReceiveOnly", err)
			}
		})
	}
}

// TestInvoiceMacaroonCannotPay checks, on the node itself, that the
// macaroon the gateway holds is refused anything that moves money.
func TestInvoiceMacaroonCannotPay(t *testing.T) {
	n := network(t)
	ctx := t.Context()
	var inv struct {
		PaymentRequest string `json:"payment_request"`
	}
	if err := n.Customer.REST(ctx, nil, http.MethodPost, "/v1/invoices", map[string]any{"value": "10"}, &inv); err != nil {
		t.Fatal(err)
	}
	var addr struct {
		Address string `json:"address"`
	}
	if err := n.Customer.REST(ctx, nil, http.MethodGet, "/v1/newaddress", nil, &addr); err != nil {
		t.Fatal(err)
	}
	for _, call := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, "/v2/router/send", map[string]any{"payment_request": inv.PaymentRequest, "timeout_seconds": 10}},
		{http.MethodPost, "/v1/transactions", map[string]any{"addr": addr.Address, "amount": "10000"}},
		{http.MethodPost, "/v1/channels", map[string]any{"node_pubkey_string": n.Customer.PubKey, "local_funding_amount": "100000"}},
		{http.MethodGet, "/v1/balance/blockchain", nil},
		{http.MethodGet, "/v1/newaddress", nil},
		{http.MethodGet, "/v1/payments", nil},
	} {
		err := n.Merchant.REST(ctx, n.Merchant.InvoiceMacaroon, call.method, call.path, call.body, nil)
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s %s with the invoice macaroon = %v, want permission denied", call.method, call.path, err)
		}
	}
}

func TestPinnedTLS(t *testing.T) {
	n := network(t)
	for name, cert := range map[string][]byte{
		"another self-signed cert": selfSigned(t),
		"the other node's cert":    n.Customer.TLSCertPEM,
		"no cert (system roots)":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			c, err := lnd.New(lnd.Config{RESTURL: n.Merchant.RESTURL, Macaroon: n.Merchant.InvoiceMacaroon, TLSCertPEM: cert})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Test(t.Context())
			if err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Fatalf("Test() = %v, want a certificate error", err)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	n := network(t)
	c := client(t, n)

	t.Run("Overpaid", func(t *testing.T) {
		inv := newInvoice(t, c, 10_000)
		pay(t, n, inv.PaymentRequest, 25_000)
		got, err := c.LookupInvoice(t.Context(), inv.PaymentHash)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != gateway.InvoiceSettled || got.AmountMsat != 10_000 || got.AmountPaidMsat != 25_000 {
			t.Errorf("got %s, %d msat, paid %d; want settled, 10000, paid 25000", got.State, got.AmountMsat, got.AmountPaidMsat)
		}
		if d := time.Since(got.SettledAt); d < 0 || d > time.Minute {
			t.Errorf("SettledAt = %v, not just now", got.SettledAt)
		}
	})

	t.Run("UpperCaseHash", func(t *testing.T) {
		inv := newInvoice(t, c, 1000)
		got, err := c.LookupInvoice(t.Context(), strings.ToUpper(inv.PaymentHash))
		if err != nil || got.PaymentHash != inv.PaymentHash {
			t.Errorf("LookupInvoice(upper case) = %s, %v", got.PaymentHash, err)
		}
	})

	t.Run("Malformed", func(t *testing.T) {
		for _, h := range []string{"", "abc", strings.Repeat("zz", 32), strings.Repeat("ab", 33)} {
			if _, err := c.LookupInvoice(t.Context(), h); !errors.Is(err, gateway.ErrNotFound) {
				t.Errorf("LookupInvoice(%q) = %v, want ErrNotFound", h, err)
			}
		}
	})

	t.Run("ExpiredIsCanceled", func(t *testing.T) {
		inv, err := c.CreateInvoice(t.Context(), gateway.InvoiceRequest{
			AmountMsat: 1000, Memo: t.Name(), ExpiresAt: time.Now().Add(time.Second),
		})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			got, err := c.LookupInvoice(t.Context(), inv.PaymentHash)
			if err != nil {
				t.Fatal(err)
			}
			if got.State == gateway.InvoiceCanceled {
				break
			}
			if got.State != gateway.InvoiceOpen || time.Now().After(deadline) {
				t.Fatalf("expired invoice is %s", got.State)
			}
			time.Sleep(200 * time.Millisecond) // lnd cancels on its own clock
		}
	})
}

// settlement is one call of SubscribeSettled's fn.
type settlement struct {
	hash  string
	index uint64
}

// subscribe runs SubscribeSettled from index until it has delivered want
// (by hash) and returns everything delivered up to and including it.
func subscribe(t *testing.T, c *lnd.Client, index uint64, want string) []settlement {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var got []settlement
	found := errors.New("found")
	err := c.SubscribeSettled(ctx, index, nil, func(hash string, index uint64) error {
		got = append(got, settlement{hash, index})
		if hash == want {
			return found
		}
		return nil
	})
	if !errors.Is(err, found) {
		t.Fatalf("SubscribeSettled(%d) = %v after %v, before %s", index, err, got, want)
	}
	return got
}

func TestSubscribeSettled(t *testing.T) {
	n := network(t)
	c := client(t, n)

	// The network's probe payment was settlement 1: index 1 replays
	// everything since, up to this test's payment.
	a := newInvoice(t, c, 5000)
	pay(t, n, a.PaymentRequest, 0)
	replay := subscribe(t, c, 1, a.PaymentHash)
	last := replay[len(replay)-1]
	for i, s := range replay {
		if s.index <= 1 || (i > 0 && s.index <= replay[i-1].index) {
			t.Errorf("settle indexes out of order or not after 1: %v", replay)
		}
	}

	t.Run("ResumeAfterSkipsIt", func(t *testing.T) {
		b := newInvoice(t, c, 6000)
		pay(t, n, b.PaymentRequest, 0)
		got := subscribe(t, c, last.index, b.PaymentHash)
		if got[0].hash == a.PaymentHash || got[0].index <= last.index {
			t.Errorf("resuming from %d delivered %v", last.index, got)
		}
	})

	t.Run("ResumeBeforeReplaysIt", func(t *testing.T) {
		got := subscribe(t, c, last.index-1, a.PaymentHash)
		if len(got) != 1 || got[0] != last {
			t.Errorf("resuming from %d delivered %v, want only %v", last.index-1, got, last)
		}
	})

	t.Run("Live", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		inv := newInvoice(t, c, 7000)
		got := make(chan settlement, 16)
		done := make(chan error, 1)
		go func() {
			done <- c.SubscribeSettled(ctx, 0, nil, func(hash string, index uint64) error {
				got <- settlement{hash, index}
				return nil
			})
		}()
		// Index 0 replays nothing; whether the payment lands before or
		// after lnd registers the stream, pay until it is seen (a second
		// payment of a paid invoice fails harmlessly).
		for {
			if err := n.Pay(inv.PaymentRequest); err != nil && !strings.Contains(err.Error(), "already") {
				t.Fatal(err)
			}
			select {
			case s := <-got:
				if s.hash != inv.PaymentHash {
					continue
				}
				cancel()
				if err := <-done; !errors.Is(err, context.Canceled) {
					t.Errorf("SubscribeSettled after cancel = %v, want context.Canceled", err)
				}
				return
			case err := <-done:
				t.Fatalf("SubscribeSettled = %v", err)
			case <-time.After(2 * time.Second):
				inv = newInvoice(t, c, 7000) // paid before the stream was registered
			}
		}
	})

	t.Run("CancelWhileIdle", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		live := make(chan struct{})
		go func() {
			done <- c.SubscribeSettled(ctx, 0, func() { close(live) }, func(string, uint64) error { return nil })
		}()
		select { // live with no event yet: the subscription is up on the node
		case <-live:
		case err := <-done:
			t.Fatalf("SubscribeSettled = %v before it was live", err)
		case <-time.After(10 * time.Second):
			t.Fatal("live not called within 10s of subscribing")
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("SubscribeSettled = %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("SubscribeSettled ignores ctx")
		}
	})
}

// TestMerchantRestart checks that a stream ends with the node, and that a
// new one from the last index applied catches up on what was paid meanwhile.
func TestMerchantRestart(t *testing.T) {
	n := network(t)
	c := client(t, n)
	a := newInvoice(t, c, 3000)
	pay(t, n, a.PaymentRequest, 0)
	last := subscribe(t, c, 1, a.PaymentHash)
	index := last[len(last)-1].index

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.SubscribeSettled(ctx, index, nil, func(string, uint64) error { return nil }) }()
	n.StopMerchant(t)
	select {
	case err := <-done:
		if err == nil {
			t.Error("SubscribeSettled returned nil when lnd stopped")
		}
		t.Logf("stream ended with: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the stream outlived lnd")
	}
	if _, err := c.CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: 1000, ExpiresAt: time.Now().Add(time.Minute)}); err == nil {
		t.Error("CreateInvoice succeeded with lnd stopped")
	}
	n.StartMerchant(t)

	b := newInvoice(t, c, 4000)
	pay(t, n, b.PaymentRequest, 0)
	got := subscribe(t, c, index, b.PaymentHash)
	for _, s := range got {
		if s.hash == a.PaymentHash {
			t.Errorf("resuming from %d replayed the settlement it had applied: %v", index, got)
		}
	}
}

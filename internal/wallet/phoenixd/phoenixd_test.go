package phoenixd_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/regtest"
	"github.com/satsrail/satsrail/internal/wallet/lndsource"
	"github.com/satsrail/satsrail/internal/wallet/phoenixd"
	"github.com/satsrail/satsrail/internal/wallet/phoenixd/phoenixdfake"
	"github.com/satsrail/satsrail/internal/wallet/wallettest"
)

// The package's tests share one regtest network. phoenixd cannot run here
// (it needs ACINQ's LSP on mainnet or testnet): a fake (phoenixdfake)
// stands in, making its invoices on the network's merchant lnd, so
// payments are real.
var shared wallettest.SharedNetwork

func TestMain(m *testing.M) { shared.Main(m) }

type setup struct {
	n    *regtest.Network
	fake *phoenixdfake.Fake
	lnd  *lndsource.Source
}

func newSetup(t testing.TB) *setup {
	t.Helper()
	netw := shared.Get(t)
	src, err := lndsource.New(netw.Merchant.RESTURL, netw.Merchant.TLSCertPEM, netw.Merchant.AdminMacaroon)
	if err != nil {
		t.Fatal(err)
	}
	f, err := phoenixdfake.New(src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return &setup{n: netw, fake: f, lnd: src}
}

func (s *setup) client(t testing.TB, password string) *phoenixd.Client {
	t.Helper()
	c, err := phoenixd.New(phoenixd.Config{URL: s.fake.URL, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pay(t *testing.T, n *regtest.Network, bolt11 string, amount gateway.MilliSat) {
	t.Helper()
	wallettest.Pay(n)(t, bolt11, amount)
}

func newInvoice(t *testing.T, c *phoenixd.Client, amount gateway.MilliSat, memo string) gateway.Invoice {
	t.Helper()
	inv, err := c.CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: amount, Memo: memo,
		ExpiresAt: time.Now().Add(10 * time.Minute), SessionID: "cs_test"})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestConformance(t *testing.T) {
	s := newSetup(t)
	c := s.client(t, s.fake.LimitedPassword)
	if _, err := c.Test(t.Context()); err != nil {
		t.Fatal(err)
	}
	wallettest.Run(t, wallettest.Harness{
		Wallet: c,
		Pay:    wallettest.Pay(s.n),
		Decode: bolt11.Decode,
	})
}

func TestConnectionTest(t *testing.T) {
	s := newSetup(t)

	t.Run("Limited", func(t *testing.T) {
		network, err := s.client(t, s.fake.LimitedPassword).Test(t.Context())
		if err != nil || network != "regtest" {
			t.Fatalf("Test() = %q, %v; want regtest", network, err)
		}
	})

	t.Run("FullAccessRefused", func(t *testing.T) {
		_, err := s.client(t, s.fake.FullPassword).Test(t.Context())
		if !errors.Is(err, phoenixd.ErrFullAccess) || !strings.Contains(err.Error(), "http-password-limited-access") {
			t.Fatalf("Test() with the full-access password = %v, want ErrFullAccess", err)
		}
		if s.fake.Calls("/payinvoice") != 0 || s.fake.Calls("/sendtoaddress") != 0 {
			t.Error("the check called an endpoint that pays")
		}
	})

	t.Run("WrongPassword", func(t *testing.T) {
		_, err := s.client(t, "not-the-password").Test(t.Context())
		if err == nil || !strings.Contains(err.Error(), "refused the password") || strings.Contains(err.Error(), "not-the-password") {
			t.Fatalf("Test() with a wrong password = %v", err)
		}
	})

	t.Run("ChainDiffers", func(t *testing.T) {
		s := newSetup(t)
		s.fake.Chain = "mainnet"
		_, err := s.client(t, s.fake.LimitedPassword).Test(t.Context())
		if err == nil || !strings.Contains(err.Error(), "regtest") {
			t.Fatalf("Test() against a mainnet node making regtest invoices = %v", err)
		}
	})

	t.Run("NotPhoenixd", func(t *testing.T) {
		c, err := phoenixd.New(phoenixd.Config{URL: s.n.Merchant.RESTURL, Password: s.fake.LimitedPassword})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Test(t.Context()); err == nil {
			t.Fatal("Test() against lnd's REST port passed")
		}
	})
}

func TestCreate(t *testing.T) {
	s := newSetup(t)
	c := s.client(t, s.fake.LimitedPassword)

	t.Run("WholeSatoshisOnly", func(t *testing.T) {
		_, err := c.CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: 1500, ExpiresAt: time.Now().Add(time.Minute)})
		if err == nil || !strings.Contains(err.Error(), "whole satoshis") {
			t.Fatalf("CreateInvoice(1500 msat) = %v", err)
		}
		if s.fake.Calls("/createinvoice") != 0 {
			t.Error("asked the node anyway")
		}
	})

	t.Run("LongDescriptionCut", func(t *testing.T) {
		memo := strings.Repeat("é", 100) + strings.Repeat("x", 100)
		inv := newInvoice(t, c, 1000, memo)
		d, err := bolt11.Decode(inv.PaymentRequest)
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.Repeat("é", 100) + strings.Repeat("x", 28); d.Description != want {
			t.Errorf("description %q, want the first 128 characters", d.Description)
		}
	})
}

func TestLookup(t *testing.T) {
	s := newSetup(t)
	c := s.client(t, s.fake.LimitedPassword)

	t.Run("PreimageOnlyOncePaid", func(t *testing.T) {
		// phoenixd's IncomingPayment carries the preimage from the start.
		inv := newInvoice(t, c, 3000, t.Name())
		got, err := c.LookupInvoice(t.Context(), inv.PaymentHash)
		if err != nil || got.State != gateway.InvoiceOpen || got.Preimage != "" {
			t.Fatalf("open invoice: %+v, %v", got, err)
		}
	})

	t.Run("Overpaid", func(t *testing.T) {
		inv := newInvoice(t, c, 10_000, t.Name())
		pay(t, s.n, inv.PaymentRequest, 25_000)
		got, err := c.LookupInvoice(t.Context(), inv.PaymentHash)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != gateway.InvoiceSettled || got.AmountMsat != 10_000 || got.AmountPaidMsat != 25_000 || got.SettledAt.IsZero() {
			t.Errorf("got %+v; want settled, 10000, paid 25000", got)
		}
	})

	t.Run("Malformed", func(t *testing.T) {
		for _, h := range []string{"", "abc", strings.Repeat("zz", 32)} {
			if _, err := c.LookupInvoice(t.Context(), h); !errors.Is(err, gateway.ErrNotFound) {
				t.Errorf("LookupInvoice(%q) = %v, want ErrNotFound", h, err)
			}
		}
	})
}

// TestWebsocket: payments arrive as payment_received hints; a forged one
// names a hash whose lookup says unpaid.
func TestWebsocket(t *testing.T) {
	s := newSetup(t)
	c := s.client(t, s.fake.LimitedPassword)
	hints := make(chan string, 10)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- c.SubscribeSettled(ctx, 0, nil, func(hash string, idx uint64) error {
			if idx != 0 {
				t.Errorf("index %d: phoenixd has no cursor", idx)
			}
			hints <- hash
			return nil
		})
	}()
	joined(t, s)

	inv := newInvoice(t, c, 4000, t.Name())
	s.fake.Broadcast(map[string]any{"type": "payment_received", "timestamp": time.Now().UnixMilli(), "amountSat": 4, "paymentHash": inv.PaymentHash})
	if got := <-hints; got != inv.PaymentHash {
		t.Fatalf("forged hint %s, want %s", got, inv.PaymentHash)
	}
	if got, err := c.LookupInvoice(t.Context(), inv.PaymentHash); err != nil || got.State != gateway.InvoiceOpen {
		t.Fatalf("after a forged hint the lookup says %+v, %v; want open", got, err)
	}
	start := time.Now()
	pay(t, s.n, inv.PaymentRequest, 0)
	select {
	case got := <-hints:
		if got != inv.PaymentHash {
			t.Fatalf("hint %s, want %s", got, inv.PaymentHash)
		}
		t.Logf("pay → hint: %s (the pay call returns once the payment succeeded)", time.Since(start))
	case <-time.After(30 * time.Second):
		t.Fatal("no payment_received")
	}
	s.fake.Broadcast(map[string]any{"type": "something_else", "paymentHash": inv.PaymentHash})
	s.fake.Broadcast(json.RawMessage(`"not an object"`))

	s.fake.DropStreams()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, context.Canceled) {
			t.Errorf("SubscribeSettled after the websocket dropped = %v, want an error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the subscription outlived its websocket")
	}
	select {
	case h := <-hints:
		t.Errorf("a message that is not payment_received became hint %s", h)
	default:
	}
	cancel()
}

func joined(t *testing.T, s *setup) {
	t.Helper()
	select {
	case <-s.fake.Joined():
	case <-time.After(30 * time.Second):
		t.Fatal("no websocket client joined")
	}
}

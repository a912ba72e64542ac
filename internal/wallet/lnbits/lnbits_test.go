package lnbits_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/regtest"
	"github.com/satsrail/satsrail/internal/wallet/lnbits"
	"github.com/satsrail/satsrail/internal/wallet/lnbits/lnbitstest"
	"github.com/satsrail/satsrail/internal/wallet/wallettest"
)

func TestNewRefuses(t *testing.T) {
	for _, c := range []lnbits.Config{
		{URL: "http://lnbits.example.com", APIKey: strings.Repeat("ab", 16)}, // plain http on the internet
		{URL: "https://lnbits.example.com?x=1", APIKey: strings.Repeat("ab", 16)},
		{URL: "https://user:pw@lnbits.example.com", APIKey: strings.Repeat("ab", 16)},
		{URL: "https://lnbits.example.com", APIKey: "not-a-key"},
		{URL: "https://lnbits.example.com", APIKey: strings.Repeat("ab", 16), Network: "litecoin"},
	} {
		if _, err := lnbits.New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

// TestLNbits runs the conformance suite and LNbits's own cases against the
// fake LNbits, whose invoices are the regtest merchant lnd's, paid by the
// customer lnd.
func TestLNbits(t *testing.T) {
	net := regtest.Start(t)
	srv := lnbitstest.Start(t, net.Merchant)
	open := func(t *testing.T, key string) *lnbits.Client {
		t.Helper()
		c, err := lnbits.New(lnbits.Config{URL: srv.URL(), APIKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	pay := func(t *testing.T, bolt11 string, _ gateway.MilliSat) {
		if err := net.Pay(bolt11); err != nil {
			t.Fatalf("customer pay: %v", err)
		}
	}

	t.Run("conformance", func(t *testing.T) {
		wallettest.Run(t, wallettest.Harness{Wallet: open(t, srv.InvoiceKey), Decode: bolt11.Decode, Pay: pay})
	})

	t.Run("admin key refused", func(t *testing.T) {
		if _, err := open(t, srv.AdminKey).Test(t.Context()); !errors.Is(err, lnbits.ErrAdminKey) {
			t.Fatalf("Test with the admin key = %v, want ErrAdminKey", err)
		}
		if network, err := open(t, srv.InvoiceKey).Test(t.Context()); err != nil || network != "regtest" {
			t.Fatalf("Test with the invoice key = %q, %v", network, err)
		}
	})

	t.Run("unknown key", func(t *testing.T) {
		_, err := open(t, strings.Repeat("cd", 16)).Test(t.Context())
		if err == nil || !strings.Contains(err.Error(), "Invoice/read key") {
			t.Fatalf("Test with an unknown key = %v", err)
		}
	})

	t.Run("down", func(t *testing.T) {
		srv.SetDown(true)
		defer srv.SetDown(false)
		_, err := open(t, srv.InvoiceKey).CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: 1000, ExpiresAt: time.Now().Add(time.Minute)})
		if err == nil || strings.Contains(err.Error(), "upstream unavailable") {
			t.Fatalf("CreateInvoice with LNbits down = %v; want an error not quoting its body", err)
		}
	})

	t.Run("websocket hints, forged and real", func(t *testing.T) {
		c := open(t, srv.InvoiceKey)
		inv, err := c.CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: 5000, Memo: "hinted", ExpiresAt: time.Now().Add(10 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		hints := make(chan string, 10)
		done := make(chan error, 1)
		go func() { done <- c.PaymentHints(t.Context(), func(h string) { hints <- h }) }()
		// Anyone may broadcast on the wallet's channel (the key is in
		// the URL of every page that listens): forge a paid payment.
		forged := `{"wallet_balance":1000000,"payment":{"payment_hash":"` + inv.PaymentHash + `","status":"success","amount":5000}}`
		// Hints of the earlier subtests' real payments may still arrive
		// (the wallet's channel carries every payment): only this
		// invoice's hints count.
		var h string
		for h != inv.PaymentHash {
			res, err := http.Post(srv.URL()+"/api/v1/ws/"+srv.InvoiceKey, "text/plain", strings.NewReader(forged))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			select {
			case h = <-hints:
			case err := <-done:
				t.Fatalf("PaymentHints ended: %v", err)
			case <-time.After(100 * time.Millisecond): // not subscribed yet: send again
			}
		}
		got, err := c.LookupInvoice(t.Context(), h)
		if err != nil || got.State != gateway.InvoiceOpen {
			t.Fatalf("after a forged hint the lookup says %+v, %v; want open", got, err)
		}
		if err := net.Pay(inv.PaymentRequest); err != nil {
			t.Fatal(err)
		}
		// The forged message may have been sent more than once: a hint of
		// this invoice is proof of nothing until its lookup says settled.
		deadline := time.After(30 * time.Second)
		for settled := false; !settled; {
			select {
			case h = <-hints:
			case <-deadline:
				t.Fatal("no hint for a real payment")
			}
			if h != inv.PaymentHash {
				continue
			}
			got, err := c.LookupInvoice(t.Context(), h)
			if err != nil {
				t.Fatalf("after the payment the lookup says %+v, %v", got, err)
			}
			settled = got.State == gateway.InvoiceSettled
		}
	})
}

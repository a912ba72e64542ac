package lndhub_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/regtest"
	"github.com/satsrail/satsrail/internal/wallet/lndhub"
	"github.com/satsrail/satsrail/internal/wallet/lndhub/lndhubtest"
	"github.com/satsrail/satsrail/internal/wallet/wallettest"
)

func TestParseURI(t *testing.T) {
	c, err := lndhub.ParseURI("lndhub://a1b2:c3:d4@https://hub.example.com/prefix")
	if err != nil || c.Login != "a1b2" || c.Password != "c3:d4" || c.URL != "https://hub.example.com/prefix" {
		t.Fatalf("ParseURI = %+v, %v", c, err)
	}
	for _, bad := range []string{"", "https://hub.example.com", "lndhub://hub.example.com", "lndhub://:pw@https://hub.example.com",
		"lndhub://login@https://hub.example.com"} {
		if _, err := lndhub.ParseURI(bad); err == nil {
			t.Errorf("ParseURI(%q) accepted", bad)
		}
	}
	if _, err := lndhub.New(lndhub.Config{URL: "http://hub.example.com", Login: "a", Password: "b"}); err == nil {
		t.Error("plain http to an internet host accepted")
	}
}

// TestLNDhub runs the conformance suite and the hub's own cases against the
// fake hub, whose invoices are the regtest merchant lnd's, paid by the
// customer lnd.
func TestLNDhub(t *testing.T) {
	net := regtest.Start(t)
	hub := lndhubtest.Start(t, net.Merchant)
	open := func(t *testing.T) *lndhub.Client {
		t.Helper()
		cfg, err := lndhub.ParseURI(hub.URI())
		if err != nil {
			t.Fatal(err)
		}
		c, err := lndhub.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	t.Run("conformance", func(t *testing.T) {
		wallettest.Run(t, wallettest.Harness{Wallet: open(t), Decode: bolt11.Decode,
			Pay: func(t *testing.T, bolt11 string, _ gateway.MilliSat) {
				if err := net.Pay(bolt11); err != nil {
					t.Fatalf("customer pay: %v", err)
				}
			}})
	})

	t.Run("connection test", func(t *testing.T) {
		if network, err := open(t).Test(t.Context()); err != nil || network != "regtest" {
			t.Fatalf("Test = %q, %v", network, err)
		}
	})

	t.Run("expired token is renewed", func(t *testing.T) {
		c := open(t)
		req := gateway.InvoiceRequest{AmountMsat: 2000, Memo: "renew", ExpiresAt: time.Now().Add(10 * time.Minute)}
		if _, err := c.CreateInvoice(t.Context(), req); err != nil {
			t.Fatal(err)
		}
		before := hub.Auths.Load()
		hub.ExpireTokens()
		if _, err := c.CreateInvoice(t.Context(), req); err != nil {
			t.Fatalf("after the token expired: %v", err)
		}
		if hub.Auths.Load() != before+1 {
			t.Errorf("%d authentications for one expired token", hub.Auths.Load()-before)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		cfg, _ := lndhub.ParseURI(hub.URI())
		cfg.Password += "x"
		c, _ := lndhub.New(cfg)
		if _, err := c.Test(t.Context()); err == nil || !strings.Contains(err.Error(), "refused the login") {
			t.Fatalf("Test with a wrong password = %v", err)
		}
	})

	t.Run("classic hub without preimages refused", func(t *testing.T) {
		hub.SetClassic(true)
		defer hub.SetClassic(false)
		if _, err := open(t).Test(t.Context()); !errors.Is(err, lndhub.ErrNoPreimage) {
			t.Fatalf("Test on a classic hub = %v, want ErrNoPreimage", err)
		}
	})
}

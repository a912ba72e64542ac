package nwc_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/satsrail/satsrail/internal/albyhub"
	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/nostrrelay"
	"github.com/satsrail/satsrail/internal/regtest"
	"github.com/satsrail/satsrail/internal/wallet/nwc"
	"github.com/satsrail/satsrail/internal/wallet/wallettest"
)

// receiveOnlyScopes are the Alby Hub scopes of the connection a merchant
// gives satsrail: "Create invoices", "Lookup status of invoices", "Read
// your node info" and "Receive wallet notifications".
var receiveOnlyScopes = []string{"make_invoice", "lookup_invoice", "get_info", "notifications"}

// hubLND is how Alby Hub reaches the merchant's regtest lnd: gRPC with the
// admin macaroon (the hub manages the node).
func hubLND(n *regtest.Network) albyhub.LND {
	return albyhub.LND{
		GRPCAddr:     n.Merchant.RPCAddr,
		CertFile:     filepath.Join(n.Merchant.Dir, "tls.cert"),
		MacaroonFile: filepath.Join(n.Merchant.Dir, "data", "chain", "bitcoin", "regtest", "admin.macaroon"),
	}
}

// hubClient makes an app connection with scopes in hub and returns a client
// on it, once the hub's info event for it is on the relay.
func hubClient(t *testing.T, hub *albyhub.Hub, relay *nostrrelay.Relay, scopes ...string) *nwc.Client {
	t.Helper()
	app := hub.CreateApp(t, "satsrail "+t.Name(), scopes...)
	ctx := t.Context()
	if _, err := relay.WaitStored(ctx, nostr.Filter{Kinds: []int{nwc.KindInfo}, Authors: []string{app.WalletPubKey}}); err != nil {
		t.Fatalf("the hub's info event never reached the relay: %v", err)
	}
	conn, err := nwc.ParseURI(app.PairingURI)
	if err != nil {
		t.Fatal(err)
	}
	if len(conn.Relays) != 1 || conn.Relays[0] != relay.URL {
		t.Fatalf("pairing URI relays %v, want %s", conn.Relays, relay.URL)
	}
	c, err := nwc.New(nwc.Config{Connection: conn, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAlbyHub runs the backend against the real Alby Hub on the merchant's
// regtest lnd, the customer's lnd paying.
func TestAlbyHub(t *testing.T) {
	n := regtest.Start(t)
	relay := nostrrelay.Start(t)
	hub := albyhub.Start(t, relay.URL, hubLND(n))

	t.Run("Conformance", func(t *testing.T) {
		c := hubClient(t, hub, relay, receiveOnlyScopes...)
		network, err := c.Test(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if network != "regtest" || c.Encryption() != "nip44_v2" {
			t.Fatalf("Test() = %q over %q, want regtest over nip44_v2", network, c.Encryption())
		}
		wallettest.Run(t, wallettest.Harness{
			Wallet: c,
			Pay: func(t *testing.T, bolt11 string, amount gateway.MilliSat) {
				var err error
				if amount == 0 {
					err = n.Pay(bolt11)
				} else {
					err = n.PayAmount(bolt11, int64(amount))
				}
				if err != nil {
					t.Fatal(err)
				}
			},
			Decode: bolt11.Decode,
		})
	})

	t.Run("NotificationOfARealPayment", func(t *testing.T) {
		c := hubClient(t, hub, relay, receiveOnlyScopes...)
		after := len(relay.Seen())
		hashes, _ := subscribe(t, c)
		waitSubscribed(t, relay, after)
		inv := newInvoice(t, c)
		if err := n.Pay(inv.PaymentRequest); err != nil {
			t.Fatal(err)
		}
		select {
		case h := <-hashes:
			if h != inv.PaymentHash {
				t.Fatalf("notified %s, want %s", h, inv.PaymentHash)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Alby Hub's payment_received never arrived")
		}
	})

	t.Run("SpendCapableRefused", func(t *testing.T) {
		c := hubClient(t, hub, relay, append([]string{"pay_invoice"}, receiveOnlyScopes...)...)
		_, err := c.Test(t.Context())
		if !errors.Is(err, nwc.ErrNotReceiveOnly) || !strings.Contains(err.Error(), "pay_invoice") {
			t.Fatalf("Test() on a connection with pay_invoice = %v, want ErrNotReceiveOnly", err)
		}
	})

	t.Run("Asleep", func(t *testing.T) {
		c := hubClient(t, hub, relay, receiveOnlyScopes...)
		if _, err := c.Test(t.Context()); err != nil {
			t.Fatal(err)
		}
		hub.Stop()
		_, err := c.CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: 1000, ExpiresAt: time.Now().Add(time.Minute)})
		if err == nil {
			t.Fatal("an invoice was made with Alby Hub stopped")
		}
		hub.Restart(t)
		// The hub subscribes to the relay shortly after it reports running.
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := c.CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: 1000, ExpiresAt: time.Now().Add(time.Minute)})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no invoice 30s after Alby Hub came back: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

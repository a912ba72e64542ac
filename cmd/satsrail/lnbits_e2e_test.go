package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/regtest"
	"github.com/satsrail/satsrail/internal/wallet/lnbits/lnbitstest"
	"github.com/satsrail/satsrail/internal/wallet/lndhub/lndhubtest"
)

// TestLNbitsEndToEnd connects the fake LNbits (its invoices the regtest
// merchant lnd's, paid by the customer lnd) through the binary: the admin
// key refused, the invoice key connected, a payment found by polling, a
// forged websocket message that settles nothing, and a payment made while
// the gateway is stopped found at start. Then the same merchant switches to
// the fake LNDhub: a classic hub (no preimages) refused, lndhub.go's
// connected, and a payment found by polling.
func TestLNbitsEndToEnd(t *testing.T) {
	outer := t
	net := regtest.Start(t)
	lnb := lnbitstest.Start(t, net.Merchant)
	dir := t.TempDir()
	sk := newMerchant(t, dir)
	args := []string{"--data-dir", dir, "--fixed-rates", "usd=65000", "--checkout-ttl", "5m"}
	g := start(t, args...)
	api := g.url + "/api/v1"
	connect := func(key string) (int, map[string]any) {
		return call(t, "PUT", api+"/wallet", sk, map[string]any{"wallet": map[string]any{
			"type": "lnbits", "url": lnb.URL(), "api_key": key}})
	}
	if status, body := connect(lnb.AdminKey); status != 422 || !strings.Contains(mustJSON(body), "Invoice/read key") {
		t.Fatalf("admin key: %d %v", status, body)
	}
	if status, body := connect(lnb.InvoiceKey); status != 200 || body["type"] != "lnbits" || body["network"] != "regtest" {
		t.Fatalf("connect: %d %v", status, body)
	}
	if strings.Contains(g.stdout.String(), lnb.InvoiceKey) || strings.Contains(g.stdout.String(), lnb.AdminKey) {
		t.Fatal("an LNbits key reached the output")
	}
	newSession := func(t *testing.T) (string, map[string]any) {
		t.Helper()
		_, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
		id := s["id"].(string)
		page(t, g.url+"/checkout/"+id)
		_, s = call(t, "GET", api+"/checkout_sessions/"+id, sk, nil)
		return id, s
	}

	t.Run("forged websocket message, then payment", func(t *testing.T) {
		id, s := newSession(t)
		hash := s["payment_hash"].(string)
		forged := `{"wallet_balance":1,"payment":{"payment_hash":"` + hash + `","status":"success","amount":76924000}}`
		before := lnb.Lookups.Load()
		for lnb.Lookups.Load() < before+3 { // broadcast until the gateway has looked it up a few times
			res, err := http.Post(lnb.URL()+"/api/v1/ws/"+lnb.InvoiceKey, "text/plain", strings.NewReader(forged))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			waitLookups(t, lnb, lnb.Lookups.Load()+1)
		}
		if _, s := call(t, "GET", api+"/checkout_sessions/"+id, sk, nil); s["status"] != "pending" {
			t.Fatalf("after forged messages the session is %v", s["status"])
		}
		if err := net.Pay(s["payment_request"].(string)); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, api, sk, id, "completed")
	})

	t.Run("paid while the gateway is stopped", func(t *testing.T) {
		id, s := newSession(t)
		g.cmd.Process.Kill()
		g.cmd.Wait()
		if err := net.Pay(s["payment_request"].(string)); err != nil {
			t.Fatal(err)
		}
		g = start(outer, args...)
		api = g.url + "/api/v1"
		waitStatus(t, api, sk, id, "completed")
	})

	t.Run("lndhub", func(t *testing.T) {
		hub := lndhubtest.Start(t, net.Merchant)
		put := func() (int, map[string]any) {
			return call(t, "PUT", api+"/wallet", sk, map[string]any{"wallet": map[string]any{
				"type": "lndhub", "connection_string": hub.URI()}})
		}
		hub.SetClassic(true)
		if status, body := put(); status != 422 || !strings.Contains(mustJSON(body), "preimage") {
			t.Fatalf("classic hub: %d %v", status, body)
		}
		hub.SetClassic(false)
		if status, body := put(); status != 200 || body["type"] != "lndhub" || body["network"] != "regtest" {
			t.Fatalf("connect: %d %v", status, body)
		}
		if strings.Contains(g.stdout.String(), hub.Password) {
			t.Fatal("the hub password reached the output")
		}
		id, s := newSession(t)
		if err := net.Pay(s["payment_request"].(string)); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, api, sk, id, "completed")
	})
}

// waitLookups waits until the fake LNbits has answered n invoice lookups.
func waitLookups(t *testing.T, lnb *lnbitstest.Server, n int64) {
	t.Helper()
	waitFor(t, "LNbits lookups", func() bool { return lnb.Lookups.Load() >= n })
}

// waitFor polls cond until it holds, failing after 30 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

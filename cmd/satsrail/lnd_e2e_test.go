package main

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/regtest"
	"github.com/satsrail/satsrail/webhook"
)

// TestLNDEndToEnd runs the seed's flow on real lnd nodes on a local regtest
// network: the merchant's LND is connected by API with an invoice-only
// macaroon, the customer's node pays the hosted page's invoice, and the
// merchant's backend gets the verified webhook. Then: a payment made while
// the gateway is stopped, one made after the merchant's node restarted, an
// expired invoice, and the admin macaroon refused.
func TestLNDEndToEnd(t *testing.T) {
	outer := t
	net := regtest.Start(t)
	t.Logf("regtest network up in %s", net.StartupTime)
	dir := t.TempDir()
	sk := newMerchant(t, dir)
	h := newHook(t)
	// No periodic reconciliation (the default): payments are found by the
	// settlement stream, and by the sweeps at start and after a reconnect.
	args := []string{"--data-dir", dir, "--fixed-rates", "usd=65000", "--checkout-ttl", "20s"}
	g := start(t, args...)
	api := g.url + "/api/v1"

	// The admin macaroon can spend: refused, with the way out.
	status, body := call(t, "PUT", api+"/wallet", sk, map[string]any{"wallet": map[string]any{
		"type": "lnd", "connection_string": net.Merchant.LNDConnect(net.Merchant.AdminMacaroon)}})
	if status != 422 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "bakemacaroon invoices:read invoices:write") {
		t.Fatalf("admin macaroon: %d %v", status, body)
	}
	// The invoice macaroon is connected after a live connection test.
	status, body = call(t, "PUT", api+"/wallet", sk, map[string]any{"wallet": map[string]any{
		"type": "lnd", "connection_string": net.Merchant.LNDConnect(net.Merchant.InvoiceMacaroon)}})
	if status != 200 || body["type"] != "lnd" || body["network"] != "regtest" || !strings.HasPrefix(body["id"].(string), "wal_") {
		t.Fatalf("connect: %d %v", status, body)
	}
	for _, secret := range [][]byte{net.Merchant.InvoiceMacaroon, net.Merchant.AdminMacaroon} {
		if b := g.stdout.String(); strings.Contains(b, hex.EncodeToString(secret)) {
			t.Fatal("a macaroon reached the output")
		}
	}
	if status, w := call(t, "GET", api+"/wallet", sk, nil); status != 200 || w["health"] == nil || strings.Contains(mustJSON(w), "macaroon") {
		t.Fatalf("GET /wallet: %d %v", status, w)
	}
	if status, w := call(t, "POST", api+"/wallet/test", sk, nil); status != 200 || w["ok"] != true {
		t.Fatalf("wallet test: %d %v", status, w)
	}
	secret := register(t, api, sk, h.srv.URL)

	pay := func(t *testing.T, id string) {
		t.Helper()
		_, s := call(t, "GET", api+"/checkout_sessions/"+id, sk, nil)
		if err := net.Pay(s["payment_request"].(string)); err != nil {
			t.Fatalf("customer pay: %v", err)
		}
	}
	newSession := func(t *testing.T) (string, string) {
		t.Helper()
		_, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
		id := s["id"].(string)
		page(t, g.url+"/checkout/"+id)
		_, s = call(t, "GET", api+"/checkout_sessions/"+id, sk, nil)
		return id, s["payment_request"].(string)
	}

	t.Run("pay", func(t *testing.T) {
		id, _ := newSession(t)
		pay(t, id)
		s := waitStatus(t, api, sk, id, "completed")
		_, l := call(t, "GET", api+"/transactions?checkout_session_id="+id, sk, nil)
		tx := l["data"].([]any)[0].(map[string]any)
		pre, _ := hex.DecodeString(tx["preimage"].(string))
		sum := sha256.Sum256(pre)
		if hex.EncodeToString(sum[:]) != s["payment_hash"] || tx["amount_msat"] != 76924000.0 {
			t.Fatalf("transaction %v", tx)
		}
		h.waitCount(t, 1)
		ev, err := webhook.ConstructEvent(h.bodies[0], h.heads[0], secret)
		if err != nil || ev.CheckoutID != id || ev.Type != "checkout.completed" || ev.Preimage != tx["preimage"] {
			t.Fatalf("webhook %+v %v", ev, err)
		}
	})

	t.Run("paid while the gateway is stopped", func(t *testing.T) {
		id, bolt11 := newSession(t)
		g.cmd.Process.Kill()
		g.cmd.Wait()
		if err := net.Pay(bolt11); err != nil {
			t.Fatalf("customer pay while the gateway is down: %v", err)
		}
		g = start(outer, args...) // lives past this subtest
		api = g.url + "/api/v1"
		waitStatus(t, api, sk, id, "completed")
	})

	t.Run("paid after the merchant node restarted", func(t *testing.T) {
		id, bolt11 := newSession(t)
		net.RestartMerchant(t)
		if err := net.Pay(bolt11); err != nil {
			t.Fatalf("customer pay: %v", err)
		}
		waitStatus(t, api, sk, id, "completed")
	})

	t.Run("expired invoice", func(t *testing.T) {
		id, bolt11 := newSession(t)
		waitStatus(t, api, sk, id, "expired") // checkout TTL 20s
		// BOLT11 expiry has one-second resolution and lnd counts from its
		// own creation second: give the invoice's last second time to pass.
		time.Sleep(3 * time.Second)
		if err := net.Pay(bolt11); err == nil {
			t.Fatal("an expired invoice was paid")
		}
		if _, s := call(t, "GET", api+"/checkout_sessions/"+id, sk, nil); s["checkout_session"].(map[string]any)["status"] != "expired" {
			t.Fatalf("session %v", s)
		}
	})

	t.Run("latency", func(t *testing.T) {
		// Time from the customer's pay command to the webhook received.
		const n = 100
		var mu sync.Mutex
		got := map[string]time.Time{}
		recv := newHook(t)
		recv.status = func(int) int { return 200 }
		lsecret := register(t, api, sk, recv.srv.URL)
		var lat []time.Duration
		parsed := 0
		for i := range n {
			id, bolt11 := newSession(t)
			start := time.Now()
			if err := net.Pay(bolt11); err != nil {
				t.Fatalf("pay %d: %v", i, err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				recv.mu.Lock()
				for ; parsed < len(recv.bodies); parsed++ {
					j := parsed
					ev, err := webhook.ConstructEvent(recv.bodies[j], recv.heads[j], lsecret)
					if err == nil {
						mu.Lock()
						got[ev.CheckoutID] = time.Now()
						mu.Unlock()
					}
				}
				recv.mu.Unlock()
				mu.Lock()
				at, ok := got[id]
				mu.Unlock()
				if ok {
					lat = append(lat, at.Sub(start))
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("payment %d: no webhook", i)
				}
				time.Sleep(2 * time.Millisecond)
			}
		}
		slices.Sort(lat)
		t.Logf("pay → webhook over %d regtest payments: p50 %s, p99 %s, max %s", n, lat[n/2], lat[n*99/100], lat[n-1])
	})
}

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/satsrail/satsrail/internal/albyhub"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/nostrrelay"
	"github.com/satsrail/satsrail/internal/regtest"
	"github.com/satsrail/satsrail/internal/wallet/nwc"
	"github.com/satsrail/satsrail/webhook"
)

// nwcReceiveOnly are the Alby Hub scopes of a receive-only connection.
var nwcReceiveOnly = []string{"make_invoice", "lookup_invoice", "get_info", "notifications"}

// TestNWCEndToEnd runs the flow on the real Alby Hub: the merchant's hub
// (on the merchant's regtest lnd, talking through a local khatru relay) is
// connected by API with a receive-only NWC connection, the customer's node
// pays the hosted page's invoice, Alby Hub notifies, the session completes
// and the merchant's backend gets the verified webhook. Then: a payment
// made while the gateway is stopped, and the hub asleep at invoice time.
//
// SATSRAIL_NWC_MEASURE=N adds a measurement (not a check) over N payments:
// pay → webhook latency and the invoice creation time at each layer.
func TestNWCEndToEnd(t *testing.T) {
	outer := t
	net := regtest.Start(t)
	relay := nostrrelay.Start(t)
	hub := albyhub.Start(t, relay.URL, albyhub.LND{
		GRPCAddr:     net.Merchant.RPCAddr,
		CertFile:     filepath.Join(net.Merchant.Dir, "tls.cert"),
		MacaroonFile: filepath.Join(net.Merchant.Dir, "data", "chain", "bitcoin", "regtest", "admin.macaroon"),
	})
	app := func(name string, scopes ...string) albyhub.App {
		a := hub.CreateApp(t, name, scopes...)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if _, err := relay.WaitStored(ctx, nostr.Filter{Kinds: []int{nwc.KindInfo}, Authors: []string{a.WalletPubKey}}); err != nil {
			t.Fatalf("the hub's info event for %s never reached the relay: %v", name, err)
		}
		return a
	}
	dir := t.TempDir()
	sk := newMerchant(t, dir)
	h := newHook(t)
	args := []string{"--data-dir", dir, "--fixed-rates", "usd=65000", "--checkout-ttl", "10m"}
	g := start(t, args...)
	api := g.url + "/api/v1"
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway output:\n%s", g.stdout)
		}
	})

	// A connection that can pay: refused, with the way out.
	spender := app("spender", append([]string{"pay_invoice"}, nwcReceiveOnly...)...)
	status, body := call(t, "PUT", api+"/wallet", sk, map[string]any{"wallet": map[string]any{
		"type": "nwc", "connection_string": spender.PairingURI}})
	if status != 422 || !strings.Contains(mustJSON(body), "Read Only") || !strings.Contains(mustJSON(body), "pay_invoice") {
		t.Fatalf("spend-capable connection: %d %v", status, body)
	}
	// The receive-only one is connected after a live connection test.
	shop := app("satsrail", nwcReceiveOnly...)
	status, body = call(t, "PUT", api+"/wallet", sk, map[string]any{"wallet": map[string]any{
		"type": "nwc", "connection_string": shop.PairingURI}})
	if status != 200 || body["type"] != "nwc" || body["network"] != "regtest" || !strings.HasPrefix(body["id"].(string), "wal_") {
		t.Fatalf("connect: %d %v", status, body)
	}
	for _, a := range []albyhub.App{spender, shop} {
		c, _ := nwc.ParseURI(a.PairingURI)
		if strings.Contains(g.stdout.String(), c.Secret) || strings.Contains(mustJSON(body), c.Secret) {
			t.Fatal("an NWC secret reached the output or the API")
		}
	}
	if status, w := call(t, "GET", api+"/wallet", sk, nil); status != 200 || w["health"] == nil || strings.Contains(mustJSON(w), "secret") {
		t.Fatalf("GET /wallet: %d %v", status, w)
	}
	if status, w := call(t, "POST", api+"/wallet/test", sk, nil); status != 200 || w["ok"] != true {
		t.Fatalf("wallet test: %d %v", status, w)
	}
	secret := register(t, api, sk, h.srv.URL)

	newSession := func(t *testing.T) (string, string) {
		t.Helper()
		_, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
		id := s["id"].(string)
		page(t, g.url+"/checkout/"+id)
		_, s = call(t, "GET", api+"/checkout_sessions/"+id, sk, nil)
		return id, s["payment_request"].(string)
	}

	t.Run("pay", func(t *testing.T) {
		id, bolt11 := newSession(t)
		if err := net.Pay(bolt11); err != nil {
			t.Fatalf("customer pay: %v", err)
		}
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

	t.Run("hub asleep at invoice time", func(t *testing.T) {
		_, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
		id := s["id"].(string)
		hub.Stop()
		res, err := http.Get(g.url + "/checkout/" + id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 503 || !strings.Contains(string(b), "Unable to generate invoice") {
			t.Fatalf("page with the hub asleep: %d\n%s", res.StatusCode, b)
		}
		hub.Restart(t)
		// The page retries (Retry-After); the hub subscribes to its relay
		// shortly after it reports running.
		deadline := time.Now().Add(60 * time.Second)
		for {
			res, err := http.Get(g.url + "/checkout/" + id)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("page still %d a minute after the hub came back", res.StatusCode)
			}
			time.Sleep(500 * time.Millisecond)
		}
		_, s = call(t, "GET", api+"/checkout_sessions/"+id, sk, nil)
		if err := net.Pay(s["payment_request"].(string)); err != nil {
			t.Fatalf("customer pay: %v", err)
		}
		waitStatus(t, api, sk, id, "completed")
	})

	n, _ := strconv.Atoi(os.Getenv("SATSRAIL_NWC_MEASURE"))
	if n <= 0 {
		return
	}
	t.Run("measure", func(t *testing.T) {
		measureNWC(t, n, net, hub, shop, api, sk, g.url)
	})
}

// measureNWC logs (never checks) pay → checkout.completed webhook latency
// over n payments, and the invoice creation time at each layer: Alby Hub's
// own HTTP API, a bare NWC client, and the hosted page's first load.
func measureNWC(t *testing.T, n int, net *regtest.Network, hub *albyhub.Hub, shop albyhub.App, api, sk, base string) {
	recv := newHook(t)
	secret := register(t, api, sk, recv.srv.URL)
	conn, _ := nwc.ParseURI(shop.PairingURI)
	client, err := nwc.New(nwc.Config{Connection: conn})
	if err != nil {
		t.Fatal(err)
	}
	var hubAPI, bare, pageLoad, payToHook []time.Duration
	parsed := 0
	got := map[string]time.Time{}
	for i := range n {
		begin := time.Now()
		if err := hub.MakeInvoice(t.Context(), 76924000, "measure"); err != nil {
			t.Fatal(err)
		}
		hubAPI = append(hubAPI, time.Since(begin))
		begin = time.Now()
		if _, err := client.CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: 76924000, Memo: "measure", ExpiresAt: time.Now().Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		bare = append(bare, time.Since(begin))

		_, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
		id := s["id"].(string)
		begin = time.Now()
		page(t, base+"/checkout/"+id)
		pageLoad = append(pageLoad, time.Since(begin))
		_, s = call(t, "GET", api+"/checkout_sessions/"+id, sk, nil)
		begin = time.Now()
		if err := net.Pay(s["payment_request"].(string)); err != nil {
			t.Fatalf("pay %d: %v", i, err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			recv.mu.Lock()
			for ; parsed < len(recv.bodies); parsed++ {
				if ev, err := webhook.ConstructEvent(recv.bodies[parsed], recv.heads[parsed], secret); err == nil {
					got[ev.CheckoutID] = time.Now()
				}
			}
			recv.mu.Unlock()
			if at, ok := got[id]; ok {
				payToHook = append(payToHook, at.Sub(begin))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("payment %d: no webhook", i)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	q := func(d []time.Duration) string {
		d = slices.Clone(d)
		slices.Sort(d)
		return "p50 " + d[len(d)/2].Round(100*time.Microsecond).String() + ", p99 " +
			d[len(d)*99/100].Round(100*time.Microsecond).String() + ", max " + d[len(d)-1].Round(100*time.Microsecond).String()
	}
	t.Logf("over %d payments on regtest through Alby Hub %s:", n, albyhub.Version)
	t.Logf("  pay → checkout.completed webhook:       %s", q(payToHook))
	t.Logf("  invoice via Alby Hub's HTTP API:        %s", q(hubAPI))
	t.Logf("  invoice via a bare NWC client (relay):  %s", q(bare))
	t.Logf("  hosted page first load (makes invoice): %s", q(pageLoad))
}

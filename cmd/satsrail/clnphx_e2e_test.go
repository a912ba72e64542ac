package main

import (
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/regtest"
	"github.com/satsrail/satsrail/internal/wallet/cln/clnfake"
	"github.com/satsrail/satsrail/internal/wallet/lndsource"
	"github.com/satsrail/satsrail/internal/wallet/phoenixd/phoenixdfake"
)

// TestFakedWalletsEndToEnd connects a Core Lightning node and a phoenixd
// to the real binary by API — both fakes of their documented HTTP APIs
// (neither can run here) whose invoices are made on the regtest merchant
// lnd — refuses their spend-capable credentials, and completes sessions
// paid by the customer lnd, one of them paid while the gateway was
// stopped.
func TestFakedWalletsEndToEnd(t *testing.T) {
	outer := t
	net := regtest.Start(t)
	src, err := lndsource.New(net.Merchant.RESTURL, net.Merchant.TLSCertPEM, net.Merchant.AdminMacaroon)
	if err != nil {
		t.Fatal(err)
	}
	clnNode, err := clnfake.New(src)
	if err != nil {
		t.Fatal(err)
	}
	defer clnNode.Close()
	phx, err := phoenixdfake.New(src)
	if err != nil {
		t.Fatal(err)
	}
	defer phx.Close()
	receive := []string{"method=invoice", "method=listinvoices", "method=waitanyinvoice", "method=waitinvoice", "method=getinfo"}
	clnRune := clnNode.Rune(receive)

	dir := t.TempDir()
	sk := newMerchant(t, dir)
	args := []string{"--data-dir", dir, "--fixed-rates", "usd=65000"}
	g := start(t, args...)
	api := g.url + "/api/v1"

	newSession := func(t *testing.T) (string, string) {
		t.Helper()
		_, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
		id := s["id"].(string)
		page(t, g.url+"/checkout/"+id)
		_, s = call(t, "GET", api+"/checkout_sessions/"+id, sk, nil)
		return id, s["payment_request"].(string)
	}
	for _, b := range []struct {
		typ     string
		refused map[string]any // spend-capable
		why     string         // what the refusal says
		good    map[string]any
		secret  string
	}{
		{"cln",
			map[string]any{"type": "cln", "rest_url": clnNode.URL, "rune": clnNode.Rune(), "tls_cert": string(clnNode.CACertPEM)},
			"lightning-cli createrune restrictions=",
			map[string]any{"type": "cln", "rest_url": clnNode.URL, "rune": clnRune, "tls_cert": string(clnNode.CACertPEM)},
			clnRune},
		{"phoenixd",
			map[string]any{"type": "phoenixd", "url": phx.URL, "password": phx.FullPassword},
			"http-password-limited-access",
			map[string]any{"type": "phoenixd", "url": phx.URL, "password": phx.LimitedPassword},
			phx.LimitedPassword},
	} {
		t.Run(b.typ, func(t *testing.T) {
			status, body := call(t, "PUT", api+"/wallet", sk, map[string]any{"wallet": b.refused})
			if status != 422 || !strings.Contains(mustJSON(body), b.why) {
				t.Fatalf("spend-capable %s credential: %d %v", b.typ, status, body)
			}
			status, body = call(t, "PUT", api+"/wallet", sk, map[string]any{"wallet": b.good})
			if status != 200 || body["type"] != b.typ || body["network"] != "regtest" {
				t.Fatalf("connect %s: %d %v", b.typ, status, body)
			}
			if status, w := call(t, "GET", api+"/wallet", sk, nil); status != 200 || strings.Contains(mustJSON(w), b.secret) {
				t.Fatalf("GET /wallet: %d %v", status, w)
			}

			id, bolt11 := newSession(t)
			if err := net.Pay(bolt11); err != nil {
				t.Fatalf("customer pay: %v", err)
			}
			waitStatus(t, api, sk, id, "completed")

			// Paid while the gateway is stopped: completed once it starts.
			id, bolt11 = newSession(t)
			g.cmd.Process.Kill()
			g.cmd.Wait()
			if err := net.Pay(bolt11); err != nil {
				t.Fatalf("customer pay while the gateway is down: %v", err)
			}
			g = start(outer, args...)
			api = g.url + "/api/v1"
			waitStatus(t, api, sk, id, "completed")
			if strings.Contains(g.stdout.String(), b.secret) {
				t.Fatal("the credential reached the output")
			}
		})
	}
}

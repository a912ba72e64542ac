package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// page loads the hosted checkout page, which makes the session's invoice.
func page(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", url, res.StatusCode, b)
	}
	return string(b)
}

// waitStatus polls the session until it has the wanted status.
func waitStatus(t *testing.T, api, key, id, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, s := call(t, "GET", api+"/checkout_sessions/"+id, key, nil)
		if cs, ok := s["checkout_session"].(map[string]any); ok { // 410 carries the session inside
			s = cs
		}
		if s["status"] == want {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s is %v, want %s", id, s["status"], want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func newMerchant(t *testing.T, dir string) (sk string) {
	t.Helper()
	out := cli(t, "merchant", "create", "--data-dir", dir, "--name", "Store", "--email", "owner@store.com", "--json")
	i := strings.Index(out, `"sk_test":"`)
	if i < 0 {
		t.Fatalf("no sk_test in %s", out)
	}
	rest := out[i+len(`"sk_test":"`):]
	return rest[:strings.Index(rest, `"`)]
}

// TestPaymentWhileGatewayDown: the customer pays while the gateway is
// stopped; the next start reconciles the invoice and completes the session.
func TestPaymentWhileGatewayDown(t *testing.T) {
	dir := t.TempDir()
	sk := newMerchant(t, dir)
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	api := g.url + "/api/v1"
	_, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
	id := s["id"].(string)
	body := page(t, g.url+"/checkout/"+id)
	if !strings.Contains(body, "76,924 sats") {
		t.Fatalf("page without the sats amount:\n%s", body)
	}
	_, s = call(t, "GET", api+"/checkout_sessions/"+id, sk, nil)
	bolt11, _ := s["payment_request"].(string)
	if !strings.HasPrefix(bolt11, "lnbcrt") || s["amount_sats"] != 76924.0 || s["exchange_rate"] != "65000.00" {
		t.Fatalf("session after page load: %v", s)
	}
	g.cmd.Process.Kill()
	g.cmd.Wait()

	cli(t, "testwallet", "pay", "--data-dir", dir, bolt11)

	g = start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	api = g.url + "/api/v1"
	s = waitStatus(t, api, sk, id, "completed")
	tx, _ := s["transaction_id"].(string)
	_, l := call(t, "GET", api+"/transactions?checkout_session_id="+id, sk, nil)
	data := l["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["id"] != tx || data[0].(map[string]any)["amount_sats"] != 76924.0 {
		t.Fatalf("transactions: %v", l)
	}
	if body := page(t, g.url+"/checkout/"+id); !strings.Contains(body, "Paid ✓") {
		t.Fatalf("revisited page:\n%s", body)
	}
}

// TestPaymentFromCLIWhileGatewayRuns: `satsrail testwallet pay`, another
// process, pays while the gateway runs without periodic reconciliation (the
// default); the gateway sees the payment in the test wallet's settlement
// feed and completes the session.
func TestPaymentFromCLIWhileGatewayRuns(t *testing.T) {
	dir := t.TempDir()
	sk := newMerchant(t, dir)
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	api := g.url + "/api/v1"
	for i := range 2 { // the feed goes on after its first payment
		_, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
		id := s["id"].(string)
		page(t, g.url+"/checkout/"+id)
		_, s = call(t, "GET", api+"/checkout_sessions/"+id, sk, nil)
		bolt11, _ := s["payment_request"].(string)
		if s["status"] != "pending" || !strings.HasPrefix(bolt11, "lnbcrt") {
			t.Fatalf("session %d after page load: %v", i, s)
		}
		if out := cli(t, "testwallet", "pay", "--data-dir", dir, bolt11); !strings.Contains(out, "paid") {
			t.Fatalf("testwallet pay: %s", out)
		}
		s = waitStatus(t, api, sk, id, "completed")
		if s["transaction_id"] == nil {
			t.Fatalf("completed session %d without a transaction: %v", i, s)
		}
	}
}

// TestAutopayAndSimulate: --test-autopay-after pays invoices by itself, and
// simulate_payment completes at once.
func TestAutopayAndSimulate(t *testing.T) {
	dir := t.TempDir()
	sk := newMerchant(t, dir)
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000", "--test-autopay-after", "500ms")
	api := g.url + "/api/v1"
	_, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
	id := s["id"].(string)
	page(t, g.url+"/checkout/"+id)
	waitStatus(t, api, sk, id, "completed")

	_, s = call(t, "POST", api+"/checkout_sessions", sk, seedBody)
	id = s["id"].(string)
	status, s := call(t, "POST", g.url+"/checkout/"+id+"/simulate_payment", sk, nil)
	if status != 200 || s["status"] != "completed" || s["transaction_id"] == nil {
		t.Fatalf("simulate_payment: %d %v", status, s)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

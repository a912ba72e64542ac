package cln_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"testing"
)

// TestFakeTraps checks that the fake clnrest answers as clnrest does where
// naive clients break (reference §3, §12; clnrest's handlers.rs and
// shared.rs), so the client's tests against it mean something.
func TestFakeTraps(t *testing.T) {
	s := newSetup(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.fake.CACertPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}}
	post := func(method, rune string, params any) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(params)
		req, _ := http.NewRequest(http.MethodPost, s.fake.URL+"/v1/"+method, bytes.NewReader(b))
		if rune != "" {
			req.Header.Set("Rune", rune)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	invoice := map[string]any{"amount_msat": 5000, "label": "trap-label", "description": "traps", "expiry": 60}
	for _, c := range []struct {
		name         string
		method, rune string
		params       any
		status       int
		code         float64 // 0: success
	}{
		{"no rune", "getinfo", "", map[string]any{}, 403, 1501},
		{"a rune the node did not issue", "getinfo", rune("=5&method=getinfo"), map[string]any{}, 401, 1502},
		{"a method the rune refuses", "listpeers", s.rune, map[string]any{}, 401, 1502},
		{"unknown method", "nosuchmethod", s.fake.Rune(), map[string]any{}, 404, -32601},
		{"success is 201", "invoice", s.rune, invoice, 201, 0},
		{"labels are unique", "invoice", s.rune, invoice, 500, 900},
		{"a missing parameter", "invoice", s.rune, map[string]any{"label": "x", "description": "y"}, 500, -32602},
		{"timeout 0 answers at once", "waitanyinvoice", s.rune, map[string]any{"lastpay_index": s.highestPayIndex(t), "timeout": 0}, 500, 904},
	} {
		status, body := post(c.method, c.rune, c.params)
		if status != c.status || (c.code != 0 && body["code"] != c.code) {
			t.Errorf("%s: %d %v, want %d with code %v", c.name, status, body, c.status, c.code)
		}
	}
	// Amounts are msat numbers; status and pay_index as Core Lightning
	// writes them; 0 replays from the first payment.
	status, body := post("waitanyinvoice", s.rune, map[string]any{"lastpay_index": 0, "timeout": 0})
	if status != 201 || body["pay_index"] != 1.0 || body["status"] != "paid" {
		t.Errorf("waitanyinvoice from 0: %d %v, want the node's first payment", status, body)
	}
	if _, ok := body["amount_received_msat"].(float64); !ok {
		t.Errorf("amount_received_msat %v is not a number", body["amount_received_msat"])
	}
	status, body = post("getinfo", s.rune, map[string]any{})
	if status != 201 || body["network"] != "regtest" {
		t.Errorf("getinfo: %d %v", status, body)
	}
}

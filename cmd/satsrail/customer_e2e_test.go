package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// post makes one API POST with an Idempotency-Key and returns the status,
// the raw body and whether it was a replay.
func post(t *testing.T, url, key, idemKey string, body any) (int, []byte, bool) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", idemKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out, res.Header.Get("Idempotent-Replayed") == "true"
}

// TestCustomerForget drives `satsrail customer forget` against a serving
// gateway (on SQLite, or PostgreSQL with SATSRAIL_TEST_STORE=postgres): the
// customer's email and name leave the sessions of both merchants and the
// stored reply of an idempotent create, another customer keeps theirs, and
// the payments' fields stay.
func TestCustomerForget(t *testing.T) {
	dir := t.TempDir()
	keys := func(name string) string {
		var created struct {
			Keys map[string]string `json:"keys"`
		}
		if err := json.Unmarshal([]byte(cli(t, "merchant", "create", "--data-dir", dir, "--name", name, "--email", "o@"+name+".example", "--json")), &created); err != nil {
			t.Fatal(err)
		}
		return created.Keys["sk_test"]
	}
	skA, skB := keys("a"), keys("b")
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	api := g.url + "/api/v1"
	session := func(email, name string) map[string]any {
		return map[string]any{"checkout_session": map[string]any{"amount_cents": 5000, "currency": "usd",
			"customer_email": email, "customer_name": name, "success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/cart", "metadata": map[string]any{"order_id": "O-1"}}}
	}
	creates := []struct{ key, idem, sent string }{{skA, "ada-1", "ada@example.com"}, {skB, "ada-2", "Ada@Example.COM"}, {skA, "bob-1", "bob@example.com"}}
	var ids []string
	for i, c := range creates {
		status, body, _ := post(t, api+"/checkout_sessions", c.key, c.idem, session(c.sent, "Name "+c.idem))
		var s map[string]any
		if status != 201 || json.Unmarshal(body, &s) != nil {
			t.Fatalf("create %d: %d %s", i, status, body)
		}
		ids = append(ids, s["id"].(string))
	}

	out := cli(t, "customer", "forget", "--data-dir", dir, "--email", "ADA@example.com")
	if !strings.HasPrefix(out, "changed 4 record(s): 2 checkout session(s), 0 event(s), 2 stored idempotent reply(ies)") {
		t.Errorf("customer forget printed %q", out)
	}

	for i, c := range creates {
		status, s := call(t, "GET", api+"/checkout_sessions/"+ids[i], c.key, nil)
		if status != 200 || s["amount_cents"] != 5000.0 || s["metadata"].(map[string]any)["order_id"] != "O-1" {
			t.Errorf("session %d after forgetting: %d %v", i, status, s)
		}
		wantEmail, wantName := any(nil), any(nil) // forgotten: null, as for a session made without them
		if c.idem == "bob-1" {
			wantEmail, wantName = c.sent, "Name "+c.idem
		}
		if s["customer_email"] != wantEmail || s["customer_name"] != wantName {
			t.Errorf("session %d shows customer %v / %v, want %v / %v", i, s["customer_email"], s["customer_name"], wantEmail, wantName)
		}
		// The stored reply of its create shows what GET shows now.
		status, body, replayed := post(t, api+"/checkout_sessions", c.key, c.idem, session(c.sent, "Name "+c.idem))
		var r map[string]any
		if status != 200 || !replayed || json.Unmarshal(body, &r) != nil || r["id"] != ids[i] || r["customer_email"] != wantEmail || r["customer_name"] != wantName {
			t.Errorf("replay %d: %d replayed=%v %s", i, status, replayed, body)
		}
	}

	again := cli(t, "customer", "forget", "--data-dir", dir, "--email", "ada@example.com", "--json")
	var counts map[string]int
	if err := json.Unmarshal([]byte(again), &counts); err != nil || counts["total"] != 0 {
		t.Errorf("second forget --json = %s (%v), want total 0", again, err)
	}
	args, env := engineArgs(t, []string{"customer", "forget", "--data-dir", dir, "--email", "not-an-email"})
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "email must be an email address") {
		t.Errorf("forget of a non-address: %v %s", err, out)
	}
}

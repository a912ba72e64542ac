package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMerchantSuspendAndKeyUsage drives the real binary: a merchant
// suspended by the CLI while the gateway runs is refused at once with
// merchant_suspended (another process's change, seen through the
// credentials version), its payment link says the shop is unavailable,
// reactivation restores both, and the keys' last use — kept in memory —
// is written at shutdown and shown by `merchant list`.
func TestMerchantSuspendAndKeyUsage(t *testing.T) {
	dir := t.TempDir()
	var created struct {
		MerchantID string            `json:"merchant_id"`
		Keys       map[string]string `json:"keys"`
	}
	out := cli(t, "merchant", "create", "--data-dir", dir, "--name", "Store", "--email", "owner@store.com", "--json")
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	sk, api := created.Keys["sk_test"], g.url+"/api/v1"
	status, p := call(t, "POST", api+"/products", sk, map[string]any{"product": map[string]any{"name": "Mug", "price_cents": 900}})
	if status != 201 {
		t.Fatalf("create product: %d %v", status, p)
	}
	link := p["payment_link_url"].(string)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	visit := func() int {
		t.Helper()
		res, err := noFollow.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := visit(); st != http.StatusSeeOther {
		t.Fatalf("payment link %s: %d", link, st)
	}

	if out := cli(t, "merchant", "suspend", created.MerchantID, "--data-dir", dir); !strings.Contains(out, "is suspended") {
		t.Errorf("suspend said %q", out)
	}
	for _, kt := range []string{"sk_test", "pk_test", "sk_live", "pk_live"} {
		status, body := call(t, "GET", api+"/rates", created.Keys[kt], nil)
		if e, _ := body["error"].(map[string]any); status != 403 || e["code"] != "merchant_suspended" {
			t.Errorf("%s after suspension: %d %v", kt, status, body)
		}
	}
	if st := visit(); st != http.StatusForbidden {
		t.Errorf("payment link of a suspended merchant: %d", st)
	}
	cli(t, "merchant", "reactivate", "--data-dir", dir, created.MerchantID)
	if status, _ := call(t, "GET", api+"/merchant", sk, nil); status != 200 {
		t.Errorf("after reactivation: %d", status)
	}

	g.cmd.Process.Signal(syscall.SIGTERM)
	g.cmd.Wait()
	var listed []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Keys   []struct {
			Type       string     `json:"type"`
			LastUsedAt *time.Time `json:"last_used_at"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(cli(t, "merchant", "list", "--data-dir", dir, "--json")), &listed); err != nil || len(listed) != 1 {
		t.Fatalf("merchant list --json: %v %v", listed, err)
	}
	if listed[0].Status != "active" || len(listed[0].Keys) != 4 {
		t.Errorf("listed %+v", listed[0])
	}
	for _, k := range listed[0].Keys {
		// Every key was used: the live keys only while the merchant was
		// suspended, which is still a use of the key.
		if k.LastUsedAt == nil || time.Since(*k.LastUsedAt) > time.Hour {
			t.Errorf("%s last used %v, want the shutdown flush to have written it", k.Type, k.LastUsedAt)
		}
	}
	if table := cli(t, "merchant", "list", "--data-dir", dir); !strings.Contains(table, "sk_test …") || !strings.Contains(table, "last used ") {
		t.Errorf("merchant list:\n%s", table)
	}
}

package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// scrape fetches /metrics.
func scrape(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d\n%s", res.StatusCode, b)
	}
	return string(b)
}

// TestMetricsEndToEnd: a simulated payment with a webhook shows up in
// /metrics, labelled with the node (by default hostname:port), by route
// pattern, and the scrape carries no key, secret or id from a path.
func TestMetricsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	sk := newMerchant(t, dir)
	h := newHook(t)
	g := start(t, "--data-dir", dir, "--fixed-rates", "usd=65000")
	api := g.url + "/api/v1"
	secret := register(t, api, sk, h.srv.URL+"/webhooks/satsrail")
	status, s := call(t, "POST", api+"/checkout_sessions", sk, seedBody)
	if status != 201 {
		t.Fatalf("create: %d %v", status, s)
	}
	id := s["id"].(string)
	if status, _ := call(t, "POST", g.url+"/checkout/"+id+"/simulate_payment", sk, nil); status != 200 {
		t.Fatalf("simulate: %d", status)
	}
	page(t, g.url+"/checkout/"+id)
	h.waitCount(t, 1)
	_, s = call(t, "GET", api+"/checkout_sessions/"+id, sk, nil)

	u, _ := url.Parse(g.url)
	_, port, _ := net.SplitHostPort(u.Host)
	host, _ := os.Hostname()
	node := `node="` + host + ":" + port + `"`

	// The attempt is counted once its outcome is recorded, just after the
	// receiver answered: wait for it.
	var out string
	attempt := `satsrail_webhook_attempts_total{` + node + `,result="succeeded"} 1`
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if out = scrape(t, g.url); strings.Contains(out, attempt) || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{
		attempt,
		`satsrail_checkout_sessions_total{event="created",mode="test",` + node + `} 1`,
		`satsrail_checkout_sessions_total{event="completed",mode="test",` + node + `} 1`,
		`satsrail_http_requests_total{code="201",method="POST",` + node + `,route="/api/v1/checkout_sessions"} 1`,
		`satsrail_http_requests_total{code="200",method="POST",` + node + `,route="/checkout/{id}/simulate_payment"} 1`,
		`satsrail_http_requests_total{code="200",method="GET",` + node + `,route="/checkout/{token}"} 1`,
		`satsrail_http_request_duration_seconds_count{method="POST",` + node + `,route="/api/v1/checkout_sessions"} 1`,
		`satsrail_webhook_deliveries_claimed_total{` + node + `} 1`,
		`satsrail_webhook_attempt_duration_seconds_count{` + node + `} 1`,
		`satsrail_reconcile_runs_total{` + node + `}`,
		"# HELP satsrail_checkout_sessions_total ",
		`go_goroutines{` + node + `}`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	// Simulate, the test wallet's hint and a reconciliation sweep that
	// happens to run (at start, or after a stream goes live) race to
	// settle: any one path, once.
	if n := len(regexp.MustCompile(`(?m)^satsrail_settlements_total\{mode="test",`+regexp.QuoteMeta(node)+`,path="(simulate|hint|reconcile)"\} 1$`).FindAllString(out, -1)); n != 1 {
		t.Errorf("want one settlement series at 1, got %d", n)
	}
	if strings.Count(out, "\nsatsrail_settlements_total{") != 1 {
		t.Errorf("want exactly one settlement series, got:\n%s", out)
	}
	for _, leak := range []string{sk, secret, "Bearer", "sk_test", "whsec_", id, s["payment_hash"].(string), s["payment_request"].(string)} {
		if leak != "" && strings.Contains(out, leak) {
			t.Errorf("scrape shows %q", leak)
		}
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", out)
	}
}

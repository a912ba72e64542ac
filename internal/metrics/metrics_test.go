package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, s *Set) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestSetScrape(t *testing.T) {
	s := New("node-a:8080")
	s.ObserveHTTP("/api/v1/checkout_sessions", "POST", 201, 30*time.Millisecond)
	s.ObserveHTTP("/api/v1/checkout_sessions", "POST", 201, 10*time.Millisecond)
	s.Session("created", "test")
	s.Session("completed", "test")
	s.Settled("simulate", "test")
	s.Reconciled(2)
	s.WebhookAttempt("succeeded", 40*time.Millisecond)
	s.WebhookAttempt("retry", 2*time.Second)
	s.WebhookClaimed(3)
	s.WalletStream("wal_1", "lnd", true)
	s.WalletStream("wal_2", "lnd", true)
	s.WalletStream("wal_2", "lnd", false)
	s.WatchPrices(func() []PriceAge {
		return []PriceAge{
			{Currency: "usd", Source: "kraken", Age: 12 * time.Second},
			{Currency: "usd", Source: "kraken", Age: 13 * time.Second}, // a duplicate is dropped, not a failed scrape
			{Currency: "usd", Source: "median", Age: 12 * time.Second},
		}
	})

	out := scrape(t, s)
	for _, want := range []string{
		"# HELP satsrail_http_requests_total ",
		"# TYPE satsrail_http_request_duration_seconds histogram",
		`satsrail_http_requests_total{code="201",method="POST",node="node-a:8080",route="/api/v1/checkout_sessions"} 2`,
		`satsrail_http_request_duration_seconds_count{method="POST",node="node-a:8080",route="/api/v1/checkout_sessions"} 2`,
		`satsrail_checkout_sessions_total{event="created",mode="test",node="node-a:8080"} 1`,
		`satsrail_checkout_sessions_total{event="completed",mode="test",node="node-a:8080"} 1`,
		`satsrail_settlements_total{mode="test",node="node-a:8080",path="simulate"} 1`,
		`satsrail_reconcile_runs_total{node="node-a:8080"} 1`,
		`satsrail_reconcile_completed_total{node="node-a:8080"} 2`,
		`satsrail_webhook_attempts_total{node="node-a:8080",result="succeeded"} 1`,
		`satsrail_webhook_attempts_total{node="node-a:8080",result="retry"} 1`,
		`satsrail_webhook_attempt_duration_seconds_count{node="node-a:8080"} 2`,
		`satsrail_webhook_deliveries_claimed_total{node="node-a:8080"} 3`,
		`satsrail_wallet_stream_up{node="node-a:8080",type="lnd",wallet_id="wal_1"} 1`,
		`satsrail_wallet_stream_up{node="node-a:8080",type="lnd",wallet_id="wal_2"} 0`,
		`satsrail_price_age_seconds{currency="usd",node="node-a:8080",source="kraken"} 12`,
		`satsrail_price_age_seconds{currency="usd",node="node-a:8080",source="median"} 12`,
		`go_goroutines{node="node-a:8080"}`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", out)
	}
	// process_* exists only where procfs does; when it does, it is labelled too.
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "#") && !strings.Contains(line, `node="node-a:8080"`) {
			t.Errorf("series without the node label: %s", line)
		}
	}
}

// Two Sets in one process (two nodes in a test) never clash: no global registry.
func TestSetsAreIndependent(t *testing.T) {
	a, b := New("a"), New("b")
	a.Session("created", "live")
	if out := scrape(t, b); strings.Contains(out, "satsrail_checkout_sessions_total{") {
		t.Fatalf("b sees a's series:\n%s", out)
	}
}

func TestHandlerTwice(t *testing.T) {
	s := New("n")
	scrape(t, s)
	if out := scrape(t, s); !strings.Contains(out, `promhttp_metric_handler_errors_total{cause="encoding",node="n"} 0`) {
		t.Fatalf("second handler:\n%s", out)
	}
}

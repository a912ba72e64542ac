package checkout_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// BenchmarkSimulateToCompleted measures, per payment, the time from
// POST /checkout/{token}/simulate_payment to GET /api/v1/checkout_sessions/{id}
// reading "completed", over real HTTP on SQLite. It reports p50 and p99; run
// with -benchtime=1000x for the 1,000 payments. It also reports the
// hosted page's size: HTML, and HTML + CSS + JS.
func BenchmarkSimulateToCompleted(b *testing.B) {
	e := setup(b)
	// Lift the rate limit for the bench merchant (not in the code).
	m, keys, err := e.svc.CreateMerchant(b.Context(), gateway.MerchantParams{Name: "Bench", Email: "bench@example.com", RateLimitPerMinute: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	e.mid, e.keys = m.ID, keys
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = e.session(gateway.ModeTest).ID
		e.fetch("GET", "/checkout/"+ids[i]) // the page makes the invoice, as a customer's visit would
	}
	page := e.fetch("GET", "/checkout/"+e.session(gateway.ModeTest).ID)
	css := e.fetch("GET", "/static/checkout/checkout.css")
	js := e.fetch("GET", "/static/checkout/checkout.js")
	key := "Bearer " + e.keys["sk_test"]
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if r := e.fetch("POST", "/checkout/"+ids[i]+"/simulate_payment", "Authorization", key); r.status != http.StatusOK {
			b.Fatalf("simulate: %d %s", r.status, r.body)
		}
		r := e.fetch("GET", "/api/v1/checkout_sessions/"+ids[i], "Authorization", key)
		if r.status != http.StatusOK || !strings.Contains(r.body, `"status":"completed"`) {
			b.Fatalf("not completed: %s", r.body)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(page.body)), "page-html-bytes")
	b.ReportMetric(float64(len(page.body)+len(css.body)+len(js.body)), "page-total-bytes")
}

package deliver_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/rates"
	"github.com/satsrail/satsrail/internal/testdb"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
	"github.com/satsrail/satsrail/internal/worker/deliver"
	"github.com/satsrail/satsrail/webhook"
)

type testWallets struct{ w *testwallet.Wallet }

func (t testWallets) Wallet(_ context.Context, s gateway.Scope) (gateway.Wallet, error) {
	return t.w.For(s.MerchantID), nil
}

// BenchmarkPaymentToWebhook measures, per payment, the time from the
// simulated payment (Service.SimulatePaymentFor, what POST
// /checkout/{token}/simulate_payment runs) to a local receiver holding the
// checkout.completed webhook verified with the public webhook package, on
// the test store (SQLite; PostgreSQL with SATSRAIL_TEST_STORE=postgres) with
// the real delivery worker. Run with -benchtime=1000x. It also
// reports the delivery throughput of a 2,000-event backlog to 4 endpoints.
func BenchmarkPaymentToWebhook(b *testing.B) {
	ctx := context.Background()
	st := testdb.Open(b)
	key := make([]byte, 32)
	rand.Read(key)
	tw := testwallet.New(testwallet.Config{Store: st, MasterKey: key})
	fixed, _ := rates.ParseFixed("usd=65000")
	svc := gateway.NewService(gateway.Config{Store: st, Rates: rates.New(rates.Config{Fixed: fixed}), Sealer: sealer(key),
		Wallets: testWallets{tw}, Decode: bolt11.Decode})
	m, keys, _ := svc.CreateMerchant(ctx, gateway.MerchantParams{Name: "Bench", Email: "b@b.co"})
	p, _ := svc.Authenticate(ctx, keys["sk_test"])
	scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}

	var mu sync.Mutex
	seen := map[string]chan struct{}{}
	var secret string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev, err := webhook.ConstructEvent(body, r.Header, secret)
		if err != nil {
			b.Error(err)
			w.WriteHeader(400)
			return
		}
		mu.Lock()
		if ch, ok := seen[ev.CheckoutID]; ok {
			close(ch)
			delete(seen, ev.CheckoutID)
		}
		mu.Unlock()
	}))
	defer recv.Close()
	url := recv.URL
	ep, sec, err := svc.CreateWebhookEndpoint(ctx, scope, gateway.WebhookParams{URL: &url, Events: []string{"checkout.completed"}, HasEvents: true})
	if err != nil {
		b.Fatal(err)
	}
	secret = sec
	_ = ep
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	worker := &deliver.Worker{Service: svc, Store: st, Clients: map[gateway.Mode]*http.Client{gateway.ModeTest: http.DefaultClient}, Poll: 200 * time.Millisecond}
	go worker.Run(wctx)

	amount, cur, su, cu := int64(5000), "usd", "https://s.example/ok", "https://s.example/no"
	ids := make([]string, b.N)
	for i := range ids {
		s, err := svc.CreateCheckoutSession(ctx, p, gateway.CheckoutSessionParams{AmountCents: &amount, Currency: &cur, SuccessURL: &su, CancelURL: &cu})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.EnsureInvoice(ctx, s.ID); err != nil {
			b.Fatal(err)
		}
		ids[i] = s.ID
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ch := make(chan struct{})
		mu.Lock()
		seen[ids[i]] = ch
		mu.Unlock()
		start := time.Now()
		if _, err := svc.SimulatePaymentFor(ctx, ids[i]); err != nil {
			b.Fatal(err)
		}
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			b.Fatalf("webhook for %s not received", ids[i])
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")

	// Throughput: a backlog of test events to 4 endpoints answering 200.
	var got sync.WaitGroup
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got.Done()
	}))
	defer sink.Close()
	var eps []string
	for i := range 4 {
		u := fmt.Sprintf("%s/ep%d", sink.URL, i)
		e, _, err := svc.CreateWebhookEndpoint(ctx, scope, gateway.WebhookParams{URL: &u, Events: []string{"webhook.test"}, HasEvents: true})
		if err != nil {
			b.Fatal(err)
		}
		eps = append(eps, e.ID)
	}
	const backlog = 2000
	got.Add(backlog)
	cancel() // stop the worker while the backlog is written
	for i := range backlog {
		if _, err := svc.SendTestEvent(ctx, scope, eps[i%4]); err != nil {
			b.Fatal(err)
		}
	}
	wctx, cancel = context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	go worker.Run(wctx)
	got.Wait()
	b.ReportMetric(backlog/time.Since(start).Seconds(), "deliveries/s")
}

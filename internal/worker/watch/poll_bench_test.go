package watch_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/testdb"
	"github.com/satsrail/satsrail/internal/wallet/lnbits"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
	"github.com/satsrail/satsrail/internal/worker/watch"
)

// memSessions is a SessionLister over sessions held in memory.
type memSessions map[gateway.Scope][]gateway.CheckoutSession

func (m memSessions) ReconcilableSessions(_ context.Context, scope gateway.Scope, _ time.Time, after string, limit int) ([]gateway.CheckoutSession, error) {
	var out []gateway.CheckoutSession
	for _, s := range m[scope] {
		if s.ID > after && len(out) < limit {
			out = append(out, s)
		}
	}
	return out, nil
}

// BenchmarkPollerOpenCheckouts measures the poller's load with 10,000 open
// checkouts on LNbits wallets (100 merchants of 100 checkouts, on 10 hosts)
// whose lookups go over HTTP to one fake LNbits host answering "pending"
// with a real invoice, which the client decodes as it would any: lookups a
// second (and per checkout a minute; with every checkout fresh, more than
// the pool keeps up with shows as fewer than 30 a minute), the poller's CPU per second of wall
// time, and the schedule's memory. Two mixes: every checkout fresh (the
// worst minute: all polled every 2 s), and ages spread evenly over a
// 15-minute checkout (the steady state). Run with -benchtime=1x; each run
// lasts -poll.window.
func BenchmarkPollerOpenCheckouts(b *testing.B) {
	const merchants, perMerchant, hosts = 100, 100, 10
	store := testdb.Open(b)
	key := make([]byte, 32)
	rand.Read(key)
	tw := testwallet.New(testwallet.Config{Store: store, MasterKey: key})
	m, _, err := gateway.NewService(gateway.Config{Store: store}).CreateMerchant(b.Context(), gateway.MerchantParams{Name: "Bench", Email: "bench@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	inv, err := tw.For(m.ID).CreateInvoice(b.Context(), gateway.InvoiceRequest{AmountMsat: 42_000, Memo: "bench", ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	var requests atomic.Int64
	answer, _ := json.Marshal(map[string]any{"paid": false, "status": "pending",
		"details": map[string]any{"bolt11": inv.PaymentRequest, "payment_hash": inv.PaymentHash, "amount": 42_000, "status": "pending"}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	}))
	defer srv.Close()

	for _, mix := range []struct {
		name   string
		spread time.Duration // invoice ages spread evenly over this
	}{{"fresh", 0}, {"steady", 15 * time.Minute}} {
		b.Run(mix.name, func(b *testing.B) {
			now := time.Now()
			sessions := memSessions{}
			var wallets []gateway.Wallet
			for m := range merchants {
				scope := gateway.Scope{MerchantID: fmt.Sprintf("mer_%03d", m), Mode: gateway.ModeLive}
				w, err := lnbits.New(lnbits.Config{URL: srv.URL, APIKey: hex.EncodeToString(key[:16])})
				if err != nil {
					b.Fatal(err)
				}
				wallets = append(wallets, hostWallet{Client: w, host: fmt.Sprintf("lnbits%d.example", m%hosts)})
				for i := range perMerchant {
					var h [32]byte
					rand.Read(h[:])
					age := time.Duration(0)
					if mix.spread > 0 {
						age = mix.spread * time.Duration(m*perMerchant+i) / (merchants * perMerchant)
					}
					sessions[scope] = append(sessions[scope], gateway.CheckoutSession{
						ID: fmt.Sprintf("cs_%03d_%03d", m, i), MerchantID: scope.MerchantID, Mode: scope.Mode,
						Status: gateway.StatusPending, PaymentHash: hex.EncodeToString(h[:]),
						UpdatedAt: now.Add(-age), ExpiresAt: now.Add(-age).Add(15 * time.Minute)})
				}
			}
			for b.Loop() {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				p := &watch.Poller{Store: sessions, HostRate: 1000, HostBurst: 2000, Workers: *pollWorkers}
				ctx, cancel := context.WithCancel(b.Context())
				done := make(chan struct{})
				go func() { p.Run(ctx); close(done) }()
				for m, w := range wallets {
					go p.Hold(ctx, gateway.WalletConnection{ID: fmt.Sprintf("wal_%03d", m), MerchantID: fmt.Sprintf("mer_%03d", m),
						Mode: gateway.ModeLive}, w)
				}
				for p.Open() < merchants*perMerchant {
					time.Sleep(10 * time.Millisecond)
				}
				// Settle past the first lookups (all due at once), then
				// measure a window.
				time.Sleep(3 * time.Second)
				var after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&after)
				r0, cpu0, t0 := requests.Load(), cpuTime(), time.Now()
				time.Sleep(*pollWindow)
				r1, cpu1, elapsed := requests.Load(), cpuTime(), time.Since(t0)
				cancel()
				<-done
				perSec := float64(r1-r0) / elapsed.Seconds()
				b.ReportMetric(perSec, "lookups/s")
				b.ReportMetric(perSec*60/float64(merchants*perMerchant), "lookups/min/checkout")
				b.ReportMetric(float64(cpu1-cpu0)/float64(elapsed), "cpu-s/s")
				b.ReportMetric(float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc))/(1<<20), "heap-MiB")
			}
		})
	}
}

// pollWindow is how long each benchmark run measures.
var pollWindow = flagDuration("poll.window", 10*time.Second, "BenchmarkPollerOpenCheckouts: the measured window")

// pollWorkers is the pool size measured (0: the Poller's default).
var pollWorkers = flag.Int("poll.workers", 0, "BenchmarkPollerOpenCheckouts: the worker pool size")

// hostWallet is an LNbits client labelled with a host of its own, so the
// benchmark's wallets spread over several rate limits while all reaching
// one server.
type hostWallet struct {
	*lnbits.Client
	host string
}

func (w hostWallet) PollHost() string { return w.host }

// cpuTime is the process's user and system CPU time so far (the fake host
// runs in it too, so this is an upper bound of the poller's).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func flagDuration(name string, value time.Duration, usage string) *time.Duration {
	return flag.Duration(name, value, usage)
}

package watch_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
	"github.com/satsrail/satsrail/internal/worker/watch"
)

// TestScheduleNext: the default schedule's waits at each age, the growing
// waits after expiry, the stop at expiry plus grace, and what one 15-minute
// checkout costs in lookups.
func TestScheduleNext(t *testing.T) {
	s := watch.DefaultSchedule
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	exp := t0.Add(15 * time.Minute)
	for _, c := range []struct {
		at   time.Duration // since the invoice was made
		wait time.Duration
	}{
		{0, 2 * time.Second}, {59 * time.Second, 2 * time.Second}, {time.Minute, 5 * time.Second},
		{4 * time.Minute, 5 * time.Second}, {5 * time.Minute, 15 * time.Second}, {14 * time.Minute, 15 * time.Second},
		{15 * time.Minute, 15 * time.Second}, {16 * time.Minute, time.Minute}, {35 * time.Minute, 10 * time.Minute},
	} {
		next, ok := s.Next(t0.Add(c.at), t0, exp)
		if !ok || next.Sub(t0.Add(c.at)) != c.wait {
			t.Errorf("at %s: next in %s (ok %v), want %s", c.at, next.Sub(t0.Add(c.at)), ok, c.wait)
		}
	}
	if _, ok := s.Next(exp.Add(s.Grace-time.Minute), t0, exp); ok {
		t.Error("a lookup is scheduled past expiry plus grace")
	}
	open, after := 0, 0
	for now := t0; ; {
		if now.Before(exp) {
			open++
		} else {
			after++
		}
		next, ok := s.Next(now, t0, exp)
		if !ok {
			break
		}
		now = next
	}
	t.Logf("a 15-minute checkout: %d lookups while open (%.1f a minute), %d in the grace hour after", open, float64(open)/15, after)
	if open < 110 || open > 130 || after > 15 {
		t.Errorf("%d lookups while open and %d after, want about 120 and at most 15", open, after)
	}
}

// pollingWallet is the fixture's test wallet of one scope as a polling
// backend on host, counting lookups and those in flight at once; while
// gate is set, each lookup waits for a value from it.
type pollingWallet struct {
	gateway.Wallet
	host              string
	lookups, inFlight atomic.Int64
	maxInFlight       atomic.Int64
	gate              chan struct{}
	down              atomic.Bool // every lookup fails
}

func (w *pollingWallet) PollHost() string { return w.host }

func (w *pollingWallet) LookupInvoice(ctx context.Context, hash string) (gateway.Invoice, error) {
	w.lookups.Add(1)
	n := w.inFlight.Add(1)
	defer w.inFlight.Add(-1)
	for {
		m := w.maxInFlight.Load()
		if n <= m || w.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if w.down.Load() {
		return gateway.Invoice{}, errors.New("connection refused")
	}
	if w.gate != nil {
		select {
		case <-w.gate:
		case <-ctx.Done():
			return gateway.Invoice{}, ctx.Err()
		}
	}
	return w.Wallet.LookupInvoice(ctx, hash)
}

// fast is a schedule for tests: every 5 ms while open.
var fast = watch.Schedule{Fresh: 5 * time.Millisecond, FreshFor: time.Hour, Warm: 5 * time.Millisecond, WarmFor: time.Hour,
	Slow: 5 * time.Millisecond, AfterExpiryMax: 5 * time.Millisecond, Grace: time.Hour}

// hold runs p and holds a polling wallet for scope until the test ends.
func hold(t *testing.T, p *watch.Poller, scope gateway.Scope, w gateway.Wallet) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	wg.Go(func() {
		p.Hold(ctx, gateway.WalletConnection{ID: gateway.NewID(gateway.PrefixWallet), MerchantID: scope.MerchantID, Mode: scope.Mode}, w)
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// TestPollerSettlesAndIgnoresHints: a paid invoice completes its session by
// lookup; a hint for an unpaid one makes a lookup and settles nothing; the
// paid one is no longer polled.
func TestPollerSettlesAndIgnoresHints(t *testing.T) {
	f := setup(t)
	paid, unpaid := f.session(t), f.session(t)
	w := &pollingWallet{Wallet: f.wallet.For(f.merch), host: "lnbits.example"}
	p := &watch.Poller{Service: f.svc, Store: f.store, Schedule: watch.Schedule{Fresh: time.Hour, FreshFor: time.Hour,
		Warm: time.Hour, WarmFor: time.Hour, Slow: time.Hour, AfterExpiryMax: time.Hour, Grace: time.Hour}}
	hold(t, p, f.scope(), w)
	eventually(t, "both invoices looked up at hold", func() bool { return w.lookups.Load() >= 2 })

	// A forged hint (LNbits's broadcast endpoint takes anyone's): looked
	// up, not believed.
	before := w.lookups.Load()
	p.Hint(unpaid.PaymentHash)
	eventually(t, "the hinted invoice looked up", func() bool { return w.lookups.Load() > before })
	if got := f.status(t, unpaid.ID); got != gateway.StatusPending {
		t.Fatalf("a hint without payment made the session %s", got)
	}

	other := testwallet.New(testwallet.Config{Store: f.store, MasterKey: f.key})
	if err := other.Pay(t.Context(), paid.PaymentRequest, 0); err != nil {
		t.Fatal(err)
	}
	p.Hint(paid.PaymentHash) // the next lookup is an hour away otherwise
	eventually(t, "paid session completed", func() bool { return f.status(t, paid.ID) == gateway.StatusCompleted })
	eventually(t, "the paid invoice out of the schedule", func() bool { return p.Open() == 1 })
}

// TestPollerPoolAndHostRate: lookups in flight never exceed the pool, and
// one host never gets more than its rate (plus the burst) however many
// invoices are due.
func TestPollerPoolAndHostRate(t *testing.T) {
	t.Run("pool", func(t *testing.T) {
		f := setup(t)
		f.seed(t, f.scope(), 20)
		w := &pollingWallet{Wallet: f.wallet.For(f.merch), host: "hub.example", gate: make(chan struct{})}
		p := &watch.Poller{Service: f.svc, Store: f.store, Workers: 3, HostRate: 1e6, HostBurst: 1e6, Schedule: fast}
		hold(t, p, f.scope(), w)
		eventually(t, "the pool full", func() bool { return w.inFlight.Load() == 3 })
		for range 30 {
			w.gate <- struct{}{}
		}
		if got := w.maxInFlight.Load(); got != 3 {
			t.Errorf("%d lookups were in flight at once, want the pool's 3", got)
		}
	})
	t.Run("host rate", func(t *testing.T) {
		f := setup(t)
		f.seed(t, f.scope(), 200)
		w := &pollingWallet{Wallet: f.wallet.For(f.merch), host: "hub.example"}
		const rate, burst = 100.0, 10
		p := &watch.Poller{Service: f.svc, Store: f.store, Workers: 16, HostRate: rate, HostBurst: burst, Schedule: fast}
		start := time.Now()
		hold(t, p, f.scope(), w)
		eventually(t, "100 lookups", func() bool { return w.lookups.Load() >= 100 })
		n, elapsed := w.lookups.Load(), time.Since(start)
		if limit := rate*elapsed.Seconds() + burst + 1; float64(n) > limit {
			t.Errorf("%d lookups in %s to one host, more than %.0f/s allows (%.0f)", n, elapsed, rate, limit)
		}
		t.Logf("%d lookups in %s with 200 invoices due every 5 ms, capped at %.0f/s", n, elapsed, rate)
	})
}

// TestPollerStopsAfterGrace: an invoice whose session expired longer ago
// than the grace is never looked up; one whose grace runs out while
// scheduled leaves the schedule.
func TestPollerStopsAfterGrace(t *testing.T) {
	f := setup(t)
	old, soon := f.session(t), f.session(t)
	for id, exp := range map[string]time.Duration{old.ID: -time.Hour, soon.ID: 50 * time.Millisecond} {
		if _, err := f.store.UpdateCheckoutSession(t.Context(), gateway.Scope{}, id, func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
			s.ExpiresAt = time.Now().Add(exp)
			return gateway.SessionChange{}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	w := &pollingWallet{Wallet: f.wallet.For(f.merch), host: "addr.example"}
	sched := fast
	sched.Grace = 100 * time.Millisecond
	p := &watch.Poller{Service: f.svc, Store: f.store, Schedule: sched}
	hold(t, p, f.scope(), w)
	eventually(t, "the schedule empty", func() bool { return w.lookups.Load() > 0 && p.Open() == 0 })
	n := w.lookups.Load()
	// Another invoice's lookups show the dispatcher still runs.
	fresh := f.session(t)
	p.Add(fresh)
	eventually(t, "the new invoice looked up", func() bool { return w.lookups.Load() >= n+5 })
	if p.Open() != 1 {
		t.Errorf("%d invoices scheduled, want only the new one", p.Open())
	}
}

// TestPollerNoPerSessionGoroutines: holding a wallet with 2050 open
// invoices runs no more goroutines than holding one with 50 (50, so that
// the pool has surely started, and the database pool grown to the workers'
// queries, when counted).
func TestPollerNoPerSessionGoroutines(t *testing.T) {
	grew := map[int]int{}
	for _, n := range []int{50, 2050} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := setup(t)
			f.seed(t, f.scope(), n)
			w := &pollingWallet{Wallet: f.wallet.For(f.merch), host: "lnbits.example"}
			// Each invoice is looked up once, then not for an hour: counted
			// idle, the workers' queries add no goroutines of their own.
			idle := watch.Schedule{Fresh: time.Hour, FreshFor: time.Hour, Warm: time.Hour, WarmFor: time.Hour,
				Slow: time.Hour, AfterExpiryMax: time.Hour, Grace: time.Hour}
			p := &watch.Poller{Service: f.svc, Store: f.store, Schedule: idle, HostRate: 1e6, HostBurst: 1e6, Workers: 4}
			before := goroutines()
			hold(t, p, f.scope(), w)
			eventually(t, "every invoice scheduled and looked up", func() bool { return p.Open() == n && w.lookups.Load() >= int64(n) })
			grew[n] = goroutines() - before
		})
	}
	t.Logf("goroutines of a running poller: %d with 50 open invoices, %d with 2050", grew[50], grew[2050])
	if grew[50] == 0 || grew[2050] > grew[50]+2 {
		t.Errorf("the poller runs %d goroutines with 2050 open invoices, %d with 50", grew[2050], grew[50])
	}
}

// TestPollerHandsOverToNewerConnection: Streams starts a wallet's newer
// connection version before stopping the older one; the older one's end
// leaves the schedule to the newer, which goes on looking the invoices up.
func TestPollerHandsOverToNewerConnection(t *testing.T) {
	f := setup(t)
	f.seed(t, f.scope(), 3)
	older := &pollingWallet{Wallet: f.wallet.For(f.merch), host: "lnbits.example"}
	newer := &pollingWallet{Wallet: f.wallet.For(f.merch), host: "lnbits.example"}
	p := &watch.Poller{Service: f.svc, Store: f.store, Schedule: fast}
	conn := gateway.WalletConnection{ID: gateway.NewID(gateway.PrefixWallet), MerchantID: f.merch, Mode: gateway.ModeTest}
	ctx, cancel := context.WithCancel(t.Context())
	olderCtx, stopOlder := context.WithCancel(ctx)
	var wg sync.WaitGroup
	olderDone := make(chan struct{})
	wg.Go(func() { p.Run(ctx) })
	wg.Go(func() { p.Hold(olderCtx, conn, older); close(olderDone) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	eventually(t, "the older version polling", func() bool { return older.lookups.Load() >= 3 })
	wg.Go(func() { p.Hold(ctx, conn, newer) })
	eventually(t, "the newer version polling", func() bool { return newer.lookups.Load() > 0 })
	stopOlder()
	<-olderDone
	n := newer.lookups.Load()
	eventually(t, "the newer version still polling", func() bool { return newer.lookups.Load() >= n+6 })
	if got := p.Open(); got != 3 {
		t.Errorf("%d invoices scheduled after the hand-over, want 3", got)
	}
}

// TestPollerRecordsFailures: lookups failing show in the wallet's health.
func TestPollerRecordsFailures(t *testing.T) {
	f := setup(t)
	f.session(t)
	now := time.Now().UTC()
	conn := &gateway.WalletConnection{ID: gateway.NewID(gateway.PrefixWallet), MerchantID: f.merch, Mode: gateway.ModeTest,
		Type: "lnbits", Config: []byte("{}"), CreatedAt: now, UpdatedAt: now}
	if err := f.store.PutWalletConnection(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	w := &pollingWallet{Wallet: f.wallet.For(f.merch), host: "lnbits.example"}
	w.down.Store(true)
	p := &watch.Poller{Service: f.svc, Store: f.store, Wallets: f.store, Schedule: fast}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(ctx) })
	wg.Go(func() { p.Hold(ctx, *conn, w) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	eventually(t, "the failure in the wallet's health", func() bool {
		c, err := f.store.GetWalletConnection(t.Context(), f.scope())
		return err == nil && c.LastError == "invoice lookup: connection refused" && !c.LastErrorAt.IsZero()
	})
}

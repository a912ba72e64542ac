package watch_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/rates"
	"github.com/satsrail/satsrail/internal/testdb"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
	"github.com/satsrail/satsrail/internal/worker/watch"
)

// feedEvery is the tests' feed poll period: short, so "a few polls" is quick.
const feedEvery = 10 * time.Millisecond

// fixture is one test's gateway: a real store on the run's engine, the test
// wallet behind counters, and one merchant.
type fixture struct {
	store  *countingStore
	key    []byte
	wallet *testwallet.Wallet
	feed   *countingFeed
	svc    *gateway.Service
	merch  string
	// lookups counts LookupInvoice calls on the test wallet, and scopeLookups
	// those of each scope (a *atomic.Int64 per gateway.Scope); failLookups
	// makes that many of the next ones fail.
	lookups      atomic.Int64
	scopeLookups sync.Map
	failLookups  atomic.Int64
	// reconciled receives once per finished reconciliation sweep.
	reconciled chan struct{}
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{store: &countingStore{Store: testdb.Open(t)}, key: make([]byte, 32), reconciled: make(chan struct{}, 100)}
	rand.Read(f.key)
	f.wallet = testwallet.New(testwallet.Config{Store: f.store, MasterKey: f.key})
	f.feed = &countingFeed{SettlementFeed: f.wallet}
	fixed, err := rates.ParseFixed("usd=65000")
	if err != nil {
		t.Fatal(err)
	}
	f.svc = gateway.NewService(gateway.Config{
		Store: f.store, Rates: rates.New(rates.Config{Fixed: fixed, Currencies: []string{"usd"}}),
		Wallets: resolver{f}, Decode: bolt11.Decode,
		OnReconcile: func(int, error) {
			select {
			case f.reconciled <- struct{}{}:
			default:
			}
		},
	})
	m, _, err := f.svc.CreateMerchant(t.Context(), gateway.MerchantParams{Name: "Watch Store", Email: "watch@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	f.merch = m.ID
	return f
}

// resolver gives every scope, live mode too, the counting test wallet.
type resolver struct{ f *fixture }

func (r resolver) Wallet(_ context.Context, s gateway.Scope) (gateway.Wallet, error) {
	return &countingWallet{Wallet: r.f.wallet.For(s.MerchantID), f: r.f, scope: s}, nil
}

type countingWallet struct {
	gateway.Wallet
	f     *fixture
	scope gateway.Scope
}

func (w *countingWallet) LookupInvoice(ctx context.Context, hash string) (gateway.Invoice, error) {
	w.f.lookups.Add(1)
	n, _ := w.f.scopeLookups.LoadOrStore(w.scope, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	if w.f.failLookups.Add(-1) >= 0 {
		return gateway.Invoice{}, errors.New("wallet unreachable")
	}
	w.f.failLookups.Store(0)
	return w.Wallet.LookupInvoice(ctx, hash)
}

// countingStore counts the queries that are per-session work.
type countingStore struct {
	gateway.Store
	reconcilable atomic.Int64 // ReconcilableSessions pages
	byHash       atomic.Int64 // GetCheckoutSessionByPaymentHash
}

func (s *countingStore) ReconcilableSessions(ctx context.Context, scope gateway.Scope, since time.Time, after string, limit int) ([]gateway.CheckoutSession, error) {
	s.reconcilable.Add(1)
	return s.Store.ReconcilableSessions(ctx, scope, since, after, limit)
}

func (s *countingStore) GetCheckoutSessionByPaymentHash(ctx context.Context, hash string) (*gateway.CheckoutSession, error) {
	s.byHash.Add(1)
	return s.Store.GetCheckoutSessionByPaymentHash(ctx, hash)
}

// countingFeed counts the feed's reads: one per poll.
type countingFeed struct {
	gateway.SettlementFeed
	reads atomic.Int64
}

func (c *countingFeed) SettlementsAfter(ctx context.Context, seq int64, limit int) ([]gateway.Settlement, error) {
	c.reads.Add(1)
	return c.SettlementFeed.SettlementsAfter(ctx, seq, limit)
}

// lookupsIn returns how many invoices were looked up in scope's wallet.
func (f *fixture) lookupsIn(scope gateway.Scope) int64 {
	n, _ := f.scopeLookups.LoadOrStore(scope, new(atomic.Int64))
	return n.(*atomic.Int64).Load()
}

// scope is the fixture merchant's test mode.
func (f *fixture) scope() gateway.Scope {
	return gateway.Scope{MerchantID: f.merch, Mode: gateway.ModeTest}
}

// seed stores n pending sessions of scope with open test invoices,
// straight through the store, as if their pages had been loaded.
func (f *fixture) seed(t *testing.T, scope gateway.Scope, n int) {
	t.Helper()
	now := gateway.SystemClock{}.Now()
	for i := range n {
		var pre [32]byte
		rand.Read(pre[:])
		hash := hex.EncodeToString(pre[:]) // any 64 hex digits will do
		sess := &gateway.CheckoutSession{
			ID: gateway.NewID(gateway.PrefixSession), MerchantID: scope.MerchantID, Mode: scope.Mode,
			Status: gateway.StatusPending, AmountCents: 5000, Currency: "usd", AmountSats: 76924, ExchangeRate: "65000.00",
			LineItems:  []gateway.LineItem{{Name: "Order", UnitAmountCents: 5000, Quantity: 1}},
			SuccessURL: "https://shop.example/thanks", CancelURL: "https://shop.example/cart",
			PaymentRequest: "lnbcrt769240n1p" + hash, PaymentHash: hash,
			CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
		}
		if err := f.store.CreateCheckoutSession(t.Context(), sess, nil); err != nil {
			t.Fatalf("seed session %d: %v", i, err)
		}
		inv := gateway.TestInvoice{PaymentHash: hash, MerchantID: scope.MerchantID, Preimage: hex.EncodeToString(pre[:]),
			PaymentRequest: sess.PaymentRequest, AmountMsat: 76_924_000, CreatedAt: now, ExpiresAt: sess.ExpiresAt}
		if err := f.store.InsertTestInvoice(t.Context(), inv); err != nil {
			t.Fatalf("seed invoice %d: %v", i, err)
		}
	}
}

// session creates a pending session and gives it its test wallet invoice.
func (f *fixture) session(t *testing.T) *gateway.CheckoutSession {
	t.Helper()
	amount, cur, succ, canc := int64(5000), "usd", "https://shop.example/thanks", "https://shop.example/cart"
	p := &gateway.Principal{Merchant: gateway.Merchant{ID: f.merch},
		Key: gateway.APIKey{MerchantID: f.merch, Kind: gateway.KeySecret, Mode: gateway.ModeTest}}
	s, err := f.svc.CreateCheckoutSession(t.Context(), p,
		gateway.CheckoutSessionParams{AmountCents: &amount, Currency: &cur, SuccessURL: &succ, CancelURL: &canc})
	if err != nil {
		t.Fatal(err)
	}
	if s, err = f.svc.EnsureInvoice(t.Context(), s.ID); err != nil {
		t.Fatal(err)
	}
	return s
}

// run starts a worker (a Worker, or Streams) and waits for its first
// reconciliation.
func (f *fixture) run(t *testing.T, w interface{ Run(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	select {
	case <-f.reconciled:
	case <-time.After(time.Minute):
		t.Fatal("no reconciliation within a minute")
	}
}

// eventually polls cond until it holds, failing the test after a generous
// deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fixture) status(t *testing.T, id string) gateway.SessionStatus {
	t.Helper()
	s, err := f.store.GetCheckoutSession(t.Context(), gateway.Scope{}, id)
	if err != nil {
		t.Fatal(err)
	}
	return s.Status
}

// goroutines counts the goroutines that last: the fewest of a few samples,
// so one in flight with a query (database/sql watches each query's context
// with one) is not counted.
func goroutines() int {
	n := runtime.NumGoroutine()
	for range 20 {
		time.Sleep(time.Millisecond)
		n = min(n, runtime.NumGoroutine())
	}
	return n
}

// TestNoPerSessionWork: with 0 or 2000 pending sessions that have invoices,
// the watcher looks each up once at start, and then, over many feed polls,
// makes no wallet lookup and no per-session query, and runs the same
// goroutines.
func TestNoPerSessionWork(t *testing.T) {
	const polls = 10
	grew := map[int]int{}
	for _, n := range []int{0, 2000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := setup(t)
			f.seed(t, f.scope(), n)
			before := goroutines()
			f.run(t, &watch.Worker{Service: f.svc, Hints: f.wallet.Hints(), Feed: f.feed, FeedEvery: feedEvery})
			if got := f.lookups.Load(); got != int64(n) {
				t.Errorf("start-up reconciliation made %d lookups, want one per session (%d)", got, n)
			}
			lookups, pages, byHash := f.lookups.Load(), f.store.reconcilable.Load(), f.store.byHash.Load()
			reads := f.feed.reads.Load()
			eventually(t, fmt.Sprintf("%d feed polls", polls), func() bool { return f.feed.reads.Load() >= reads+polls })
			grew[n] = goroutines() - before

			if got := f.lookups.Load() - lookups; got != 0 {
				t.Errorf("%d wallet lookups after start-up, want 0", got)
			}
			if got := f.store.reconcilable.Load() - pages; got != 0 {
				t.Errorf("%d reconciliation pages read after start-up, want 0", got)
			}
			if got := f.store.byHash.Load() - byHash; got != 0 {
				t.Errorf("%d sessions read by payment hash after start-up, want 0", got)
			}
		})
	}
	t.Logf("goroutines started by the running watcher: %d with 0 pending sessions, %d with 2000", grew[0], grew[2000])
	// The pools' own goroutines may differ by a few; one per session would
	// be thousands.
	if grew[2000] > grew[0]+5 {
		t.Errorf("the watcher runs %d more goroutines with 2000 pending sessions than with 0 (%d)", grew[2000], grew[0])
	}
}

// TestFeedSettlesPaymentsOfOtherProcesses: another process (a second test
// wallet on the same store, as `satsrail testwallet pay` or another node is)
// pays; this process has no hint of it and no periodic reconciliation, and
// completes the sessions from the settlement feed. An underpayment is passed
// over without holding the feed up.
func TestFeedSettlesPaymentsOfOtherProcesses(t *testing.T) {
	f := setup(t)
	paidBeforeStart := f.session(t)
	other := testwallet.New(testwallet.Config{Store: f.store, MasterKey: f.key})
	if err := other.Pay(t.Context(), paidBeforeStart.PaymentRequest, 0); err != nil {
		t.Fatal(err)
	}
	f.run(t, &watch.Worker{Service: f.svc, Hints: f.wallet.Hints(), Feed: f.feed, FeedEvery: feedEvery})
	if got := f.status(t, paidBeforeStart.ID); got != gateway.StatusCompleted {
		t.Errorf("session paid before start is %s after the start-up reconciliation, want completed", got)
	}

	underpaid, first, second := f.session(t), f.session(t), f.session(t)
	if err := other.Pay(t.Context(), underpaid.PaymentRequest, 1000); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*gateway.CheckoutSession{first, second} {
		if err := other.Pay(t.Context(), s.PaymentRequest, 0); err != nil {
			t.Fatal(err)
		}
		eventually(t, "session "+s.ID+" completed", func() bool { return f.status(t, s.ID) == gateway.StatusCompleted })
	}
	if got := f.status(t, underpaid.ID); got != gateway.StatusPending {
		t.Errorf("underpaid session is %s, want pending", got)
	}
	if n := len(f.wallet.Hints()); n != 0 {
		t.Errorf("%d in-process hints; the payments were made elsewhere", n)
	}
}

// TestFeedRetriesFailedSettlement: a settlement whose lookup fails stays
// under the feed's cursor and is tried again on the next polls.
func TestFeedRetriesFailedSettlement(t *testing.T) {
	f := setup(t)
	f.run(t, &watch.Worker{Service: f.svc, Feed: f.feed, FeedEvery: feedEvery})
	s := f.session(t)
	f.failLookups.Store(3)
	other := testwallet.New(testwallet.Config{Store: f.store, MasterKey: f.key})
	if err := other.Pay(t.Context(), s.PaymentRequest, 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, "session completed", func() bool { return f.status(t, s.ID) == gateway.StatusCompleted })
	if got := f.lookups.Load(); got < 4 {
		t.Errorf("%d lookups, want 3 failures and a success", got)
	}
}

// TestPeriodicReconcileWhenAsked: ReconcileEvery still adds sweeps.
func TestPeriodicReconcileWhenAsked(t *testing.T) {
	f := setup(t)
	f.run(t, &watch.Worker{Service: f.svc, ReconcileEvery: feedEvery})
	for range 3 {
		select {
		case <-f.reconciled:
		case <-time.After(time.Minute):
			t.Fatal("no periodic reconciliation within a minute")
		}
	}
}

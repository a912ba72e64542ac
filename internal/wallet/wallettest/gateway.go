package wallettest

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/rates"
	"github.com/satsrail/satsrail/internal/secretbox"
	"github.com/satsrail/satsrail/internal/testdb"
	"github.com/satsrail/satsrail/internal/worker/watch"
)

// Gateway is a backend's wallet behind the real gateway Service on a real
// store (the run's engine: SQLite, or PostgreSQL with
// SATSRAIL_TEST_STORE=postgres), for the tests every backend needs beyond
// the conformance suite: invoices that lie never shown, a wallet down at
// invoice time, settlement cursors that move only after the settlement
// committed, payments found by reconciliation.
type Gateway struct {
	Store   *Store
	Service *gateway.Service
	Wallets *gateway.Wallets
	Scope   gateway.Scope // the merchant's live mode
	// Settled receives how each completing payment was found ("hint",
	// "reconcile").
	Settled chan string
}

// Store is the gateway's store, able to fail the next settlements.
type Store struct {
	gateway.Store
	// FailSettles makes that many of the next session updates that
	// complete a session fail, as a database outage would; OnFailedSettle,
	// when set, is called at each.
	FailSettles    atomic.Int64
	OnFailedSettle func()
}

// UpdateCheckoutSession fails while FailSettles is positive and the update
// would complete the session.
func (s *Store) UpdateCheckoutSession(ctx context.Context, scope gateway.Scope, id string, fn func(*gateway.CheckoutSession) (gateway.SessionChange, error)) (*gateway.CheckoutSession, error) {
	return s.Store.UpdateCheckoutSession(ctx, scope, id, func(cs *gateway.CheckoutSession) (gateway.SessionChange, error) {
		ch, err := fn(cs)
		if err == nil && ch.Transaction != nil && s.FailSettles.Add(-1) >= 0 {
			if s.OnFailedSettle != nil {
				s.OnFailedSettle()
			}
			return gateway.SessionChange{}, errors.New("wallettest: the database failed the settlement")
		}
		if s.FailSettles.Load() < 0 {
			s.FailSettles.Store(0)
		}
		return ch, err
	})
}

// sealer seals with a fresh master key, as the gateway does.
type sealer struct{ key []byte }

func (s sealer) Seal(p []byte) ([]byte, error) { return secretbox.Seal(s.key, p) }
func (s sealer) Open(p []byte) ([]byte, error) { return secretbox.Open(s.key, p) }

// NewGateway returns a gateway whose wallets are built by backends, with
// one merchant.
func NewGateway(t *testing.T, backends gateway.WalletBackends) *Gateway {
	t.Helper()
	key, err := secretbox.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	g := &Gateway{Store: &Store{Store: testdb.Open(t)}, Settled: make(chan string, 100)}
	g.Wallets = &gateway.Wallets{Store: g.Store, Backends: backends, Sealer: sealer{key}}
	fixed, err := rates.ParseFixed("usd=65000")
	if err != nil {
		t.Fatal(err)
	}
	g.Service = gateway.NewService(gateway.Config{
		Store: g.Store, Rates: rates.New(rates.Config{Fixed: fixed, Currencies: []string{"usd"}}),
		Wallets: g.Wallets, Decode: bolt11.Decode, Sealer: sealer{key}, Backends: backends,
		OnSettle: func(path string, _ gateway.Mode) {
			select {
			case g.Settled <- path:
			default:
			}
		},
	})
	m, _, err := g.Service.CreateMerchant(t.Context(), gateway.MerchantParams{Name: "Wallet Store", Email: "wallet@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	g.Scope = gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeLive}
	return g
}

// Connect connects the merchant's live wallet with p, as PUT /wallet does.
func (g *Gateway) Connect(t *testing.T, p gateway.WalletParams) *gateway.WalletConnection {
	t.Helper()
	conn, err := g.Service.ConnectWallet(t.Context(), g.Scope, p)
	if err != nil {
		t.Fatalf("ConnectWallet: %v", err)
	}
	return conn
}

// Connection re-reads the merchant's wallet connection.
func (g *Gateway) Connection(t *testing.T) *gateway.WalletConnection {
	t.Helper()
	conn, err := g.Store.GetWalletConnection(t.Context(), g.Scope)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// NewSession creates a pending $5 session.
func (g *Gateway) NewSession(t *testing.T) *gateway.CheckoutSession {
	t.Helper()
	amount, cur, succ, canc := int64(500), "usd", "https://shop.example/thanks", "https://shop.example/cart"
	p := &gateway.Principal{Merchant: gateway.Merchant{ID: g.Scope.MerchantID},
		Key: gateway.APIKey{MerchantID: g.Scope.MerchantID, Kind: gateway.KeySecret, Mode: g.Scope.Mode}}
	s, err := g.Service.CreateCheckoutSession(t.Context(), p,
		gateway.CheckoutSessionParams{AmountCents: &amount, Currency: &cur, SuccessURL: &succ, CancelURL: &canc})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Invoice gives a new session its invoice, as the checkout page does.
func (g *Gateway) Invoice(t *testing.T) *gateway.CheckoutSession {
	t.Helper()
	s, err := g.Service.EnsureInvoice(t.Context(), g.NewSession(t).ID)
	if err != nil {
		t.Fatalf("EnsureInvoice: %v", err)
	}
	return s
}

// RunStreams runs the settlement streams (watch.Streams) until the test
// ends, reconnecting after a second at most.
func (g *Gateway) RunStreams(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	s := &watch.Streams{Service: g.Service, Store: g.Store, Wallets: g.Wallets, Node: "test",
		Rescan: time.Second, MaxBackoff: time.Second}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Streams.Run = %v", err)
		}
	})
}

// WaitCompleted waits until session id is completed and returns how it
// was found.
func (g *Gateway) WaitCompleted(t *testing.T, id string) string {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case path := <-g.Settled:
			s, err := g.Service.GetCheckoutSession(t.Context(), gateway.Scope{}, id)
			if err != nil {
				t.Fatal(err)
			}
			if s.Status == gateway.StatusCompleted {
				return path
			}
		case <-deadline:
			t.Fatalf("session %s not completed within a minute", id)
		}
	}
}

// CheckLies checks that no invoice a lying wallet hands out is shown: for
// each lie, setLie makes the backend tell it, and EnsureInvoice must fail
// with "Unable to generate invoice" and leave the session without an
// invoice; once setLie("") the next page load gets one.
func (g *Gateway) CheckLies(t *testing.T, setLie func(string), lies ...string) {
	t.Helper()
	for _, lie := range lies {
		t.Run("Lie"+lie, func(t *testing.T) {
			setLie(lie)
			defer setLie("")
			sess := g.NewSession(t)
			got, err := g.Service.EnsureInvoice(t.Context(), sess.ID)
			var e *gateway.Error
			if err == nil || !errors.As(err, &e) || e.Code != gateway.CodeWalletUnavailable ||
				!strings.Contains(e.Message, "Unable to generate invoice") {
				t.Fatalf("EnsureInvoice with a wallet lying about the %s = %+v, %v; want Unable to generate invoice", lie, got, err)
			}
			after, err := g.Service.GetCheckoutSession(t.Context(), gateway.Scope{}, sess.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after.PaymentRequest != "" || after.PaymentHash != "" {
				t.Fatalf("the lying invoice was kept: %q", after.PaymentRequest)
			}
			setLie("")
			if ok, err := g.Service.EnsureInvoice(t.Context(), sess.ID); err != nil || ok.PaymentRequest == "" {
				t.Fatalf("EnsureInvoice once the wallet tells the truth = %v", err)
			}
		})
	}
}

// Eventually waits up to a minute for cond, checking every 50ms.
func Eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("not within a minute: %s", what)
		}
	}
}

// CheckDownAtInvoiceTime checks that a wallet down when a page needs the
// invoice gives "Unable to generate invoice", recorded in the wallet's
// health, and that the next page load once it is back gets the invoice.
func (g *Gateway) CheckDownAtInvoiceTime(t *testing.T, stop func(), start func() error) {
	t.Helper()
	sess := g.NewSession(t)
	stop()
	_, err := g.Service.EnsureInvoice(t.Context(), sess.ID)
	var e *gateway.Error
	if !errors.As(err, &e) || !strings.Contains(e.Message, "Unable to generate invoice") {
		t.Fatalf("EnsureInvoice with the wallet down = %v", err)
	}
	if h := g.Connection(t); h.LastError == "" {
		t.Error("the outage is not in the wallet's health")
	}
	if err := start(); err != nil {
		t.Fatal(err)
	}
	if got, err := g.Service.EnsureInvoice(t.Context(), sess.ID); err != nil || got.PaymentRequest == "" {
		t.Fatalf("EnsureInvoice once the wallet is back = %v", err)
	}
}

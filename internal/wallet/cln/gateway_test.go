package cln_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/cln"
	"github.com/satsrail/satsrail/internal/wallet/lndsource"
	"github.com/satsrail/satsrail/internal/wallet/wallettest"
)

// backends builds cln wallets for the gateway, as cmd/satsrail does, with
// the fake's CA.
type backends struct{}

type config struct {
	RESTURL, Rune, TLSCert string
}

func (backends) Configure(p gateway.WalletParams) ([]byte, error) {
	if err := cln.CheckReceiveOnly(p.Rune); err != nil {
		return nil, &gateway.Error{Code: gateway.CodeValidation, Message: err.Error()}
	}
	return json.Marshal(config{p.RESTURL, p.Rune, p.TLSCert})
}

func (backends) Open(typ string, _ gateway.Mode, b []byte) (gateway.Wallet, error) {
	var c config
	if err := json.Unmarshal(b, &c); err != nil || typ != "cln" {
		return nil, errors.New("not a cln configuration")
	}
	return cln.New(cln.Config{RESTURL: c.RESTURL, Rune: c.Rune, TLSCertPEM: []byte(c.TLSCert)})
}

func (s *setup) params() gateway.WalletParams {
	return gateway.WalletParams{Type: "cln", RESTURL: s.fake.URL, Rune: s.rune, TLSCert: string(s.fake.CACertPEM)}
}

// payIndex is the pay_index of a paid invoice.
func (s *setup) payIndex(t *testing.T, hash string) uint64 {
	t.Helper()
	inv, err := s.lnd.Lookup(t.Context(), hash)
	if err != nil || inv.SettleIndex == 0 {
		t.Fatalf("invoice %s: %+v, %v", hash, inv, err)
	}
	return inv.SettleIndex
}

func TestGatewayRefusesSpendingRune(t *testing.T) {
	s := newSetup(t)
	g := wallettest.NewGateway(t, backends{})
	p := s.params()
	p.Rune = s.fake.Rune([]string{"method=invoice", "method=pay"})
	_, err := g.Service.ConnectWallet(t.Context(), g.Scope, p)
	var e *gateway.Error
	if !errors.As(err, &e) || e.Code != gateway.CodeValidation || !strings.Contains(e.Message, "createrune") {
		t.Fatalf("ConnectWallet with a rune that can pay = %v", err)
	}
}

func TestGatewayInvoiceLies(t *testing.T) {
	s := newSetup(t)
	g := wallettest.NewGateway(t, backends{})
	g.Connect(t, s.params())
	g.CheckLies(t, func(lie string) { s.fake.SetLie(lndsource.Lie(lie)) },
		string(lndsource.LieAmount), string(lndsource.LieHash), string(lndsource.LieNetwork), string(lndsource.LieExpiry))
}

func TestGatewayWalletDownAtInvoiceTime(t *testing.T) {
	s := newSetup(t)
	g := wallettest.NewGateway(t, backends{})
	g.Connect(t, s.params())
	g.CheckDownAtInvoiceTime(t, s.fake.Stop, s.fake.Start)
}

// TestGatewayCursor: a new connection's cursor starts at the node's latest
// pay_index; it moves past a payment only once the session's settlement
// committed, and a settlement the database failed is applied again.
func TestGatewayCursor(t *testing.T) {
	s := newSetup(t)
	g := wallettest.NewGateway(t, backends{})
	seeded := g.Connect(t, s.params()).SettleIndex
	if want := s.highestPayIndex(t); seeded != want || seeded == 0 {
		t.Fatalf("a new connection's cursor = %d, want the node's highest pay_index %d", seeded, want)
	}
	atFailure := make(chan uint64, 1)
	g.Store.OnFailedSettle = func() { atFailure <- g.Connection(t).SettleIndex }
	g.Store.FailSettles.Store(1)
	g.RunStreams(t)
	sess := g.Invoice(t)
	pay(t, s.n, sess.PaymentRequest, 0)
	path := g.WaitCompleted(t, sess.ID)
	if got := <-atFailure; got != seeded {
		t.Errorf("cursor when the settlement failed = %d, want still %d", got, seeded)
	}
	idx := s.payIndex(t, sess.PaymentHash)
	wallettest.Eventually(t, "the cursor reaches the payment", func() bool { return g.Connection(t).SettleIndex == idx })
	t.Logf("completed by %s after a failed settlement; cursor %d → %d", path, seeded, idx)
}

// TestGatewayPaidWhileStopped: a payment made while no stream ran is
// replayed from the persisted cursor when the gateway starts.
func TestGatewayPaidWhileStopped(t *testing.T) {
	s := newSetup(t)
	g := wallettest.NewGateway(t, backends{})
	g.Connect(t, s.params())
	sess := g.Invoice(t)
	pay(t, s.n, sess.PaymentRequest, 0)
	g.RunStreams(t)
	if path := g.WaitCompleted(t, sess.ID); path != "hint" {
		t.Errorf("completed by %s, want the stream's replay (hint)", path)
	}
}

// TestGatewayPaidWhileStreamDown: the node's REST endpoint goes away
// while a long-poll waits; the payment made meanwhile completes the
// session once it is back.
func TestGatewayPaidWhileStreamDown(t *testing.T) {
	s := newSetup(t)
	g := wallettest.NewGateway(t, backends{})
	g.Connect(t, s.params())
	sess := g.Invoice(t)
	s.drainPolls()
	g.RunStreams(t)
	s.waitPoll(t)
	s.fake.Stop()
	wallettest.Eventually(t, "the stream is seen lost", func() bool { return !g.Connection(t).StreamAlive })
	pay(t, s.n, sess.PaymentRequest, 0)
	if err := s.fake.Start(); err != nil {
		t.Fatal(err)
	}
	path := g.WaitCompleted(t, sess.ID)
	t.Logf("paid while the stream was down: completed by %s", path)
}

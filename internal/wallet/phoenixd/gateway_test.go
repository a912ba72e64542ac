package phoenixd_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/wallet/lndsource"
	"github.com/satsrail/satsrail/internal/wallet/phoenixd"
	"github.com/satsrail/satsrail/internal/wallet/wallettest"
)

// backends builds phoenixd wallets for the gateway, as cmd/satsrail does.
type backends struct{}

type config struct{ URL, Password string }

func (backends) Configure(p gateway.WalletParams) ([]byte, error) {
	return json.Marshal(config{p.URL, p.Password})
}

func (backends) Open(typ string, _ gateway.Mode, b []byte) (gateway.Wallet, error) {
	var c config
	if err := json.Unmarshal(b, &c); err != nil || typ != "phoenixd" {
		return nil, errors.New("not a phoenixd configuration")
	}
	return phoenixd.New(phoenixd.Config{URL: c.URL, Password: c.Password})
}

func (s *setup) params() gateway.WalletParams {
	return gateway.WalletParams{Type: "phoenixd", URL: s.fake.URL, Password: s.fake.LimitedPassword}
}

func TestGatewayRefusesFullAccess(t *testing.T) {
	s := newSetup(t)
	g := wallettest.NewGateway(t, backends{})
	p := s.params()
	p.Password = s.fake.FullPassword
	_, err := g.Service.ConnectWallet(t.Context(), g.Scope, p)
	var e *gateway.Error
	if !errors.As(err, &e) || e.Code != gateway.CodeValidation || !strings.Contains(e.Message, "http-password-limited-access") {
		t.Fatalf("ConnectWallet with the full-access password = %v", err)
	}
	if strings.Contains(e.Message, s.fake.FullPassword) {
		t.Fatal("the error holds the password")
	}
	if _, err := g.Store.GetWalletConnection(t.Context(), g.Scope); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("a refused wallet was stored: %v", err)
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

// TestGatewayHints: a payment completes its session through the
// websocket; a forged payment_received for an unpaid invoice is looked up
// and settles nothing.
func TestGatewayHints(t *testing.T) {
	s := newSetup(t)
	g := wallettest.NewGateway(t, backends{})
	g.Connect(t, s.params())
	g.RunStreams(t)
	joined(t, s)

	forged := g.Invoice(t)
	lookups := s.fake.Calls("/payments/incoming/" + forged.PaymentHash)
	s.fake.Broadcast(map[string]any{"type": "payment_received", "amountSat": forged.AmountSats, "paymentHash": forged.PaymentHash})
	wallettest.Eventually(t, "the forged hint is looked up", func() bool {
		return s.fake.Calls("/payments/incoming/"+forged.PaymentHash) > lookups
	})
	if got, err := g.Service.GetCheckoutSession(t.Context(), gateway.Scope{}, forged.ID); err != nil || got.Status != gateway.StatusPending {
		t.Fatalf("after a forged hint the session is %+v, %v", got, err)
	}

	sess := g.Invoice(t)
	pay(t, s.n, sess.PaymentRequest, 0)
	if path := g.WaitCompleted(t, sess.ID); path != "hint" {
		t.Errorf("completed by %s, want the websocket's hint", path)
	}
	if got, _ := g.Service.GetCheckoutSession(t.Context(), gateway.Scope{}, forged.ID); got.Status != gateway.StatusPending {
		t.Errorf("the forged session is %s", got.Status)
	}
}

// TestGatewayPaidWhileStreamDown: phoenixd replays no websocket message;
// the payment made while the websocket was down is found by the
// reconciliation that follows the reconnect.
func TestGatewayPaidWhileStreamDown(t *testing.T) {
	s := newSetup(t)
	g := wallettest.NewGateway(t, backends{})
	g.Connect(t, s.params())
	sess := g.Invoice(t)
	g.RunStreams(t)
	joined(t, s)
	s.fake.Stop()
	wallettest.Eventually(t, "the stream is seen lost", func() bool { return !g.Connection(t).StreamAlive })
	pay(t, s.n, sess.PaymentRequest, 0)
	if err := s.fake.Start(); err != nil {
		t.Fatal(err)
	}
	if path := g.WaitCompleted(t, sess.ID); path != "reconcile" {
		t.Errorf("completed by %s, want reconcile", path)
	}
}

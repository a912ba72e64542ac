package cln_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/regtest"
	"github.com/satsrail/satsrail/internal/wallet/cln"
	"github.com/satsrail/satsrail/internal/wallet/cln/clnfake"
	"github.com/satsrail/satsrail/internal/wallet/lndsource"
	"github.com/satsrail/satsrail/internal/wallet/wallettest"
)

// The package's tests share one regtest network. Core Lightning cannot run
// here: a fake clnrest (clnfake) stands in for it, making its invoices on
// the network's merchant lnd, so payments are real.
var shared wallettest.SharedNetwork

func TestMain(m *testing.M) { shared.Main(m) }

// receiveRune is the rune CreateRuneCommand makes.
var receiveRune = [][]string{{"method=invoice", "method=listinvoices", "method=waitanyinvoice", "method=waitinvoice", "method=getinfo"}}

// setup is one test's fake node on the shared network.
type setup struct {
	n    *regtest.Network
	fake *clnfake.Fake
	lnd  *lndsource.Source
	rune string
}

func newSetup(t testing.TB) *setup {
	t.Helper()
	n := shared.Get(t)
	src, err := lndsource.New(n.Merchant.RESTURL, n.Merchant.TLSCertPEM, n.Merchant.AdminMacaroon)
	if err != nil {
		t.Fatal(err)
	}
	f, err := clnfake.New(src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return &setup{n: n, fake: f, lnd: src, rune: f.Rune(receiveRune...)}
}

// client returns a client as a merchant configures it: the URL, the rune
// and clnrest's ca.pem.
func (s *setup) client(t testing.TB, opts ...func(*cln.Config)) *cln.Client {
	t.Helper()
	cfg := cln.Config{RESTURL: s.fake.URL, Rune: s.rune, TLSCertPEM: s.fake.CACertPEM}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := cln.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pay(t *testing.T, n *regtest.Network, bolt11 string, amount gateway.MilliSat) {
	t.Helper()
	wallettest.Pay(n)(t, bolt11, amount)
}

func newInvoice(t *testing.T, c *cln.Client, amount gateway.MilliSat) gateway.Invoice {
	t.Helper()
	inv, err := c.CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: amount, Memo: t.Name(),
		ExpiresAt: time.Now().Add(10 * time.Minute), SessionID: "cs_test"})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// highestPayIndex is the node's highest pay_index, read from lnd itself.
func (s *setup) highestPayIndex(t testing.TB) uint64 {
	t.Helper()
	all, err := s.lnd.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var hi uint64
	for _, inv := range all {
		hi = max(hi, inv.SettleIndex)
	}
	return hi
}

func TestConformance(t *testing.T) {
	s := newSetup(t)
	c := s.client(t)
	if _, err := c.Test(t.Context()); err != nil {
		t.Fatal(err)
	}
	wallettest.Run(t, wallettest.Harness{
		Wallet: c,
		Pay:    wallettest.Pay(s.n),
		Decode: bolt11.Decode,
	})
}

func TestConnectionTest(t *testing.T) {
	s := newSetup(t)

	t.Run("NetworkFromGetinfo", func(t *testing.T) {
		c := s.client(t)
		network, err := c.Test(t.Context())
		if err != nil || network != "regtest" {
			t.Fatalf("Test() = %q, %v; want regtest", network, err)
		}
		if s.fake.Calls("getinfo") == 0 {
			t.Error("Test did not ask getinfo")
		}
	})

	t.Run("RuneWithoutGetinfo", func(t *testing.T) {
		r := s.fake.Rune([]string{"method=invoice", "method=listinvoices", "method=waitanyinvoice"})
		c := s.client(t, func(cfg *cln.Config) { cfg.Rune = r })
		if network, err := c.Test(t.Context()); err != nil || network != "regtest" {
			t.Fatalf("Test() = %q, %v; want regtest from the invoice", network, err)
		}
	})

	t.Run("GetinfoSaysBitcoin", func(t *testing.T) {
		s := newSetup(t)
		s.fake.Network = "bitcoin" // Core Lightning's name for mainnet
		_, err := s.client(t).Test(t.Context())
		if err == nil || !strings.Contains(err.Error(), "mainnet") || !strings.Contains(err.Error(), "regtest") {
			t.Fatalf("Test() against a mainnet node making regtest invoices = %v, want a network error", err)
		}
	})

	t.Run("RuneNotTheNodes", func(t *testing.T) {
		c := s.client(t, func(cfg *cln.Config) { cfg.Rune = rune("=9&method=invoice|method=listinvoices") })
		_, err := c.Test(t.Context())
		if err == nil || !strings.Contains(err.Error(), "refused the rune") {
			t.Fatalf("Test() with a rune the node did not issue = %v", err)
		}
	})
}

func TestRefusesSpendingRune(t *testing.T) {
	s := newSetup(t)
	for name, r := range map[string]string{
		"unrestricted":   s.fake.Rune(),
		"allows pay":     s.fake.Rune([]string{"method=invoice", "method=listinvoices", "method=pay"}),
		"blacklist only": s.fake.Rune([]string{"method/pay"}, []string{"method/xpay"}, []string{"method/withdraw"}),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := cln.New(cln.Config{RESTURL: s.fake.URL, Rune: r, TLSCertPEM: s.fake.CACertPEM})
			if !errors.Is(err, cln.ErrNotReceiveOnly) || !strings.Contains(err.Error(), "createrune") {
				t.Fatalf("New = %v, want ErrNotReceiveOnly with how to make a rune", err)
			}
		})
	}
}

func TestPinnedTLS(t *testing.T) {
	s := newSetup(t)
	other := newSetup(t)
	for name, cert := range map[string][]byte{
		"another node's CA":      other.fake.CACertPEM,
		"no cert (system roots)": nil,
	} {
		t.Run(name, func(t *testing.T) {
			c := s.client(t, func(cfg *cln.Config) { cfg.TLSCertPEM = cert })
			_, err := c.Test(t.Context())
			if err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Fatalf("Test() = %v, want a certificate error", err)
			}
		})
	}
	t.Run("ReachedByAnotherName", func(t *testing.T) {
		// clnrest's certificate names "cln" and "localhost"; the node is
		// reached as 127.0.0.1: the pinned CA is enough.
		if _, err := s.client(t).Test(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLookup(t *testing.T) {
	s := newSetup(t)
	c := s.client(t)
	if _, err := c.Test(t.Context()); err != nil {
		t.Fatal(err)
	}

	t.Run("Overpaid", func(t *testing.T) {
		inv := newInvoice(t, c, 10_000)
		pay(t, s.n, inv.PaymentRequest, 25_000)
		got, err := c.LookupInvoice(t.Context(), inv.PaymentHash)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != gateway.InvoiceSettled || got.AmountMsat != 10_000 || got.AmountPaidMsat != 25_000 {
			t.Errorf("got %s, %d msat, paid %d; want settled, 10000, paid 25000", got.State, got.AmountMsat, got.AmountPaidMsat)
		}
	})

	t.Run("UpperCaseHash", func(t *testing.T) {
		inv := newInvoice(t, c, 1000)
		got, err := c.LookupInvoice(t.Context(), strings.ToUpper(inv.PaymentHash))
		if err != nil || got.PaymentHash != inv.PaymentHash {
			t.Errorf("LookupInvoice(upper case) = %s, %v", got.PaymentHash, err)
		}
	})

	t.Run("Malformed", func(t *testing.T) {
		for _, h := range []string{"", "abc", strings.Repeat("zz", 32), strings.Repeat("ab", 33)} {
			if _, err := c.LookupInvoice(t.Context(), h); !errors.Is(err, gateway.ErrNotFound) {
				t.Errorf("LookupInvoice(%q) = %v, want ErrNotFound", h, err)
			}
		}
	})

	t.Run("SameSessionTwice", func(t *testing.T) {
		// Labels are unique on a node: two invoices of one session get two.
		a, b := newInvoice(t, c, 1000), newInvoice(t, c, 1000)
		if a.PaymentHash == b.PaymentHash {
			t.Error("one invoice for two requests")
		}
	})
}

func TestWalletDownThenBack(t *testing.T) {
	s := newSetup(t)
	c := s.client(t)
	if _, err := c.Test(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.fake.Stop()
	_, err := c.CreateInvoice(t.Context(), gateway.InvoiceRequest{AmountMsat: 1000, ExpiresAt: time.Now().Add(time.Minute)})
	if err == nil {
		t.Fatal("CreateInvoice succeeded with the node down")
	}
	if strings.Contains(err.Error(), s.rune) {
		t.Fatal("the error holds the rune")
	}
	if err := s.fake.Start(); err != nil {
		t.Fatal(err)
	}
	newInvoice(t, c, 1000)
}

// drainPolls forgets the long-polls that started waiting so far.
func (s *setup) drainPolls() {
	for {
		select {
		case <-s.fake.Waiting():
		default:
			return
		}
	}
}

// waitPoll waits until a waitanyinvoice long-poll starts waiting.
func (s *setup) waitPoll(t *testing.T) {
	t.Helper()
	select {
	case <-s.fake.Waiting():
	case <-time.After(30 * time.Second):
		t.Fatal("no waitanyinvoice long-poll started waiting")
	}
}

// settlement is one call of SubscribeSettled's fn.
type settlement struct {
	hash  string
	index uint64
}

// subscribe runs SubscribeSettled from index until it has delivered want.
func subscribe(t *testing.T, c *cln.Client, index uint64, want string) []settlement {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var got []settlement
	found := errors.New("found")
	err := c.SubscribeSettled(ctx, index, nil, func(hash string, index uint64) error {
		got = append(got, settlement{hash, index})
		if hash == want {
			return found
		}
		return nil
	})
	if !errors.Is(err, found) {
		t.Fatalf("SubscribeSettled(%d) = %v after %v, before %s", index, err, got, want)
	}
	return got
}

func TestSubscribeSettled(t *testing.T) {
	s := newSetup(t)
	c := s.client(t, func(cfg *cln.Config) { cfg.WaitTimeout = time.Second })
	if _, err := c.Test(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := s.highestPayIndex(t)
	a := newInvoice(t, c, 5000)
	pay(t, s.n, a.PaymentRequest, 0)
	got := subscribe(t, c, before, a.PaymentHash)
	if len(got) != 1 || got[0].index != before+1 {
		t.Fatalf("from %d: %v, want only %s at %d", before, got, a.PaymentHash, before+1)
	}

	t.Run("ZeroReplaysFromTheFirst", func(t *testing.T) {
		got := subscribe(t, c, 0, a.PaymentHash)
		if got[0].index != 1 || got[len(got)-1].index != before+1 {
			t.Errorf("from 0: first %d, last %d; want 1 and %d", got[0].index, got[len(got)-1].index, before+1)
		}
	})

	t.Run("Live", func(t *testing.T) {
		// Each long-poll lasts a second here: the payment comes after a
		// few have timed out (904) and been asked again.
		b := newInvoice(t, c, 6000)
		s.drainPolls()
		done := make(chan []settlement, 1)
		go func() { done <- subscribe(t, c, before+1, b.PaymentHash) }()
		for range 3 {
			s.waitPoll(t)
		}
		pay(t, s.n, b.PaymentRequest, 0)
		got := <-done
		if len(got) != 1 || got[0].index != before+2 {
			t.Errorf("live: %v, want only %s at %d", got, b.PaymentHash, before+2)
		}
	})

	t.Run("CancelWhileWaiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		s.drainPolls()
		done := make(chan error, 1)
		slow := s.client(t) // a 50 s long-poll: cancellation must not wait for it
		go func() {
			done <- slow.SubscribeSettled(ctx, s.highestPayIndex(t), nil, func(string, uint64) error { return nil })
		}()
		s.waitPoll(t)
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("SubscribeSettled = %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("SubscribeSettled ignores ctx")
		}
	})

	t.Run("NodeDown", func(t *testing.T) {
		s.drainPolls()
		done := make(chan error, 1)
		go func() {
			done <- c.SubscribeSettled(t.Context(), s.highestPayIndex(t), nil, func(string, uint64) error { return nil })
		}()
		s.waitPoll(t)
		s.fake.Stop()
		defer s.fake.Start()
		select {
		case err := <-done:
			if err == nil {
				t.Error("SubscribeSettled returned nil when the node went down")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the long-poll outlived the node")
		}
	})

	// Live: live is called once the node has answered, without waiting
	// out a long-poll, and never while the node cannot be reached.
	t.Run("LiveOnceAnswered", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		slow := s.client(t) // a 50 s long-poll: live must not wait for it
		live := make(chan struct{}, 2)
		done := make(chan error, 1)
		go func() {
			done <- slow.SubscribeSettled(ctx, s.highestPayIndex(t), func() { live <- struct{}{} }, func(string, uint64) error { return nil })
		}()
		select {
		case <-live:
		case err := <-done:
			t.Fatalf("SubscribeSettled = %v before it was live", err)
		case <-time.After(10 * time.Second):
			t.Fatal("live not called within 10s on a reachable node")
		}
		cancel()
		<-done
		if len(live) != 0 {
			t.Error("live called more than once")
		}
	})
	t.Run("NeverLiveWhenDown", func(t *testing.T) {
		s.fake.Stop()
		defer s.fake.Start()
		lives := 0
		err := c.SubscribeSettled(t.Context(), 0, func() { lives++ }, func(string, uint64) error { return nil })
		if err == nil || lives != 0 {
			t.Errorf("SubscribeSettled with the node down = %v, live called %d times; want an error and 0", err, lives)
		}
	})
}

func TestSettlementCursor(t *testing.T) {
	s := newSetup(t)
	c := s.client(t)
	got, err := c.SettlementCursor(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := s.highestPayIndex(t); got != want {
		t.Fatalf("SettlementCursor = %d, want the highest pay_index %d", got, want)
	}
	calls := s.fake.Calls("waitanyinvoice")
	inv := newInvoice(t, c, 2000)
	pay(t, s.n, inv.PaymentRequest, 0)
	if got2, err := c.SettlementCursor(t.Context()); err != nil || got2 != got+1 {
		t.Fatalf("after a payment SettlementCursor = %d, %v; want %d", got2, err, got+1)
	}
	t.Logf("found pay_index %d in %d waitanyinvoice calls", got+1, s.fake.Calls("waitanyinvoice")-calls)
}

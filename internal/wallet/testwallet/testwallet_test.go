package testwallet_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/satsrail/satsrail/internal/bolt11"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/secretbox"
	"github.com/satsrail/satsrail/internal/wallet/testwallet"
	"github.com/satsrail/satsrail/internal/wallet/wallettest"
)

// fixture is one test's wallet, store and clock.
type fixture struct {
	store  *memStore
	master []byte
	clock  *clock
	wallet *testwallet.Wallet
}

// clock is a settable Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newKey(t *testing.T) []byte {
	t.Helper()
	k, err := secretbox.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// setup returns a wallet on a fresh store whose clock stands still at a
// time with a fraction of a second, unless the test moves it.
func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		store:  newMemStore(),
		master: newKey(t),
		clock:  &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 700_000_000, time.UTC)},
	}
	f.wallet = f.newWallet(f.master)
	return f
}

// newWallet opens another Wallet on the fixture's store and clock, as a
// second process would.
func (f *fixture) newWallet(master []byte) *testwallet.Wallet {
	return testwallet.New(testwallet.Config{Store: f.store, MasterKey: master, Now: f.clock.Now})
}

func (f *fixture) request(amount gateway.MilliSat) gateway.InvoiceRequest {
	return gateway.InvoiceRequest{AmountMsat: amount, Memo: "order #42", ExpiresAt: f.clock.Now().Add(15 * time.Minute)}
}

func create(t *testing.T, w gateway.Wallet, req gateway.InvoiceRequest) gateway.Invoice {
	t.Helper()
	inv, err := w.CreateInvoice(t.Context(), req)
	if err != nil {
		t.Fatalf("CreateInvoice: %v", err)
	}
	return inv
}

func lookup(t *testing.T, w gateway.Wallet, hash string) gateway.Invoice {
	t.Helper()
	inv, err := w.LookupInvoice(t.Context(), hash)
	if err != nil {
		t.Fatalf("LookupInvoice: %v", err)
	}
	return inv
}

func decode(t *testing.T, s string) gateway.DecodedInvoice {
	t.Helper()
	d, err := bolt11.Decode(s)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return d
}

func TestConformance(t *testing.T) {
	// Real time: the suite asks for expiries relative to time.Now.
	w := testwallet.New(testwallet.Config{Store: newMemStore(), MasterKey: newKey(t)})
	wallettest.Run(t, wallettest.Harness{
		Wallet: w.For("m_conformance"),
		Pay: func(t *testing.T, s string, amount gateway.MilliSat) {
			t.Helper()
			if err := w.Pay(t.Context(), s, amount); err != nil {
				t.Fatalf("Pay: %v", err)
			}
		},
		Decode: bolt11.Decode,
	})
}

func TestCreateInvoice(t *testing.T) {
	f := setup(t)
	m := f.wallet.For("m_1")
	if got := m.Network(); got != "regtest" {
		t.Errorf("Network = %q", got)
	}
	now := f.clock.Now() // 10:00:00.7
	req := gateway.InvoiceRequest{AmountMsat: 1_234_567, Memo: "café", ExpiresAt: now.Add(15*time.Minute - 500*time.Millisecond)}
	inv := create(t, m, req)
	if !strings.HasPrefix(inv.PaymentRequest, "lnbcrt") {
		t.Errorf("PaymentRequest = %.12q…, want lnbcrt", inv.PaymentRequest)
	}
	d := decode(t, inv.PaymentRequest)
	ts := now.Truncate(time.Second)
	want := gateway.DecodedInvoice{
		Network:     "regtest",
		PaymentHash: inv.PaymentHash,
		AmountMsat:  1_234_567,
		CreatedAt:   ts,
		// 10:00:00 + ceil(15m0.2s) = 10:15:01: never before the request.
		ExpiresAt:   ts.Add(15*time.Minute + time.Second),
		Description: "café",
		Payee:       d.Payee,
	}
	if d != want {
		t.Errorf("decoded\n %+v\nwant\n %+v", d, want)
	}
	stored, err := f.store.GetTestInvoice(t.Context(), inv.PaymentHash)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.ExpiresAt.Equal(d.ExpiresAt) || !stored.CreatedAt.Equal(now) || stored.MerchantID != "m_1" ||
		stored.PaymentRequest != inv.PaymentRequest || stored.AmountMsat != req.AmountMsat || !stored.SettledAt.IsZero() {
		t.Errorf("stored %+v", stored)
	}
	preimage, _ := hex.DecodeString(stored.Preimage)
	if sum := sha256.Sum256(preimage); hex.EncodeToString(sum[:]) != inv.PaymentHash {
		t.Error("stored preimage does not hash to the payment hash")
	}
}

func TestCreateInvoiceRefuses(t *testing.T) {
	f := setup(t)
	m := f.wallet.For("m_1")
	now := f.clock.Now()
	tests := map[string]gateway.InvoiceRequest{
		"zero amount":     {AmountMsat: 0, ExpiresAt: now.Add(time.Hour)},
		"negative amount": {AmountMsat: -1, ExpiresAt: now.Add(time.Hour)},
		"expires now":     {AmountMsat: 1000, ExpiresAt: now},
		"expired":         {AmountMsat: 1000, ExpiresAt: now.Add(-time.Second)},
		"no expiry":       {AmountMsat: 1000},
	}
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			if inv, err := m.CreateInvoice(t.Context(), req); err == nil {
				t.Fatalf("CreateInvoice = %+v, want an error", inv)
			}
		})
	}
	if n := f.store.keyCount(); n != 0 {
		t.Errorf("refused requests made %d node keys", n)
	}
}

func TestCreateInvoiceShortExpiry(t *testing.T) {
	f := setup(t)
	inv := create(t, f.wallet.For("m_1"), gateway.InvoiceRequest{AmountMsat: 1000, ExpiresAt: f.clock.Now().Add(time.Millisecond)})
	d := decode(t, inv.PaymentRequest)
	if got := d.ExpiresAt.Sub(d.CreatedAt); got != time.Second {
		t.Errorf("expiry = %s, want 1s", got)
	}
}

func TestDescription(t *testing.T) {
	f := setup(t)
	m := f.wallet.For("m_1")
	long := strings.Repeat("é", 400) // 800 bytes, more than BOLT11 holds
	tests := []struct{ memo, want string }{
		{"", testwallet.DefaultDescription},
		{"Order 42 — 2 × coffee", "Order 42 — 2 × coffee"},
		{long, strings.Repeat("é", 319)}, // 638 bytes: 639 would split a character
	}
	for _, tt := range tests {
		req := f.request(1000)
		req.Memo = tt.memo
		d := decode(t, create(t, m, req).PaymentRequest)
		if d.Description != tt.want || !utf8.ValidString(d.Description) {
			t.Errorf("memo %.20q…: description %.20q… (%d bytes), want %d bytes", tt.memo, d.Description, len(d.Description), len(tt.want))
		}
	}
}

func TestOtherMerchantsInvoice(t *testing.T) {
	f := setup(t)
	a, b := f.wallet.For("m_a"), f.wallet.For("m_b")
	inv := create(t, a, f.request(5000))
	if _, err := b.LookupInvoice(t.Context(), inv.PaymentHash); !errors.Is(err, gateway.ErrNotFound) {
		t.Errorf("other merchant's LookupInvoice: err = %v, want ErrNotFound", err)
	}
	if err := b.SimulatePayment(t.Context(), inv.PaymentHash); !errors.Is(err, gateway.ErrNotFound) {
		t.Errorf("other merchant's SimulatePayment: err = %v, want ErrNotFound", err)
	}
	if got := lookup(t, a, inv.PaymentHash); got.State != gateway.InvoiceOpen {
		t.Errorf("State = %q after the other merchant tried to pay, want open", got.State)
	}
	// Node keys are per merchant.
	invB := create(t, b, f.request(5000))
	if decode(t, inv.PaymentRequest).Payee == decode(t, invB.PaymentRequest).Payee {
		t.Error("two merchants share a node key")
	}
}

func TestLookupIsCaseInsensitive(t *testing.T) {
	f := setup(t)
	m := f.wallet.For("m_1")
	inv := create(t, m, f.request(5000))
	if got := lookup(t, m, strings.ToUpper(inv.PaymentHash)); got.PaymentHash != inv.PaymentHash {
		t.Errorf("PaymentHash = %q", got.PaymentHash)
	}
}

func TestNodeKeySealedAndStable(t *testing.T) {
	f := setup(t)
	inv := create(t, f.wallet.For("m_1"), f.request(1000))
	payee := decode(t, inv.PaymentRequest).Payee

	sealed := f.store.sealedKey("m_1")
	raw, err := secretbox.Open(f.master, sealed)
	if err != nil {
		t.Fatalf("the stored key does not open with the master key: %v", err)
	}
	if len(raw) != 32 {
		t.Fatalf("node key is %d bytes", len(raw))
	}
	if bytes.Contains(sealed, raw) || len(sealed) != len(raw)+secretbox.Overhead {
		t.Error("the stored key is not sealed")
	}

	// Another process with the same master key is the same node.
	other := f.newWallet(bytes.Clone(f.master))
	inv2 := create(t, other.For("m_1"), f.request(1000))
	if got := decode(t, inv2.PaymentRequest).Payee; got != payee {
		t.Errorf("payee after reopening = %s, want %s", got, payee)
	}
	if !bytes.Equal(f.store.sealedKey("m_1"), sealed) {
		t.Error("reopening replaced the stored key")
	}
}

func TestWrongMasterKey(t *testing.T) {
	f := setup(t)
	create(t, f.wallet.For("m_1"), f.request(1000))
	for name, master := range map[string][]byte{
		"other key": newKey(t),
		"short key": f.master[:16],
		"no key":    nil,
	} {
		t.Run(name, func(t *testing.T) {
			w := f.newWallet(master)
			if inv, err := w.For("m_1").CreateInvoice(t.Context(), f.request(1000)); err == nil {
				t.Fatalf("CreateInvoice with the wrong master key = %+v", inv)
			}
		})
	}
	if _, err := f.newWallet(nil).For("m_new").CreateInvoice(t.Context(), f.request(1000)); err == nil {
		t.Error("a wallet without a master key made a node key")
	}
}

func TestConcurrentFirstUse(t *testing.T) {
	f := setup(t)
	wallets := []*testwallet.Wallet{f.wallet, f.newWallet(f.master)}
	const perWallet = 4
	payees := make([]string, 0, len(wallets)*perWallet)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	start := make(chan struct{})
	for _, w := range wallets {
		for range perWallet {
			wg.Go(func() {
				<-start
				inv, err := w.For("m_race").CreateInvoice(t.Context(), f.request(1000))
				if err != nil {
					t.Error(err)
					return
				}
				d, err := bolt11.Decode(inv.PaymentRequest)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				payees = append(payees, d.Payee)
				mu.Unlock()
			})
		}
	}
	close(start)
	wg.Wait()
	for _, p := range payees {
		if p != payees[0] {
			t.Fatalf("concurrent first uses made different nodes: %v", payees)
		}
	}
	if n := f.store.keyCount(); n != 1 {
		t.Errorf("store holds %d keys, want 1", n)
	}
}

func TestExpiredInvoice(t *testing.T) {
	f := setup(t)
	m := f.wallet.For("m_1")
	inv := create(t, m, f.request(1000))
	d := decode(t, inv.PaymentRequest)

	f.clock.Add(d.ExpiresAt.Sub(f.clock.Now()) - time.Microsecond)
	if got := lookup(t, m, inv.PaymentHash); got.State != gateway.InvoiceOpen {
		t.Fatalf("State just before expiry = %q, want open", got.State)
	}
	f.clock.Add(time.Microsecond) // exactly at expiry
	got := lookup(t, m, inv.PaymentHash)
	if got.State != gateway.InvoiceCanceled || got.Preimage != "" || got.AmountPaidMsat != 0 {
		t.Errorf("expired invoice = %+v, want canceled without preimage", got)
	}
	if err := m.SimulatePayment(t.Context(), inv.PaymentHash); !errors.Is(err, testwallet.ErrExpired) {
		t.Errorf("SimulatePayment: err = %v, want ErrExpired", err)
	}
	if err := f.wallet.Pay(t.Context(), inv.PaymentRequest, 0); !errors.Is(err, testwallet.ErrExpired) {
		t.Errorf("Pay: err = %v, want ErrExpired", err)
	}
	if got := lookup(t, m, inv.PaymentHash); got.State != gateway.InvoiceCanceled {
		t.Errorf("State = %q, want canceled", got.State)
	}
	select {
	case h := <-f.wallet.Hints():
		t.Errorf("hint %s for a refused payment", h)
	default:
	}
}

func TestSimulatePayment(t *testing.T) {
	f := setup(t)
	m := f.wallet.For("m_1")
	inv := create(t, m, f.request(21_000))
	f.clock.Add(3 * time.Second)
	paidAt := f.clock.Now()
	if err := m.SimulatePayment(t.Context(), inv.PaymentHash); err != nil {
		t.Fatal(err)
	}
	got := lookup(t, m, inv.PaymentHash)
	if got.State != gateway.InvoiceSettled || got.AmountPaidMsat != 21_000 || !got.SettledAt.Equal(paidAt) {
		t.Errorf("paid invoice = %+v", got)
	}
	select {
	case h := <-f.wallet.Hints():
		if h != inv.PaymentHash {
			t.Errorf("hint = %s, want %s", h, inv.PaymentHash)
		}
	default:
		t.Fatal("no hint")
	}

	// Paying again changes nothing and announces nothing, even after expiry.
	f.clock.Add(time.Hour)
	if err := m.SimulatePayment(t.Context(), inv.PaymentHash); err != nil {
		t.Errorf("second SimulatePayment: %v", err)
	}
	if err := f.wallet.Pay(t.Context(), inv.PaymentRequest, 1); err != nil {
		t.Errorf("Pay of a paid invoice: %v", err)
	}
	if again := lookup(t, m, inv.PaymentHash); again != got {
		t.Errorf("after paying twice\n %+v\nwant\n %+v", again, got)
	}
	select {
	case h := <-f.wallet.Hints():
		t.Errorf("second hint %s", h)
	default:
	}
	if err := m.SimulatePayment(t.Context(), strings.Repeat("ab", 32)); !errors.Is(err, gateway.ErrNotFound) {
		t.Errorf("SimulatePayment(unknown): err = %v, want ErrNotFound", err)
	}
}

func TestPayAmounts(t *testing.T) {
	f := setup(t)
	m := f.wallet.For("m_1")
	tests := []struct {
		name      string
		pay, want gateway.MilliSat
	}{
		{"in full", 0, 50_000},
		{"underpaid", 49_000, 49_000},
		{"overpaid", 60_000, 60_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := create(t, m, f.request(50_000))
			if err := f.wallet.Pay(t.Context(), inv.PaymentRequest, tt.pay); err != nil {
				t.Fatal(err)
			}
			got := lookup(t, m, inv.PaymentHash)
			if got.State != gateway.InvoiceSettled || got.AmountPaidMsat != tt.want || got.AmountMsat != 50_000 {
				t.Errorf("got %+v, want settled paying %d", got, tt.want)
			}
			if h := <-f.wallet.Hints(); h != inv.PaymentHash {
				t.Errorf("hint = %s", h)
			}
		})
	}
	t.Run("upper case with scheme", func(t *testing.T) {
		inv := create(t, m, f.request(50_000))
		if err := f.wallet.Pay(t.Context(), "LIGHTNING:"+strings.ToUpper(inv.PaymentRequest), 0); err != nil {
			t.Fatal(err)
		}
		if got := lookup(t, m, inv.PaymentHash); got.State != gateway.InvoiceSettled {
			t.Errorf("State = %q", got.State)
		}
		<-f.wallet.Hints()
	})
	t.Run("negative", func(t *testing.T) {
		inv := create(t, m, f.request(50_000))
		if err := f.wallet.Pay(t.Context(), inv.PaymentRequest, -1); err == nil {
			t.Error("Pay(-1 msat) succeeded")
		}
	})
}

func TestPayRefuses(t *testing.T) {
	f := setup(t)
	// A genuine regtest invoice from another installation (another store).
	stranger := setup(t)
	foreign := create(t, stranger.wallet.For("m_1"), stranger.request(1000))

	if err := f.wallet.Pay(t.Context(), foreign.PaymentRequest, 0); !errors.Is(err, gateway.ErrNotFound) {
		t.Errorf("Pay(foreign invoice): err = %v, want ErrNotFound", err)
	}
	if err := f.wallet.Pay(t.Context(), "lnbc1garbage", 0); !errors.Is(err, bolt11.ErrInvalid) {
		t.Errorf("Pay(garbage): err = %v, want bolt11.ErrInvalid", err)
	}
	mainnet := "lnbc" + foreign.PaymentRequest[len("lnbcrt"):]
	if err := f.wallet.Pay(t.Context(), mainnet, 0); err == nil {
		t.Error("Pay(mainnet invoice) succeeded")
	}

	// A row under the invoice's hash whose payment request differs (a hash
	// this wallet knows, in an invoice another node signed) is not this
	// wallet's invoice.
	own := create(t, f.wallet.For("m_1"), f.request(1000))
	row, err := f.store.GetTestInvoice(t.Context(), own.PaymentHash)
	if err != nil {
		t.Fatal(err)
	}
	row.PaymentHash = foreign.PaymentHash
	if err := f.store.InsertTestInvoice(t.Context(), *row); err != nil {
		t.Fatal(err)
	}
	if err := f.wallet.Pay(t.Context(), foreign.PaymentRequest, 0); !errors.Is(err, gateway.ErrNotFound) {
		t.Errorf("Pay(invoice signed elsewhere): err = %v, want ErrNotFound", err)
	}
	if got := lookup(t, f.wallet.For("m_1"), foreign.PaymentHash); got.State != gateway.InvoiceOpen {
		t.Errorf("State = %q, want open", got.State)
	}
}

func TestHintsNeverBlock(t *testing.T) {
	f := setup(t)
	m := f.wallet.For("m_1")
	const n = 1024 + 8
	for range n {
		inv := create(t, m, f.request(1000))
		if err := m.SimulatePayment(t.Context(), inv.PaymentHash); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(f.wallet.Hints()); got != 1024 {
		t.Errorf("%d hints buffered, want 1024", got)
	}
}

func TestLogsNoSecrets(t *testing.T) {
	f := setup(t)
	var buf bytes.Buffer
	var mu sync.Mutex
	w := testwallet.New(testwallet.Config{
		Store: f.store, MasterKey: f.master, Now: f.clock.Now,
		Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	m := w.For("m_1")
	inv := create(t, m, f.request(1000))
	if err := m.SimulatePayment(t.Context(), inv.PaymentHash); err != nil {
		t.Fatal(err)
	}
	got := lookup(t, m, inv.PaymentHash)
	raw, err := secretbox.Open(f.master, f.store.sealedKey("m_1"))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	logs := buf.String()
	mu.Unlock()
	if !strings.Contains(logs, inv.PaymentHash) {
		t.Errorf("logs do not name the invoice:\n%s", logs)
	}
	for name, secret := range map[string]string{
		"preimage": got.Preimage, "node key": hex.EncodeToString(raw), "master key": hex.EncodeToString(f.master),
	} {
		if secret == "" || strings.Contains(logs, secret) {
			t.Errorf("logs contain the %s", name)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestAutopay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Inside the bubble time.Now is the fake clock the default Now reads.
		store := newMemStore()
		w := testwallet.New(testwallet.Config{Store: store, MasterKey: newKey(t), AutopayAfter: 5 * time.Second})
		m := w.For("m_1")
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()

		inv := create(t, m, gateway.InvoiceRequest{AmountMsat: 7000, ExpiresAt: time.Now().Add(time.Minute)})
		short := create(t, m, gateway.InvoiceRequest{AmountMsat: 7000, ExpiresAt: time.Now().Add(3 * time.Second)})

		time.Sleep(4 * time.Second)
		synctest.Wait()
		if got := lookup(t, m, inv.PaymentHash); got.State != gateway.InvoiceOpen {
			t.Fatalf("State after 4s = %q, want open", got.State)
		}
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		got := lookup(t, m, inv.PaymentHash)
		if got.State != gateway.InvoiceSettled || got.AmountPaidMsat != 7000 {
			t.Fatalf("after 5.5s = %+v, want settled in full", got)
		}
		select {
		case h := <-w.Hints():
			if h != inv.PaymentHash {
				t.Errorf("hint = %s", h)
			}
		default:
			t.Error("no hint")
		}
		if got := lookup(t, m, short.PaymentHash); got.State != gateway.InvoiceCanceled {
			t.Errorf("invoice that expired before its autopay: State = %q, want canceled", got.State)
		}

		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

func TestRunWithoutAutopay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := testwallet.New(testwallet.Config{Store: newMemStore(), MasterKey: newKey(t)})
		m := w.For("m_1")
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		inv := create(t, m, gateway.InvoiceRequest{AmountMsat: 7000, ExpiresAt: time.Now().Add(time.Hour)})
		time.Sleep(30 * time.Minute)
		synctest.Wait()
		if got := lookup(t, m, inv.PaymentHash); got.State != gateway.InvoiceOpen {
			t.Errorf("State = %q, want open", got.State)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

// TestSettlementFeed: every payment, by this wallet or another process on the
// same store, is in the feed once, in the order paid.
func TestSettlementFeed(t *testing.T) {
	f := setup(t)
	m := f.wallet.For("m_1")
	other := f.newWallet(f.master) // another process
	start, err := f.wallet.LastSettlement(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	a, b := create(t, m, f.request(1000)), create(t, m, f.request(2000))
	if err := other.Pay(t.Context(), b.PaymentRequest, 0); err != nil {
		t.Fatal(err)
	}
	if err := m.SimulatePayment(t.Context(), a.PaymentHash); err != nil {
		t.Fatal(err)
	}
	// Paid again, and refused after expiry: no new entries.
	if err := f.wallet.Pay(t.Context(), b.PaymentRequest, 0); err != nil {
		t.Fatal(err)
	}
	late := create(t, m, f.request(3000))
	f.clock.Add(time.Hour)
	if err := other.Pay(t.Context(), late.PaymentRequest, 0); !errors.Is(err, testwallet.ErrExpired) {
		t.Fatalf("Pay(expired): err = %v, want ErrExpired", err)
	}

	got, err := f.wallet.SettlementsAfter(t.Context(), start, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].PaymentHash != b.PaymentHash || got[1].PaymentHash != a.PaymentHash || got[1].Seq <= got[0].Seq {
		t.Fatalf("feed = %+v, want %s then %s", got, b.PaymentHash, a.PaymentHash)
	}
	if last, err := other.LastSettlement(t.Context()); err != nil || last != got[1].Seq {
		t.Errorf("LastSettlement = %d, %v; want %d", last, err, got[1].Seq)
	}
	if rest, err := f.wallet.SettlementsAfter(t.Context(), got[0].Seq, 10); err != nil || len(rest) != 1 || rest[0] != got[1] {
		t.Errorf("SettlementsAfter(first) = %+v, %v; want the second", rest, err)
	}
}

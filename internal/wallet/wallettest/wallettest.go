package wallettest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Harness is what Run needs to exercise one wallet backend.
type Harness struct {
	Wallet gateway.Wallet
	// Pay pays bolt11 as a customer would, with amountMsat (0 = invoice amount).
	Pay func(t *testing.T, bolt11 string, amountMsat gateway.MilliSat)
	// Decode is the project's BOLT11 decoder (bolt11.Decode).
	Decode gateway.InvoiceDecoder
	// Settled waits until a paid invoice reads settled (backends settle
	// asynchronously) and returns it; nil polls LookupInvoice for up to
	// SettleTimeout.
	Settled func(t *testing.T, paymentHash string) gateway.Invoice
}

// SettleTimeout bounds how long the default Settled waits.
const SettleTimeout = 30 * time.Second

// amount is what the suite asks for: whole satoshis, since several backends
// (LNbits, phoenixd, LNDhub) take nothing finer.
const amount gateway.MilliSat = 42_000

// Run runs the conformance suite against h.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Wallet == nil || h.Pay == nil || h.Decode == nil {
		t.Fatal("wallettest: Harness needs Wallet, Pay and Decode")
	}
	if h.Settled == nil {
		h.Settled = func(t *testing.T, hash string) gateway.Invoice { return pollSettled(t, h.Wallet, hash) }
	}
	s := suite{h}
	t.Run("CreateDecodes", s.createDecodes)
	t.Run("LookupOpen", s.lookupOpen)
	t.Run("LookupUnknown", s.lookupUnknown)
	t.Run("PaySettles", s.paySettles)
	t.Run("DistinctHashes", s.distinctHashes)
	t.Run("ConcurrentCreate", s.concurrentCreate)
	t.Run("RefusesNonPositiveAmount", s.refusesNonPositiveAmount)
}

type suite struct{ h Harness }

// request returns a fresh invoice request with a unique memo.
func request(t *testing.T) gateway.InvoiceRequest {
	t.Helper()
	return gateway.InvoiceRequest{
		AmountMsat: amount,
		Memo:       "wallettest " + t.Name() + " " + randomHex(4),
		ExpiresAt:  time.Now().Add(10 * time.Minute).UTC(),
		SessionID:  "cs_wallettest_" + randomHex(8),
	}
}

func (s suite) create(t *testing.T, req gateway.InvoiceRequest) gateway.Invoice {
	t.Helper()
	inv, err := s.h.Wallet.CreateInvoice(t.Context(), req)
	if err != nil {
		t.Fatalf("CreateInvoice(%d msat): %v", req.AmountMsat, err)
	}
	return inv
}

func (s suite) createDecodes(t *testing.T) {
	req := request(t)
	inv := s.create(t, req)
	if inv.State != gateway.InvoiceOpen {
		t.Errorf("State = %q, want %q", inv.State, gateway.InvoiceOpen)
	}
	if inv.AmountMsat != req.AmountMsat {
		t.Errorf("AmountMsat = %d, want %d", inv.AmountMsat, req.AmountMsat)
	}
	if !isHash(inv.PaymentHash) {
		t.Errorf("PaymentHash = %q, want 64 lower-case hex characters", inv.PaymentHash)
	}
	if inv.Preimage != "" {
		t.Error("a new invoice reveals its preimage")
	}
	d, err := s.h.Decode(inv.PaymentRequest)
	if err != nil {
		t.Fatalf("decode PaymentRequest: %v", err)
	}
	if d.Network != s.h.Wallet.Network() {
		t.Errorf("decoded network = %q, wallet network = %q", d.Network, s.h.Wallet.Network())
	}
	if d.PaymentHash != inv.PaymentHash {
		t.Errorf("decoded payment hash = %s, returned %s", d.PaymentHash, inv.PaymentHash)
	}
	if d.AmountMsat != req.AmountMsat {
		t.Errorf("decoded amount = %d msat, want %d", d.AmountMsat, req.AmountMsat)
	}
	// A wallet that cannot choose the expiry (a Lightning Address) must
	// give at least the requested one; any other exactly it.
	fixed, _ := gateway.UnwrapWallet(s.h.Wallet).(gateway.FixedExpiryWallet)
	if fixed != nil && fixed.InvoiceExpiryFixed() {
		if d.ExpiresAt.Before(req.ExpiresAt.Add(-2 * time.Second)) {
			t.Errorf("decoded expiry %s is before the requested %s", d.ExpiresAt, req.ExpiresAt)
		}
	} else if diff := d.ExpiresAt.Sub(req.ExpiresAt).Abs(); diff > 2*time.Second {
		t.Errorf("decoded expiry %s is %s from the requested %s", d.ExpiresAt, diff, req.ExpiresAt)
	}
	// An invoice committing to a description hash (LNURL-pay's metadata)
	// cannot carry the memo.
	if d.DescriptionHash == "" && !strings.Contains(d.Description, req.Memo) {
		t.Errorf("decoded description %q does not contain the memo %q", d.Description, req.Memo)
	}
	if d.Payee == "" {
		t.Error("decoded payee is empty")
	}
}

func (s suite) lookupOpen(t *testing.T) {
	req := request(t)
	inv := s.create(t, req)
	// As the gateway does: with the invoice's LookupRef, for the wallets
	// that need one.
	got, err := gateway.LookupSessionInvoice(t.Context(), s.h.Wallet, inv.PaymentHash, inv.LookupRef)
	if err != nil {
		t.Fatalf("LookupInvoice: %v", err)
	}
	if got.State != gateway.InvoiceOpen {
		t.Errorf("State = %q, want %q", got.State, gateway.InvoiceOpen)
	}
	if got.PaymentHash != inv.PaymentHash {
		t.Errorf("PaymentHash = %s, want %s", got.PaymentHash, inv.PaymentHash)
	}
	if got.PaymentRequest != inv.PaymentRequest {
		t.Errorf("PaymentRequest = %q, want the created one %q", got.PaymentRequest, inv.PaymentRequest)
	}
	if got.AmountMsat != req.AmountMsat {
		t.Errorf("AmountMsat = %d, want %d", got.AmountMsat, req.AmountMsat)
	}
	if got.Preimage != "" {
		t.Error("an open invoice reveals its preimage")
	}
	if got.AmountPaidMsat != 0 || !got.SettledAt.IsZero() {
		t.Errorf("open invoice paid %d msat at %v", got.AmountPaidMsat, got.SettledAt)
	}
}

func (s suite) lookupUnknown(t *testing.T) {
	hash := randomHex(32)
	got, err := s.h.Wallet.LookupInvoice(t.Context(), hash)
	if !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("LookupInvoice(unknown) = %+v, %v; want ErrNotFound", got, err)
	}
}

func (s suite) paySettles(t *testing.T) {
	req := request(t)
	inv := s.create(t, req)
	s.h.Pay(t, inv.PaymentRequest, 0)
	got := s.h.Settled(t, inv.PaymentHash)
	if got.State != gateway.InvoiceSettled {
		t.Fatalf("State = %q, want %q", got.State, gateway.InvoiceSettled)
	}
	if got.AmountPaidMsat < req.AmountMsat {
		t.Errorf("AmountPaidMsat = %d, want at least %d", got.AmountPaidMsat, req.AmountMsat)
	}
	if got.SettledAt.IsZero() {
		t.Error("SettledAt is not set")
	}
	preimage, err := hex.DecodeString(got.Preimage)
	if err != nil || len(preimage) != 32 {
		t.Fatalf("Preimage = %q, want 32 bytes of hex", got.Preimage)
	}
	if sum := sha256.Sum256(preimage); hex.EncodeToString(sum[:]) != inv.PaymentHash {
		t.Errorf("sha256(preimage) = %x, want the payment hash %s", sum, inv.PaymentHash)
	}
}

func (s suite) distinctHashes(t *testing.T) {
	req := request(t)
	a := s.create(t, req)
	b := s.create(t, req)
	if a.PaymentHash == b.PaymentHash {
		t.Errorf("two invoices share the payment hash %s", a.PaymentHash)
	}
	if a.PaymentRequest == b.PaymentRequest {
		t.Error("two invoices share one payment request")
	}
}

func (s suite) concurrentCreate(t *testing.T) {
	const n = 10
	req := request(t)
	invs := make([]gateway.Invoice, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { invs[i], errs[i] = s.h.Wallet.CreateInvoice(t.Context(), req) })
	}
	wg.Wait()
	seen := make(map[string]int)
	for i := range n {
		if errs[i] != nil {
			t.Errorf("CreateInvoice %d: %v", i, errs[i])
			continue
		}
		if j, ok := seen[invs[i].PaymentHash]; ok {
			t.Errorf("invoices %d and %d share the payment hash %s", j, i, invs[i].PaymentHash)
		}
		seen[invs[i].PaymentHash] = i
	}
}

func (s suite) refusesNonPositiveAmount(t *testing.T) {
	for _, amt := range []gateway.MilliSat{0, -1000} {
		req := request(t)
		req.AmountMsat = amt
		inv, err := s.h.Wallet.CreateInvoice(t.Context(), req)
		if err == nil {
			t.Errorf("CreateInvoice(%d msat) = %+v, want an error", amt, inv)
		}
	}
}

// pollSettled looks the invoice up until it reads settled.
func pollSettled(t *testing.T, w gateway.Wallet, hash string) gateway.Invoice {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), SettleTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		inv, err := w.LookupInvoice(ctx, hash)
		switch {
		case err == nil && inv.State == gateway.InvoiceSettled:
			return inv
		case ctx.Err() != nil:
			t.Fatalf("invoice %s not settled after %s (last: %+v, %v)", hash, SettleTimeout, inv, err)
		case err != nil:
			t.Fatalf("LookupInvoice: %v", err)
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
}

func isHash(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32 && s == strings.ToLower(s)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/satsrail/satsrail/internal/gateway"
)

func TestBulkInsert(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	now := time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)
	m := &gateway.Merchant{ID: "mer_bulk", Name: "Bulk", Email: "b@bulk.example", Status: "active", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateMerchant(ctx, m, nil); err != nil {
		t.Fatal(err)
	}
	scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}

	var b Bulk
	for i := range 3 {
		at := now.Add(time.Duration(i) * time.Hour)
		cs := gateway.CheckoutSession{
			ID: fmt.Sprintf("cs_bulk%d", i), MerchantID: m.ID, Mode: scope.Mode, Status: gateway.StatusCompleted,
			AmountCents: 5000, Currency: "usd", Metadata: map[string]string{"n": fmt.Sprint(i)},
			LineItems:   []gateway.LineItem{{ProductID: "prod_mug", Name: "Mug", UnitAmountCents: 5000, Quantity: 1}},
			PaymentHash: fmt.Sprintf("hash_bulk%d", i), TransactionID: fmt.Sprintf("txn_bulk%d", i),
			CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(15 * time.Minute), CompletedAt: at,
		}
		b.Sessions = append(b.Sessions, cs)
		b.Transactions = append(b.Transactions, gateway.Transaction{
			ID: cs.TransactionID, MerchantID: m.ID, Mode: scope.Mode, CheckoutSessionID: cs.ID, Status: gateway.TxSettled,
			PaymentHash: cs.PaymentHash, Preimage: "pre", AmountMsat: 7_796_000, AmountSats: 7796, AmountCents: 5000,
			Currency: "usd", ExchangeRate: "64123.45", SettledAt: at, CreatedAt: at,
		})
		b.TestInvoices = append(b.TestInvoices, gateway.TestInvoice{
			PaymentHash: cs.PaymentHash, MerchantID: m.ID, Preimage: "pre", PaymentRequest: "lnbcrt1bulk",
			AmountMsat: 7_796_000, AmountPaidMsat: 7_796_000, CreatedAt: at, ExpiresAt: at.Add(time.Hour), SettledAt: at,
		})
	}
	if err := s.BulkInsert(ctx, b); err != nil {
		t.Fatalf("BulkInsert: %v", err)
	}

	for _, want := range b.Sessions {
		got, err := s.GetCheckoutSession(ctx, scope, want.ID)
		if err != nil {
			t.Fatalf("GetCheckoutSession: %v", err)
		}
		if d := cmp.Diff(&want, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("session %s (-want +got):\n%s", want.ID, d)
		}
	}
	for _, want := range b.TestInvoices {
		got, err := s.GetTestInvoice(ctx, want.PaymentHash)
		if err != nil {
			t.Fatalf("GetTestInvoice: %v", err)
		}
		if d := cmp.Diff(&want, got); d != "" {
			t.Errorf("test invoice %s (-want +got):\n%s", want.PaymentHash, d)
		}
	}
	txns, err := s.ListTransactions(ctx, scope, gateway.TransactionFilter{Status: gateway.TxSettled})
	if err != nil {
		t.Fatalf("ListTransactions: %v", err)
	}
	want := []gateway.Transaction{b.Transactions[2], b.Transactions[1], b.Transactions[0]}
	if d := cmp.Diff(want, txns.Items); d != "" || txns.TotalCount != 3 {
		t.Errorf("transactions: total %d, want 3 (-want +got):\n%s", txns.TotalCount, d)
	}
	sessions, err := s.ListCheckoutSessions(ctx, scope, gateway.SessionFilter{Status: gateway.StatusCompleted})
	if err != nil {
		t.Fatalf("ListCheckoutSessions: %v", err)
	}
	if sessions.TotalCount != 3 || len(sessions.Items) != 3 {
		t.Errorf("sessions: %d items of %d, want 3 of 3", len(sessions.Items), sessions.TotalCount)
	}
	var products int
	if err := s.reader.QueryRowContext(ctx, "SELECT COUNT(*) FROM checkout_session_products WHERE product_id = 'prod_mug'").Scan(&products); err != nil {
		t.Fatal(err)
	}
	if products != 3 {
		t.Errorf("%d sessions name prod_mug, want 3", products)
	}

	t.Run("a failing batch stores nothing", func(t *testing.T) {
		fresh := b.Transactions[0]
		fresh.ID, fresh.PaymentHash = "txn_fresh", "hash_fresh"
		// The second row repeats a stored payment hash.
		err := s.BulkInsert(ctx, Bulk{Transactions: []gateway.Transaction{fresh, b.Transactions[1]}})
		if !errors.Is(err, gateway.ErrConflict) {
			t.Fatalf("BulkInsert: err = %v, want ErrConflict", err)
		}
		if _, err := s.GetTransaction(ctx, scope, fresh.ID); !errors.Is(err, gateway.ErrNotFound) {
			t.Errorf("GetTransaction(%s): err = %v, want ErrNotFound", fresh.ID, err)
		}
		got, err := s.ListTransactions(ctx, scope, gateway.TransactionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if got.TotalCount != 3 {
			t.Errorf("TotalCount = %d after a failed batch, want 3", got.TotalCount)
		}
	})
}

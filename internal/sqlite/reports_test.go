package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestRevenueRollupMigration checks migration 0014 rolls up the payments
// stored before it, and that its triggers keep every later insert, bulk or
// by a settlement, in the same UTC day, before 1970 too.
func TestRevenueRollupMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "satsrail.db")
	db := migratedBefore(t, path, 14)
	scope := gateway.Scope{MerchantID: "mer_a", Mode: gateway.ModeTest}
	epoch := time.Unix(0, 0).UTC()
	times := []time.Time{epoch.Add(-25 * time.Hour), epoch.Add(-time.Microsecond), epoch, epoch.Add(time.Hour),
		time.Date(2025, 3, 14, 23, 59, 59, 999999000, time.UTC), time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC)}
	m := gateway.Merchant{ID: scope.MerchantID, Name: "A", Email: "a@a.example", Status: "active", CreatedAt: times[0], UpdatedAt: times[0]}
	if _, err := insertMerchantBefore15(ctx, db, &m); err != nil {
		t.Fatal(err)
	}
	var b Bulk
	for i, at := range times {
		tx := gateway.Transaction{ID: fmt.Sprintf("txn_%d", i), MerchantID: scope.MerchantID, Mode: scope.Mode, Status: gateway.TxSettled,
			PaymentHash: fmt.Sprintf("hash_%d", i), AmountSats: gateway.Sats(1000 + i), AmountCents: gateway.Cents(10 + i),
			Currency: []string{"usd", "eur"}[i%2], CreatedAt: at, SettledAt: at}
		if i%2 == 0 { // stored before the migration
			if _, err := db.ExecContext(ctx, insertTransaction, transactionArgs(&tx)...); err != nil {
				t.Fatal(err)
			}
		} else {
			tx.ID, tx.PaymentHash = tx.ID+"new", tx.PaymentHash+"new"
			b.Transactions = append(b.Transactions, tx)
		}
	}
	db.Close()

	s := open(t, path)
	checkRollup(t, s)
	if err := s.BulkInsert(ctx, b); err != nil {
		t.Fatal(err)
	}
	checkRollup(t, s)
	if _, err := s.writer.ExecContext(ctx, "DELETE FROM transactions WHERE id = 'txn_2'"); err != nil {
		t.Fatal(err)
	}
	checkRollup(t, s)
}

// checkRollup fails the test unless revenue_days holds the settled
// transactions recounted, per scope, UTC day and currency.
func checkRollup(t *testing.T, s *Store) {
	t.Helper()
	read := func(q string) []gateway.RevenueDay {
		rows, err := s.reader.QueryContext(t.Context(), q)
		days, err := scanAll(rows, err, func(r rowScanner) (d gateway.RevenueDay, err error) {
			var merchant, mode string
			err = r.Scan(&merchant, &mode, &d.Day, &d.Currency, &d.Payments, &d.Sats, &d.Cents)
			d.Currency = merchant + "/" + mode + "/" + d.Currency
			return d, err
		})
		if err != nil {
			t.Fatal(err)
		}
		return days
	}
	want := read(`SELECT merchant_id, mode, created_at / 86400000000 - (created_at % 86400000000 < 0), currency,
		COUNT(*), SUM(amount_sats), SUM(amount_cents) FROM transactions WHERE status = 'settled' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`)
	got := read(`SELECT merchant_id, mode, day, currency, payments, sats, cents FROM revenue_days
		WHERE payments <> 0 ORDER BY 1, 2, 3, 4`)
	if len(want) == 0 {
		t.Fatal("no transactions to roll up")
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("revenue_days (-recounted +stored):\n%s", d)
	}
}

package postgres

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestRevenueRollup checks the rollup's shards sum to the settled
// transactions recounted, per scope, UTC day (before 1970 too) and
// currency, after settlements on many connections at once (so many
// shards) and a delete, and that migration 0009 rolls up the rows stored
// before it.
func TestRevenueRollup(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dbURL := freshDB(t)
	s := open(t, dbURL)
	now := time.Date(2025, 3, 14, 23, 0, 0, 0, time.UTC)
	m := &gateway.Merchant{ID: "mer_a", Name: "A", Email: "a@a.example", Status: "active", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateMerchant(ctx, m, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := range 6 {
				at := now.Add(time.Duration(w*6+i) * 13 * time.Minute)
				if w == 0 {
					at = time.Unix(0, 0).UTC().Add(time.Duration(i-3) * 7 * time.Hour)
				}
				scope := gateway.Scope{MerchantID: m.ID, Mode: []gateway.Mode{gateway.ModeTest, gateway.ModeLive}[i%2]}
				id := fmt.Sprintf("cs_%d_%d", w, i)
				cs := &gateway.CheckoutSession{ID: id, MerchantID: m.ID, Mode: scope.Mode, Status: gateway.StatusPending,
					AmountCents: gateway.Cents(100 + i), Currency: []string{"usd", "eur", "jpy"}[i%3], CreatedAt: at, UpdatedAt: at}
				if err := s.CreateCheckoutSession(ctx, cs, nil); err != nil {
					errs <- err
					return
				}
				_, err := s.UpdateCheckoutSession(ctx, scope, id, func(cs *gateway.CheckoutSession) (gateway.SessionChange, error) {
					if err := cs.Transition(gateway.StatusCompleted, at); err != nil {
						return gateway.SessionChange{}, err
					}
					tx := &gateway.Transaction{ID: "txn_" + id, MerchantID: m.ID, Mode: scope.Mode, CheckoutSessionID: id,
						Status: gateway.TxSettled, PaymentHash: "hash_" + id, AmountSats: gateway.Sats(1000 + w), AmountCents: cs.AmountCents,
						Currency: cs.Currency, CreatedAt: at, SettledAt: at}
					cs.TransactionID = tx.ID
					return gateway.SessionChange{Transaction: tx}, nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkRollup(t, s)
	if _, err := s.pool.Exec(ctx, "DELETE FROM transactions WHERE id = 'txn_cs_3_1'"); err != nil {
		t.Fatal(err)
	}
	checkRollup(t, s)

	// The database as it was before migration 0009, with its rows.
	if _, err := s.pool.Exec(ctx, `DROP TRIGGER transactions_revenue ON transactions;
		DROP TRIGGER transactions_revenue_update ON transactions;
		DROP FUNCTION roll_revenue;
		DROP TABLE revenue_days;
		DROP INDEX checkout_sessions_order_id, checkout_sessions_customer_email;
		DELETE FROM schema_migrations WHERE version = 9`); err != nil {
		t.Fatal(err)
	}
	checkRollup(t, open(t, dbURL))
}

// checkRollup fails the test unless revenue_days, summed over its shards,
// holds the settled transactions recounted per scope, UTC day and currency.
func checkRollup(t *testing.T, s *Store) {
	t.Helper()
	read := func(q string) []gateway.RevenueDay {
		rows, err := s.pool.Query(t.Context(), q)
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
	want := read(`SELECT merchant_id, mode, floor(extract(epoch FROM created_at) / 86400)::bigint, currency,
		COUNT(*), SUM(amount_sats)::bigint, SUM(amount_cents)::bigint FROM transactions WHERE status = 'settled'
		GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`)
	got := read(`SELECT merchant_id, mode, day::bigint, currency, SUM(payments)::bigint, SUM(sats)::bigint, SUM(cents)::bigint
		FROM revenue_days GROUP BY 1, 2, 3, 4 HAVING SUM(payments) <> 0 ORDER BY 1, 2, 3, 4`)
	if len(want) == 0 {
		t.Fatal("no transactions to roll up")
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("revenue_days (-recounted +stored):\n%s", d)
	}
}

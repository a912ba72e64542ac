package postgres

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestListCounts checks the list counts stay right under concurrent writers
// on many connections (so many shards), bucket every row in the UTC day the
// list code expects, before 1970 too, and that migration 0005 counts the rows
// stored before it.
func TestListCounts(t *testing.T) {
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
			for i := range 10 {
				at := now.Add(time.Duration(w*10+i) * 17 * time.Minute)
				if w == 0 {
					at = time.Unix(0, 0).UTC().Add(time.Duration(i-5) * 7 * time.Hour)
				}
				scope := gateway.Scope{MerchantID: m.ID, Mode: []gateway.Mode{gateway.ModeTest, gateway.ModeLive}[i%2]}
				id := fmt.Sprintf("cs_%d_%d", w, i)
				cs := &gateway.CheckoutSession{ID: id, MerchantID: m.ID, Mode: scope.Mode, Status: gateway.StatusPending,
					AmountCents: 100, Currency: "usd", CreatedAt: at, UpdatedAt: at}
				if err := s.CreateCheckoutSession(ctx, cs, nil); err != nil {
					errs <- err
					return
				}
				if i%3 == 0 {
					continue
				}
				_, err := s.UpdateCheckoutSession(ctx, scope, id, func(cs *gateway.CheckoutSession) (gateway.SessionChange, error) {
					if i%3 == 1 {
						return gateway.SessionChange{}, cs.Transition(gateway.StatusExpired, at)
					}
					if err := cs.Transition(gateway.StatusCompleted, at); err != nil {
						return gateway.SessionChange{}, err
					}
					tx := &gateway.Transaction{ID: "txn_" + id, MerchantID: m.ID, Mode: scope.Mode, CheckoutSessionID: id,
						Status: gateway.TxSettled, PaymentHash: "hash_" + id, CreatedAt: at, SettledAt: at}
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
	checkListCounts(t, s)

	// The database as it was before migration 0005, with its rows.
	if _, err := s.pool.Exec(ctx, `DROP TRIGGER transactions_count ON transactions;
		DROP TRIGGER transactions_count_update ON transactions;
		DROP TRIGGER checkout_sessions_count ON checkout_sessions;
		DROP TRIGGER checkout_sessions_count_update ON checkout_sessions;
		DROP FUNCTION count_list_row;
		DROP TABLE list_counts, list_totals;
		DROP INDEX transactions_status_list;
		DELETE FROM schema_migrations WHERE version = 5`); err != nil {
		t.Fatal(err)
	}
	checkListCounts(t, open(t, dbURL))
}

// checkListCounts fails the test unless list_counts and list_totals hold,
// summed over their shards, how many rows each list has in each scope,
// status and UTC day, and in all.
func checkListCounts(t *testing.T, s *Store) {
	t.Helper()
	type key struct {
		list, merchant, mode, status string
		day                          int64
	}
	want, wantTotals := map[key]int64{}, map[key]int64{}
	for _, table := range []string{"transactions", "checkout_sessions"} {
		rows, err := s.pool.Query(t.Context(), "SELECT merchant_id, mode, status, created_at FROM "+table)
		all, err := scanAll(rows, err, func(r rowScanner) (k key, err error) {
			var created time.Time
			err = r.Scan(&k.merchant, &k.mode, &k.status, &created)
			k.list, k.day = table, gateway.FloorDiv(created.UnixMicro(), gateway.DayMicros)
			return k, err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range all {
			want[k]++
			k.day = 0
			wantTotals[k]++
		}
	}
	read := func(q string) map[key]int64 {
		rows, err := s.pool.Query(t.Context(), q)
		type count struct {
			k key
			n int64
		}
		counts, err := scanAll(rows, err, func(r rowScanner) (c count, err error) {
			return c, r.Scan(&c.k.list, &c.k.merchant, &c.k.mode, &c.k.status, &c.k.day, &c.n)
		})
		if err != nil {
			t.Fatal(err)
		}
		got := map[key]int64{}
		for _, c := range counts {
			got[c.k] = c.n
		}
		return got
	}
	got := read(`SELECT list, merchant_id, mode, status, day::bigint, SUM(n)::bigint FROM list_counts
		GROUP BY 1, 2, 3, 4, 5 HAVING SUM(n) <> 0`)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("list_counts (-recounted +stored):\n%s", d)
	}
	got = read(`SELECT list, merchant_id, mode, status, 0::bigint, SUM(n)::bigint FROM list_totals
		GROUP BY 1, 2, 3, 4 HAVING SUM(n) <> 0`)
	if d := cmp.Diff(wantTotals, got); d != "" {
		t.Errorf("list_totals (-recounted +stored):\n%s", d)
	}
}

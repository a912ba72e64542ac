package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// benchPerDay is the seeded merchant's daily volume: a bigger table is a
// longer history at the same rate, not a busier day.
const benchPerDay = 10_000

// benchNow is the seeded history's end, at noon so that "7 days ago" falls
// mid-day.
var benchNow = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// BenchmarkListTransactionsScale measures the store call behind
// GET /transactions on 100k and 1M rows, each query on both sizes one after
// the other so the pair can be compared: each should cost about the same on
// both. The 1M size (over a minute of seeding) is skipped with -short.
//
//	go test ./internal/sqlite -run '^$' -bench ListTransactionsScale -benchtime 2000x
func BenchmarkListTransactionsScale(b *testing.B) {
	sizes := []int{100_000, 1_000_000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	type seeded struct {
		rows   int
		store  *Store
		scope  gateway.Scope
		cursor string // the last item of the first page, as a client sends it
	}
	var dbs []seeded
	for _, rows := range sizes {
		s, scope := seedTransactions(b, rows)
		first, err := s.ListTransactions(b.Context(), scope, gateway.TransactionFilter{})
		if err != nil {
			b.Fatal(err)
		}
		dbs = append(dbs, seeded{rows, s, scope, first.Items[len(first.Items)-1].ID})
	}
	weekAgo := benchNow.AddDate(0, 0, -7) // mid-day; a row falls on it
	for _, q := range []struct {
		name   string
		filter func(db seeded) gateway.TransactionFilter
		total  func(db seeded) int
	}{
		{"page1", func(seeded) gateway.TransactionFilter { return gateway.TransactionFilter{} },
			func(db seeded) int { return db.rows }},
		{"status", func(seeded) gateway.TransactionFilter { return gateway.TransactionFilter{Status: gateway.TxSettled} },
			func(db seeded) int { return db.rows }},
		{"created_after_7d", func(seeded) gateway.TransactionFilter {
			return gateway.TransactionFilter{Created: gateway.TimeRange{From: weekAgo}}
		}, func(seeded) int { return 7*benchPerDay + 1 }},
		{"status_created_after_7d", func(seeded) gateway.TransactionFilter {
			return gateway.TransactionFilter{Status: gateway.TxSettled, Created: gateway.TimeRange{From: weekAgo}}
		}, func(seeded) int { return 7*benchPerDay + 1 }},
		{"cursor", func(db seeded) gateway.TransactionFilter {
			return gateway.TransactionFilter{Page: gateway.Page{StartingAfter: db.cursor}}
		}, func(db seeded) int { return db.rows }},
	} {
		b.Run(q.name, func(b *testing.B) {
			for _, db := range dbs {
				b.Run(fmt.Sprintf("rows=%d", db.rows), func(b *testing.B) {
					f, total := q.filter(db), q.total(db)
					for b.Loop() {
						l, err := db.store.ListTransactions(b.Context(), db.scope, f)
						if err != nil {
							b.Fatal(err)
						}
						if l.TotalCount != total || len(l.Items) != defaultPerPage {
							b.Fatalf("%d items of %d, want %d of %d", len(l.Items), l.TotalCount, defaultPerPage, total)
						}
					}
				})
			}
		})
	}
}

// seedTransactions returns a store whose one merchant has n settled test
// transactions, benchPerDay a day, evenly spaced up to benchNow.
func seedTransactions(b *testing.B, n int) (*Store, gateway.Scope) {
	b.Helper()
	ctx := b.Context()
	s, err := Open(ctx, Config{Path: filepath.Join(b.TempDir(), "bench.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	m := &gateway.Merchant{ID: "mer_bench", Name: "Bench", Email: "b@bench.example", Status: "active",
		CreatedAt: benchNow.AddDate(-1, 0, 0), UpdatedAt: benchNow.AddDate(-1, 0, 0)}
	if err := s.CreateMerchant(ctx, m, nil); err != nil {
		b.Fatal(err)
	}
	scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}

	const batch = 10_000
	step := 24 * time.Hour / benchPerDay
	start := time.Now()
	txns := make([]gateway.Transaction, 0, batch)
	for i := range n {
		created := benchNow.Add(-time.Duration(n-1-i) * step)
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i))
		hash := sha256.Sum256(seed[:])
		txns = append(txns, gateway.Transaction{
			ID: gateway.NewID(gateway.PrefixTransaction), MerchantID: m.ID, Mode: scope.Mode, Status: gateway.TxSettled,
			PaymentHash: hex.EncodeToString(hash[:]), Preimage: hex.EncodeToString(seed[:]),
			AmountMsat: 7_796_000, AmountSats: 7796, AmountCents: 500, Currency: "usd", ExchangeRate: "64123.45",
			SettledAt: created, CreatedAt: created,
		})
		if len(txns) == batch || i == n-1 {
			if err := s.BulkInsert(ctx, Bulk{Transactions: txns}); err != nil {
				b.Fatal(err)
			}
			txns = txns[:0]
		}
	}
	took := time.Since(start)
	b.Logf("seeded %d transactions in %v (%.0f rows/s)", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
	return s, scope
}

// BenchmarkCreateCheckoutSession measures the store call behind an
// idempotent POST /checkout_sessions as the gateway makes it: 32 callers at
// once (so writes share group commits), each session with its finished
// idempotency record under a random client key, durable (synchronous=FULL)
// when the call returns, with checkpoints in the background as under serve.
// ns/op is the time a create takes of the store's throughput; the tables
// grow with b.N, so compare runs of the same -benchtime.
//
//	go test ./internal/sqlite -run '^$' -bench CreateCheckoutSession -benchtime 50000x
func BenchmarkCreateCheckoutSession(b *testing.B) {
	ctx := b.Context()
	s, err := Open(ctx, Config{Path: filepath.Join(b.TempDir(), "bench.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	checkpoints, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- s.Run(checkpoints, CheckpointConfig{}) }()
	b.Cleanup(func() { stop(); <-ran })
	now := time.Now().UTC()
	m := &gateway.Merchant{ID: gateway.NewID(gateway.PrefixMerchant), Name: "Bench", Email: "b@bench.example", Status: "active",
		CreatedAt: now, UpdatedAt: now}
	key, _ := gateway.NewAPIKey(m.ID, gateway.KeySecret, gateway.ModeTest, now)
	if err := s.CreateMerchant(ctx, m, []gateway.APIKey{key}); err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 700) // about a stored session's JSON
	b.SetParallelism(16)                   // 32 callers on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			at := time.Now().UTC()
			sess := &gateway.CheckoutSession{ID: gateway.NewID(gateway.PrefixSession), MerchantID: m.ID, Mode: gateway.ModeTest,
				Status: gateway.StatusPending, AmountCents: 500, Currency: "usd", Metadata: map[string]string{"order_id": "ord_1"},
				CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(time.Hour)}
			hash := sha256.Sum256([]byte(sess.ID))
			done := &gateway.IdempotencyCompletion{APIKeyID: key.ID, Key: gateway.RandomString(32), RequestHash: hash[:],
				CreatedAt: at, ExpiredBefore: at.Add(-24 * time.Hour), StaleBefore: at.Add(-time.Minute), Status: 201, Body: body}
			if err := s.CreateCheckoutSession(ctx, sess, done); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

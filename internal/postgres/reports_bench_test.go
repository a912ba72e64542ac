package postgres

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/dashboard/csvexport"
	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/storetest"
)

// seedReports returns a store in a fresh database holding
// storetest.ReportHistory(n), written with COPY 10,000 sessions a
// transaction through the store's own column converters; the counts and
// the rollup are made at the end as their migrations make them.
func seedReports(b *testing.B, n int) *storetest.ReportDB {
	b.Helper()
	ctx := b.Context()
	s := open(b, freshDB(b))
	for _, m := range storetest.ReportMerchants() {
		if err := s.CreateMerchant(ctx, m, nil); err != nil {
			b.Fatal(err)
		}
	}
	// The per-row triggers would cost more than the rows: off while
	// seeding, and the counts and the rollup made once at the end by the
	// migrations' own backfill statements (recount, below).
	if _, err := s.pool.Exec(ctx, `ALTER TABLE checkout_sessions DISABLE TRIGGER USER;
		ALTER TABLE transactions DISABLE TRIGGER USER`); err != nil {
		b.Fatal(err)
	}
	sessionCols, txCols := strings.Split(sessionColumns, ", "), strings.Split(transactionColumns, ", ")
	var sessions, txns [][]any
	flush := func() error {
		err := s.tx(ctx, func(tx pgx.Tx) error {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"checkout_sessions"}, sessionCols, pgx.CopyFromRows(sessions)); err != nil {
				return err
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"transactions"}, txCols, pgx.CopyFromRows(txns))
			return err
		})
		sessions, txns = sessions[:0], txns[:0]
		return err
	}
	start := time.Now()
	count := 0
	err := storetest.ReportHistory(n, func(sess *gateway.CheckoutSession, tx *gateway.Transaction) error {
		count++
		sessions = append(sessions, sessionArgs(sess))
		if tx != nil {
			txns = append(txns, transactionArgs(tx))
		}
		if len(sessions) < 10_000 {
			return nil
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		b.Fatal(err)
	}
	if err := recount(b, s); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.Logf("seeded %d sessions (%d paid in the scope read) with their transactions in %v (%.0f sessions/s)",
		count, n, took.Round(time.Millisecond), float64(count)/took.Seconds())
	// The planner's statistics, as autovacuum would have them.
	if _, err := s.pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	db, err := storetest.NewReportDB(ctx, s, n)
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkDashboardScale is the SQLite store's benchmark of the same name
// on PostgreSQL: the service calls behind each dashboard page on 100k and
// 1M paid sessions and transactions in the merchant's mode, p50 and p99.
//
//	go test ./internal/postgres -run '^$' -bench DashboardScale -benchtime 400x
func BenchmarkDashboardScale(b *testing.B) {
	var dbs []*storetest.ReportDB
	for _, n := range storetest.ReportSizes() {
		dbs = append(dbs, seedReports(b, n))
	}
	storetest.BenchReports(b, dbs)
}

// BenchmarkExportTransactionsCSV is the SQLite store's benchmark of the
// same name on PostgreSQL: rows/s and RSS growth of the CSV export.
//
//	go test ./internal/postgres -run '^$' -bench ExportTransactionsCSV -benchtime 1x
func BenchmarkExportTransactionsCSV(b *testing.B) {
	for _, n := range storetest.ReportSizes() {
		db := seedReports(b, n)
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			storetest.BenchExport(b, db, func(w io.Writer) storetest.RowWriter { return csvexport.NewTransactions(w) })
		})
	}
}

// recount fills the list counts (0005) and the revenue rollup (0009) from
// the rows, as those migrations do for the rows stored before them, and
// turns the triggers back on.
func recount(b *testing.B, s *Store) error {
	_, err := s.pool.Exec(b.Context(), `TRUNCATE list_counts, list_totals, revenue_days;
		INSERT INTO list_counts (list, merchant_id, mode, status, day, shard, n)
		SELECT 'transactions', merchant_id, mode, status, floor(extract(epoch FROM created_at) / 86400), 0, COUNT(*)
		FROM transactions GROUP BY 2, 3, 4, 5;
		INSERT INTO list_counts (list, merchant_id, mode, status, day, shard, n)
		SELECT 'checkout_sessions', merchant_id, mode, status, floor(extract(epoch FROM created_at) / 86400), 0, COUNT(*)
		FROM checkout_sessions GROUP BY 2, 3, 4, 5;
		INSERT INTO list_totals (list, merchant_id, mode, status, shard, n)
		SELECT list, merchant_id, mode, status, 0, SUM(n) FROM list_counts GROUP BY 1, 2, 3, 4;
		INSERT INTO revenue_days (merchant_id, mode, day, currency, shard, payments, sats, cents)
		SELECT merchant_id, mode, floor(extract(epoch FROM created_at) / 86400), currency, 0,
		       COUNT(*), SUM(amount_sats), SUM(amount_cents)
		FROM transactions WHERE status = 'settled' GROUP BY 1, 2, 3, 4;
		ALTER TABLE checkout_sessions ENABLE TRIGGER USER;
		ALTER TABLE transactions ENABLE TRIGGER USER`)
	return err
}

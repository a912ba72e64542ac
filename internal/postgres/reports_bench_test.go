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
// transaction through the store's own column converters (the list-count
// and revenue triggers fire for every row, as for the gateway's writes).
func seedReports(b *testing.B, n int) *storetest.ReportDB {
	b.Helper()
	ctx := b.Context()
	s := open(b, freshDB(b))
	for _, m := range storetest.ReportMerchants() {
		if err := s.CreateMerchant(ctx, m, nil); err != nil {
			b.Fatal(err)
		}
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

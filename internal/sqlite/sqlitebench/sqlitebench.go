// Package sqlitebench seeds SQLite stores for the dashboard benchmarks
// (the store's queries here, the pages in internal/dashboard): the history
// of storetest.ReportHistory, written with BulkInsert. It is imported only
// by benchmarks.
package sqlitebench

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/sqlite"
	"github.com/satsrail/satsrail/internal/storetest"
)

// Reports returns a store holding storetest.ReportHistory(n), written with
// BulkInsert 10,000 sessions a transaction. With SATSRAIL_BENCH_DIR set,
// the seeded database is kept there (reports-<n>.db, written whole or not
// at all) and reused by later runs, which then skip the minutes of
// seeding: delete it after a change to the history or the schema's
// indexes.
func Reports(b testing.TB, n int) *storetest.ReportDB {
	b.Helper()
	ctx := b.Context()
	open := func(path string) *sqlite.Store {
		s, err := sqlite.Open(ctx, sqlite.Config{Path: path})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
	keep := os.Getenv("SATSRAIL_BENCH_DIR")
	kept := filepath.Join(keep, fmt.Sprintf("reports-%d.db", n))
	if keep != "" {
		if _, err := os.Stat(kept); err == nil {
			db, err := storetest.NewReportDB(ctx, open(kept), n)
			if err != nil {
				b.Fatalf("%s: %v", kept, err)
			}
			return db
		}
	}
	path := filepath.Join(b.TempDir(), "reports.db")
	s := open(path)
	for _, m := range storetest.ReportMerchants() {
		if err := s.CreateMerchant(ctx, m, nil); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	var bulk sqlite.Bulk
	flush := func() error {
		err := s.BulkInsert(ctx, bulk)
		bulk.Sessions, bulk.Transactions = bulk.Sessions[:0], bulk.Transactions[:0]
		return err
	}
	sessions := 0
	err := storetest.ReportHistory(n, func(sess *gateway.CheckoutSession, tx *gateway.Transaction) error {
		sessions++
		bulk.Sessions = append(bulk.Sessions, *sess)
		if tx != nil {
			bulk.Transactions = append(bulk.Transactions, *tx)
		}
		if len(bulk.Sessions) < 10_000 {
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
		sessions, n, took.Round(time.Millisecond), float64(sessions)/took.Seconds())
	if keep != "" {
		// Closed, the database is its one file; kept only once whole.
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(path, kept); err != nil {
			b.Fatal(err)
		}
		s = open(kept)
	}
	db, err := storetest.NewReportDB(ctx, s, n)
	if err != nil {
		b.Fatal(err)
	}
	return db
}

package sqlitebench

import (
	"fmt"
	"io"
	"testing"

	"github.com/satsrail/satsrail/internal/dashboard/csvexport"
	"github.com/satsrail/satsrail/internal/storetest"
)

// BenchmarkDashboardScale measures the service calls behind each dashboard
// page (what its handler asks the store) on 100k and 1M paid sessions and
// transactions in the merchant's mode, each query on both sizes one after
// the other so the pair can be compared: the target is p99 < 50 ms at 1M
// and < 1.2× the 100k cost. It reports each call's p50 and p99 in ms.
// Seeding takes minutes (SATSRAIL_BENCH_DIR keeps the databases).
//
//	SATSRAIL_BENCH_DIR=/tmp/satsrail-bench go test ./internal/sqlite/sqlitebench -run '^$' -bench DashboardScale -benchtime 400x
func BenchmarkDashboardScale(b *testing.B) {
	var dbs []*storetest.ReportDB
	for _, n := range storetest.ReportSizes() {
		dbs = append(dbs, Reports(b, n))
	}
	storetest.BenchReports(b, dbs)
}

// BenchmarkExportTransactionsCSV measures the CSV export of every
// transaction of the merchant's mode (keyset pages through the service,
// the CSV writer, io.Discard): rows/s and the RSS it adds, which must stay
// under 50 MB for 1M rows.
//
//	SATSRAIL_BENCH_DIR=/tmp/satsrail-bench go test ./internal/sqlite/sqlitebench -run '^$' -bench ExportTransactionsCSV -benchtime 1x
func BenchmarkExportTransactionsCSV(b *testing.B) {
	for _, n := range storetest.ReportSizes() {
		db := Reports(b, n)
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			storetest.BenchExport(b, db, func(w io.Writer) storetest.RowWriter { return csvexport.NewTransactions(w) })
		})
	}
}

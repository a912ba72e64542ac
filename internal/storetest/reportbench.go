package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// The dashboard benchmarks (BenchmarkDashboardScale and
// BenchmarkExportTransactionsCSV of each engine) share their history and
// their queries from here; each engine seeds the rows its fastest way.

// ReportPerDay is the seeded merchant's daily volume: a bigger table is a
// longer history at the same rate, not a busier day.
const ReportPerDay = 10_000

// ReportNow is the seeded history's end, at noon so that "7 days ago" falls
// mid-day.
var ReportNow = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// ReportScope is the seeded merchant's test mode, which the queries read.
var ReportScope = gateway.Scope{MerchantID: "mer_bench", Mode: gateway.ModeTest}

// ReportSizes are the history sizes the benchmarks compare: 100k and 1M
// paid sessions and transactions in the scope read; -short runs 100k only.
func ReportSizes() []int {
	if testing.Short() {
		return []int{100_000}
	}
	return []int{100_000, 1_000_000}
}

// ReportMerchants are the merchants the history's rows belong to, to be
// created first.
func ReportMerchants() []*gateway.Merchant {
	var ms []*gateway.Merchant
	for _, id := range []string{ReportScope.MerchantID, "mer_other"} {
		ms = append(ms, &gateway.Merchant{ID: id, Name: "Bench", Email: "b@bench.example", Status: "active",
			CreatedAt: ReportNow.AddDate(-1, 0, 0), UpdatedAt: ReportNow.AddDate(-1, 0, 0)})
	}
	return ms
}

// ReportHistory calls emit with the history of the benchmarks, oldest
// first: n completed checkout sessions of ReportScope, each with its
// settled transaction, ReportPerDay a day up to ReportNow, plus n/10
// sessions that were not paid (expired, or pending in the last hour), and
// n/10 paid sessions of the merchant's live mode and of another merchant,
// which no query may read. Customers come back: there are n/10 distinct
// emails. The paid session in the middle of the history has the order id
// ReportSampleOrderID(n).
func ReportHistory(n int, emit func(s *gateway.CheckoutSession, tx *gateway.Transaction) error) error {
	step := 24 * time.Hour / ReportPerDay
	seq := 0
	row := func(scope gateway.Scope, created time.Time, paid bool) error {
		seq++
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(seq))
		hash := sha256.Sum256(seed[:])
		s := &gateway.CheckoutSession{ID: gateway.NewID(gateway.PrefixSession), MerchantID: scope.MerchantID, Mode: scope.Mode,
			Status: gateway.StatusCompleted, AmountCents: 5000, Currency: "usd",
			CustomerEmail: fmt.Sprintf("buyer%d@example.com", seq%max(n/10, 1)), CustomerName: "Buyer",
			SuccessURL: "https://store.example/success", CancelURL: "https://store.example/cart",
			Metadata:   map[string]string{"order_id": "ORD-" + strconv.Itoa(seq), "channel": "web"},
			AmountSats: 76924, ExchangeRate: "65000.00", PaymentRequest: "lnbcrt769240n1seeded", PaymentHash: hex.EncodeToString(hash[:]),
			CreatedAt: created, UpdatedAt: created.Add(time.Minute), ExpiresAt: created.Add(time.Hour)}
		if !paid {
			if created.After(ReportNow.Add(-time.Hour)) {
				s.Status = gateway.StatusPending
			} else {
				s.Status, s.ExpiredAt = gateway.StatusExpired, s.ExpiresAt
			}
			return emit(s, nil)
		}
		paidAt := created.Add(time.Minute)
		s.CompletedAt = paidAt
		tx := &gateway.Transaction{ID: gateway.NewID(gateway.PrefixTransaction), MerchantID: scope.MerchantID, Mode: scope.Mode,
			CheckoutSessionID: s.ID, Status: gateway.TxSettled, PaymentHash: s.PaymentHash, Preimage: hex.EncodeToString(seed[:]),
			AmountMsat: 76_924_000, AmountSats: 76924, AmountCents: 5000, Currency: "usd", ExchangeRate: "65000.00",
			SettledAt: paidAt, CreatedAt: paidAt}
		s.TransactionID = tx.ID
		return emit(s, tx)
	}
	others := []gateway.Scope{{MerchantID: ReportScope.MerchantID, Mode: gateway.ModeLive}, {MerchantID: "mer_other", Mode: gateway.ModeTest}}
	for i := range n {
		created := ReportNow.Add(-time.Duration(n-i) * step)
		if err := row(ReportScope, created, true); err != nil {
			return err
		}
		if i%10 == 0 {
			if err := row(ReportScope, created.Add(step/2), false); err != nil {
				return err
			}
			if err := row(others[i/10%2], created, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// ReportSampleOrderID is the order id of the paid session in the middle of
// ReportHistory(n): row i is the history's seq'th session, after two more
// for every tenth row before it.
func ReportSampleOrderID(n int) string {
	i := n / 2
	return "ORD-" + strconv.Itoa(i+1+2*((i+9)/10))
}

// ReportDB is a store seeded with ReportHistory, for the benchmarks.
type ReportDB struct {
	Rows     int
	Store    gateway.Store
	Svc      *gateway.Service
	Sample   gateway.CheckoutSession // a paid session mid-history
	cursor   string                  // the last session of the first page
	txCursor string                  // the last transaction of the first page
}

type stoppedClock time.Time

func (c stoppedClock) Now() time.Time { return time.Time(c) }

// NewReportDB wraps a store seeded with ReportHistory(rows) in a service
// whose clock stands at ReportNow.
func NewReportDB(ctx context.Context, st gateway.Store, rows int) (*ReportDB, error) {
	db := &ReportDB{Rows: rows, Store: st, Svc: gateway.NewService(gateway.Config{Store: st, Clock: stoppedClock(ReportNow)})}
	sample, err := st.ListCheckoutSessions(ctx, ReportScope, gateway.SessionFilter{OrderID: ReportSampleOrderID(rows)})
	if err != nil {
		return nil, err
	}
	if len(sample.Items) != 1 || sample.Items[0].Status != gateway.StatusCompleted {
		return nil, fmt.Errorf("the store does not hold ReportHistory(%d): %d sessions of order %s", rows, len(sample.Items), ReportSampleOrderID(rows))
	}
	db.Sample = sample.Items[0]
	first, err := st.ListCheckoutSessions(ctx, ReportScope, gateway.SessionFilter{})
	if err != nil {
		return nil, err
	}
	txns, err := st.ListTransactions(ctx, ReportScope, gateway.TransactionFilter{})
	if err != nil {
		return nil, err
	}
	if len(first.Items) == 0 || len(txns.Items) == 0 {
		return nil, fmt.Errorf("the store holds no history")
	}
	db.cursor, db.txCursor = first.Items[len(first.Items)-1].ID, txns.Items[len(txns.Items)-1].ID
	return db, nil
}

// reportQueries are what each dashboard page asks the service for, by page.
var reportQueries = []struct {
	name string
	run  func(ctx context.Context, db *ReportDB) error
}{
	{"overview/numbers", func(ctx context.Context, db *ReportDB) error {
		o, err := db.Svc.Overview(ctx, ReportScope)
		if err == nil && (o.Payments == 0 || o.SessionsCreated == 0 || len(o.Recent) == 0) {
			err = fmt.Errorf("overview of %d payments", o.Payments)
		}
		return err
	}},
	{"overview/chart_30_days", func(ctx context.Context, db *ReportDB) error {
		return wantBuckets(db.Svc.Revenue(ctx, ReportScope, gateway.RevenueQuery{}))
	}},
	{"overview/chart_12_weeks", func(ctx context.Context, db *ReportDB) error {
		return wantBuckets(db.Svc.Revenue(ctx, ReportScope, gateway.RevenueQuery{Granularity: gateway.GranularityWeek}))
	}},
	{"overview/chart_12_months", func(ctx context.Context, db *ReportDB) error {
		return wantBuckets(db.Svc.Revenue(ctx, ReportScope, gateway.RevenueQuery{Granularity: gateway.GranularityMonth}))
	}},
	{"sessions/page1", func(ctx context.Context, db *ReportDB) error {
		return wantPage(db.Svc.ListCheckoutSessions(ctx, ReportScope, gateway.SessionFilter{}))
	}},
	{"sessions/next_page", func(ctx context.Context, db *ReportDB) error {
		return wantPage(db.Svc.ListCheckoutSessions(ctx, ReportScope, gateway.SessionFilter{Page: gateway.Page{StartingAfter: db.cursor}}))
	}},
	{"sessions/status_expired", func(ctx context.Context, db *ReportDB) error {
		return wantPage(db.Svc.ListCheckoutSessions(ctx, ReportScope, gateway.SessionFilter{Status: gateway.StatusExpired}))
	}},
	{"sessions/completed_last_7_days", func(ctx context.Context, db *ReportDB) error {
		return wantPage(db.Svc.ListCheckoutSessions(ctx, ReportScope, gateway.SessionFilter{Status: gateway.StatusCompleted,
			Created: gateway.TimeRange{From: ReportNow.AddDate(0, 0, -7)}}))
	}},
	{"sessions/search_id", func(ctx context.Context, db *ReportDB) error {
		return wantFound(db.Svc.SearchCheckoutSessions(ctx, ReportScope, db.Sample.ID, gateway.SessionFilter{}))
	}},
	{"sessions/search_email", func(ctx context.Context, db *ReportDB) error {
		return wantFound(db.Svc.SearchCheckoutSessions(ctx, ReportScope, strings.ToUpper(db.Sample.CustomerEmail), gateway.SessionFilter{}))
	}},
	{"sessions/search_order_id", func(ctx context.Context, db *ReportDB) error {
		return wantFound(db.Svc.SearchCheckoutSessions(ctx, ReportScope, db.Sample.Metadata["order_id"], gateway.SessionFilter{}))
	}},
	{"session_detail/timeline", func(ctx context.Context, db *ReportDB) error {
		d, err := db.Svc.SessionTimeline(ctx, ReportScope, db.Sample.ID)
		if err == nil && d.Transaction == nil {
			err = fmt.Errorf("no transaction")
		}
		return err
	}},
	{"transactions/page1", func(ctx context.Context, db *ReportDB) error {
		return wantPage(db.Svc.ListTransactions(ctx, ReportScope, gateway.TransactionFilter{}))
	}},
	{"transactions/next_page", func(ctx context.Context, db *ReportDB) error {
		return wantPage(db.Svc.ListTransactions(ctx, ReportScope, gateway.TransactionFilter{Page: gateway.Page{StartingAfter: db.txCursor}}))
	}},
	{"transactions/last_7_days", func(ctx context.Context, db *ReportDB) error {
		return wantPage(db.Svc.ListTransactions(ctx, ReportScope, gateway.TransactionFilter{Status: gateway.TxSettled,
			Created: gateway.TimeRange{From: ReportNow.AddDate(0, 0, -7)}}))
	}},
}

func wantBuckets(bs []gateway.RevenueBucket, err error) error {
	if err == nil && bs[len(bs)-1].Payments == 0 {
		err = fmt.Errorf("no payments in the last bucket")
	}
	return err
}

func wantPage[T any](l gateway.List[T], err error) error {
	if err == nil && (len(l.Items) != 25 || l.TotalCount == 0) {
		err = fmt.Errorf("%d items of %d", len(l.Items), l.TotalCount)
	}
	return err
}

func wantFound(l gateway.List[gateway.CheckoutSession], err error) error {
	if err == nil && len(l.Items) == 0 {
		err = fmt.Errorf("not found")
	}
	return err
}

// BenchReports runs every dashboard query on each db, the sizes of one
// query one after the other so they can be compared, and reports each
// call's p50 and p99 in ms.
func BenchReports(b *testing.B, dbs []*ReportDB) {
	for _, q := range reportQueries {
		b.Run(q.name, func(b *testing.B) {
			for _, db := range dbs {
				b.Run(fmt.Sprintf("rows=%d", db.Rows), func(b *testing.B) {
					var took []time.Duration
					for b.Loop() {
						start := time.Now()
						if err := q.run(b.Context(), db); err != nil {
							b.Fatal(err)
						}
						took = append(took, time.Since(start))
					}
					ReportPercentiles(b, took)
				})
			}
		})
	}
}

// ReportPercentiles adds the p50 and p99 of took, in milliseconds, to b's
// results.
func ReportPercentiles(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	at := func(p float64) float64 {
		return float64(took[min(int(p*float64(len(took))), len(took)-1)].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// RowWriter writes exported rows (csvexport.Transactions).
type RowWriter interface {
	Write(*gateway.Transaction) error
	Flush() error
}

// BenchExport exports every transaction of ReportScope through the service
// (keyset pages) and w's writer, to io.Discard, and reports rows/s and the
// resident memory it adds: the peak of RSS sampled every 10,000 rows, less
// RSS before it (and the Go heap's peak in use).
func BenchExport(b *testing.B, db *ReportDB, newWriter func(io.Writer) RowWriter) {
	var rows int
	var growth, heap int64
	start := time.Now()
	for b.Loop() {
		runtime.GC()
		before := rss(b)
		peak := before
		w := newWriter(io.Discard)
		rows = 0
		err := db.Svc.ExportTransactions(b.Context(), ReportScope, gateway.TransactionFilter{}, func(t *gateway.Transaction) error {
			if rows++; rows%10_000 == 0 {
				peak = max(peak, rss(b))
				if rows%100_000 == 0 {
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					heap = max(heap, int64(ms.HeapInuse))
				}
			}
			return w.Write(t)
		})
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			b.Fatal(err)
		}
		if rows != db.Rows {
			b.Fatalf("exported %d rows, want %d", rows, db.Rows)
		}
		growth = max(growth, peak-before)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(growth)/(1<<20), "rss-growth-MB")
	b.ReportMetric(float64(heap)/(1<<20), "heap-inuse-MB")
}

// rss reads this process's resident set size, in bytes.
func rss(b *testing.B) int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/satsrail/satsrail/internal/gateway"
)

// TestListsUseTheirIndexes checks every filter combination of the session
// and transaction lists searches an index for its total and its page, and
// reads the page in index order: no table scan, no sort.
func TestListsUseTheirIndexes(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	scope := gateway.Scope{MerchantID: "mer_a", Mode: gateway.ModeTest}
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	ranges := map[string]gateway.TimeRange{
		"all time":       {},
		"after mid-day":  {From: now.AddDate(0, 0, -7)},
		"before mid-day": {To: now.AddDate(0, 0, -7)},
		"mid-day range":  {From: now.AddDate(0, 0, -7), To: now.AddDate(0, 0, -1)},
		"within a day":   {From: now, To: now.Add(time.Hour)},
	}
	type list struct {
		name, table string
		total, page func(*conds) (string, []any)
		status      string
		other       map[string]func(*conds) // filters the counts cannot answer
	}
	for _, l := range []list{
		{"sessions", "checkout_sessions", sessionList.total, func(c *conds) (string, []any) { return sessionList.page(c, 26, 0) },
			string(gateway.StatusPending), map[string]func(*conds){
				// The dashboard's search, as ListCheckoutSessions adds it.
				"order id":       func(c *conds) { c.add(true, "json_extract(metadata, '$.order_id') = ?", "A-1") },
				"customer email": func(c *conds) { c.add(true, "lower(customer_email) = lower(?)", "a@b.example") },
			}},
		{"transactions", "transactions", transactionList.total, func(c *conds) (string, []any) { return transactionList.page(c, 26, 0) },
			string(gateway.TxSettled), map[string]func(*conds){
				"checkout session": func(c *conds) { c.add(true, "checkout_session_id = ?", "cs_a") },
				"payment hash":     func(c *conds) { c.add(true, "payment_hash = ?", "hash_a") },
			}},
	} {
		others := map[string]func(*conds){"": func(*conds) {}}
		for name, f := range l.other {
			others[name] = f
		}
		for other, addOther := range others {
			for rname, r := range ranges {
				for _, status := range []string{"", l.status} {
					for _, cursor := range []bool{false, true} {
						name := fmt.Sprintf("%s %s %s status %q cursor %v", l.name, other, rname, status, cursor)
						t.Run(name, func(t *testing.T) {
							c := scoped(scope)
							c.statusIs(status)
							addOther(c)
							c.created(r)
							q, args := l.total(c)
							checkPlan(t, s, l.table, false, q, args)
							if status != "" && other == "" && !strings.Contains(planOf(t, s, q, args), "status=?") {
								t.Errorf("total does not search by status:\n%s", planOf(t, s, q, args))
							}
							if cursor {
								c.push("(created_at, id) < (?, ?)", now.UnixMicro(), "x")
							}
							q, args = l.page(c)
							// A search reads its own index in list order too.
							search := map[string]string{"order id": "checkout_sessions_order_id",
								"customer email": "checkout_sessions_customer_email"}[other]
							checkPlan(t, s, l.table, other == "" || search != "", q, args)
							if plan := planOf(t, s, q, args); search != "" && !strings.Contains(plan, "INDEX "+search+" ") {
								t.Errorf("search does not use %s:\n%s", search, plan)
							}
							if status != "" && other == "" && !strings.Contains(planOf(t, s, q, args), "status=?") {
								t.Errorf("page does not search by status:\n%s", planOf(t, s, q, args))
							}
						})
					}
				}
			}
		}
	}
}

// checkPlan fails the test if query scans table or sorts, or, when ordered,
// if it reads table other than through an index.
func checkPlan(t *testing.T, s *Store, table string, ordered bool, query string, args []any) {
	t.Helper()
	all := planOf(t, s, query, args)
	for _, line := range strings.Split(all, "\n") {
		if strings.HasPrefix(line, "SCAN "+table) || strings.HasPrefix(line, "SCAN list_counts") || strings.HasPrefix(line, "SCAN list_totals") ||
			(ordered && strings.Contains(line, "TEMP B-TREE")) {
			t.Errorf("plan of %s\n%s", query, all)
		}
	}
	if ordered && !strings.Contains(all, "SEARCH "+table+" USING INDEX") {
		t.Errorf("page does not search an index of %s:\n%s", table, all)
	}
}

// planOf returns the lines of query's plan.
func planOf(t *testing.T, s *Store, query string, args []any) string {
	t.Helper()
	rows, err := s.reader.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	plan, err := scanAll(rows, err, func(r rowScanner) (detail string, err error) {
		var id, parent, unused int
		return detail, r.Scan(&id, &parent, &unused, &detail)
	})
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: %v", err)
	}
	return strings.Join(plan, "\n")
}

// migratedBefore opens a new database at path with the migrations before
// version applied, for a test of that migration to fill; close it before
// opening the Store, which applies the rest.
func migratedBefore(t *testing.T, path string, version int) *sql.DB {
	t.Helper()
	db, err := openWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ensureMigrationsTable(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.version < version {
			if _, err := applyMigration(t.Context(), db, m); err != nil {
				t.Fatalf("migration %s: %v", m.name, err)
			}
		}
	}
	return db
}

// migrateRest applies to db every migration it lacks, bypassing the
// upgrade policy's floor (schema.Policy), for a test of a migration older
// than OldestSupportedVersion.
func migrateRest(t *testing.T, db *sql.DB) {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if _, err := applyMigration(t.Context(), db, m); err != nil {
			t.Fatalf("migration %s: %v", m.name, err)
		}
	}
}

// TestListCountsMigration checks migration 0009 counts the rows stored
// before it, and that its counts, kept by triggers afterwards, bucket every
// row in the UTC day the list code expects, before 1970 too.
func TestListCountsMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "satsrail.db")
	db := migratedBefore(t, path, 9)
	scope := gateway.Scope{MerchantID: "mer_a", Mode: gateway.ModeTest}
	epoch := time.Unix(0, 0).UTC()
	times := []time.Time{epoch.Add(-25 * time.Hour), epoch.Add(-24 * time.Hour), epoch.Add(-time.Microsecond), epoch,
		epoch.Add(time.Hour), time.Date(2025, 3, 14, 23, 59, 59, 999999000, time.UTC), time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC)}
	m := gateway.Merchant{ID: scope.MerchantID, Name: "A", Email: "a@a.example", Status: "active", CreatedAt: times[0], UpdatedAt: times[0]}
	if _, err := insertMerchantBefore15(ctx, db, &m); err != nil {
		t.Fatal(err)
	}
	var b Bulk
	for i, at := range times {
		status := []gateway.SessionStatus{gateway.StatusPending, gateway.StatusExpired}[i%2]
		cs := gateway.CheckoutSession{ID: fmt.Sprintf("cs_%d", i), MerchantID: scope.MerchantID, Mode: scope.Mode, Status: status,
			AmountCents: 100, Currency: "usd", CreatedAt: at, UpdatedAt: at}
		tx := gateway.Transaction{ID: fmt.Sprintf("txn_%d", i), MerchantID: scope.MerchantID, Mode: scope.Mode, Status: gateway.TxSettled,
			PaymentHash: fmt.Sprintf("hash_%d", i), CreatedAt: at, SettledAt: at}
		if i%3 == 0 { // stored before the migration
			// Without the columns later migrations add (0016's invoice_ref,
			// 0017's locale, the last one).
			old := insertSQL("checkout_sessions", strings.TrimSuffix(strings.Replace(sessionColumns, " invoice_ref,", "", 1), ", locale"))
			args := sessionArgs(&cs)
			if _, err := db.ExecContext(ctx, old, slices.Delete(args[:len(args)-1], 16, 17)...); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, insertTransaction, transactionArgs(&tx)...); err != nil {
				t.Fatal(err)
			}
		} else {
			cs.ID, tx.ID, tx.PaymentHash = cs.ID+"new", tx.ID+"new", tx.PaymentHash+"new"
			b.Sessions, b.Transactions = append(b.Sessions, cs), append(b.Transactions, tx)
		}
	}
	// 0009 predates satsrail 0.1.0's schema (10), the oldest Open upgrades,
	// so the test applies the rest itself.
	migrateRest(t, db)
	db.Close()

	s := open(t, path)
	checkListCounts(t, s)
	if err := s.BulkInsert(ctx, b); err != nil {
		t.Fatal(err)
	}
	checkListCounts(t, s)
	if _, err := s.UpdateCheckoutSession(ctx, scope, "cs_0", func(cs *gateway.CheckoutSession) (gateway.SessionChange, error) {
		return gateway.SessionChange{}, cs.Transition(gateway.StatusCancelled, times[1])
	}); err != nil {
		t.Fatal(err)
	}
	checkListCounts(t, s)

	for _, r := range []gateway.TimeRange{{}, {From: times[1]}, {To: times[3]}, {From: times[1], To: times[3]},
		{From: times[0], To: times[4]}, {From: epoch.AddDate(0, 0, -3), To: epoch.AddDate(0, 0, 3)}} {
		for _, status := range []string{"", string(gateway.StatusPending), string(gateway.StatusExpired)} {
			var want int
			got, err := s.ListCheckoutSessions(ctx, scope, gateway.SessionFilter{Status: gateway.SessionStatus(status), Created: r})
			if err != nil {
				t.Fatal(err)
			}
			c := scoped(scope)
			c.add(status != "", "status = ?", status) // uncounted: COUNT(*) on every row
			c.created(r)
			q, args := sessionList.total(c)
			if err := s.reader.QueryRowContext(ctx, q, args...).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if got.TotalCount != want {
				t.Errorf("sessions %+v status %q: TotalCount = %d, want %d", r, status, got.TotalCount, want)
			}
		}
	}
}

// checkListCounts fails the test unless list_counts holds, for every list,
// scope, status and UTC day, how many rows the table has there.
func checkListCounts(t *testing.T, s *Store) {
	t.Helper()
	type key struct {
		list, merchant, mode, status string
		day                          int64
	}
	want := map[key]int64{}
	for _, table := range []string{"transactions", "checkout_sessions"} {
		rows, err := s.reader.QueryContext(t.Context(), "SELECT merchant_id, mode, status, created_at FROM "+table)
		all, err := scanAll(rows, err, func(r rowScanner) (k key, err error) {
			var created int64
			err = r.Scan(&k.merchant, &k.mode, &k.status, &created)
			k.list, k.day = table, gateway.FloorDiv(created, gateway.DayMicros)
			return k, err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range all {
			want[k]++
		}
	}
	rows, err := s.reader.QueryContext(t.Context(), "SELECT list, merchant_id, mode, status, day, n FROM list_counts WHERE n <> 0")
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
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("list_counts (-recounted +stored):\n%s", d)
	}
	wantTotals := map[key]int64{}
	for k, n := range want {
		k.day = 0
		wantTotals[k] += n
	}
	rows, err = s.reader.QueryContext(t.Context(), "SELECT list, merchant_id, mode, status, 0, n FROM list_totals WHERE n <> 0")
	totals, err := scanAll(rows, err, func(r rowScanner) (c count, err error) {
		return c, r.Scan(&c.k.list, &c.k.merchant, &c.k.mode, &c.k.status, &c.k.day, &c.n)
	})
	if err != nil {
		t.Fatal(err)
	}
	gotTotals := map[key]int64{}
	for _, c := range totals {
		gotTotals[c.k] = c.n
	}
	if d := cmp.Diff(wantTotals, gotTotals); d != "" {
		t.Errorf("list_totals (-recounted +stored):\n%s", d)
	}
}

// insertMerchantBefore15 stores m in a database migrated to before 0015,
// which added columns insertMerchant writes.
func insertMerchantBefore15(ctx context.Context, db *sql.DB, m *gateway.Merchant) (sql.Result, error) {
	return db.ExecContext(ctx, `INSERT INTO merchants (id, name, email, status, rate_limit_per_minute, checkout_ttl_us, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, m.Name, m.Email, m.Status, m.RateLimitPerMinute, durationCol(m.CheckoutTTL),
		timeCol(m.CreatedAt), timeCol(m.UpdatedAt))
}

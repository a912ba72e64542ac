package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gateway.Store { return open(t, filepath.Join(t.TempDir(), "satsrail.db")) })
}

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), Config{Path: path})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func allVersions(t *testing.T) []int {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	var vs []int
	for _, m := range ms {
		vs = append(vs, m.version)
	}
	return vs
}

func TestMigrate(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "satsrail.db")
	want := allVersions(t)

	applied, err := Migrate(ctx, path)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if d := cmp.Diff(want, applied); d != "" {
		t.Errorf("first Migrate applied (-want +got):\n%s", d)
	}
	applied, err = Migrate(ctx, path)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", applied)
	}

	// Opening and reopening a migrated file applies nothing more.
	for range 2 {
		s, err := Open(ctx, Config{Path: path})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil {
			t.Fatalf("SchemaVersion: %v", err)
		}
		if v != want[len(want)-1] {
			t.Errorf("SchemaVersion = %d, want %d", v, want[len(want)-1])
		}
		got, err := appliedVersions(ctx, s.reader)
		if err != nil {
			t.Fatalf("appliedVersions: %v", err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("schema_migrations holds %v, want %v", got, want)
		}
		s.Close()
	}
}

func TestOpenMigrates(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	v, err := s.SchemaVersion(t.Context())
	if err != nil {
		t.Fatalf("SchemaVersion: %v", err)
	}
	if want := allVersions(t); v != want[len(want)-1] {
		t.Errorf("SchemaVersion = %d, want %d", v, want[len(want)-1])
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "satsrail.db")
	s := open(t, path)
	if _, err := s.writer.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, Config{Path: path}); err == nil {
		t.Error("Open of a database from a newer binary succeeded, want an error")
	}
	// NoMigrate (satsrail doctor) opens it as it is, to report the version.
	ro, err := Open(ctx, Config{Path: path, NoMigrate: true})
	if err != nil {
		t.Fatalf("Open NoMigrate: %v", err)
	}
	defer ro.Close()
	if v, err := ro.SchemaVersion(ctx); err != nil || v != 9999 {
		t.Errorf("NoMigrate SchemaVersion = %d, %v; want 9999", v, err)
	}
}

// TestOpenNoMigrateLeavesSchema checks NoMigrate applies nothing: a database
// one migration behind stays behind.
func TestOpenNoMigrateLeavesSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "satsrail.db")
	want := allVersions(t)
	s := open(t, path)
	latest := want[len(want)-1]
	if _, err := s.writer.ExecContext(ctx, "DELETE FROM schema_migrations WHERE version = ?", latest); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(ctx, Config{Path: path, NoMigrate: true})
	if err != nil {
		t.Fatalf("Open NoMigrate: %v", err)
	}
	v, err := ro.SchemaVersion(ctx)
	ro.Close()
	if err != nil || v != want[len(want)-2] {
		t.Errorf("NoMigrate SchemaVersion = %d, %v; want %d (left as it was)", v, err, want[len(want)-2])
	}
}

func TestOpenRefusesBadPath(t *testing.T) {
	for _, path := range []string{"", filepath.Join(t.TempDir(), "what?.db")} {
		if s, err := Open(t.Context(), Config{Path: path}); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}

func TestPragmas(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	pragma := func(db *sql.DB, name string) string {
		t.Helper()
		var v string
		if err := db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	for _, tt := range []struct {
		db         *sql.DB
		name, want string
	}{
		{s.writer, "journal_mode", "wal"},
		{s.writer, "foreign_keys", "1"},
		{s.writer, "synchronous", "2"}, // FULL
		{s.writer, "busy_timeout", "10000"},
		{s.writer, "query_only", "0"},
		{s.reader, "journal_mode", "wal"},
		{s.reader, "busy_timeout", "10000"},
		{s.reader, "query_only", "1"},
	} {
		if got := pragma(tt.db, tt.name); got != tt.want {
			t.Errorf("PRAGMA %s = %s, want %s", tt.name, got, tt.want)
		}
	}
	if _, err := s.reader.ExecContext(ctx, "DELETE FROM merchants"); err == nil {
		t.Error("the reader pool accepted a write")
	}
}

// TestWritesWaitForEachOther checks the writer is one connection: a second
// write transaction waits for the first instead of failing with SQLITE_BUSY.
func TestWritesWaitForEachOther(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	if got := s.writer.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", got)
	}
	first, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		done <- s.CreateMerchant(ctx, &gateway.Merchant{ID: "mer_waiting", Name: "W", Email: "w@w.example",
			Status: "active", CreatedAt: time.UnixMicro(1), UpdatedAt: time.UnixMicro(1)}, nil)
	}()
	for s.writer.Stats().WaitCount == 0 {
		runtime.Gosched() // until the second writer queues for the connection
	}
	if err := first.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("second writer: %v", err)
	}
}

// TestUpdateKeepsIdentity checks an update function cannot move a session or
// product to another id or scope, which would write over the wrong row.
func TestUpdateKeepsIdentity(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	now := time.UnixMicro(1_700_000_000_000_000).UTC()
	m := &gateway.Merchant{ID: "mer_a", Name: "A", Email: "a@a.example", Status: "active", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateMerchant(ctx, m, nil); err != nil {
		t.Fatal(err)
	}
	scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}
	sess := &gateway.CheckoutSession{ID: "cs_a", MerchantID: m.ID, Mode: scope.Mode, Status: gateway.StatusPending,
		AmountCents: 1, Currency: "usd", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateCheckoutSession(ctx, sess, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateCheckoutSession(ctx, scope, sess.ID, func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
		s.Mode = gateway.ModeLive
		return gateway.SessionChange{}, nil
	}); err == nil {
		t.Error("UpdateCheckoutSession let fn change the mode")
	}
	p := &gateway.Product{ID: "prod_a", MerchantID: m.ID, Mode: scope.Mode, Name: "P", Currency: "usd", Slug: "p",
		Status: gateway.ProductActive, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateProduct(ctx, scope, p.ID, func(p *gateway.Product) error {
		p.ID = "prod_b"
		return nil
	}); err == nil {
		t.Error("UpdateProduct let fn change the id")
	}
	e := &gateway.WebhookEndpoint{ID: "we_a", MerchantID: m.ID, Mode: scope.Mode, URL: "https://a.example/hook",
		Active: true, Secret: []byte("sealed"), CreatedAt: now, UpdatedAt: now}
	if err := s.CreateWebhookEndpoint(ctx, e); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateWebhookEndpoint(ctx, scope, e.ID, func(e *gateway.WebhookEndpoint) error {
		e.MerchantID = "mer_b"
		return nil
	}); err == nil {
		t.Error("UpdateWebhookEndpoint let fn change the merchant")
	}
	// An attempt's next state cannot move the delivery to another endpoint.
	if err := s.InsertEvent(ctx, gateway.Event{ID: "evt_a", MerchantID: m.ID, Mode: scope.Mode, Type: gateway.EventWebhookTest,
		ObjectID: e.ID, Body: []byte("{}"), CreatedAt: now}, ""); err != nil {
		t.Fatal(err)
	}
	jobs, err := s.ClaimDueDeliveries(ctx, now, now.Add(time.Minute), 1, 0)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("ClaimDueDeliveries = %d jobs, %v; want 1", len(jobs), err)
	}
	next := gateway.NextDelivery(jobs[0].Delivery, gateway.AttemptOutcome{StatusCode: 200}, gateway.DefaultRetrySchedule, now)
	next.EndpointID = "we_b"
	if err := s.RecordDeliveryAttempt(ctx, jobs[0].Delivery.LeaseToken, gateway.DeliveryAttempt{At: now}, next); err == nil {
		t.Error("RecordDeliveryAttempt let the next state change the endpoint")
	}
}

// TestEventFilterColumn checks an endpoint's event filter cannot hold a type
// that would break its comma-wrapped form.
func TestEventFilterColumn(t *testing.T) {
	for _, tt := range []struct {
		in      []gateway.EventType
		want    string
		wantErr bool
	}{
		{nil, "", false},
		{[]gateway.EventType{}, "", false},
		{[]gateway.EventType{"checkout.completed"}, ",checkout.completed,", false},
		{[]gateway.EventType{"a_b", "c%d"}, ",a_b,c%d,", false},
		{[]gateway.EventType{"a,b"}, "", true},
		{[]gateway.EventType{""}, "", true},
	} {
		v, err := eventTypesCol(tt.in).Value()
		if (err != nil) != tt.wantErr {
			t.Errorf("Value(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && v != tt.want {
			t.Errorf("Value(%q) = %q, want %q", tt.in, v, tt.want)
		}
	}
}

// TestQueuesUseTheirIndexes checks the workers' queue queries search their
// partial indexes instead of scanning tables that only ever grow.
func TestQueuesUseTheirIndexes(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	for _, tt := range []struct {
		name  string
		query string
		args  []any
		want  []string // indexes the plan must search
	}{
		{"ReconcilableSessions", reconcilableSessions, []any{0, "", 10},
			[]string{"checkout_sessions_reconcile_pending", "checkout_sessions_reconcile_expired", "checkout_sessions_reconcile_cancelled"}},
		{"ReconcilableSessions of one scope", reconcilableScopeSessions, []any{0, "", 10, "mer_a", gateway.ModeTest},
			[]string{"checkout_sessions_reconcile_pending_scope", "checkout_sessions_reconcile_expired", "checkout_sessions_reconcile_cancelled"}},
		{"DueTestInvoices", dueTestInvoices, []any{0, 0, 10}, []string{"test_wallet_invoices_due"}},
		{"LastTestSettlement", lastTestSettlement, nil, []string{"test_wallet_invoices_settled"}},
		{"TestSettlementsAfter", testSettlementsFrom, []any{0, 10}, []string{"test_wallet_invoices_settled"}},
		{"ClaimDueDeliveries", dueDeliveries, []any{0, 0, 0, 8, 10}, []string{"webhook_deliveries_due", "webhook_deliveries_leased"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := s.reader.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tt.query, tt.args...)
			plan, err := scanAll(rows, err, func(r rowScanner) (detail string, err error) {
				var id, parent, unused int
				return detail, r.Scan(&id, &parent, &unused, &detail)
			})
			if err != nil {
				t.Fatalf("EXPLAIN QUERY PLAN: %v", err)
			}
			all := strings.Join(plan, "\n")
			for _, line := range plan {
				// Scanning a subquery's own rows is fine; scanning a table is not.
				if name, ok := strings.CutPrefix(line, "SCAN "); ok && !strings.HasPrefix(name, "(subquery") && name != "d" && !strings.HasPrefix(name, "busy") &&
					!strings.Contains(name, "USING COVERING INDEX webhook_deliveries_leased") { // a partial index of live leases only
					t.Errorf("plan scans a table:\n%s", all)
				}
			}
			for _, idx := range tt.want {
				if !strings.Contains(all, "INDEX "+idx) {
					t.Errorf("plan does not use %s:\n%s", idx, all)
				}
			}
		})
	}
}

// TestEventFilterMatchesLiterally checks fan-out matches event types exactly:
// no wildcards, no case folding, no partial names.
func TestEventFilterMatchesLiterally(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	now := time.UnixMicro(1_700_000_000_000_000).UTC()
	m := &gateway.Merchant{ID: "mer_a", Name: "A", Email: "a@a.example", Status: "active", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateMerchant(ctx, m, nil); err != nil {
		t.Fatal(err)
	}
	scope := gateway.Scope{MerchantID: m.ID, Mode: gateway.ModeTest}
	e := &gateway.WebhookEndpoint{ID: "we_a", MerchantID: m.ID, Mode: scope.Mode, URL: "https://a.example/hook",
		Events: []gateway.EventType{"order_paid", "a%z"}, Active: true, Secret: []byte("sealed"), CreatedAt: now, UpdatedAt: now}
	if err := s.CreateWebhookEndpoint(ctx, e); err != nil {
		t.Fatal(err)
	}
	for i, typ := range []gateway.EventType{"order_paid", "orderXpaid", "a%z", "abcz", "ORDER_PAID", "order", "paid"} {
		ev := gateway.Event{ID: fmt.Sprintf("evt_%d", i), MerchantID: m.ID, Mode: scope.Mode, Type: typ, ObjectID: "x",
			Body: []byte("{}"), CreatedAt: now.Add(time.Duration(i) * time.Second)}
		if err := s.InsertEvent(ctx, ev, ""); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.ListDeliveries(ctx, scope, e.ID, gateway.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range l.Items {
		got = append(got, d.EventID)
	}
	if want := []string{"evt_2", "evt_0"}; !slices.Equal(got, want) {
		t.Errorf("delivered events %v, want %v", got, want)
	}
}

// TestCredentialsVersionSeesSQLByHand: storetest's check, with SQL run on
// the writer's own handle.
func TestCredentialsVersionSeesSQLByHand(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "satsrail.db"))
	storetest.CredentialsVersionSeesSQLByHand(t, s, func(ctx context.Context, stmt string) error {
		_, err := s.writer.ExecContext(ctx, stmt)
		return err
	}, "1")
}

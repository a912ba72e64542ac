package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/storetest"
)

// defaultServerURL is the server the tests use unless
// SATSRAIL_TEST_DATABASE_URL names another. It is a maintenance database the
// tests connect to only to create and drop their own.
const defaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func serverURL() string {
	if u := os.Getenv("SATSRAIL_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultServerURL
}

// adminConn connects to the maintenance database, or stops the test with a
// message that says how to provide a server: these tests never skip.
func adminConn(t testing.TB) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(serverURL())
	if err != nil {
		t.Fatalf("SATSRAIL_TEST_DATABASE_URL: %v", redactURLError(err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("PostgreSQL at %s is not reachable: %v\n"+
			"The postgres tests need a server: start one, or point SATSRAIL_TEST_DATABASE_URL at one "+
			"(a URL like %s whose user may create databases).", describe(cfg), err, defaultServerURL)
	}
	return conn
}

// freshDB creates an empty database for one test, drops it when the test
// ends, and returns its URL.
func freshDB(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	name := "satsrail_" + hex.EncodeToString(b)
	conn := adminConn(t)
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("CREATE DATABASE %s: %v", name, err)
	}
	t.Cleanup(func() {
		conn := adminConn(t)
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("DROP DATABASE %s: %v", name, err)
		}
	})
	return withDatabase(t, serverURL(), name)
}

// withDatabase returns connection string base naming database name instead.
func withDatabase(t testing.TB, base, name string) string {
	t.Helper()
	if !isURL(base) {
		return base + " dbname=" + name // key=value form: the last dbname wins
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("SATSRAIL_TEST_DATABASE_URL: %v", redactURLError(err))
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// withParam returns connection string base with a run-time parameter set.
func withParam(t *testing.T, base, key, value string) string {
	t.Helper()
	if !isURL(base) {
		return base + " " + key + "=" + value
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("SATSRAIL_TEST_DATABASE_URL: %v", redactURLError(err))
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

func open(t testing.TB, dbURL string) *Store {
	t.Helper()
	s, err := Open(t.Context(), Config{URL: dbURL, MaxConns: 8})
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

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) gateway.Store { return open(t, freshDB(t)) })
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

// migrationRows returns the versions schema_migrations records, in order.
func migrationRows(t *testing.T, s *Store) []int {
	t.Helper()
	got, err := appliedVersions(t.Context(), s.pool)
	if err != nil {
		t.Fatalf("appliedVersions: %v", err)
	}
	return got
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dbURL := freshDB(t)
	want := allVersions(t)

	applied, err := Migrate(ctx, dbURL)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if d := cmp.Diff(want, applied); d != "" {
		t.Errorf("first Migrate applied (-want +got):\n%s", d)
	}
	applied, err = Migrate(ctx, dbURL)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", applied)
	}

	// Opening and reopening a migrated database applies nothing more.
	for range 2 {
		s, err := Open(ctx, Config{URL: dbURL})
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
		if got := migrationRows(t, s); !slices.Equal(got, want) {
			t.Errorf("schema_migrations holds %v, want %v", got, want)
		}
		s.Close()
	}
}

// TestConcurrentOpen starts several nodes at once on an empty database: the
// advisory lock lets one migrate while the others wait, and every one of
// them opens.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	dbURL := freshDB(t)
	want := allVersions(t)
	const nodes = 4
	stores := make([]*Store, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range nodes {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), Config{URL: dbURL, MaxConns: 2})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: Open: %v", i, err)
		}
		defer stores[i].Close()
	}
	for i, s := range stores {
		v, err := s.SchemaVersion(t.Context())
		if err != nil || v != want[len(want)-1] {
			t.Errorf("node %d: SchemaVersion = %d, %v; want %d", i, v, err, want[len(want)-1])
		}
	}
	if got := migrationRows(t, stores[0]); !slices.Equal(got, want) {
		t.Errorf("schema_migrations holds %v, want each of %v once", got, want)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dbURL := freshDB(t)
	s := open(t, dbURL)
	if _, err := s.pool.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES (9999)"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != 9999 {
		t.Errorf("SchemaVersion = %d, %v; want 9999", v, err)
	}
	if s2, err := Open(ctx, Config{URL: dbURL}); err == nil {
		s2.Close()
		t.Error("Open of a database from a newer binary succeeded, want an error")
	}
	if _, err := Migrate(ctx, dbURL); err == nil {
		t.Error("Migrate of a database from a newer binary succeeded, want an error")
	}
	// NoMigrate (satsrail doctor) opens it as it is, to report the version.
	ro, err := Open(ctx, Config{URL: dbURL, NoMigrate: true})
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
	t.Parallel()
	ctx := t.Context()
	dbURL := freshDB(t)
	s := open(t, dbURL)
	want := migrationRows(t, s)
	latest := want[len(want)-1]
	if _, err := s.pool.Exec(ctx, "DELETE FROM schema_migrations WHERE version = $1", latest); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(ctx, Config{URL: dbURL, NoMigrate: true})
	if err != nil {
		t.Fatalf("Open NoMigrate: %v", err)
	}
	defer ro.Close()
	if v, err := ro.SchemaVersion(ctx); err != nil || v != want[len(want)-2] {
		t.Errorf("NoMigrate SchemaVersion = %d, %v; want %d (left as it was)", v, err, want[len(want)-2])
	}
}

// TestOpenHidesPassword checks an unusable connection string's password
// never reaches the error (which is logged).
func TestOpenHidesPassword(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"postgres://satsrail:hunter2secret@127.0.0.1:notaport/db",
		"postgres://satsrail:hunter2secret@%zz/db",
		"host=127.0.0.1 port=notaport password=hunter2secret",
	} {
		_, err := Open(t.Context(), Config{URL: u})
		if err == nil {
			t.Errorf("Open(%q) succeeded, want an error", u)
			continue
		}
		if strings.Contains(err.Error(), "hunter2secret") {
			t.Errorf("Open error shows the password: %v", err)
		}
		_, err = Migrate(t.Context(), u)
		if err == nil || strings.Contains(err.Error(), "hunter2secret") {
			t.Errorf("Migrate error = %v, want one without the password", err)
		}
	}
}

// fixture is a merchant with one active endpoint in a fresh database, and
// two Stores on it, as two nodes would have.
type fixture struct {
	nodes [2]*Store
	scope gateway.Scope
	now   time.Time
}

func setup(t *testing.T) *fixture {
	t.Helper()
	dbURL := freshDB(t)
	f := &fixture{
		nodes: [2]*Store{open(t, dbURL), open(t, dbURL)},
		scope: gateway.Scope{MerchantID: "mer_a", Mode: gateway.ModeTest},
		now:   time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC),
	}
	m := &gateway.Merchant{ID: "mer_a", Name: "A", Email: "a@a.example", Status: "active", CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.nodes[0].CreateMerchant(t.Context(), m, nil); err != nil {
		t.Fatal(err)
	}
	e := &gateway.WebhookEndpoint{ID: "we_a", MerchantID: m.ID, Mode: f.scope.Mode, URL: "https://hooks.example/a",
		Active: true, Secret: []byte("sealed"), CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.nodes[0].CreateWebhookEndpoint(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestClaimsAcrossNodes has two Stores on one database, as two nodes, claim
// at once with several workers each: every due delivery is claimed by
// exactly one of them.
func TestClaimsAcrossNodes(t *testing.T) {
	t.Parallel()
	const deliveries, workersPerNode = 120, 3
	f := setup(t)
	ctx := t.Context()
	for i := range deliveries {
		ev := gateway.Event{ID: fmt.Sprintf("evt_%03d", i), MerchantID: f.scope.MerchantID, Mode: f.scope.Mode,
			Type: gateway.EventCheckoutCompleted, ObjectID: "cs_x", Body: []byte("{}"), CreatedAt: f.now.Add(time.Duration(i%7) * time.Second)}
		if err := f.nodes[i%2].InsertEvent(ctx, ev, ""); err != nil {
			t.Fatal(err)
		}
	}

	var mu sync.Mutex
	claimedBy := map[string][]string{} // delivery id → claimers
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 2*workersPerNode)
	for n, s := range f.nodes {
		for w := range workersPerNode {
			name := fmt.Sprintf("node %d worker %d", n, w)
			wg.Go(func() {
				<-start
				for {
					jobs, err := s.ClaimDueDeliveries(ctx, f.now.Add(time.Minute), f.now.Add(time.Hour), 4, 0)
					if err != nil {
						errs <- fmt.Errorf("%s: %w", name, err)
						return
					}
					if len(jobs) == 0 {
						return
					}
					mu.Lock()
					for _, j := range jobs {
						claimedBy[j.Delivery.ID] = append(claimedBy[j.Delivery.ID], name)
					}
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(claimedBy) != deliveries {
		t.Errorf("%d deliveries claimed, want %d", len(claimedBy), deliveries)
	}
	for id, by := range claimedBy {
		if len(by) != 1 {
			t.Errorf("delivery %s claimed by %v, want one claimer", id, by)
		}
	}
	if jobs, err := f.nodes[0].ClaimDueDeliveries(ctx, f.now.Add(time.Minute), f.now.Add(time.Hour), 0, 0); err != nil || len(jobs) != 0 {
		t.Errorf("claim after all were claimed: %d jobs, %v; want none", len(jobs), err)
	}
}

// TestClaimSkipsLockedRows checks a claim does not wait for deliveries
// another node's claim holds locked: it takes the others at once.
func TestClaimSkipsLockedRows(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	for i := range 4 {
		ev := gateway.Event{ID: fmt.Sprintf("evt_%d", i), MerchantID: f.scope.MerchantID, Mode: f.scope.Mode,
			Type: gateway.EventCheckoutCompleted, ObjectID: "cs_x", Body: []byte("{}"), CreatedAt: f.now.Add(time.Duration(i) * time.Second)}
		if err := f.nodes[0].InsertEvent(ctx, ev, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Node 0 holds the two soonest deliveries locked in an open transaction.
	tx, err := f.nodes[0].pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	rows, err := tx.Query(ctx, dueDeliveries, timeCol(f.now.Add(time.Minute)), 2, []string{})
	held, err := scanAll(rows, err, scanJob)
	if err != nil || len(held) != 2 {
		t.Fatalf("locking two deliveries: %d, %v", len(held), err)
	}

	claimCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	jobs, err := f.nodes[1].ClaimDueDeliveries(claimCtx, f.now.Add(time.Minute), f.now.Add(time.Hour), 10, 0)
	if err != nil {
		t.Fatalf("ClaimDueDeliveries beside a locked claim: %v", err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, j.Event.ID)
	}
	if d := cmp.Diff([]string{"evt_2", "evt_3"}, got); d != "" {
		t.Errorf("claimed beside the locked two (-want +got):\n%s", d)
	}
}

// TestClaimCapAcrossNodes has two nodes claim at once with a per-endpoint
// cap: however the claims interleave, no endpoint gets more leases than the
// cap, and every endpoint gets its share.
func TestClaimCapAcrossNodes(t *testing.T) {
	t.Parallel()
	const perEndpoint, endpoints, each, workersPerNode = 2, 4, 10, 3
	f := setup(t)
	ctx := t.Context()
	var ids []string
	for i := range endpoints {
		id := fmt.Sprintf("we_%d", i)
		ids = append(ids, id)
		e := &gateway.WebhookEndpoint{ID: id, MerchantID: f.scope.MerchantID, Mode: f.scope.Mode, URL: "https://hooks.example/" + id,
			Events: []gateway.EventType{gateway.EventWebhookTest}, Active: true, Secret: []byte("sealed"), CreatedAt: f.now, UpdatedAt: f.now}
		if err := f.nodes[0].CreateWebhookEndpoint(ctx, e); err != nil {
			t.Fatal(err)
		}
		for j := range each {
			ev := gateway.Event{ID: fmt.Sprintf("evt_%d_%02d", i, j), MerchantID: f.scope.MerchantID, Mode: f.scope.Mode,
				Type: gateway.EventWebhookTest, ObjectID: id, Body: []byte("{}"), CreatedAt: f.now.Add(time.Duration(j) * time.Second)}
			if err := f.nodes[0].InsertEvent(ctx, ev, id); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Every worker claims until a claim comes back empty; leases last an
	// hour, so each one claimed stays out.
	var mu sync.Mutex
	leases := map[string]int{} // endpoint id → deliveries claimed
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 2*workersPerNode)
	for n, s := range f.nodes {
		for w := range workersPerNode {
			wg.Go(func() {
				<-start
				for {
					jobs, err := s.ClaimDueDeliveries(ctx, f.now.Add(time.Minute), f.now.Add(time.Hour), 3, perEndpoint)
					if err != nil {
						errs <- fmt.Errorf("node %d worker %d: %w", n, w, err)
						return
					}
					if len(jobs) == 0 {
						return
					}
					mu.Lock()
					for _, j := range jobs {
						leases[j.Endpoint.ID]++
					}
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// A claimer skips an endpoint another is claiming from, so a worker may
	// stop early; one more claim picks up any share left.
	jobs, err := f.nodes[1].ClaimDueDeliveries(ctx, f.now.Add(time.Minute), f.now.Add(time.Hour), 0, perEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		leases[j.Endpoint.ID]++
	}
	want := map[string]int{}
	for _, id := range ids {
		want[id] = perEndpoint
	}
	if d := cmp.Diff(want, leases); d != "" {
		t.Errorf("leases per endpoint (-want +got):\n%s", d)
	}

	// When the leases lapse, each endpoint's next ones go out, cap again.
	jobs, err = f.nodes[0].ClaimDueDeliveries(ctx, f.now.Add(2*time.Hour), f.now.Add(3*time.Hour), 0, perEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, j := range jobs {
		got[j.Endpoint.ID]++
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("leases per endpoint after the first lapsed (-want +got):\n%s", d)
	}
}

// TestTimesAreUTC checks times read back in UTC and at the same instant
// whatever time zone the connection's session is in.
func TestTimesAreUTC(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, withParam(t, freshDB(t), "timezone", "Asia/Kathmandu"))
	var tz string
	if err := s.pool.QueryRow(ctx, "SHOW TimeZone").Scan(&tz); err != nil || tz != "Asia/Kathmandu" {
		t.Fatalf("session TimeZone = %q, %v", tz, err)
	}
	created := time.Date(1969, 7, 20, 20, 17, 40, 123456000, time.FixedZone("EDT", -4*3600))
	m := &gateway.Merchant{ID: "mer_tz", Name: "TZ", Email: "tz@example.com", Status: "active", CheckoutTTL: 1500 * time.Microsecond,
		CreatedAt: created, UpdatedAt: created.Add(time.Microsecond)}
	if err := s.CreateMerchant(ctx, m, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetMerchant(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CreatedAt.Location() != time.UTC || !got.CreatedAt.Equal(created) || !got.UpdatedAt.Equal(m.UpdatedAt) || got.CheckoutTTL != m.CheckoutTTL {
		t.Errorf("read back %v, %v, %v; want %v, %v, %v in UTC", got.CreatedAt, got.UpdatedAt, got.CheckoutTTL, created, m.UpdatedAt, m.CheckoutTTL)
	}
}

// TestUpdateKeepsIdentity checks an update function cannot move a session,
// product or endpoint to another id or scope, which would write over the
// wrong row.
func TestUpdateKeepsIdentity(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	s := f.nodes[0]
	sess := &gateway.CheckoutSession{ID: "cs_a", MerchantID: f.scope.MerchantID, Mode: f.scope.Mode, Status: gateway.StatusPending,
		AmountCents: 1, Currency: "usd", CreatedAt: f.now, UpdatedAt: f.now}
	if err := s.CreateCheckoutSession(ctx, sess, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateCheckoutSession(ctx, f.scope, sess.ID, func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
		s.Mode = gateway.ModeLive
		return gateway.SessionChange{}, nil
	}); err == nil {
		t.Error("UpdateCheckoutSession let fn change the mode")
	}
	p := &gateway.Product{ID: "prod_a", MerchantID: f.scope.MerchantID, Mode: f.scope.Mode, Name: "P", Currency: "usd", Slug: "p",
		Status: gateway.ProductActive, CreatedAt: f.now, UpdatedAt: f.now}
	if err := s.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateProduct(ctx, f.scope, p.ID, func(p *gateway.Product) error {
		p.ID = "prod_b"
		return nil
	}); err == nil {
		t.Error("UpdateProduct let fn change the id")
	}
	if _, err := s.UpdateWebhookEndpoint(ctx, f.scope, "we_a", func(e *gateway.WebhookEndpoint) error {
		e.MerchantID = "mer_b"
		return nil
	}); err == nil {
		t.Error("UpdateWebhookEndpoint let fn change the merchant")
	}
}

// TestDeleteProductBesideNewSession races deleting a product against
// creating sessions that name it, from two nodes: whichever order they
// commit in, a product some session names is archived, never deleted.
func TestDeleteProductBesideNewSession(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	for round := range 10 {
		p := &gateway.Product{ID: fmt.Sprintf("prod_%d", round), MerchantID: f.scope.MerchantID, Mode: f.scope.Mode,
			Name: "P", Currency: "usd", Slug: fmt.Sprintf("p-%d", round), Status: gateway.ProductActive, CreatedAt: f.now, UpdatedAt: f.now}
		if err := f.nodes[0].CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		sess := &gateway.CheckoutSession{ID: fmt.Sprintf("cs_%d", round), MerchantID: f.scope.MerchantID, Mode: f.scope.Mode,
			Status: gateway.StatusPending, AmountCents: 1, Currency: "usd", CreatedAt: f.now, UpdatedAt: f.now,
			LineItems: []gateway.LineItem{{ProductID: p.ID, Name: p.Name, UnitAmountCents: 1, Quantity: 1}}}
		var archived bool
		var createErr, deleteErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; createErr = f.nodes[0].CreateCheckoutSession(ctx, sess, nil) })
		wg.Go(func() { <-start; archived, deleteErr = f.nodes[1].DeleteProduct(ctx, f.scope, p.ID, f.now) })
		close(start)
		wg.Wait()
		if createErr != nil || deleteErr != nil {
			t.Fatalf("round %d: create: %v; delete: %v", round, createErr, deleteErr)
		}
		_, err := f.nodes[0].GetProduct(ctx, f.scope, p.ID)
		switch {
		case archived && err != nil:
			t.Errorf("round %d: DeleteProduct archived the product, but it is gone: %v", round, err)
		case !archived && err == nil:
			t.Errorf("round %d: DeleteProduct deleted the product, but it is still there", round)
		}
	}
}

// TestQueuesUseTheirIndexes checks the workers' queue queries can search
// their partial indexes instead of scanning tables that only ever grow: with
// sequential scans priced out, each plan names its index.
func TestQueuesUseTheirIndexes(t *testing.T) {
	t.Parallel()
	s := open(t, freshDB(t))
	zero := time.Unix(0, 0)
	for _, tt := range []struct {
		name  string
		query string
		args  []any
		want  []string // indexes the plan must use
	}{
		{"DueSessions", dueSessions, []any{zero, 10}, []string{"checkout_sessions_due"}},
		{"ReconcilableSessions", reconcilableSessions, []any{"", zero, 10},
			[]string{"checkout_sessions_reconcile_pending", "checkout_sessions_reconcile_expired", "checkout_sessions_reconcile_cancelled"}},
		{"ReconcilableSessions of one scope", reconcilableScopeSessions, []any{"", zero, 10, "mer_a", gateway.ModeTest},
			[]string{"checkout_sessions_reconcile_pending_scope", "checkout_sessions_reconcile_expired", "checkout_sessions_reconcile_cancelled"}},
		{"DueTestInvoices", dueTestInvoices, []any{zero, zero, 10}, []string{"test_wallet_invoices_due"}},
		{"LastTestSettlement", lastTestSettlement, nil, []string{"test_wallet_invoices_settled"}},
		{"TestSettlementsAfter", testSettlementsFrom, []any{0, 10}, []string{"test_wallet_invoices_settled"}},
		{"ClaimDueDeliveries", dueDeliveries, []any{zero, 10, []string{}}, []string{"webhook_deliveries_due"}},
		{"ClaimDueDeliveries capped: endpoints", dueEndpoints, []any{zero, []string{}, claimLock}, []string{"webhook_deliveries_endpoint_pending"}},
		{"ClaimDueDeliveries capped: deliveries", dueDeliveriesCapped, []any{zero, 10, []string{}, []string{"we_a"}, 2},
			[]string{"webhook_deliveries_endpoint_pending"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var plan []string
			err := pgx.BeginFunc(t.Context(), s.pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(t.Context(), "SET LOCAL enable_seqscan = off"); err != nil {
					return err
				}
				rows, err := tx.Query(t.Context(), "EXPLAIN "+tt.query, tt.args...)
				plan, err = scanAll(rows, err, func(r rowScanner) (line string, err error) { return line, r.Scan(&line) })
				return err
			})
			if err != nil {
				t.Fatalf("EXPLAIN: %v", err)
			}
			all := strings.Join(plan, "\n")
			if strings.Contains(all, "Seq Scan") {
				t.Errorf("plan scans a table:\n%s", all)
			}
			for _, idx := range tt.want {
				if !strings.Contains(all, " "+idx+" ") && !strings.HasSuffix(all, " "+idx) {
					t.Errorf("plan does not use %s:\n%s", idx, all)
				}
			}
		})
	}
}

// TestTxRetries checks tx runs a transaction again when the server aborted
// it to resolve a conflict, a few times at most, and never for other errors.
func TestTxRetries(t *testing.T) {
	t.Parallel()
	s := open(t, freshDB(t))
	ctx := t.Context()
	// fail makes the server abort the transaction with SQLSTATE code.
	fail := func(tx pgx.Tx, code string) error {
		_, err := tx.Exec(ctx, "DO $$ BEGIN RAISE EXCEPTION 'induced' USING ERRCODE = '"+code+"'; END $$")
		return err
	}
	for _, code := range []string{serializationFailure, deadlockDetected} {
		t.Run("recovers from "+code, func(t *testing.T) {
			runs := 0
			err := s.tx(ctx, func(tx pgx.Tx) error {
				if runs++; runs < txAttempts {
					return fail(tx, code)
				}
				return nil
			})
			if err != nil || runs != txAttempts {
				t.Errorf("tx = %v after %d runs, want success after %d", err, runs, txAttempts)
			}
		})
		t.Run("gives up on "+code, func(t *testing.T) {
			runs := 0
			err := s.tx(ctx, func(tx pgx.Tx) error { runs++; return fail(tx, code) })
			if !retryable(err) || runs != txAttempts {
				t.Errorf("tx = %v after %d runs, want the %s error after %d", err, runs, code, txAttempts)
			}
		})
	}
	for name, fn := range map[string]func(tx pgx.Tx) error{
		"a unique violation":           func(tx pgx.Tx) error { return fail(tx, uniqueViolation) },
		"a callback's own error":       func(tx pgx.Tx) error { return passThrough{fail(tx, serializationFailure)} },
		"an error not from the server": func(pgx.Tx) error { return fmt.Errorf("no") },
	} {
		t.Run("does not retry "+name, func(t *testing.T) {
			runs := 0
			err := s.tx(ctx, func(tx pgx.Tx) error { runs++; return fn(tx) })
			if err == nil || runs != 1 {
				t.Errorf("tx = %v after %d runs, want the error after 1", err, runs)
			}
		})
	}
}

// TestCredentialsVersionSeesSQLByHand: storetest's check, with SQL run on
// the store's own pool.
func TestCredentialsVersionSeesSQLByHand(t *testing.T) {
	t.Parallel()
	s := open(t, freshDB(t))
	storetest.CredentialsVersionSeesSQLByHand(t, s, func(ctx context.Context, stmt string) error {
		_, err := s.pool.Exec(ctx, stmt)
		return err
	}, "now()")
}

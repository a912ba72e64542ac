package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/satsrail/satsrail/internal/gateway"
	"github.com/satsrail/satsrail/internal/testdb"
)

// fixedClock is a clock stopped at one instant.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// reportEnv is a service on a real store (the engine SATSRAIL_TEST_STORE
// names), its clock stopped at now, and a merchant's test scope.
type reportEnv struct {
	ctx   context.Context
	store gateway.Store
	svc   *gateway.Service
	scope gateway.Scope
	now   time.Time
	n     int
}

// now is a Wednesday afternoon.
var reportNow = time.Date(2025, 3, 12, 15, 0, 0, 0, time.UTC)

func newReportEnv(t *testing.T, cfg gateway.Config) *reportEnv {
	t.Helper()
	st := testdb.Open(t)
	cfg.Store, cfg.Clock = st, fixedClock(reportNow)
	e := &reportEnv{ctx: t.Context(), store: st, svc: gateway.NewService(cfg), now: reportNow}
	for _, id := range []string{"mer_a", "mer_b"} {
		m := &gateway.Merchant{ID: id, Name: "Shop " + id, Email: "ops@" + id + ".example", Status: "active",
			CreatedAt: reportNow.AddDate(-2, 0, 0), UpdatedAt: reportNow.AddDate(-2, 0, 0)}
		if err := st.CreateMerchant(e.ctx, m, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.scope = gateway.Scope{MerchantID: "mer_a", Mode: gateway.ModeTest}
	return e
}

// session stores a pending session of scope created at created.
func (e *reportEnv) session(t *testing.T, scope gateway.Scope, created time.Time, edit func(*gateway.CheckoutSession)) *gateway.CheckoutSession {
	t.Helper()
	e.n++
	s := &gateway.CheckoutSession{ID: fmt.Sprintf("cs_r%03d", e.n), MerchantID: scope.MerchantID, Mode: scope.Mode,
		Status: gateway.StatusPending, AmountCents: 5000, Currency: "usd", CustomerEmail: "ada@example.com",
		Metadata: map[string]string{"order_id": fmt.Sprintf("ORD-%d", e.n)}, CreatedAt: created, UpdatedAt: created,
		ExpiresAt: reportNow.Add(time.Hour), PaymentHash: fmt.Sprintf("%064x", e.n)}
	if edit != nil {
		edit(s)
	}
	if err := e.store.CreateCheckoutSession(e.ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// pay settles a new session of scope at paid: sats, cents in currency.
func (e *reportEnv) pay(t *testing.T, scope gateway.Scope, paid time.Time, sats gateway.Sats, cents gateway.Cents, currency string) *gateway.Transaction {
	t.Helper()
	s := e.session(t, scope, paid.Add(-time.Minute), func(s *gateway.CheckoutSession) { s.AmountCents, s.Currency = cents, currency })
	tx := &gateway.Transaction{ID: "txn_" + s.ID[3:], MerchantID: s.MerchantID, Mode: s.Mode, CheckoutSessionID: s.ID,
		Status: gateway.TxSettled, PaymentHash: s.PaymentHash, Preimage: "00", AmountMsat: gateway.MilliSat(sats) * 1000,
		AmountSats: sats, AmountCents: cents, Currency: currency, SettledAt: paid, CreatedAt: paid}
	_, err := e.store.UpdateCheckoutSession(e.ctx, scope, s.ID, func(cs *gateway.CheckoutSession) (gateway.SessionChange, error) {
		if err := cs.Transition(gateway.StatusCompleted, paid); err != nil {
			return gateway.SessionChange{}, err
		}
		cs.TransactionID = tx.ID
		ev := gateway.Event{ID: "evt_" + s.ID[3:], MerchantID: s.MerchantID, Mode: s.Mode, Type: gateway.EventCheckoutCompleted,
			ObjectID: s.ID, Body: []byte(`{}`), CreatedAt: paid}
		return gateway.SessionChange{Events: []gateway.Event{ev}, Transaction: tx}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestRevenue checks the buckets of each granularity: UTC days, ISO weeks
// from Monday, calendar months; every bucket present, payments summed into
// the bucket of their day, fiat per currency, no other scope's payments.
func TestRevenue(t *testing.T) {
	e := newReportEnv(t, gateway.Config{})
	day := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	e.pay(t, e.scope, day(2025, 3, 12, 0), 100, 500, "usd")  // today, Wednesday
	e.pay(t, e.scope, day(2025, 3, 12, 14), 200, 700, "eur") // today
	e.pay(t, e.scope, day(2025, 3, 10, 0), 300, 900, "usd")  // Monday this week
	e.pay(t, e.scope, day(2025, 3, 9, 23), 400, 1100, "usd") // Sunday last week
	e.pay(t, e.scope, day(2025, 2, 28, 12), 500, 1300, "usd")
	e.pay(t, e.scope, day(2024, 3, 31, 12), 600, 1500, "usd") // 12 months back, outside
	e.pay(t, gateway.Scope{MerchantID: "mer_a", Mode: gateway.ModeLive}, day(2025, 3, 12, 1), 10_000, 1, "usd")
	e.pay(t, gateway.Scope{MerchantID: "mer_b", Mode: gateway.ModeTest}, day(2025, 3, 12, 1), 20_000, 1, "usd")

	type b struct {
		start    time.Time
		payments int64
		sats     gateway.Sats
		fiat     map[string]gateway.Cents
	}
	check := func(t *testing.T, q gateway.RevenueQuery, n int, want map[int]b) {
		t.Helper()
		got, err := e.svc.Revenue(e.ctx, e.scope, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("%d buckets, want %d", len(got), n)
		}
		for i, g := range got {
			if i > 0 && !g.Start.Equal(got[i-1].End) {
				t.Errorf("bucket %d starts %v, the previous ends %v", i, g.Start, got[i-1].End)
			}
			w, ok := want[i]
			if !ok {
				if g.Payments != 0 || g.Sats != 0 || len(g.Fiat) != 0 {
					t.Errorf("bucket %d (%v) = %+v, want empty", i, g.Start, g)
				}
				continue
			}
			if !g.Start.Equal(w.start) || g.Payments != w.payments || g.Sats != w.sats || !cmp.Equal(g.Fiat, w.fiat) {
				t.Errorf("bucket %d = %v %d payments %d sats %v, want %v %d %d %v", i, g.Start, g.Payments, g.Sats, g.Fiat,
					w.start, w.payments, w.sats, w.fiat)
			}
		}
	}
	t.Run("days", func(t *testing.T) {
		check(t, gateway.RevenueQuery{}, 30, map[int]b{
			29: {day(2025, 3, 12, 0), 2, 300, map[string]gateway.Cents{"usd": 500, "eur": 700}},
			27: {day(2025, 3, 10, 0), 1, 300, map[string]gateway.Cents{"usd": 900}},
			26: {day(2025, 3, 9, 0), 1, 400, map[string]gateway.Cents{"usd": 1100}},
			17: {day(2025, 2, 28, 0), 1, 500, map[string]gateway.Cents{"usd": 1300}},
		})
	})
	t.Run("weeks", func(t *testing.T) {
		check(t, gateway.RevenueQuery{Granularity: gateway.GranularityWeek, Buckets: 3}, 3, map[int]b{
			2: {day(2025, 3, 10, 0), 3, 600, map[string]gateway.Cents{"usd": 1400, "eur": 700}},
			1: {day(2025, 3, 3, 0), 1, 400, map[string]gateway.Cents{"usd": 1100}},
			0: {day(2025, 2, 24, 0), 1, 500, map[string]gateway.Cents{"usd": 1300}},
		})
	})
	t.Run("months", func(t *testing.T) {
		check(t, gateway.RevenueQuery{Granularity: gateway.GranularityMonth}, 12, map[int]b{
			11: {day(2025, 3, 1, 0), 4, 1000, map[string]gateway.Cents{"usd": 2500, "eur": 700}},
			10: {day(2025, 2, 1, 0), 1, 500, map[string]gateway.Cents{"usd": 1300}},
			0:  {day(2024, 4, 1, 0), 0, 0, nil},
		})
	})
	t.Run("until", func(t *testing.T) {
		check(t, gateway.RevenueQuery{Granularity: gateway.GranularityMonth, Buckets: 1, Until: day(2024, 3, 1, 0)}, 1, map[int]b{
			0: {day(2024, 3, 1, 0), 1, 600, map[string]gateway.Cents{"usd": 1500}},
		})
	})
	for _, q := range []gateway.RevenueQuery{{Granularity: "year"}, {Buckets: -1}, {Buckets: gateway.MaxRevenueBuckets + 1}} {
		_, err := e.svc.Revenue(e.ctx, e.scope, q)
		var ge *gateway.Error
		if !errors.As(err, &ge) || ge.Code != gateway.CodeValidation {
			t.Errorf("Revenue(%+v): err = %v, want a validation error", q, err)
		}
	}
}

// TestOverview checks the front page's numbers come out right and stay in
// their scope.
func TestOverview(t *testing.T) {
	e := newReportEnv(t, gateway.Config{})
	other := gateway.Scope{MerchantID: "mer_b", Mode: gateway.ModeTest}
	for _, scope := range []gateway.Scope{e.scope, other} {
		e.pay(t, scope, e.now.Add(-time.Hour), 100, 500, "usd")
		e.pay(t, scope, e.now.AddDate(0, 0, -29).Add(-14*time.Hour), 200, 700, "usd") // the window's first day, 01:00
		e.pay(t, scope, e.now.AddDate(0, 0, -30), 400, 900, "usd")                    // before the window
		e.session(t, scope, e.now.Add(-2*time.Hour), nil)                             // pending
		e.session(t, scope, e.now.AddDate(0, 0, -40), nil)                            // pending, created long ago
	}
	o, err := e.svc.Overview(e.ctx, e.scope)
	if err != nil {
		t.Fatal(err)
	}
	if o.Payments != 2 || o.Sats != 300 || !cmp.Equal(o.Fiat, map[string]gateway.Cents{"usd": 1200}) {
		t.Errorf("payments %d, %d sats, fiat %v; want 2, 300, usd 1200", o.Payments, o.Sats, o.Fiat)
	}
	if o.SessionsCreated != 3 || o.SessionsCompleted != 2 || o.PendingNow != 2 {
		t.Errorf("created %d, completed %d, pending %d; want 3, 2, 2", o.SessionsCreated, o.SessionsCompleted, o.PendingNow)
	}
	if c, ok := o.Conversion(); !ok || c < 0.66 || c > 0.67 {
		t.Errorf("conversion %v %v, want 2/3", c, ok)
	}
	if len(o.Recent) != 3 || o.Recent[0].MerchantID != "mer_a" || !o.Recent[0].CreatedAt.Equal(e.now.Add(-time.Hour)) {
		t.Errorf("recent payments %+v", o.Recent)
	}
	if o.Wallet != nil || len(o.FailingEndpoints) != 0 {
		t.Errorf("wallet %v, failing endpoints %v; want none", o.Wallet, o.FailingEndpoints)
	}
	if !o.Window.From.Equal(time.Date(2025, 2, 11, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("window starts %v", o.Window.From)
	}

	// A delivery that failed makes its endpoint failing; a healthy or
	// disabled endpoint is not.
	for _, id := range []string{"we_bad", "we_good", "we_off"} {
		ep := &gateway.WebhookEndpoint{ID: id, MerchantID: "mer_a", Mode: gateway.ModeTest, URL: "https://hooks.example/" + id,
			Active: true, Secret: []byte("sealed"), CreatedAt: e.now, UpdatedAt: e.now}
		if err := e.store.CreateWebhookEndpoint(e.ctx, ep); err != nil {
			t.Fatal(err)
		}
	}
	ev := gateway.Event{ID: "evt_test", MerchantID: "mer_a", Mode: gateway.ModeTest, Type: gateway.EventWebhookTest, ObjectID: "we_bad",
		Body: []byte(`{}`), CreatedAt: e.now}
	if err := e.store.InsertEvent(e.ctx, ev, ""); err != nil {
		t.Fatal(err)
	}
	jobs, err := e.store.ClaimDueDeliveries(e.ctx, e.now, e.now.Add(time.Minute), 10, 0)
	if err != nil || len(jobs) != 3 {
		t.Fatalf("claimed %d deliveries (%v), want 3", len(jobs), err)
	}
	for _, j := range jobs {
		o := gateway.AttemptOutcome{StatusCode: 200}
		if j.Delivery.EndpointID != "we_good" {
			o = gateway.AttemptOutcome{StatusCode: 500}
		}
		next := gateway.NextDelivery(j.Delivery, o, gateway.DefaultRetrySchedule, e.now)
		a := gateway.DeliveryAttempt{ID: "wha_" + j.Delivery.ID, DeliveryID: j.Delivery.ID, Attempt: 1, At: e.now, StatusCode: o.StatusCode}
		if err := e.store.RecordDeliveryAttempt(e.ctx, j.Delivery.LeaseToken, a, next); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.store.UpdateWebhookEndpoint(e.ctx, e.scope, "we_off", func(ep *gateway.WebhookEndpoint) error {
		ep.Active = false
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if o, err = e.svc.Overview(e.ctx, e.scope); err != nil {
		t.Fatal(err)
	}
	if len(o.FailingEndpoints) != 1 || o.FailingEndpoints[0].Endpoint.ID != "we_bad" || o.FailingEndpoints[0].Latest.LastStatusCode != 500 {
		t.Errorf("failing endpoints %+v, want we_bad with its 500", o.FailingEndpoints)
	}
}

// TestSearchCheckoutSessions checks how a search is read: an id, an email,
// an order id; and that another scope's session is not found.
func TestSearchCheckoutSessions(t *testing.T) {
	e := newReportEnv(t, gateway.Config{})
	a := e.session(t, e.scope, e.now.Add(-time.Hour), func(s *gateway.CheckoutSession) {
		s.CustomerEmail, s.Metadata = "Ada@Example.com", map[string]string{"order_id": "A-1"}
	})
	b := e.session(t, e.scope, e.now.Add(-time.Minute), func(s *gateway.CheckoutSession) {
		s.CustomerEmail, s.Metadata = "bob@example.com", map[string]string{"order_id": "ada@example.com"}
	})
	other := e.session(t, gateway.Scope{MerchantID: "mer_b", Mode: gateway.ModeTest}, e.now, func(s *gateway.CheckoutSession) {
		s.CustomerEmail, s.Metadata = "ada@example.com", map[string]string{"order_id": "A-1"}
	})
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"", []string{b.ID, a.ID}},
		{a.ID, []string{a.ID}},
		{"  " + a.ID + " ", []string{a.ID}},
		{other.ID, nil},
		{"cs_nope", nil},
		{"ada@example.com", []string{a.ID}},
		{"A-1", []string{a.ID}},
		{"a-1", nil},
	} {
		got, err := e.svc.SearchCheckoutSessions(e.ctx, e.scope, tc.q, gateway.SessionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range got.Items {
			ids = append(ids, s.ID)
		}
		if !cmp.Equal(ids, tc.want) || got.TotalCount != len(tc.want) {
			t.Errorf("search %q = %v (total %d), want %v", tc.q, ids, got.TotalCount, tc.want)
		}
	}
}

// TestSessionTimeline checks a paid session's timeline: created, invoice
// made (at the time the invoice carries), paid, its event and each
// delivery with its attempts, in order; another scope's session is not
// found.
func TestSessionTimeline(t *testing.T) {
	invoiceAt := reportNow.Add(-5*time.Minute - 30*time.Second) // between created and paid
	e := newReportEnv(t, gateway.Config{Decode: func(bolt11 string) (gateway.DecodedInvoice, error) {
		if bolt11 != "lnbcrt1good" {
			return gateway.DecodedInvoice{}, errors.New("bad invoice")
		}
		return gateway.DecodedInvoice{CreatedAt: invoiceAt}, nil
	}})
	ep := &gateway.WebhookEndpoint{ID: "we_1", MerchantID: "mer_a", Mode: gateway.ModeTest, URL: "https://hooks.example/1",
		Active: true, Secret: []byte("sealed"), CreatedAt: e.now.AddDate(0, 0, -1), UpdatedAt: e.now.AddDate(0, 0, -1)}
	if err := e.store.CreateWebhookEndpoint(e.ctx, ep); err != nil {
		t.Fatal(err)
	}
	paidAt := e.now.Add(-5 * time.Minute)
	tx := e.pay(t, e.scope, paidAt, 100, 5000, "usd")
	if _, err := e.store.UpdateCheckoutSession(e.ctx, e.scope, tx.CheckoutSessionID, func(cs *gateway.CheckoutSession) (gateway.SessionChange, error) {
		cs.PaymentRequest = "lnbcrt1good"
		return gateway.SessionChange{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	jobs, err := e.store.ClaimDueDeliveries(e.ctx, e.now, e.now.Add(time.Minute), 10, 0)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claimed %d deliveries (%v), want 1", len(jobs), err)
	}
	next := gateway.NextDelivery(jobs[0].Delivery, gateway.AttemptOutcome{StatusCode: 503}, gateway.DefaultRetrySchedule, e.now)
	a := gateway.DeliveryAttempt{ID: "wha_1", DeliveryID: next.ID, Attempt: 1, At: e.now, StatusCode: 503, ResponseBody: "busy"}
	if err := e.store.RecordDeliveryAttempt(e.ctx, jobs[0].Delivery.LeaseToken, a, next); err != nil {
		t.Fatal(err)
	}

	d, err := e.svc.SessionTimeline(e.ctx, e.scope, tx.CheckoutSessionID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Transaction == nil || d.Transaction.ID != tx.ID {
		t.Errorf("transaction %+v, want %s", d.Transaction, tx.ID)
	}
	type entry struct {
		Kind    gateway.TimelineKind
		At      time.Time
		Unknown bool
		Event   string
		Codes   []int
	}
	var got []entry
	for _, x := range d.Timeline {
		g := entry{Kind: x.Kind, At: x.At, Unknown: x.AtUnknown}
		if x.Event != nil {
			g.Event = x.Event.ID
		}
		for _, a := range x.Attempts {
			g.Codes = append(g.Codes, a.StatusCode)
		}
		got = append(got, g)
	}
	evID := "evt_" + tx.CheckoutSessionID[3:]
	want := []entry{
		{Kind: gateway.TimelineCreated, At: paidAt.Add(-time.Minute)},
		{Kind: gateway.TimelineInvoice, At: invoiceAt},
		{Kind: gateway.TimelinePaid, At: paidAt},
		{Kind: gateway.TimelineEvent, At: paidAt, Event: evID},
		{Kind: gateway.TimelineDelivery, At: paidAt, Event: evID, Codes: []int{503}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("timeline (-want +got):\n%s", d)
	}

	// An invoice the gateway cannot decode still shows, its time unknown.
	s := e.session(t, e.scope, e.now.Add(-time.Minute), func(s *gateway.CheckoutSession) { s.PaymentRequest = "lnbcrt1other" })
	if d, err = e.svc.SessionTimeline(e.ctx, e.scope, s.ID); err != nil {
		t.Fatal(err)
	}
	if len(d.Timeline) != 2 || d.Timeline[1].Kind != gateway.TimelineInvoice || !d.Timeline[1].AtUnknown {
		t.Errorf("timeline %+v, want created and an invoice of unknown time", d.Timeline)
	}

	_, err = e.svc.SessionTimeline(e.ctx, gateway.Scope{MerchantID: "mer_b", Mode: gateway.ModeTest}, tx.CheckoutSessionID)
	if !errors.Is(err, gateway.ErrNotFound) {
		t.Errorf("another merchant's timeline: err = %v, want ErrNotFound", err)
	}
}

// pagedStore serves ExportTransactions from a slice, newest first, and
// records each page asked for.
type pagedStore struct {
	gateway.Store
	rows  []gateway.Transaction
	calls []gateway.Keyset
}

func (p *pagedStore) ExportTransactions(_ context.Context, _ gateway.Scope, _ gateway.TransactionFilter, after gateway.Keyset, limit int) ([]gateway.Transaction, error) {
	p.calls = append(p.calls, after)
	i := 0
	if after != (gateway.Keyset{}) {
		for i < len(p.rows) && (p.rows[i].ID != after.ID || !p.rows[i].CreatedAt.Equal(after.CreatedAt)) {
			i++
		}
		i++
	}
	return p.rows[min(i, len(p.rows)):min(i+limit, len(p.rows))], nil
}

// TestExportTransactions checks the export walks every page by its keyset,
// stops after a short page, and stops when fn fails.
func TestExportTransactions(t *testing.T) {
	for _, n := range []int{0, 1, gateway.ExportPageSize, 2*gateway.ExportPageSize + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := &pagedStore{}
			for i := range n {
				p.rows = append(p.rows, gateway.Transaction{ID: fmt.Sprintf("txn_%05d", n-i), CreatedAt: reportNow.Add(-time.Duration(i/2) * time.Second)})
			}
			svc := gateway.NewService(gateway.Config{Store: p, Clock: fixedClock(reportNow)})
			var got []string
			err := svc.ExportTransactions(t.Context(), gateway.Scope{}, gateway.TransactionFilter{}, func(tx *gateway.Transaction) error {
				got = append(got, tx.ID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("exported %d rows, want %d", len(got), n)
			}
			for i := range got {
				if got[i] != p.rows[i].ID {
					t.Fatalf("row %d is %s, want %s", i, got[i], p.rows[i].ID)
				}
			}
			if want := n/gateway.ExportPageSize + 1; len(p.calls) != want {
				t.Errorf("%d pages read, want %d", len(p.calls), want)
			}
		})
	}
	p := &pagedStore{rows: make([]gateway.Transaction, 3*gateway.ExportPageSize)}
	for i := range p.rows {
		p.rows[i] = gateway.Transaction{ID: fmt.Sprintf("txn_%05d", len(p.rows)-i), CreatedAt: reportNow}
	}
	stop := errors.New("client went away")
	n := 0
	err := gateway.NewService(gateway.Config{Store: p}).ExportTransactions(t.Context(), gateway.Scope{}, gateway.TransactionFilter{},
		func(*gateway.Transaction) error {
			if n++; n == 10 {
				return stop
			}
			return nil
		})
	if !errors.Is(err, stop) || len(p.calls) != 1 {
		t.Errorf("err = %v after %d pages, want %v after 1", err, len(p.calls), stop)
	}
}

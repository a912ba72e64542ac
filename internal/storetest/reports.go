package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// dayNumber is t's UTC day counted from 1970-01-01, the rollup's key.
func dayNumber(t time.Time) int64 { return gateway.FloorDiv(t.UnixMicro(), gateway.DayMicros) }

// revenue reads scope's rollup for the days first..last.
func (f *fixture) revenue(t *testing.T, scope gateway.Scope, first, last int64) []gateway.RevenueDay {
	t.Helper()
	days, err := f.store.RevenueDays(f.ctx, scope, first, last)
	noErr(t, "RevenueDays", err)
	return days
}

// testRevenueRollup checks the rollup holds each settled payment once, in
// its scope, UTC day (of its created_at, before 1970 too) and currency, and
// that a second settlement of a paid invoice, which the store refuses, adds
// nothing.
func testRevenueRollup(t *testing.T, f *fixture) {
	midnight := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	type pay struct {
		scope    gateway.Scope
		at       time.Time
		currency string
		cents    gateway.Cents
	}
	pays := []pay{
		{f.scope, midnight, "usd", 500},
		{f.scope, midnight.Add(23*time.Hour + 59*time.Minute), "usd", 700},
		{f.scope, midnight.Add(12 * time.Hour), "eur", 900},
		{f.scope, midnight.Add(24 * time.Hour), "usd", 1100},
		{f.scope, midnight.Add(-time.Microsecond), "usd", 1300},
		{f.scope, time.Unix(-3600, 0).UTC(), "jpy", 150},
		{f.otherMode, midnight.Add(time.Hour), "usd", 10000},
		{f.otherMerchant, midnight.Add(time.Hour), "usd", 20000},
	}
	want := map[gateway.Scope][]gateway.RevenueDay{}
	for i, p := range pays {
		s := session(p.scope, fmt.Sprintf("cs_rev%d", i), p.at.Add(-time.Minute))
		s.Currency, s.AmountCents, s.PaymentHash = p.currency, p.cents, fmt.Sprintf("hash_rev%d", i)
		f.createSession(t, s)
		tx := transaction(s, fmt.Sprintf("txn_rev%d", i), s.PaymentHash, p.at)
		tx.AmountMsat, tx.AmountSats = gateway.MilliSat(1000*(100+i)), gateway.Sats(100+i)
		f.complete(t, p.scope, s.ID, tx)
		want[p.scope] = addRevenue(want[p.scope], gateway.RevenueDay{Day: dayNumber(p.at), Currency: p.currency,
			Payments: 1, Sats: tx.AmountSats, Cents: p.cents})
	}
	all := func(scope gateway.Scope) []gateway.RevenueDay { return f.revenue(t, scope, -100_000, 100_000) }
	for _, scope := range []gateway.Scope{f.scope, f.otherMode, f.otherMerchant} {
		diff(t, fmt.Sprintf("rollup of %v", scope), want[scope], all(scope))
	}
	diff(t, "rollup of a scope with no payments", []gateway.RevenueDay(nil),
		all(gateway.Scope{MerchantID: f.other.ID, Mode: gateway.ModeLive}))

	// The days asked for, both ends inclusive.
	first, last := dayNumber(midnight), dayNumber(midnight)
	var inRange []gateway.RevenueDay
	for _, d := range want[f.scope] {
		if d.Day >= first && d.Day <= last {
			inRange = append(inRange, d)
		}
	}
	diff(t, "rollup of one day", inRange, f.revenue(t, f.scope, first, last))

	// The same payment hash settled for another session: refused, and
	// the refusal rolls back its rollup change with everything else.
	dup := session(f.scope, "cs_revdup", midnight)
	f.createSession(t, dup)
	tx := transaction(dup, "txn_revdup", "hash_rev0", midnight)
	_, err := f.store.UpdateCheckoutSession(f.ctx, f.scope, dup.ID, completeWith(tx))
	wantErr(t, "settling a paid invoice again", err, gateway.ErrConflict)
	diff(t, "rollup after a refused settlement", want[f.scope], all(f.scope))
}

// addRevenue adds d to its day and currency in days (kept in rollup order).
func addRevenue(days []gateway.RevenueDay, d gateway.RevenueDay) []gateway.RevenueDay {
	for i := range days {
		if days[i].Day == d.Day && days[i].Currency == d.Currency {
			days[i].Payments += d.Payments
			days[i].Sats += d.Sats
			days[i].Cents += d.Cents
			return days
		}
	}
	days = append(days, d)
	slices.SortFunc(days, func(a, b gateway.RevenueDay) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Currency, b.Currency))
	})
	return days
}

// errAlreadyPaid is what a settlement finds when another won the race.
var errAlreadyPaid = errors.New("already paid")

// completeWith is a settlement's update: complete the session with tx,
// unless it is already completed.
func completeWith(tx *gateway.Transaction) func(*gateway.CheckoutSession) (gateway.SessionChange, error) {
	return func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
		if s.Status == gateway.StatusCompleted {
			return gateway.SessionChange{}, errAlreadyPaid
		}
		if err := s.Transition(gateway.StatusCompleted, tx.CreatedAt); err != nil {
			return gateway.SessionChange{}, err
		}
		s.TransactionID = tx.ID
		return gateway.SessionChange{Transaction: tx}, nil
	}
}

// complete settles session id of scope with tx.
func (f *fixture) complete(t *testing.T, scope gateway.Scope, id string, tx *gateway.Transaction) {
	t.Helper()
	_, err := f.store.UpdateCheckoutSession(f.ctx, scope, id, completeWith(tx))
	noErr(t, "settle "+id, err)
}

// testRevenueConcurrentSettlement settles one session from many callers at
// once, as duplicate settlement hints on many nodes do: the rollup counts
// it once. Many sessions settled at once on the same day all count.
func testRevenueConcurrentSettlement(t *testing.T, f *fixture) {
	const callers = 8
	day := t0.Truncate(24 * time.Hour)
	s := session(f.scope, "cs_race", at(0))
	s.PaymentHash = "hash_race"
	f.createSession(t, s)
	var wg sync.WaitGroup
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			// Each caller makes its own transaction, as each node would.
			tx := transaction(s, fmt.Sprintf("txn_race%d", i), s.PaymentHash, at(1))
			_, errs[i] = f.store.UpdateCheckoutSession(f.ctx, f.scope, s.ID, completeWith(tx))
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, errAlreadyPaid), errors.Is(err, gateway.ErrConflict):
		default:
			t.Errorf("settle: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d settlements won, want 1", won)
	}
	wantDay := []gateway.RevenueDay{{Day: dayNumber(at(1)), Currency: "usd", Payments: 1, Sats: 7796, Cents: 5000}}
	diff(t, "rollup after duplicate settlements", wantDay, f.revenue(t, f.scope, dayNumber(day), dayNumber(day)))

	for i := range callers {
		s := session(f.scope, fmt.Sprintf("cs_many%d", i), at(0))
		s.PaymentHash = fmt.Sprintf("hash_many%d", i)
		f.createSession(t, s)
	}
	for i := range callers {
		wg.Go(func() {
			id := fmt.Sprintf("cs_many%d", i)
			s, err := f.store.GetCheckoutSession(f.ctx, f.scope, id)
			if err == nil {
				tx := transaction(s, fmt.Sprintf("txn_many%d", i), s.PaymentHash, at(2))
				_, err = f.store.UpdateCheckoutSession(f.ctx, f.scope, id, completeWith(tx))
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		noErr(t, "settle", err)
	}
	wantDay[0].Payments += callers
	wantDay[0].Sats += callers * 7796
	wantDay[0].Cents += callers * 5000
	diff(t, "rollup after concurrent settlements", wantDay, f.revenue(t, f.scope, dayNumber(day), dayNumber(day)))
}

// testSearchSessions checks the session list's order_id and customer email
// filters: exact order id, email matched ignoring ASCII case, combined with
// status and created filters and cursors, never another scope's sessions.
func testSearchSessions(t *testing.T, f *fixture) {
	type row struct {
		id, order, email string
		status           gateway.SessionStatus
		created          time.Time
	}
	rows := []row{
		{"cs_s1", "A-1", "ada@example.com", gateway.StatusPending, at(1)},
		{"cs_s2", "A-1", "Ada@Example.COM", gateway.StatusExpired, at(2)},
		{"cs_s3", "A-2", "ada@example.com", gateway.StatusPending, at(3)},
		{"cs_s4", "a-1", "bob@example.com", gateway.StatusPending, at(4)},
		{"cs_s5", "", "", gateway.StatusPending, at(5)},
		{"cs_s6", "A-1", "ada@example.com", gateway.StatusPending, at(5)}, // ties cs_s5 on created_at
		{"cs_s7", "A-1 ", "ada@example.co", gateway.StatusPending, at(6)},
	}
	for _, r := range rows {
		for _, scope := range []gateway.Scope{f.scope, f.otherMode, f.otherMerchant} {
			s := session(scope, r.id+scopeSuffix(f, scope), r.created)
			s.CustomerEmail = r.email
			s.Metadata = map[string]string{"channel": "web"}
			if r.order != "" {
				s.Metadata["order_id"] = r.order
			}
			f.createSession(t, s)
			if r.status != gateway.StatusPending {
				_, err := f.store.UpdateCheckoutSession(f.ctx, scope, s.ID, func(s *gateway.CheckoutSession) (gateway.SessionChange, error) {
					return gateway.SessionChange{}, s.Transition(r.status, r.created.Add(time.Minute))
				})
				noErr(t, "UpdateCheckoutSession", err)
			}
		}
	}
	for _, tc := range []struct {
		name  string
		f     gateway.SessionFilter
		ids   []string
		more  bool
		total int
	}{
		{"order id", gateway.SessionFilter{OrderID: "A-1"}, []string{"cs_s6", "cs_s2", "cs_s1"}, false, 3},
		{"order id is exact", gateway.SessionFilter{OrderID: "a-1"}, []string{"cs_s4"}, false, 1},
		{"unknown order id", gateway.SessionFilter{OrderID: "Z-9"}, nil, false, 0},
		{"order id and status", gateway.SessionFilter{OrderID: "A-1", Status: gateway.StatusExpired}, []string{"cs_s2"}, false, 1},
		{"order id, first page", gateway.SessionFilter{OrderID: "A-1", Page: gateway.Page{PerPage: 2}}, []string{"cs_s6", "cs_s2"}, true, 3},
		{"order id after a cursor", gateway.SessionFilter{OrderID: "A-1", Page: gateway.Page{PerPage: 2, StartingAfter: "cs_s2"}},
			[]string{"cs_s1"}, false, 3},
		{"email ignores case", gateway.SessionFilter{CustomerEmail: "ADA@example.com"}, []string{"cs_s6", "cs_s3", "cs_s2", "cs_s1"}, false, 4},
		{"email and created", gateway.SessionFilter{CustomerEmail: "ada@example.com", Created: gateway.TimeRange{From: at(2), To: at(3)}},
			[]string{"cs_s3", "cs_s2"}, false, 2},
		{"email and order id", gateway.SessionFilter{CustomerEmail: "ada@example.com", OrderID: "A-2"}, []string{"cs_s3"}, false, 1},
		{"email is whole", gateway.SessionFilter{CustomerEmail: "ada@example"}, nil, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.store.ListCheckoutSessions(f.ctx, f.scope, tc.f)
			noErr(t, "ListCheckoutSessions", err)
			checkList(t, got, sessionID, tc.ids, tc.more, tc.total)
		})
	}
	// Another scope sees its own sessions only.
	got, err := f.store.ListCheckoutSessions(f.ctx, f.otherMerchant, gateway.SessionFilter{OrderID: "A-1"})
	noErr(t, "ListCheckoutSessions", err)
	checkList(t, got, sessionID, []string{"cs_s6other", "cs_s2other", "cs_s1other"}, false, 3)
}

// testExportTransactions checks export pages: newest first by (created_at,
// id), ties included, each page strictly after its cursor, every matching
// transaction exactly once, filters applied, and no other scope's rows.
func testExportTransactions(t *testing.T, f *fixture) {
	var want []string
	for i := range 11 {
		created := at(i / 2) // pairs tie on created_at
		for _, scope := range []gateway.Scope{f.scope, f.otherMode, f.otherMerchant} {
			suffix := scopeSuffix(f, scope)
			_, tx := f.settle(t, scope, fmt.Sprintf("cs_x%02d%s", i, suffix), fmt.Sprintf("txn_x%02d%s", i, suffix),
				fmt.Sprintf("hash_x%02d%s", i, suffix), created)
			if scope == f.scope {
				want = append(want, tx.ID)
			}
		}
	}
	slices.Reverse(want) // newest first; within a tie the larger id first
	export := func(t *testing.T, filter gateway.TransactionFilter, limit int) (ids []string, pages int) {
		t.Helper()
		var after gateway.Keyset
		for {
			page, err := f.store.ExportTransactions(f.ctx, f.scope, filter, after, limit)
			noErr(t, "ExportTransactions", err)
			pages++
			for _, tx := range page {
				if tx.MerchantID != f.scope.MerchantID || tx.Mode != f.scope.Mode {
					t.Fatalf("transaction %s of %s/%s in the export of %v", tx.ID, tx.MerchantID, tx.Mode, f.scope)
				}
				ids = append(ids, tx.ID)
			}
			if len(page) > limit {
				t.Fatalf("page of %d rows, limit %d", len(page), limit)
			}
			if len(page) < limit {
				return ids, pages
			}
			last := page[len(page)-1]
			after = gateway.Keyset{CreatedAt: last.CreatedAt, ID: last.ID}
		}
	}
	for _, limit := range []int{1, 2, 3, 11, 100} {
		t.Run(fmt.Sprintf("pages of %d", limit), func(t *testing.T) {
			ids, pages := export(t, gateway.TransactionFilter{}, limit)
			diff(t, "exported ids", want, ids)
			if wantPages := len(want)/limit + 1; pages != wantPages {
				t.Errorf("%d pages, want %d", pages, wantPages)
			}
		})
	}
	t.Run("created range", func(t *testing.T) {
		ids, _ := export(t, gateway.TransactionFilter{Created: gateway.TimeRange{From: at(1), To: at(3)}}, 2)
		diff(t, "exported ids", want[3:9], ids)
	})
	t.Run("status", func(t *testing.T) {
		ids, _ := export(t, gateway.TransactionFilter{Status: gateway.TxSettled}, 4)
		diff(t, "exported ids", want, ids)
		ids, _ = export(t, gateway.TransactionFilter{Status: "refunded"}, 4)
		diff(t, "exported refunded ids", []string(nil), ids)
	})
	t.Run("session", func(t *testing.T) {
		ids, _ := export(t, gateway.TransactionFilter{CheckoutSessionID: "cs_x03"}, 4)
		diff(t, "exported ids", []string{"txn_x03"}, ids)
		ids, _ = export(t, gateway.TransactionFilter{CheckoutSessionID: "cs_x03other"}, 4)
		diff(t, "another merchant's session", []string(nil), ids)
	})
}

// testDeliveriesForEvents checks the deliveries of a session's events are
// found by event id, in creation order, with none of another scope's.
func testDeliveriesForEvents(t *testing.T, f *fixture) {
	for _, scope := range []gateway.Scope{f.scope, f.otherMerchant} {
		suffix := scopeSuffix(f, scope)
		f.createEndpoint(t, endpoint(scope, "we_a"+suffix, at(-10)))
		f.createEndpoint(t, endpoint(scope, "we_b"+suffix, at(-9)))
		f.settle(t, scope, "cs_tl"+suffix, "txn_tl"+suffix, "hash_tl"+suffix, at(1))
	}
	f.insertEvent(t, event(f.scope, "evt_other", gateway.EventWebhookTest, "we_a", at(2)), "")

	got, err := f.store.ListDeliveriesForEvents(f.ctx, f.scope, []string{"evt_cs_tl"})
	noErr(t, "ListDeliveriesForEvents", err)
	var endpoints []string
	for _, d := range got {
		if d.EventID != "evt_cs_tl" || d.MerchantID != f.scope.MerchantID || d.Mode != f.scope.Mode {
			t.Errorf("delivery %s of event %s in %s/%s", d.ID, d.EventID, d.MerchantID, d.Mode)
		}
		endpoints = append(endpoints, d.EndpointID)
	}
	slices.Sort(endpoints)
	diff(t, "endpoints of the session's deliveries", []string{"we_a", "we_b"}, endpoints)
	diff(t, "the same deliveries as the endpoint's list", f.delivery(t, f.scope, "evt_cs_tl", "we_a"), findDelivery(got, "we_a"))

	got, err = f.store.ListDeliveriesForEvents(f.ctx, f.scope, []string{"evt_cs_tlother", "evt_nope"})
	noErr(t, "ListDeliveriesForEvents", err)
	diff(t, "another merchant's event's deliveries", []gateway.Delivery(nil), got)

	got, err = f.store.ListDeliveriesForEvents(f.ctx, f.scope, nil)
	noErr(t, "ListDeliveriesForEvents", err)
	diff(t, "no events' deliveries", []gateway.Delivery(nil), got)

	got, err = f.store.ListDeliveriesForEvents(f.ctx, f.scope, []string{"evt_cs_tl", "evt_other"})
	noErr(t, "ListDeliveriesForEvents", err)
	if len(got) != 4 {
		t.Fatalf("%d deliveries of two events to two endpoints, want 4", len(got))
	}
	for i := 1; i < len(got); i++ {
		if c := cmp.Or(got[i-1].CreatedAt.Compare(got[i].CreatedAt), cmp.Compare(got[i-1].ID, got[i].ID)); c > 0 {
			t.Errorf("deliveries out of order: %s before %s", got[i-1].ID, got[i].ID)
		}
	}
}

func findDelivery(ds []gateway.Delivery, endpointID string) gateway.Delivery {
	for _, d := range ds {
		if d.EndpointID == endpointID {
			return d
		}
	}
	return gateway.Delivery{}
}

// testLatestDeliveries checks each endpoint's newest delivery is found, in
// the order asked, endpoints without one (or of another scope) left out.
func testLatestDeliveries(t *testing.T, f *fixture) {
	for _, scope := range []gateway.Scope{f.scope, f.otherMerchant} {
		suffix := scopeSuffix(f, scope)
		f.createEndpoint(t, endpoint(scope, "we_a"+suffix, at(-10)))
		f.createEndpoint(t, endpoint(scope, "we_b"+suffix, at(-10), gateway.EventCheckoutCompleted))
		f.createEndpoint(t, endpoint(scope, "we_c"+suffix, at(-10), gateway.EventCheckoutCancelled))
		for i := range 3 {
			f.insertEvent(t, event(scope, fmt.Sprintf("evt_l%d%s", i, suffix), gateway.EventCheckoutCompleted, "cs_x", at(i)), "")
		}
		f.insertEvent(t, event(scope, "evt_only_a"+suffix, gateway.EventWebhookTest, "we_a", at(5)), "we_a"+suffix)
	}
	got, err := f.store.LatestDeliveries(f.ctx, f.scope, []string{"we_b", "we_c", "we_a", "we_aother", "we_nope"})
	noErr(t, "LatestDeliveries", err)
	var keys []string
	for _, d := range got {
		keys = append(keys, d.EndpointID+">"+d.EventID)
	}
	diff(t, "latest deliveries", []string{"we_b>evt_l2", "we_a>evt_only_a"}, keys)
	diff(t, "the same delivery as the endpoint's list", f.delivery(t, f.scope, "evt_l2", "we_b"), got[0])

	got, err = f.store.LatestDeliveries(f.ctx, f.scope, nil)
	noErr(t, "LatestDeliveries", err)
	diff(t, "latest deliveries of no endpoint", []gateway.Delivery(nil), got)
}
